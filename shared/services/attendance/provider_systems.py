"""What a provider's own system reads through the JSON API (api/views.py): the day's sessions with their pupils, the
marks of a date range, and the provider's placements named in a request (its marks are saved by
attendance.batch.save_marks, like the week grid's and the CSV upload's)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date

from sqlalchemy import select

from shared.extensions import db
from shared.models import AttendanceMark, Placement, ProviderProfile, Pupil


def load_pupils(placements: Iterable[Placement]) -> None:
    """One query for every placement's pupil (then placement.pupil comes from the session, not a query each)."""
    ids = {p.pupil_id for p in placements}
    if ids:
        db.session.scalars(select(Pupil).where(Pupil.id.in_(ids))).all()


def provider_profile(provider_id: uuid.UUID) -> ProviderProfile | None:
    return db.session.scalar(select(ProviderProfile).where(ProviderProfile.organisation_id == provider_id))


def marks_with_pupils(provider_id: uuid.UUID, start: date, end: date) -> list[tuple[AttendanceMark, Pupil]]:
    """The provider's marks from start to end (inclusive) with each one's pupil, by day, pupil's name and session."""
    return [
        (mark, pupil)
        for mark, pupil in db.session.execute(
            select(AttendanceMark, Pupil)
            .join(Pupil, Pupil.id == AttendanceMark.pupil_id)
            .where(AttendanceMark.provider_id == provider_id, AttendanceMark.day >= start, AttendanceMark.day <= end)
            .order_by(AttendanceMark.day, Pupil.last_name, Pupil.first_name, AttendanceMark.session)
        )
    ]


def own_placements(provider_id: uuid.UUID, ids: set[uuid.UUID]) -> dict[uuid.UUID, Placement]:
    """The provider's placements among these ids, by id, with their pupils loaded (two queries; none for no ids).
    Another provider's placement is simply not there."""
    if not ids:
        return {}
    placements = list(
        db.session.scalars(select(Placement).where(Placement.id.in_(ids), Placement.provider_id == provider_id))
    )
    load_pupils(placements)
    return {p.id: p for p in placements}
