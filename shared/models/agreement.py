"""The service level agreement between a school and a provider, its terms recorded as data (issue 6), the signed
copy, the breaches the compliance figures raise, and the AP budget the governors approve.

One current agreement per provider (`placement_id` empty), and at most one override per placement (`placement_id`
set) whose terms replace the provider's for that placement. The attendance deadlines are part of the agreement but
stay on ProviderProfile (am_marks_due / pm_marks_due), where the attendance rules read them."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import BigInteger, Boolean, Date, Float, ForeignKey, Integer, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from shared.extensions import Model
from shared.models.base import UTCDateTime, created_at, utcnow, uuid_pk


class ServiceAgreement(Model):
    __tablename__ = "service_agreements"

    id: Mapped[uuid.UUID] = uuid_pk()
    school_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("organisations.id"), nullable=False, index=True)
    provider_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("organisations.id"), nullable=False, index=True)
    placement_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("placements.id"), index=True)
    starts_on: Mapped[date] = mapped_column(Date, nullable=False)
    ends_on: Mapped[date | None] = mapped_column(Date)
    incidents_within_hours: Mapped[int] = mapped_column(Integer, nullable=False, default=24)
    reviews_every_weeks: Mapped[int] = mapped_column(Integer, nullable=False, default=6)
    concerns_same_session: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    notices_before_next_school_day: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    evidence_in_date: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    confirmation_current: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    school_policy_acknowledged: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    behaviour_expectations: Mapped[str | None] = mapped_column(Text)
    reporting_procedures: Mapped[str | None] = mapped_column(Text)
    cost_per_session_pence: Mapped[int | None] = mapped_column(Integer)
    cost_per_week_pence: Mapped[int | None] = mapped_column(Integer)
    created_by_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id"), nullable=False)
    created_at: Mapped[datetime] = created_at()
    updated_by_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id"), nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)


class AgreementDocument(Model):
    """A signed copy of a service level agreement, stored through the shared upload pipeline. Every upload is
    kept; the newest is the current signed copy."""

    __tablename__ = "agreement_documents"

    id: Mapped[uuid.UUID] = uuid_pk()
    agreement_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("service_agreements.id"), nullable=False, index=True
    )
    school_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("organisations.id"), nullable=False, index=True)
    provider_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("organisations.id"), nullable=False, index=True)
    storage_key: Mapped[str] = mapped_column(String(100), nullable=False, unique=True)
    display_name: Mapped[str] = mapped_column(String(255), nullable=False)
    content_type: Mapped[str] = mapped_column(String(100), nullable=False)
    size_bytes: Mapped[int] = mapped_column(BigInteger, nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    virus_scanned: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    signed_on: Mapped[date | None] = mapped_column(Date)
    uploaded_by_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = created_at()


class ComplianceBreach(Model):
    """An agreement term rated red for a provider over a half-term: a task for the AP lead until they record what
    they did about it. One per provider, term and period."""

    __tablename__ = "compliance_breaches"
    __table_args__ = (UniqueConstraint("school_id", "provider_id", "term_key", "period_start"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    school_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("organisations.id"), nullable=False, index=True)
    provider_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("organisations.id"), nullable=False, index=True)
    term_key: Mapped[str] = mapped_column(String(30), nullable=False)
    period_start: Mapped[date] = mapped_column(Date, nullable=False)
    period_end: Mapped[date] = mapped_column(Date, nullable=False)
    period_name: Mapped[str] = mapped_column(String(120), nullable=False)
    percent: Mapped[float | None] = mapped_column(Float)
    summary: Mapped[str] = mapped_column(String(200), nullable=False)
    raised_at: Mapped[datetime] = created_at()
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id"))
    action_taken: Mapped[str | None] = mapped_column(Text)


class ApBudget(Model):
    """The alternative provision budget the governors approved for one school year (September to August),
    entered by the headteacher."""

    __tablename__ = "ap_budgets"
    __table_args__ = (UniqueConstraint("school_id", "year_starting"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    school_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("organisations.id"), nullable=False, index=True)
    year_starting: Mapped[int] = mapped_column(Integer, nullable=False)  # 2026 for the 2026 to 2027 school year
    amount_pence: Mapped[int] = mapped_column(BigInteger, nullable=False)
    approved_on: Mapped[date | None] = mapped_column(Date)  # when the governors approved it
    entered_by_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id"), nullable=False)
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
