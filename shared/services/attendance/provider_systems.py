"""What a provider's own system reads and sends through the JSON API (api/views.py): the day's sessions with their
pupils, the marks of a date range, the provider's placements named in a request, and a request's marks kept all or
nothing. The rules are attendance.marks's, the same as the portal's pages and the CSV upload."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime

from sqlalchemy import select

from shared.extensions import db
from shared.models import AttendanceMark, Placement, ProviderProfile, Pupil
from shared.services.attendance.marks import BatchClash, MarkConflict, MarkResult, PlannedMark, apply_marks
from shared.services.errors import RuleBroken


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


@dataclass(frozen=True)
class MarkSnapshot:
    """A mark's values as they were inside the unit of work (the row itself is expired once it ends)."""

    kind: str
    late_minutes: int | None
    reason: str | None
    reason_text: str | None
    code: str
    submitted_late: bool
    recorded_at: datetime
    amended_at: datetime | None
    source: str

    @classmethod
    def of(cls, mark: AttendanceMark) -> MarkSnapshot:
        return cls(**{f.name: getattr(mark, f.name) for f in fields(cls)})


@dataclass(frozen=True)
class Kept:
    """A mark that was accepted: "created", "amended" or "unchanged", with the register code it got."""

    status: str
    code: str
    submitted_late: bool


@dataclass(frozen=True)
class Conflict:
    """A session already has a different mark and no amendment reason was given."""

    message: str
    existing: MarkSnapshot


def keep_all_or_nothing(
    planned: Sequence[PlannedMark], *, source: str, now: datetime
) -> list[Kept | Conflict | RuleBroken] | None:
    """Apply the marks (apply_marks, no person: a system sent them) as one unit of work, kept (committed) only when
    every mark was accepted, otherwise rolled back; each mark's outcome comes back either way, read before the unit
    of work ended. When another request marks one of the sessions at the same moment, the batch is run once more
    (the second time those marks are found and compared); None if it clashes again: nothing saved."""
    for _attempt in (1, 2):
        try:
            outcomes = apply_marks(planned, by=None, source=source, now=now)
        except BatchClash:
            db.session.rollback()  # another request marked one of these sessions a moment ago: look again
            continue
        answers = [_answer(outcome) for outcome in outcomes]
        if any(not isinstance(answer, Kept) for answer in answers):
            db.session.rollback()
        else:
            db.session.commit()
        return answers
    return None


def _answer(outcome: MarkResult | RuleBroken) -> Kept | Conflict | RuleBroken:
    if isinstance(outcome, MarkConflict):
        return Conflict(str(outcome), MarkSnapshot.of(outcome.existing))
    if isinstance(outcome, RuleBroken):
        return outcome
    return Kept(outcome.outcome.value, outcome.mark.code, outcome.mark.submitted_late)
