"""The alternative provision budget the governors approve for each school year, entered by the headteacher (the
policy: "budgets for alternative provision are established in due time, approved by the Governors and managed
effectively"), and where the school stands against it.

A school year runs from 1 September to 31 August and is named by the year it starts (2026: 2026 to 2027).

What a placement costs is an estimate from its written plan, not from invoices:
- cost per session: the cost times the sessions the timetable expects on school days (terms, less bank holidays
  and INSET days: shared.services.school_calendar.days), from the placement's start to its end;
- cost per week: the cost times the school weeks (Monday to Friday) with at least one expected session, so a
  week of half-term holiday costs nothing and a short week costs a whole week;
- cost for the whole placement: the whole cost, counted in the school year (and on the day) the placement starts.
A placement runs to its end date once it has ended; until then to its planned latest end date (max_end_date) or,
without one, to the end of the school year. Only placements that were agreed are counted (running, ended, or
agreed and waiting to start); plans still waiting for a decision, declined or cancelled ones cost nothing. The cost
"to date" counts the same sessions, weeks and whole-placement costs up to and including the day asked about:
commissioned sessions, whether or not the pupil attended them. Placements without a cost recorded are counted
separately so the page can say the estimate leaves them out.

`budget_position` reads four queries (the budget, the placements, and the school's terms and INSET days for the
year), whatever the number of placements. The headteacher's home page shows `position_summary`, the same figures
kept for a minute per school in this process (cachetools' TTLCache): the home page is the page most often opened,
and the figures move slowly. Saving a budget forgets them at once.
"""

from __future__ import annotations

import re
import uuid
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from threading import Lock

from cachetools import TTLCache
from sqlalchemy import and_, or_, select

from shared import audit
from shared.display import pounds
from shared.extensions import db
from shared.models import ApBudget, HeadteacherDecision, Organisation, Placement, PlacementStatus, User, utcnow
from shared.models.pupil import WEEKDAYS
from shared.services.errors import RuleBroken
from shared.services.school_calendar.days import school_days

# How far from the current school year a budget may be entered: a few years back (to record past budgets for the
# governors' reports), and the next two (budgets are set before the year starts).
YEARS_BACK = 5
YEARS_AHEAD = 2
# More than any school's AP budget: a typing slip (an extra 0 or two) is caught rather than reported to governors.
MAX_BUDGET_PENCE = 100_000_000 * 100

# "85000", "85,000", "85000.50", "£85,000.5": thousands separated by commas or not at all, at most 2 decimals.
_AMOUNT = re.compile(r"^(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d{1,2})?$")

# Placements that commit money: agreed by the headteacher (running, ended, or agreed and waiting to start).
COSTED_STATUSES = (PlacementStatus.ACTIVE, PlacementStatus.ENDED)


def school_year_of(day: date) -> int:
    """The year the school year containing `day` starts in (1 September to 31 August)."""
    return day.year if day.month >= 9 else day.year - 1


def year_bounds(year_starting: int) -> tuple[date, date]:
    return date(year_starting, 9, 1), date(year_starting + 1, 8, 31)


def year_label(year_starting: int) -> str:
    return f"{year_starting} to {year_starting + 1}"


# --- entering a budget ----------------------------------------------------------------------------------------------


def parse_amount(text: str | None) -> int:
    """Pounds (and pence) as typed, to pence; RuleBroken in plain English for anything else."""
    cleaned = (text or "").strip().replace(" ", "").removeprefix("£")
    if not cleaned:
        raise RuleBroken("Enter the budget in pounds, like 85,000 or 85000.50", "amount")
    if cleaned.startswith("-"):
        raise RuleBroken("The budget cannot be less than £0", "amount")
    if not _AMOUNT.match(cleaned):
        raise RuleBroken("Enter the budget as an amount in pounds, like 85,000 or 85000.50", "amount")
    pence = int(Decimal(cleaned.replace(",", "")) * 100)
    if pence > MAX_BUDGET_PENCE:
        raise RuleBroken(f"The budget must be no more than {pounds(MAX_BUDGET_PENCE)}: check the amount", "amount")
    return pence


def parse_year(value: str | int | None, today: date) -> int:
    """The year a school year starts in, within YEARS_BACK and YEARS_AHEAD of the current one."""
    text = str(value if value is not None else "").strip()
    current = school_year_of(today)
    example = f"like {current} for the {year_label(current)} school year"
    if not text:
        raise RuleBroken(f"Enter the year the school year starts, {example}", "year")
    if not (text.isdigit() and len(text) == 4):
        raise RuleBroken(f"Enter the year the school year starts as 4 digits, {example}", "year")
    year = int(text)
    earliest, latest = current - YEARS_BACK, current + YEARS_AHEAD
    if not earliest <= year <= latest:
        raise RuleBroken(
            f"Enter a year from {earliest} to {latest}: the year the school year starts, {example}", "year"
        )
    return year


def save_budget(
    school: Organisation,
    *,
    year: str | int | None,
    amount: str | None,
    approved_on: date | None,
    by: User,
    today: date,
) -> ApBudget:
    """Record (or change) the budget the governors approved for a school year. Nothing is saved when any part is not
    right. The audit event names the year only, never the amount."""
    year_starting = parse_year(year, today)
    amount_pence = parse_amount(amount)
    if approved_on is not None and approved_on > today:
        raise RuleBroken("The date the governors approved the budget must be today or in the past", "approved_on")
    budget = db.session.scalar(
        select(ApBudget).where(ApBudget.school_id == school.id, ApBudget.year_starting == year_starting)
    )
    if budget is None:
        budget = ApBudget(school_id=school.id, year_starting=year_starting)
        db.session.add(budget)
    budget.amount_pence = amount_pence
    budget.approved_on = approved_on
    budget.entered_by_id = by.id
    budget.updated_at = utcnow()
    db.session.flush()
    audit.record("budget.saved", organisation=school, obj=budget, actor=by, year=year_starting)
    db.session.commit()
    forget_summaries(school.id)
    return budget


def budgets(school_id: uuid.UUID) -> list[ApBudget]:
    """The school's budgets, the latest school year first."""
    return list(
        db.session.scalars(
            select(ApBudget).where(ApBudget.school_id == school_id).order_by(ApBudget.year_starting.desc())
        )
    )


def budget_for(school_id: uuid.UUID, year_starting: int) -> ApBudget | None:
    return db.session.scalar(
        select(ApBudget).where(ApBudget.school_id == school_id, ApBudget.year_starting == year_starting)
    )


# --- what placements cost -------------------------------------------------------------------------------------------


class SchoolDays:
    """The school days of a stretch of dates, with counts per weekday that answer "how many Mondays between a and b"
    without walking the days (bisect on a sorted list, and running totals)."""

    def __init__(self, days: Iterable[date]):
        self.days = sorted(days)
        totals: list[tuple[int, ...]] = [(0,) * 5]
        for day in self.days:
            row = list(totals[-1])
            row[day.weekday()] += 1
            totals.append(tuple(row))
        self._totals = totals

    def _slice(self, start: date, end: date) -> tuple[int, int]:
        return bisect_left(self.days, start), bisect_right(self.days, end)

    def per_weekday(self, start: date, end: date) -> tuple[int, ...]:
        """How many school days fall on each weekday (Monday first) from start to end."""
        i, j = self._slice(start, end)
        return tuple(after - before for after, before in zip(self._totals[j], self._totals[i], strict=True))

    def weeks_with(self, start: date, end: date, weekdays: frozenset[int]) -> int:
        """How many weeks (Monday to Friday) have a school day on one of these weekdays from start to end."""
        i, j = self._slice(start, end)
        return len({day.isocalendar()[:2] for day in self.days[i:j] if day.weekday() in weekdays})


def _timetable_weekdays(placement: Placement) -> list[int]:
    """One weekday number per timetabled session (Monday AM and PM: [0, 0])."""
    return [WEEKDAYS.index(slot[:3]) for slot in placement.timetable or [] if slot[:3] in WEEKDAYS]


def planned_end(placement: Placement, year_end: date) -> date:
    """The last day the placement is paid for: its end date once ended (or set), else its latest planned end."""
    if placement.end_date is not None:
        return placement.end_date
    return placement.max_end_date or year_end


def has_cost(placement: Placement) -> bool:
    return placement.cost_pence is not None and placement.cost_period in ("session", "week", "placement")


def cost_between(placement: Placement, start: date, end: date, days: SchoolDays, *, year_end: date) -> int:
    """The estimated cost (pence) of the placement's sessions, weeks or whole cost falling from start to end
    (see the module's docstring). `days` must cover start to end; `year_end` stands in for a missing end date."""
    if not has_cost(placement):
        return 0
    assert placement.cost_pence is not None, "has_cost asks for a cost"
    if placement.cost_period == "placement":
        return placement.cost_pence if start <= placement.start_date <= end else 0
    first, last = max(start, placement.start_date), min(end, planned_end(placement, year_end))
    if first > last:
        return 0
    weekdays = _timetable_weekdays(placement)
    if placement.cost_period == "session":
        counts = days.per_weekday(first, last)
        return placement.cost_pence * sum(counts[weekday] for weekday in weekdays)
    return placement.cost_pence * days.weeks_with(first, last, frozenset(weekdays))


def costed_placements(school_id: uuid.UUID, start: date, end: date) -> list[Placement]:
    """The school's agreed placements running on any day from start to end (one query)."""
    return list(
        db.session.scalars(
            select(Placement).where(
                Placement.school_id == school_id,
                or_(
                    Placement.status.in_(COSTED_STATUSES),
                    and_(
                        Placement.status == PlacementStatus.PLANNED,
                        Placement.headteacher_decision == HeadteacherDecision.AGREED,
                    ),
                ),
                Placement.start_date <= end,
                or_(Placement.end_date.is_(None), Placement.end_date >= start),
            )
        )
    )


@dataclass(frozen=True)
class BudgetPosition:
    """Where the school stands against this school year's AP budget on `as_of`."""

    year_starting: int
    as_of: date
    budget: ApBudget | None
    committed_pence: int  # every agreed placement running in the year, to its (planned) end
    to_date_pence: int  # the same, up to and including as_of
    placements: int  # agreed placements running in the year
    without_cost: int  # of those, how many have no cost recorded (left out of the figures)

    @property
    def year_label(self) -> str:
        return year_label(self.year_starting)

    @property
    def budget_pence(self) -> int | None:
        return self.budget.amount_pence if self.budget else None

    @property
    def remaining_pence(self) -> int | None:
        """The budget less the committed cost (negative when the commitments are over the budget)."""
        return None if self.budget is None else self.budget.amount_pence - self.committed_pence

    @property
    def over_budget(self) -> bool:
        return self.budget is not None and self.committed_pence > self.budget.amount_pence

    @property
    def percent_committed(self) -> float | None:
        if self.budget is None or not self.budget.amount_pence:
            return None
        return round(100 * self.committed_pence / self.budget.amount_pence, 1)


def budget_position(school_id: uuid.UUID, today: date) -> BudgetPosition:
    """This school year's budget (or None), the cost committed for the year and the cost to date. Four queries."""
    year = school_year_of(today)
    start, end = year_bounds(year)
    budget = budget_for(school_id, year)
    placements = costed_placements(school_id, start, end)
    days = SchoolDays(school_days(school_id, start, end))
    committed = to_date = without_cost = 0
    for placement in placements:
        if not has_cost(placement):
            without_cost += 1
            continue
        committed += cost_between(placement, start, end, days, year_end=end)
        to_date += cost_between(placement, start, today, days, year_end=end)
    return BudgetPosition(year, today, budget, committed, to_date, len(placements), without_cost)


# --- the headteacher's home page -----------------------------------------------------------------------------------

SUMMARY_SECONDS = 60
_summaries: TTLCache[tuple[uuid.UUID, date], PositionSummary] = TTLCache(maxsize=1024, ttl=SUMMARY_SECONDS)
_summaries_lock = Lock()


@dataclass(frozen=True)
class PositionSummary:
    """budget_position's figures as plain values (safe to keep beyond the request)."""

    year_label: str
    budget_pence: int | None
    committed_pence: int
    to_date_pence: int
    without_cost: int


def position_summary(school_id: uuid.UUID, today: date) -> PositionSummary:
    key = (school_id, today)
    with _summaries_lock:
        summary = _summaries.get(key)
    if summary is None:
        position = budget_position(school_id, today)
        summary = PositionSummary(
            position.year_label,
            position.budget_pence,
            position.committed_pence,
            position.to_date_pence,
            position.without_cost,
        )
        with _summaries_lock:
            _summaries[key] = summary
    return summary


def forget_summaries(school_id: uuid.UUID) -> None:
    with _summaries_lock:
        for key in [k for k in _summaries if k[0] == school_id]:
            _summaries.pop(key, None)
