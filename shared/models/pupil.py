"""Pupils on the school's roll and their placements at providers (the policy's written plan for each)."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    Enum,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from shared.crypto import encrypted, encrypted_enum
from shared.extensions import Model
from shared.models.base import UTCDateTime, created_at, utcnow, uuid_pk
from shared.models.organisation import Organisation, ProviderSite
from shared.upn import validate_upn


def _str_enum(kind: type[enum.StrEnum], name: str, length: int = 30) -> Enum:
    return Enum(kind, name=name, native_enum=False, length=length, values_callable=lambda e: [m.value for m in e])


class SendStatus(enum.StrEnum):
    NONE = "none"
    SEN_SUPPORT = "sen_support"
    EHCP = "ehcp"


class ChildProtectionStatus(enum.StrEnum):
    NONE = "none"
    CHILD_IN_NEED = "child_in_need"
    CHILD_PROTECTION_PLAN = "child_protection_plan"


class Pupil(Model):
    """The school's record of a pupil. Only the school sees it; a provider sees the placement's need-to-know summary."""

    __tablename__ = "pupils"
    __table_args__ = (UniqueConstraint("school_id", "upn"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    school_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("organisations.id"), nullable=False, index=True)
    upn: Mapped[str] = mapped_column(String(13), nullable=False)  # validated by shared.upn
    first_name: Mapped[str] = mapped_column(String(100), nullable=False)  # legal names
    last_name: Mapped[str] = mapped_column(String(100), nullable=False)
    preferred_name: Mapped[str | None] = mapped_column(String(100))
    date_of_birth: Mapped[date] = mapped_column(Date, nullable=False)
    year_group: Mapped[str | None] = mapped_column(String(10))
    send_status: Mapped[SendStatus] = mapped_column(
        _str_enum(SendStatus, "send_status", 20), nullable=False, default=SendStatus.NONE
    )
    semh: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    looked_after: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    # Child-protection status and the professionals' names and addresses are ciphertext at rest (shared.crypto),
    # like safeguarding content: the database cannot filter or group on them, so nothing may (do it in Python).
    child_protection: Mapped[ChildProtectionStatus] = mapped_column(
        encrypted_enum("Pupil", "child_protection", ChildProtectionStatus),
        nullable=False,
        default=ChildProtectionStatus.NONE,
    )
    social_worker_name: Mapped[str | None] = mapped_column(encrypted("Pupil", "social_worker_name"))
    social_worker_email: Mapped[str | None] = mapped_column(encrypted("Pupil", "social_worker_email"))
    yot_worker: Mapped[str | None] = mapped_column(String(200))  # youth offending team worker's name and contact
    # open to the pupil welfare service
    welfare_officer_name: Mapped[str | None] = mapped_column(encrypted("Pupil", "welfare_officer_name"))
    welfare_officer_email: Mapped[str | None] = mapped_column(encrypted("Pupil", "welfare_officer_email"))
    early_help: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    other_agencies: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)

    school: Mapped[Organisation] = relationship()

    @validates("upn")
    def _validate_upn(self, _key: str, value: str) -> str:
        # Every UPN stored is well formed with a correct check letter (raises InvalidUPN otherwise).
        return validate_upn(value)

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def named(self) -> str:
        """The name as the school writes it, saying which is the preferred name when there is one: 'Noah Testtwo
        (known as Noz)'. (A provider knows the pupil by `known_as`: 'Noz Testtwo'.)"""
        preferred = (self.preferred_name or "").strip()
        if preferred and preferred.lower() != self.first_name.strip().lower():
            return f"{self.full_name} (known as {preferred})"
        return self.full_name

    @property
    def year_label(self) -> str | None:
        """'Year 10', 'Reception', or None when not given (a year group is stored as 'R' or '1' to '13')."""
        code = (self.year_group or "").strip()
        if not code:
            return None
        if code.upper() == "R":
            return "Reception"
        return f"Year {code}" if code.isdigit() else code

    @property
    def known_as(self) -> str:
        """The name people use with the child: the preferred first name if there is one."""
        return f"{self.preferred_name or self.first_name} {self.last_name}"


class PlacementStatus(enum.StrEnum):
    """planned (the plan is being written) -> active (headteacher agreed, started) -> ended; or cancelled."""

    PLANNED = "planned"
    ACTIVE = "active"
    ENDED = "ended"
    CANCELLED = "cancelled"


class HeadteacherDecision(enum.StrEnum):
    PENDING = "pending"
    AGREED = "agreed"
    DECLINED = "declined"


# The weekly timetable: which AM/PM sessions of the week the pupil is expected at the provider.
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
TIMETABLE_SLOTS = tuple(f"{day}_{session}" for day in WEEKDAYS for session in ("am", "pm"))


def slot_for(day: date, session: str) -> str:
    """The timetable slot of a date's AM or PM session, e.g. ('2026-11-30', 'AM') -> 'mon_am'."""
    return f"{WEEKDAYS[day.weekday()]}_{session.lower()}" if day.weekday() < 5 else ""


class Placement(Model):
    """A pupil placed by the school at a provider: the written plan the policy asks for. Both organisations are on
    the row (tenancy); the pupil's record stays with the school."""

    __tablename__ = "placements"

    id: Mapped[uuid.UUID] = uuid_pk()
    school_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("organisations.id"), nullable=False, index=True)
    provider_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("organisations.id"), nullable=False, index=True)
    pupil_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("pupils.id"), nullable=False, index=True)
    start_date: Mapped[date] = mapped_column(Date, nullable=False)
    end_date: Mapped[date | None] = mapped_column(Date)  # the day it actually ended (or ends)
    max_end_date: Mapped[date | None] = mapped_column(Date)  # the latest it may run without a new decision
    status: Mapped[PlacementStatus] = mapped_column(
        _str_enum(PlacementStatus, "placement_status", 20), nullable=False, default=PlacementStatus.PLANNED
    )
    # The plan. legal_basis is a shared.attendance_codes.LegalBasis value (decides B / K / D in the register).
    legal_basis: Mapped[str] = mapped_column(String(30), nullable=False, default="school_arranged")
    primary_reason: Mapped[str | None] = mapped_column(String(40))
    timetable: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)  # TIMETABLE_SLOTS values
    # During a phased return (a reintegration plan), the provider's sessions week by week: {Monday's ISO date:
    # [TIMETABLE_SLOTS values]}. A week listed here replaces `timetable` for that week.
    timetable_weeks: Mapped[dict[str, list[str]] | None] = mapped_column(JSON)
    hours_per_week: Mapped[Decimal | None] = mapped_column(Numeric(4, 1))
    cost_pence: Mapped[int | None] = mapped_column(BigInteger)
    cost_period: Mapped[str | None] = mapped_column(String(10))  # session | week | placement
    rationale: Mapped[str | None] = mapped_column(Text)
    intended_outcomes: Mapped[str | None] = mapped_column(Text)
    review_arrangements: Mapped[str | None] = mapped_column(Text)
    reintegration_criteria: Mapped[str | None] = mapped_column(Text)
    review_interval_weeks: Mapped[int] = mapped_column(Integer, nullable=False, default=6)
    consulted_sendco: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    consulted_dsl: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    consulted_parents: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    consulted_professionals: Mapped[str | None] = mapped_column(Text)
    headteacher_decision: Mapped[HeadteacherDecision] = mapped_column(
        _str_enum(HeadteacherDecision, "headteacher_decision", 20), nullable=False, default=HeadteacherDecision.PENDING
    )
    headteacher_decision_notes: Mapped[str | None] = mapped_column(Text)
    headteacher_decided_by_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id"))
    headteacher_decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    parents_notified_on: Mapped[date | None] = mapped_column(Date)
    parents_notified_how: Mapped[str | None] = mapped_column(String(100))
    la_informed_on: Mapped[date | None] = mapped_column(Date)  # the date the school wrote down (the plan's form)
    # When AP Portal told the school's local authority, on the headteacher's agreement (issue 14): the school telling
    # the LA of a placement it commissions. None for a placement agreed before AP Portal told LAs, or whose school
    # has no local authority.
    la_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # What the provider may know, written by the SENDCO or DSL for the provider: all it ever sees of the pupil
    # beyond the name, year group and date of birth.
    summary_send_needs: Mapped[str | None] = mapped_column(Text)
    summary_semh_needs: Mapped[str | None] = mapped_column(Text)
    summary_support_plan: Mapped[str | None] = mapped_column(Text)
    summary_interventions: Mapped[str | None] = mapped_column(Text)
    summary_agencies: Mapped[str | None] = mapped_column(Text)
    summary_written_by_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id"))
    summary_updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # How it ended (a review's "cease", or the AP lead).
    end_destination: Mapped[str | None] = mapped_column(String(40))
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id"))
    created_at: Mapped[datetime] = created_at()

    pupil: Mapped[Pupil] = relationship()
    provider: Mapped[Organisation] = relationship(foreign_keys=[provider_id])
    school: Mapped[Organisation] = relationship(foreign_keys=[school_id])
    sites: Mapped[list[ProviderSite]] = relationship(secondary="placement_sites", order_by="ProviderSite.name")

    def expects(self, day: date, session: str) -> bool:
        """Whether the timetable has the pupil at the provider for this session on this date (calendar aside)."""
        return (
            self.start_date <= day
            and (self.end_date is None or day <= self.end_date)
            and slot_for(day, session) in self.timetable_of_week(day)
        )

    def timetable_of_week(self, day: date) -> list[str]:
        """The provider's sessions in the week of `day`: that week's phased-return sessions, else the timetable."""
        if self.timetable_weeks:
            week = self.timetable_weeks.get((day - timedelta(days=day.weekday())).isoformat())
            if week is not None:
                return week
        return self.timetable or []


class PlacementSite(Model):
    """The site(s) of the provider where the pupil is taught."""

    __tablename__ = "placement_sites"

    placement_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("placements.id"), primary_key=True)
    site_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("provider_sites.id"), primary_key=True)


class PlacementDocument(Model):
    """A file kept with a placement (the risk assessment), stored through the shared upload pipeline. Like a
    safeguarding attachment, the stored object is encrypted (shared.crypto.encrypt_bytes, bound to this row) and so is
    its file name. `key_id` names the key; None only for an object stored before encryption (migration 0013), which
    `flask keys-rotate` encrypts."""

    __tablename__ = "placement_documents"

    id: Mapped[uuid.UUID] = uuid_pk()
    placement_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("placements.id"), nullable=False, index=True)
    school_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("organisations.id"), nullable=False, index=True)
    kind: Mapped[str] = mapped_column(String(30), nullable=False, default="risk_assessment")
    storage_key: Mapped[str] = mapped_column(String(100), nullable=False, unique=True)
    key_id: Mapped[str | None] = mapped_column(String(20))  # the key the stored object is encrypted under
    display_name: Mapped[str] = mapped_column(encrypted("PlacementDocument", "display_name"), nullable=False)
    content_type: Mapped[str] = mapped_column(String(100), nullable=False)
    size_bytes: Mapped[int] = mapped_column(BigInteger, nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    virus_scanned: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    uploaded_by_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = created_at()
