"""Changing a school's calendar from its calendar page: terms and INSET days, each change audited in its transaction.

The calendar decides which sessions are expected and chased (shared.services.school_calendar.days), so a change here
changes who is alerted about what: an INSET day must be a weekday in one of the school's terms and not a bank
holiday, or it would change nothing and mislead whoever reads the list.
"""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import select

from shared import audit
from shared.display import day_words
from shared.extensions import db
from shared.models import InsetDay, Organisation, SchoolTerm, User
from shared.services.errors import RuleBroken
from shared.services.school_calendar import days as school_calendar


def terms_of_school(school_id: uuid.UUID) -> list[SchoolTerm]:
    """The school's terms, the earliest first."""
    return list(
        db.session.scalars(select(SchoolTerm).where(SchoolTerm.school_id == school_id).order_by(SchoolTerm.start_date))
    )


def inset_days_of_school(school_id: uuid.UUID) -> list[InsetDay]:
    """The school's INSET days, the earliest first."""
    return list(db.session.scalars(select(InsetDay).where(InsetDay.school_id == school_id).order_by(InsetDay.day)))


def add_term(
    school: Organisation,
    *,
    name: str,
    start: date,
    end: date,
    by: User,
    half_term_starts: date | None = None,
    half_term_ends: date | None = None,
) -> SchoolTerm:
    """school_calendar.add_term (its checks: a name, not backwards, no overlap), with the audit event in the same
    commit. The event is recorded first because add_term commits; on a refusal both are rolled back."""
    audit.record(
        "calendar.changed",
        organisation=school,
        actor=by,
        change="term_added",
        start=start.isoformat(),
        end=end.isoformat(),
    )
    try:
        return school_calendar.add_term(
            school.id,
            name=name,
            start=start,
            end=end,
            half_term_starts=half_term_starts,
            half_term_ends=half_term_ends,
        )
    except RuleBroken:
        db.session.rollback()
        raise


def add_inset_day(school: Organisation, *, day: date, note: str | None, by: User) -> InsetDay:
    note = (note or "").strip() or None
    if note and len(note) > 200:
        raise RuleBroken("The note must be 200 characters or fewer", "note")
    if day.weekday() >= 5:
        raise RuleBroken(f"{day_words(day)} is a weekend: an INSET day must be a weekday", "day")
    if school_calendar.is_bank_holiday(day):
        raise RuleBroken(f"{day_words(day)} is a bank holiday, so it is not a school day anyway", "day")
    in_term = db.session.scalar(
        select(SchoolTerm.id).where(SchoolTerm.school_id == school.id, school_calendar.in_term(day)).limit(1)
    )
    if in_term is None:
        raise RuleBroken(
            f"{day_words(day)} is not in one of your terms, or it is in a half-term holiday. Add the term first", "day"
        )
    if db.session.scalar(select(InsetDay.id).where(InsetDay.school_id == school.id, InsetDay.day == day)):
        raise RuleBroken(f"{day_words(day)} is already an INSET day", "day")
    inset = InsetDay(school_id=school.id, day=day, note=note)
    db.session.add(inset)
    db.session.flush()
    audit.record(
        "calendar.changed",
        organisation=school,
        obj=inset,
        actor=by,
        change="inset_added",
        start=day.isoformat(),
        end=day.isoformat(),
    )
    db.session.commit()
    return inset


def remove_inset_day(school: Organisation, inset_id: str | uuid.UUID | None, *, by: User) -> date:
    """Remove one of the school's INSET days (another school's, or a made-up id, is 'not found'). Returns its date."""
    try:
        wanted = uuid.UUID(str(inset_id)) if inset_id else None
    except ValueError:
        wanted = None
    inset = db.session.get(InsetDay, wanted) if wanted else None
    if inset is None or inset.school_id != school.id:
        raise RuleBroken("Choose an INSET day from the list to remove", "inset_id")
    day = inset.day
    audit.record(
        "calendar.changed",
        organisation=school,
        obj=inset,
        actor=by,
        change="inset_removed",
        start=day.isoformat(),
        end=day.isoformat(),
    )
    db.session.delete(inset)
    db.session.commit()
    return day
