"""Organisations: schools, the providers they use, and local authorities.

A provider is independent of any school: what is its own (details, sites, contacts, staff list, evidence) is entered
once. What is per school (status, approval, agreement, placements, compliance) hangs on a SchoolProvider: the
relationship between one school and one provider.
"""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ColumnElement,
    Date,
    Enum,
    ForeignKey,
    String,
    Text,
    Time,
    UniqueConstraint,
    Uuid,
    false,
    or_,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shared.extensions import Model
from shared.models.base import UTCDateTime, created_at, utcnow, uuid_pk


class OrganisationKind(enum.StrEnum):
    SCHOOL = "school"
    PROVIDER = "provider"
    LOCAL_AUTHORITY = "local_authority"


class ProviderStatus(enum.StrEnum):
    """invited -> onboarding -> submitted -> approved; suspended at any point after approval."""

    INVITED = "invited"
    ONBOARDING = "onboarding"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    SUSPENDED = "suspended"


class Organisation(Model):
    __tablename__ = "organisations"

    id: Mapped[uuid.UUID] = uuid_pk()
    kind: Mapped[OrganisationKind] = mapped_column(
        Enum(
            OrganisationKind,
            name="organisation_kind",
            native_enum=False,
            length=20,
            values_callable=lambda e: [m.value for m in e],
        ),
        nullable=False,
    )
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    # The number people call (a school's: given in absence alerts as who to call at the school).
    phone: Mapped[str | None] = mapped_column(String(30))
    created_at: Mapped[datetime] = created_at()
    # Schools: the DfE URN, the local authority the school is in, and its trust (schools of one trust share the name).
    urn: Mapped[str | None] = mapped_column(String(6))
    local_authority_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("organisations.id"), index=True)
    trust_name: Mapped[str | None] = mapped_column(String(200))
    # Schools: whose verification of a provider's evidence this school relies on, besides its own.
    relies_on_la: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False, server_default=false())
    relies_on_trust: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False, server_default=false())
    relies_on_any_school: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False, server_default=false())

    local_authority: Mapped[Organisation | None] = relationship(remote_side="Organisation.id")
    provider_profile: Mapped[ProviderProfile | None] = relationship(
        back_populates="organisation", foreign_keys="ProviderProfile.organisation_id", uselist=False
    )

    @property
    def is_school(self) -> bool:
        return self.kind == OrganisationKind.SCHOOL

    @property
    def is_provider(self) -> bool:
        return self.kind == OrganisationKind.PROVIDER

    @property
    def is_local_authority(self) -> bool:
        return self.kind == OrganisationKind.LOCAL_AUTHORITY

    def __repr__(self) -> str:
        return f"<Organisation {self.kind} {self.name!r}>"


class ProviderProfile(Model):
    """What is the provider's own, entered once and shared with every school it works with. What is per school is on
    its SchoolProvider rows (`schools`)."""

    __tablename__ = "provider_profiles"

    id: Mapped[uuid.UUID] = uuid_pk()
    organisation_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("organisations.id"), nullable=False, unique=True
    )
    created_at: Mapped[datetime] = created_at()

    # Organisation details (onboarding task 1). The type decides which evidence is required
    # (shared.evidence_catalogue); registered providers give a URN or UKPRN, unregistered ones a setting type.
    provider_type: Mapped[str | None] = mapped_column(String(30))
    urn: Mapped[str | None] = mapped_column(String(6))
    ukprn: Mapped[str | None] = mapped_column(String(8))
    setting_type: Mapped[str | None] = mapped_column(String(200))
    company_number: Mapped[str | None] = mapped_column(String(8))
    charity_number: Mapped[str | None] = mapped_column(String(8))
    address_line_1: Mapped[str | None] = mapped_column(String(200))
    address_line_2: Mapped[str | None] = mapped_column(String(200))
    town: Mapped[str | None] = mapped_column(String(100))
    postcode: Mapped[str | None] = mapped_column(String(10))
    # Contacts (onboarding task 3).
    manager_name: Mapped[str | None] = mapped_column(String(200))
    manager_email: Mapped[str | None] = mapped_column(String(254))
    manager_phone: Mapped[str | None] = mapped_column(String(30))
    dsl_name: Mapped[str | None] = mapped_column(String(200))
    dsl_email: Mapped[str | None] = mapped_column(String(254))
    dsl_phone: Mapped[str | None] = mapped_column(String(30))
    dsl_training_date: Mapped[date | None] = mapped_column(Date)
    # When each session's attendance is due (the provider's agreement; school-local time).
    am_marks_due: Mapped[time] = mapped_column(Time, nullable=False, default=time(10, 0))
    pm_marks_due: Mapped[time] = mapped_column(Time, nullable=False, default=time(14, 0))

    organisation: Mapped[Organisation] = relationship(back_populates="provider_profile", foreign_keys=[organisation_id])
    schools: Mapped[list[SchoolProvider]] = relationship(
        primaryjoin="ProviderProfile.organisation_id == foreign(SchoolProvider.provider_id)",
        viewonly=True,
        order_by="(SchoolProvider.created_at, SchoolProvider.id)",
    )
    sites: Mapped[list[ProviderSite]] = relationship(
        back_populates="profile", cascade="all, delete-orphan", order_by="ProviderSite.created_at"
    )


class SchoolProvider(Model):
    """One school's relationship with one provider: what is per school (status, approval, agreement, placements,
    compliance, breaches, visits all carry this pair's school_id and provider_id)."""

    __tablename__ = "school_providers"
    __table_args__ = (UniqueConstraint("school_id", "provider_id"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    school_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("organisations.id"), nullable=False, index=True)
    provider_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("organisations.id"), nullable=False, index=True)
    status: Mapped[ProviderStatus] = mapped_column(
        Enum(
            ProviderStatus,
            name="provider_status",
            native_enum=False,
            length=20,
            values_callable=lambda e: [m.value for m in e],
        ),
        nullable=False,
        default=ProviderStatus.INVITED,
    )
    status_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    created_at: Mapped[datetime] = created_at()
    # The name the school typed when it invited a provider already on AP Portal: the school sees it (never the
    # provider's own name) until the provider accepts, so an invitation tells it nothing about who has an account.
    invited_name: Mapped[str | None] = mapped_column(String(200))

    school: Mapped[Organisation] = relationship(foreign_keys=[school_id])
    provider: Mapped[Organisation] = relationship(foreign_keys=[provider_id])
    profile: Mapped[ProviderProfile] = relationship(
        primaryjoin="foreign(SchoolProvider.provider_id) == ProviderProfile.organisation_id",
        viewonly=True,
        uselist=False,
    )

    @property
    def is_request(self) -> bool:
        """A school's invitation to a provider already on AP Portal that the provider has not accepted: the school
        sees nothing of the provider's until it does."""
        return self.status == ProviderStatus.INVITED and self.invited_name is not None

    @property
    def display_name(self) -> str:
        """The provider's name as the school sees it: the name it typed while its invitation waits."""
        return self.invited_name if self.is_request and self.invited_name else self.provider.name

    @classmethod
    def shared_with_school(cls) -> ColumnElement[bool]:
        """SQL: the relationship lets the school see the provider's details (not a request still waiting)."""
        return or_(cls.status != ProviderStatus.INVITED, cls.invited_name.is_(None))

    @property
    def organisation_id(self) -> uuid.UUID:
        """The provider's organisation (as on its profile), so code written for a profile reads the same."""
        return self.provider_id

    @property
    def school_arg(self) -> uuid.UUID | None:
        """The `school` argument of the provider's pages about one school: None while it works with one school only
        (its pages' addresses stay as they were)."""
        return self.school_id if len(self.profile.schools) > 1 else None


class ProviderSite(Model):
    """Every place where the provider teaches placed pupils (the school keeps a record of each)."""

    __tablename__ = "provider_sites"

    id: Mapped[uuid.UUID] = uuid_pk()
    profile_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("provider_profiles.id"), nullable=False, index=True)
    organisation_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("organisations.id"), nullable=False, index=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    address_line_1: Mapped[str] = mapped_column(String(200), nullable=False)
    address_line_2: Mapped[str | None] = mapped_column(String(200))
    town: Mapped[str] = mapped_column(String(100), nullable=False)
    postcode: Mapped[str] = mapped_column(String(10), nullable=False)
    activities: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = created_at()

    profile: Mapped[ProviderProfile] = relationship(back_populates="sites")


class ApprovalDecision(Model):
    """The AP lead's decision on a provider's onboarding, with the checklist as it stood (a snapshot)."""

    __tablename__ = "approval_decisions"

    id: Mapped[uuid.UUID] = uuid_pk()
    organisation_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("organisations.id"), nullable=False, index=True)
    school_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("organisations.id"), nullable=False, index=True)
    decision: Mapped[str] = mapped_column(String(20), nullable=False)  # approved | returned
    notes: Mapped[str] = mapped_column(Text, nullable=False)
    checklist: Mapped[list[dict[str, Any]]] = mapped_column(JSON, nullable=False)
    decided_by_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id"), nullable=False)
    decided_at: Mapped[datetime] = created_at()
