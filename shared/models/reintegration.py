"""A reintegration plan (issue 15): when a review chooses a phased return to school, the school writes the return
week by week. Each week says, for each of the ten AM/PM sessions, whether the pupil is at the provider, at school,
or at neither. The provider's sessions are copied to the placement (Placement.timetable_weeks), which is what the
register and the double-booking check read; the school's sessions are kept here, and the double-booking check reads
them too, so the pupil is never expected at school and at another provider in the same session. The placement ends
on the plan's last day, and the review's destination follow-up falls six weeks later."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta

from sqlalchemy import JSON, Date, ForeignKey, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from shared.extensions import Model
from shared.models.base import UTCDateTime, created_at, uuid_pk

AT_PROVIDER = "provider"
AT_SCHOOL = "school"
AT_NEITHER = "none"


class ReintegrationPlan(Model):
    """One per placement. `weeks`: in order from `starts_on` (a Monday), each {"provider": [slots], "school":
    [slots]} with shared.models.pupil.TIMETABLE_SLOTS values."""

    __tablename__ = "reintegration_plans"

    id: Mapped[uuid.UUID] = uuid_pk()
    placement_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("placements.id"), nullable=False, unique=True, index=True
    )
    school_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("organisations.id"), nullable=False, index=True)
    provider_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("organisations.id"), nullable=False, index=True)
    review_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("placement_reviews.id"), nullable=False)
    starts_on: Mapped[date] = mapped_column(Date, nullable=False)
    weeks: Mapped[list[dict[str, list[str]]]] = mapped_column(JSON, nullable=False, default=list)
    school_support: Mapped[str] = mapped_column(Text, nullable=False)  # who supports the pupil at school
    provider_support: Mapped[str | None] = mapped_column(Text)  # who supports from the provider
    family_support: Mapped[str | None] = mapped_column(Text)  # what the pupil and family agreed to
    notes: Mapped[str | None] = mapped_column(Text)
    written_by_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id"), nullable=False)
    written_at: Mapped[datetime] = created_at()
    changed_by_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id"))
    changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def week_starts(self) -> list[date]:
        return [self.starts_on + timedelta(weeks=i) for i in range(len(self.weeks))]

    @property
    def last_day(self) -> date:
        """The Friday of the last week: the placement ends then."""
        return self.starts_on + timedelta(weeks=len(self.weeks) - 1, days=4)
