"""The service level agreement between a school and a provider, its terms recorded as data (issue 6).

One current agreement per provider. The attendance deadlines are part of the agreement but stay on ProviderProfile
(am_marks_due / pm_marks_due), where the attendance rules read them. `placement_id` is for a later per-placement
override and is empty for the provider's own agreement."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Integer, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from shared.extensions import db
from shared.models.base import UTCDateTime, created_at, utcnow, uuid_pk


class ServiceAgreement(db.Model):
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
