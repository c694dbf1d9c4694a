"""Pupils on the school's roll and their placements at providers (first cut; the placements issue extends it)."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime

from sqlalchemy import Date, Enum, ForeignKey, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from shared.extensions import db
from shared.models.base import created_at, uuid_pk
from shared.models.organisation import Organisation
from shared.upn import validate_upn


class Pupil(db.Model):
    __tablename__ = "pupils"
    __table_args__ = (UniqueConstraint("school_id", "upn"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    school_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("organisations.id"), nullable=False, index=True)
    upn: Mapped[str] = mapped_column(String(13), nullable=False)  # validated by shared.upn
    first_name: Mapped[str] = mapped_column(String(100), nullable=False)
    last_name: Mapped[str] = mapped_column(String(100), nullable=False)
    date_of_birth: Mapped[date] = mapped_column(Date, nullable=False)
    year_group: Mapped[str | None] = mapped_column(String(10))
    created_at: Mapped[datetime] = created_at()

    school: Mapped[Organisation] = relationship()

    @validates("upn")
    def _validate_upn(self, _key: str, value: str) -> str:
        # Every UPN stored is well formed with a correct check letter (raises InvalidUPN otherwise).
        return validate_upn(value)

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


class PlacementStatus(enum.StrEnum):
    PLANNED = "planned"
    ACTIVE = "active"
    ENDED = "ended"
    CANCELLED = "cancelled"


class Placement(db.Model):
    """A pupil placed by the school at a provider. Both organisations are on the row (tenancy)."""

    __tablename__ = "placements"

    id: Mapped[uuid.UUID] = uuid_pk()
    school_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("organisations.id"), nullable=False, index=True)
    provider_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("organisations.id"), nullable=False, index=True)
    pupil_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("pupils.id"), nullable=False, index=True)
    start_date: Mapped[date] = mapped_column(Date, nullable=False)
    end_date: Mapped[date | None] = mapped_column(Date)
    status: Mapped[PlacementStatus] = mapped_column(
        Enum(
            PlacementStatus,
            name="placement_status",
            native_enum=False,
            length=20,
            values_callable=lambda e: [m.value for m in e],
        ),
        nullable=False,
        default=PlacementStatus.PLANNED,
    )
    created_at: Mapped[datetime] = created_at()

    pupil: Mapped[Pupil] = relationship()
    provider: Mapped[Organisation] = relationship(foreign_keys=[provider_id])
