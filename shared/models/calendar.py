"""The school's calendar: its terms and INSET days (bank holidays come from the `holidays` package)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from shared.extensions import Model
from shared.models.base import created_at, uuid_pk


class SchoolTerm(Model):
    __tablename__ = "school_terms"

    id: Mapped[uuid.UUID] = uuid_pk()
    school_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("organisations.id"), nullable=False, index=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False)  # e.g. "Autumn 2026"
    start_date: Mapped[date] = mapped_column(Date, nullable=False)
    end_date: Mapped[date] = mapped_column(Date, nullable=False)
    # The half-term holiday inside the term (no school days), when the school records one.
    half_term_starts: Mapped[date | None] = mapped_column(Date)
    half_term_ends: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = created_at()


class InsetDay(Model):
    __tablename__ = "inset_days"
    __table_args__ = (UniqueConstraint("school_id", "day"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    school_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("organisations.id"), nullable=False, index=True)
    day: Mapped[date] = mapped_column(Date, nullable=False)
    note: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = created_at()
