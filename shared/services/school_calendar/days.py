"""Which days and sessions the school expects a placed pupil to be somewhere: school days are weekdays inside one
of the school's terms, outside its half-term holiday, that are neither a bank holiday of England and Wales (from the
maintained `holidays` package, not a hand-typed list) nor one of the school's INSET days. The placement's weekly
timetable narrows this further (placements issue)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator, Sequence, Set
from datetime import date, timedelta
from functools import lru_cache

import holidays
from sqlalchemy import ColumnElement, SQLColumnExpression, and_, or_, select

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


# What covers() needs of a term, in its order.
TERM_COLUMNS = (SchoolTerm.start_date, SchoolTerm.end_date, SchoolTerm.half_term_starts, SchoolTerm.half_term_ends)
Term = tuple[date, date, date | None, date | None]  # start, end, half-term's first and last days


def in_term(day: date | SQLColumnExpression[date]) -> ColumnElement[bool]:
    """A SQL condition: `day` (a date or a date column) is inside one of SchoolTerm's terms and not in its half-term
    holiday."""
    return and_(
        SchoolTerm.start_date <= day,
        SchoolTerm.end_date >= day,
        or_(
            SchoolTerm.half_term_starts.is_(None),
            SchoolTerm.half_term_ends.is_(None),
            SchoolTerm.half_term_starts > day,
            SchoolTerm.half_term_ends < day,
        ),
    )


def covers(start: date, end: date, half_starts: date | None, half_ends: date | None, day: date) -> bool:
    """in_term, on a term's columns loaded in bulk."""
    in_holiday = half_starts is not None and half_ends is not None and half_starts <= day <= half_ends
    return start <= day <= end and not in_holiday


def add_term(
    school_id: uuid.UUID,
    *,
    name: str,
    start: date,
    end: date,
    half_term_starts: date | None = None,
    half_term_ends: date | None = None,
) -> SchoolTerm:
    if not name.strip():
        raise RuleBroken("Enter a name for the term, like 'Autumn 2026'", "name")
    if end < start:
        raise RuleBroken("The term must end on or after the day it starts", "end_date")
    if (half_term_starts is None) != (half_term_ends is None):
        field = "half_term_ends" if half_term_ends is None else "half_term_starts"
        raise RuleBroken("Enter both the first and the last day of the half-term holiday, or neither", field)
    if half_term_starts is not None and half_term_ends is not None:
        if half_term_ends < half_term_starts:
            raise RuleBroken("The half-term holiday must end on or after the day it starts", "half_term_ends")
        if not start < half_term_starts or not half_term_ends < end:
            raise RuleBroken(
                "The half-term holiday must fall inside the term, with school days before and after it",
                "half_term_starts",
            )
    overlapping = db.session.scalar(
        select(SchoolTerm).where(
            SchoolTerm.school_id == school_id, and_(SchoolTerm.start_date <= end, SchoolTerm.end_date >= start)
        )
    )
    if overlapping is not None:
        raise RuleBroken(f"These dates overlap {overlapping.name}", "start_date")
    term = SchoolTerm(
        school_id=school_id,
        name=name.strip(),
        start_date=start,
        end_date=end,
        half_term_starts=half_term_starts,
        half_term_ends=half_term_ends,
    )
    db.session.add(term)
    db.session.commit()
    return term


def school_days(school_id: uuid.UUID, start: date, end: date) -> Iterator[date]:
    """Every school day from start to end inclusive."""
    terms = db.session.execute(
        select(
            SchoolTerm.start_date, SchoolTerm.end_date, SchoolTerm.half_term_starts, SchoolTerm.half_term_ends
        ).where(SchoolTerm.school_id == school_id, SchoolTerm.start_date <= end, SchoolTerm.end_date >= start)
    ).all()
    inset = set(
        db.session.scalars(
            select(InsetDay.day).where(InsetDay.school_id == school_id, InsetDay.day >= start, InsetDay.day <= end)
        )
    )
    yield from _known_days(start, end, tuple((a, b, c, d) for a, b, c, d in terms), frozenset(inset))


def school_days_of(school_ids: Iterable[uuid.UUID], start: date, end: date) -> dict[uuid.UUID, list[date]]:
    """Every school day from start to end inclusive of each school, by school id: each school's own calendar (its
    terms, half-terms and INSET days), in two queries however many schools there are (a provider's register spans
    the schools that placed pupils with it; one school's INSET day is another's school day)."""
    ids = list(dict.fromkeys(school_ids))
    if not ids:
        return {}
    terms: dict[uuid.UUID, list[Term]] = {school_id: [] for school_id in ids}
    for school_id, first, last, half_starts, half_ends in db.session.execute(
        select(SchoolTerm.school_id, *TERM_COLUMNS).where(
            SchoolTerm.school_id.in_(ids), SchoolTerm.start_date <= end, SchoolTerm.end_date >= start
        )
    ):
        terms[school_id].append((first, last, half_starts, half_ends))
    inset: dict[uuid.UUID, set[date]] = {school_id: set() for school_id in ids}
    for school_id, day in db.session.execute(
        select(InsetDay.school_id, InsetDay.day).where(
            InsetDay.school_id.in_(ids), InsetDay.day >= start, InsetDay.day <= end
        )
    ):
        inset[school_id].add(day)
    return {
        school_id: list(_known_days(start, end, tuple(terms[school_id]), frozenset(inset[school_id])))
        for school_id in ids
    }


@lru_cache(maxsize=512)
def _known_days(start: date, end: date, terms: tuple[Term, ...], inset: frozenset[date]) -> tuple[date, ...]:
    """_days, kept: the same dates and calendars come again request after request (a register's weeks, schools
    with the same terms), and stepping through them day by day, bank holidays and all, is most of the work."""
    return tuple(_days(start, end, terms, inset))


def _days(start: date, end: date, terms: Sequence[Term], inset: Set[date]) -> Iterator[date]:
    day = start
    while day <= end:
        if (
            any(covers(first, last, half_starts, half_ends, day) for first, last, half_starts, half_ends in terms)
            and day.weekday() < 5
            and not is_bank_holiday(day)
            and day not in inset
        ):
            yield day
        day += timedelta(days=1)


# How far the day page's "previous" and "next school day" look for one in the school's calendar (a summer holiday).
_STEP_LOOK_DAYS = 56


def previous_school_day(school_id: uuid.UUID, day: date) -> date:
    """The school day before `day` (a Monday or a Sunday goes back to the Friday; holidays, bank holidays and INSET
    days are stepped over). With no school day in the weeks before (no calendar yet), the weekday before that is not
    a bank holiday."""
    days = list(school_days(school_id, day - timedelta(days=_STEP_LOOK_DAYS), day - timedelta(days=1)))
    if days:
        return days[-1]
    return _weekday(day, -1)


def next_school_day(school_id: uuid.UUID, day: date) -> date:
    """The school day after `day`, or the next weekday that is not a bank holiday if the calendar has none soon."""
    for school_day in school_days(school_id, day + timedelta(days=1), day + timedelta(days=_STEP_LOOK_DAYS)):
        return school_day
    return _weekday(day, 1)


def _weekday(day: date, step: int) -> date:
    day += timedelta(days=step)
    while day.weekday() >= 5 or is_bank_holiday(day):
        day += timedelta(days=step)
    return day


def expected_sessions(school_id: uuid.UUID, start: date, end: date) -> Iterator[tuple[date, str]]:
    for day in school_days(school_id, start, end):
        for session in SESSIONS:
            yield day, session
