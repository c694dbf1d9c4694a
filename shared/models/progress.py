"""Progress the school can see (issue 15): where the pupil starts (the baseline, in the first week), the targets
the school sets from the placement's intended outcomes, and the provider's report every half-term."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Date, Float, ForeignKey, Integer, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from shared.crypto import encrypted
from shared.extensions import Model
from shared.models.base import UTCDateTime, created_at, uuid_pk


class PlacementBaseline(Model):
    """One per placement: where the pupil starts, recorded by the provider."""

    __tablename__ = "placement_baselines"

    id: Mapped[uuid.UUID] = uuid_pk()
    placement_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("placements.id"), nullable=False, unique=True, index=True
    )
    school_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("organisations.id"), nullable=False, index=True)
    provider_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("organisations.id"), nullable=False, index=True)
    english: Mapped[str] = mapped_column(Text, nullable=False)
    maths: Mapped[str] = mapped_column(Text, nullable=False)
    engagement: Mapped[str] = mapped_column(Text, nullable=False)
    attendance: Mapped[str] = mapped_column(Text, nullable=False)
    pupil_voice: Mapped[str | None] = mapped_column(Text)
    recorded_by_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id"), nullable=False)
    recorded_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PlacementTarget(Model):
    """One of the placement's targets, in the school's order."""

    __tablename__ = "placement_targets"

    id: Mapped[uuid.UUID] = uuid_pk()
    placement_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("placements.id"), nullable=False, index=True)
    school_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("organisations.id"), nullable=False, index=True)
    position: Mapped[int] = mapped_column(Integer, nullable=False)
    text: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = created_at()


class ProgressReport(Model):
    """The provider's report for one half-term of the school's calendar. `against_targets` keeps each target's words
    as they were, with the rating and what the provider wrote: [{"target", "rating", "text"}]. Attendance is from the
    marks for the period when the report was written, never typed."""

    __tablename__ = "progress_reports"
    __table_args__ = (UniqueConstraint("placement_id", "period_start", name="uq_progress_reports_placement_period"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    placement_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("placements.id"), nullable=False, index=True)
    school_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("organisations.id"), nullable=False, index=True)
    provider_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("organisations.id"), nullable=False, index=True)
    period_start: Mapped[date] = mapped_column(Date, nullable=False)
    period_end: Mapped[date] = mapped_column(Date, nullable=False)
    period_name: Mapped[str] = mapped_column(String(200), nullable=False)
    against_targets: Mapped[list[dict[str, Any]]] = mapped_column(JSON, nullable=False, default=list)
    attendance_percent: Mapped[float | None] = mapped_column(Float)
    units_achieved: Mapped[str | None] = mapped_column(Text)
    pupil_voice: Mapped[str | None] = mapped_column(Text)
    written_by_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id"), nullable=False)
    written_at: Mapped[datetime] = created_at()


class ProgressPhoto(Model):
    """A photo of the pupil's work with a progress report (at most three), stored through the shared upload pipeline
    after its metadata (EXIF, XMP, GPS, camera) was stripped by re-saving the pixels alone. A file about a pupil, so
    stored encrypted like a PlacementDocument (shared.crypto.encrypt_bytes, bound to this row)."""

    __tablename__ = "progress_photos"

    id: Mapped[uuid.UUID] = uuid_pk()
    report_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("progress_reports.id"), nullable=False, index=True)
    placement_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("placements.id"), nullable=False, index=True)
    school_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("organisations.id"), nullable=False, index=True)
    provider_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("organisations.id"), nullable=False, index=True)
    storage_key: Mapped[str] = mapped_column(String(100), nullable=False, unique=True)
    key_id: Mapped[str | None] = mapped_column(String(20))  # the key the stored object is encrypted under
    display_name: Mapped[str] = mapped_column(encrypted("ProgressPhoto", "display_name"), nullable=False)
    content_type: Mapped[str] = mapped_column(String(100), nullable=False)
    size_bytes: Mapped[int] = mapped_column(BigInteger, nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    virus_scanned: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    uploaded_by_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id"), nullable=False)
    uploaded_at: Mapped[datetime] = created_at()
