"""The periods compliance and reports are measured over: the school's half-terms.

A school records its terms with the half-term holiday inside each (shared.models.SchoolTerm.half_term_starts/ends);
each term then has two half-terms, the first ending the day before the holiday and the second starting the day
after it. A term without a recorded holiday is one period. The default period is the half-term containing today
(or, in a holiday, the one just ended), else the last six weeks when the school has no calendar yet.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select

from shared.clock import local_now
from shared.display import date_words
from shared.extensions import db
from shared.models import SchoolTerm

DEFAULT_PERIOD_WEEKS = 6


@dataclass(frozen=True)
class Period:
    start: date
    end: date
    name: str

    @property
    def key(self) -> str:
        """How the period is named in a URL (?period=2026-09-01)."""
        return self.start.isoformat()


def halves(term: SchoolTerm) -> list[Period]:
    """The term's half-terms, or the whole term when no half-term holiday is recorded."""
    starts, ends = term.half_term_starts, term.half_term_ends
    if starts is None or ends is None or not term.start_date < starts <= ends < term.end_date:
        return [Period(term.start_date, term.end_date, term.name)]
    return [
        Period(term.start_date, starts - timedelta(days=1), f"{term.name}, first half"),
        Period(ends + timedelta(days=1), term.end_date, f"{term.name}, second half"),
    ]


def half_terms(school_id: uuid.UUID) -> list[Period]:
    """Every half-term of the school's calendar, oldest first."""
    terms = db.session.scalars(
        select(SchoolTerm).where(SchoolTerm.school_id == school_id).order_by(SchoolTerm.start_date)
    )
    return [period for term in terms for period in halves(term)]


def current_of(periods: list[Period], today: date) -> Period | None:
    """The half-term containing today, or the last one to have started (in a holiday: the one just ended)."""
    started = [p for p in periods if p.start <= today]
    return started[-1] if started else None


def fallback(today: date) -> Period:
    return Period(today - timedelta(weeks=DEFAULT_PERIOD_WEEKS), today, f"the last {DEFAULT_PERIOD_WEEKS} weeks")


def current_period(school_id: uuid.UUID, today: date | None = None) -> Period:
    """This half-term (see the module's docstring)."""
    today = today or local_now().date()
    return current_of(half_terms(school_id), today) or fallback(today)


def school_year_of(today: date) -> Period:
    first = today.year if today.month >= 9 else today.year - 1
    return Period(date(first, 9, 1), date(first + 1, 8, 31), f"the {first} to {first + 1} school year")


@dataclass(frozen=True)
class Chosen:
    period: Period
    choices: list[PeriodChoice]
    unknown: bool  # an unknown period was asked for, and this half-term is shown instead
    half_terms: list[Period]

    def trend(self, count: int = 6) -> list[Period]:
        """Up to `count` half-terms ending with the one the period ends in, oldest first (the compliance trend)."""
        return [p for p in self.half_terms if p.start <= self.period.end][-count:]


@dataclass(frozen=True)
class PeriodChoice:
    period: Period
    label: str

    @property
    def value(self) -> str:
        return f"{self.period.start.isoformat()}_{self.period.end.isoformat()}"


def choices(periods: list[Period], today: date) -> list[PeriodChoice]:
    """What the period chooser offers: each half-term that has started (newest first), then the school year."""
    started = [p for p in periods if p.start <= today]
    offered = [PeriodChoice(p, f"{p.name} ({date_words(p.start)} to {date_words(p.end)})") for p in reversed(started)]
    year = school_year_of(today)
    offered.append(PeriodChoice(year, f"The whole school year ({date_words(year.start)} to {date_words(year.end)})"))
    return offered


def chosen(school_id: uuid.UUID, value: str | None, today: date | None = None) -> Chosen:
    """The period asked for in the URL (one of `choices`), else this half-term. One query."""
    today = today or local_now().date()
    periods = half_terms(school_id)
    offered = choices(periods, today)
    if value:
        for choice in offered:
            if choice.value == value:
                return Chosen(choice.period, offered, False, periods)
    return Chosen(current_of(periods, today) or fallback(today), offered, bool(value), periods)
