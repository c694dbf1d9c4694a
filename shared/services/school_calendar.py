"""Which days and sessions the school expects a placed pupil to be somewhere: school days are weekdays inside one
of the school's terms that are neither a bank holiday of England and Wales (from the maintained `holidays`
package, not a hand-typed list) nor one of the school's INSET days. The placement's weekly timetable narrows this
further (placements issue)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from functools import lru_cache

import holidays
from sqlalchemy import and_, select

from shared.extensions import db
from shared.models import InsetDay, SchoolTerm
from shared.services.errors import RuleBroken

SESSIONS = ("AM", "PM")


@lru_cache(maxsize=16)
def _bank_holidays(year: int) -> holidays.HolidayBase:
    # England and Wales share their bank holidays; the package's England subdivision is that list.
    return holidays.country_holidays("GB", subdiv="ENG", years=year)


def is_bank_holiday(day: date) -> bool:
    return day in _bank_holidays(day.year)


def add_term(school_id, *, name: str, start: date, end: date) -> SchoolTerm:
    if not name.strip():
        raise RuleBroken("Enter a name for the term, like 'Autumn 2026'", "name")
    if end < start:
        raise RuleBroken("The term must end on or after the day it starts", "end_date")
    overlapping = db.session.scalar(
        select(SchoolTerm).where(
            SchoolTerm.school_id == school_id, and_(SchoolTerm.start_date <= end, SchoolTerm.end_date >= start)
        )
    )
    if overlapping is not None:
        raise RuleBroken(f"These dates overlap {overlapping.name}", "start_date")
    term = SchoolTerm(school_id=school_id, name=name.strip(), start_date=start, end_date=end)
    db.session.add(term)
    db.session.commit()
    return term


def school_days(school_id, start: date, end: date) -> Iterator[date]:
    """Every school day from start to end inclusive."""
    terms = db.session.execute(
        select(SchoolTerm.start_date, SchoolTerm.end_date).where(
            SchoolTerm.school_id == school_id, SchoolTerm.start_date <= end, SchoolTerm.end_date >= start
        )
    ).all()
    inset = set(
        db.session.scalars(
            select(InsetDay.day).where(InsetDay.school_id == school_id, InsetDay.day >= start, InsetDay.day <= end)
        )
    )
    day = start
    while day <= end:
        in_term = any(term_start <= day <= term_end for term_start, term_end in terms)
        if in_term and day.weekday() < 5 and not is_bank_holiday(day) and day not in inset:
            yield day
        day += timedelta(days=1)


def expected_sessions(school_id, start: date, end: date) -> Iterator[tuple[date, str]]:
    for day in school_days(school_id, start, end):
        for session in SESSIONS:
            yield day, session
