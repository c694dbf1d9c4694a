"""What the school decides about attendance, and when it is due: an absence the provider coded N gets its final code
from the school (with why, audited), and the provider's agreed deadlines for marking each session."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time

from sqlalchemy import select

from shared import audit
from shared.attendance_codes import MarkKind
from shared.extensions import db
from shared.models import (
    AttendanceAmendment,
    AttendanceMark,
    Organisation,
    Pupil,
    SchoolProvider,
    User,
    utcnow,
)
from shared.services.attendance.marks import mark_value
from shared.services.errors import RuleBroken


def absences_to_decide(school_id: uuid.UUID, pupil_id: uuid.UUID) -> list[AttendanceMark]:
    """The pupil's absences still coded N (no reason the school has accepted), oldest first."""
    return list(
        db.session.scalars(
            select(AttendanceMark)
            .where(
                AttendanceMark.school_id == school_id,
                AttendanceMark.pupil_id == pupil_id,
                AttendanceMark.kind == MarkKind.ABSENT.value,
                AttendanceMark.code == "N",
            )
            .order_by(AttendanceMark.day, AttendanceMark.session)
        )
    )


@dataclass(frozen=True)
class AbsenceToDecide:
    mark: AttendanceMark
    pupil: Pupil
    provider_name: str


def earlier_absences_to_decide(school_id: uuid.UUID, before: date) -> list[AbsenceToDecide]:
    """Every absence before `before` (today) still coded N at any provider, oldest first: what the attendance lead's
    "earlier absences still coded N" counts (shared.services.attention.school), each with its pupil and provider.
    One query."""
    rows = db.session.execute(
        select(AttendanceMark, Pupil, Organisation.name)
        .join(Pupil, Pupil.id == AttendanceMark.pupil_id)
        .join(Organisation, Organisation.id == AttendanceMark.provider_id)
        .where(
            AttendanceMark.school_id == school_id,
            AttendanceMark.kind == MarkKind.ABSENT.value,
            AttendanceMark.code == "N",
            AttendanceMark.day < before,
        )
        .order_by(AttendanceMark.day, AttendanceMark.session)
    ).all()
    found = [AbsenceToDecide(mark, pupil, name) for mark, pupil, name in rows]
    return sorted(found, key=lambda a: (a.mark.day, a.mark.session, a.pupil.known_as))


def decide_absence(mark: AttendanceMark, code: str, *, why: str, by: User, now: datetime | None = None) -> None:
    """The school's decision on an absence the provider could not explain: the register code it gets (authorised
    or not), kept as an amendment with the reason (the provider's mark itself is unchanged). Commits."""
    from shared.attendance_codes import SCHOOL_DECISIONS

    if mark.kind != MarkKind.ABSENT.value or mark.code not in SCHOOL_DECISIONS:
        raise RuleBroken("Only an absence without an accepted reason can be decided here", "code")
    if code not in SCHOOL_DECISIONS:
        raise RuleBroken("Choose the code for the school's register", "code")
    why = (why or "").strip()
    if not why:
        raise RuleBroken("Say why, for the record: for example, what the parent told you", "why")
    if len(why) > 500:
        raise RuleBroken("The reason must be 500 characters or fewer", "why")
    if code == mark.code:
        raise RuleBroken(f"The session is already coded {code}", "code")
    now = now or utcnow()
    old_value = mark_value(mark)
    db.session.add(
        AttendanceAmendment(
            mark=mark,
            old_value=old_value,
            new_value={**old_value, "code": code},
            why=why,
            source="school",
            amended_by_id=by.id,
            amended_at=now,
        )
    )
    mark.code, mark.amended_at = code, now
    audit.record(
        "attendance.absence_decided",
        organisation=db.session.get(Organisation, mark.school_id),
        obj=mark,
        actor=by,
        day=mark.day.isoformat(),
        session=mark.session,
        old_code=old_value["code"],
        new_code=code,
    )
    db.session.commit()


# --- the provider's agreement --------------------------------------------------------------------------------------


def save_deadlines(link: SchoolProvider, *, am: time, pm: time, by: User) -> None:
    """The times each session's marks are due. Kept on the provider's profile: one register a day whatever the
    school, so the deadlines are the provider's, agreed with the schools it works with."""
    profile = link.profile
    if not time(8, 0) <= am <= time(12, 0):
        raise RuleBroken("The morning deadline must be between 8:00 and 12:00", "am")
    if not time(12, 0) <= pm <= time(17, 0):
        raise RuleBroken("The afternoon deadline must be between 12:00 and 17:00", "pm")
    profile.am_marks_due, profile.pm_marks_due = am, pm
    audit.record(
        "provider.deadlines_saved",
        organisation=link.school,
        obj=link.provider,
        actor=by,
        am=am.strftime("%H:%M"),
        pm=pm.strftime("%H:%M"),
    )
    db.session.commit()
