"""The headteacher's report to governors on the school's use of alternative provision over a period (the policy:
"reporting on the effectiveness of the implementation of this policy to the Governors"): pupils placed and why,
attendance, behaviour, reviews and their outcomes, placements ended and where pupils went, provider compliance,
and cost against the budget the governors approved.

Nothing in it is about one pupil: no names, no pupil-level rows, only counts, percentages and money.

Small-number suppression (the rule the report states, SUPPRESSION_RULE): a count of pupils, or of events about
pupils (placements, incidents, physical interventions, suspensions, reviews), from 1 to GOVERNORS_SUPPRESS_BELOW - 1
(app config, default 5) is shown as "fewer than 5"; a percentage worked out from fewer than 5 pupils (or events) is
withheld. Secondary suppression: when exactly one figure of a breakdown is hidden and its total is shown, the next
smallest figure is withheld too, so the hidden one cannot be worked out by subtraction. Nought is shown (it
identifies nobody). Money and the providers' ratings are shown: they are about organisations.

A fixed number of queries whatever the size of the school: placements, marks (grouped by pupil and month),
incidents (grouped), reviews, the compliance figures (shared.services.agreements.compliance), the budget position
and the period's school days.
"""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import case, extract, func, select

from shared.attendance_codes import ATTENDED_KINDS
from shared.charts import Bar, BarChart
from shared.clock import school_zone
from shared.extensions import db
from shared.models import AttendanceMark, Incident, Organisation, Placement, PlacementReview, PlacementStatus
from shared.services.agreements import compliance
from shared.services.agreements.terms import RAG_LABELS
from shared.services.attendance.marks import PERSISTENT_ABSENCE_BELOW
from shared.services.placements.incidents import SEVERITIES
from shared.services.placements.reviews import OUTCOMES
from shared.services.reports import budget as budgets
from shared.services.reports.inspection import CENSUS_REASONS
from shared.services.school_calendar.days import school_days
from shared.services.school_calendar.half_terms import Period

DEFAULT_SUPPRESS_BELOW = 5
PLACED = (PlacementStatus.ACTIVE, PlacementStatus.ENDED)

# Where pupils went when a placement ended (shared.services.placements.plans.END_DESTINATIONS), in three groups.
# "Continued" is carrying on in alternative provision: at the same provider under a new arrangement, or at another
# provider. Everything else -- a special school, another school, college, home education, other, or nothing
# recorded -- is "other".
DESTINATION_GROUPS = {
    "reintegrated": "Reintegrated (back at school full time)",
    "continued": "Continued in alternative provision",
    "other": "Other destinations",
}
GROUP_OF_DESTINATION = {
    "reintegrated": "reintegrated",
    "continued_new_arrangement": "continued",
    "another_provider": "continued",
}

# Short words for the reasons (the census's), so the chart's labels fit; "Not recorded" for a plan without one.
# (CENSUS_REASONS goes in through .items(): to mypy a dict[str, str] is not a dict[str | None, str].)
REASON_LABELS: dict[str | None, str] = {**dict(CENSUS_REASONS.items()), None: "Not recorded"}
LEGAL_BASIS_SHORT = {
    "school_arranged": "Arranged by the school",
    "la_arranged": "Arranged by the local authority",
    "dual_registration": "Dual registration",
}
RAG_WORDS = {"green": "Green", "amber": "Amber", "red": "Red", None: "Not rated"}


def suppress_below() -> int:
    return int(current_app.config.get("GOVERNORS_SUPPRESS_BELOW", DEFAULT_SUPPRESS_BELOW))


def suppression_rule(below: int) -> str:
    return (
        f"To protect pupils' privacy, any number of pupils, or of events about pupils (such as placements, incidents "
        f'or reviews), from 1 to {below - 1} is shown as "fewer than {below}", and a percentage worked out from '
        f"fewer than {below} pupils or events is not shown. Where only one figure in a table is hidden, the next "
        "smallest is withheld too, so that the hidden figure cannot be worked out from the total. Money and the "
        "providers' ratings are shown in full: they are about organisations, not pupils."
    )


# --- figures that may be hidden -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Count:
    """A count as the report shows it. `value` is for arithmetic only; a template shows `shown`."""

    value: int
    shown: str
    hidden: bool = False

    @property
    def chart_value(self) -> int | None:
        return None if self.hidden else self.value


@dataclass(frozen=True)
class Percent:
    value: float | None  # None when withheld or nothing to measure
    shown: str


@dataclass
class Breakdown:
    rows: list[tuple[str, Count]]
    total: Count


class Suppressor:
    def __init__(self, below: int):
        self.below = below
        self.small = f"fewer than {below}"

    def count(self, n: int) -> Count:
        if 0 < n < self.below:
            return Count(n, self.small, True)
        return Count(n, f"{n:,}")

    def breakdown(self, rows: list[tuple[str, int]], total: int | None = None) -> Breakdown:
        """Each row's count, primary-suppressed, and the secondary suppression when exactly one is hidden."""
        total_count = self.count(sum(n for _, n in rows) if total is None else total)
        counts = [self.count(n) for _, n in rows]
        hidden = [c for c in counts if c.hidden]
        if len(hidden) == 1 and not total_count.hidden:
            others = [i for i, c in enumerate(counts) if not c.hidden and c.value > 0]
            if others:
                smallest = min(others, key=lambda i: counts[i].value)
                counts[smallest] = Count(counts[smallest].value, "withheld", True)
        return Breakdown([(label, count) for (label, _), count in zip(rows, counts, strict=True)], total_count)

    def percent(self, part: int, whole: int, *, based_on: Count, nothing: str = "nothing to measure") -> Percent:
        """part / whole as a percentage, withheld when the people (or events) it is about are too few."""
        if based_on.hidden:
            return Percent(None, "withheld")
        if not whole:
            return Percent(None, nothing)
        value = round(100 * part / whole, 1)
        return Percent(value, f"{value:.1f}%")


# --- the report -----------------------------------------------------------------------------------------------------


@dataclass
class Attendance:
    percent: Percent  # of the sessions marked, attended
    pupils: Breakdown  # pupils with any session marked: below 90% of them attended, and the others
    below_threshold_percent: Percent  # of those pupils, how many attended less than 90%
    months: list[tuple[str, Percent]]
    threshold: float = PERSISTENT_ABSENCE_BELOW

    @property
    def below_threshold(self) -> Count:
        return self.pupils.rows[0][1]


@dataclass
class Behaviour:
    by_severity: Breakdown
    physical_interventions: Count
    suspensions: Count


@dataclass
class Reviews:
    timeliness: Breakdown  # held on time / held late; total: reviews held in the period
    outcomes: Breakdown


@dataclass
class ProviderRating:
    name: str
    rag: str | None

    @property
    def shown(self) -> str:
        return RAG_WORDS.get(self.rag, "Not rated")

    @property
    def meaning(self) -> str:
        return RAG_LABELS.get(self.rag, "") if self.rag else "Nothing to measure in the period"


@dataclass
class Cost:
    position: budgets.BudgetPosition
    period_pence: int  # estimated cost of the period's sessions, weeks and whole-placement costs
    without_cost: Count  # placements in the period with no cost recorded (left out)


@dataclass
class GovernorsReport:
    school_name: str
    period: Period
    today: date
    below: int
    pupils: Count  # different pupils with a placement running in the period
    placements: Breakdown  # placements running in the period: started in it, and started before it
    by_reason: Breakdown
    by_legal_basis: Breakdown
    attendance: Attendance
    behaviour: Behaviour
    reviews: Reviews
    destinations: Breakdown
    providers: list[ProviderRating]
    cost: Cost

    @property
    def rule(self) -> str:
        return suppression_rule(self.below)


def period_words(start: date, end: date) -> str:
    return f"{start.day} {start:%B %Y} to {end.day} {end:%B %Y}"


def _bounds(start: date, end: date) -> tuple[datetime, datetime]:
    zone = school_zone()
    return datetime.combine(start, time.min, tzinfo=zone), datetime.combine(end + timedelta(days=1), time.min, zone)


def _months(start: date, end: date) -> list[tuple[int, int]]:
    months, year, month = [], start.year, start.month
    while (year, month) <= (end.year, end.month):
        months.append((year, month))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def governors_report(school_id: uuid.UUID, start: date, end: date, today: date) -> GovernorsReport:
    hide = Suppressor(suppress_below())
    school = db.session.get(Organisation, school_id)

    # Placements: agreed ones running in the period (running or ended ones were "placed"; agreed and waiting to start
    # only cost money).
    running = budgets.costed_placements(school_id, start, end)
    placed = [p for p in running if p.status in PLACED]

    reasons = Counter(p.primary_reason if p.primary_reason in CENSUS_REASONS else None for p in placed)
    reason_rows = [(label, reasons.get(key, 0)) for key, label in REASON_LABELS.items() if key or reasons.get(None)]
    bases = Counter(p.legal_basis for p in placed)
    basis_rows = [(label, bases.get(key, 0)) for key, label in LEGAL_BASIS_SHORT.items()]

    started = sum(1 for p in placed if start <= p.start_date)
    ended = [p for p in placed if p.status == PlacementStatus.ENDED and p.end_date and start <= p.end_date <= end]
    groups = Counter(GROUP_OF_DESTINATION.get(p.end_destination or "", "other") for p in ended)
    destination_rows = [(label, groups.get(key, 0)) for key, label in DESTINATION_GROUPS.items()]

    return GovernorsReport(
        school_name=school.name if school else "",
        period=Period(start, end, period_words(start, end)),
        today=today,
        below=hide.below,
        pupils=hide.count(len({p.pupil_id for p in placed})),
        placements=hide.breakdown(
            [("Started in the period", started), ("Started before the period", len(placed) - started)]
        ),
        by_reason=hide.breakdown(reason_rows),
        by_legal_basis=hide.breakdown(basis_rows),
        attendance=_attendance(school_id, start, end, hide),
        behaviour=_behaviour(school_id, start, end, hide),
        reviews=_reviews(school_id, start, end, hide),
        destinations=hide.breakdown(destination_rows),
        providers=_providers(school_id, Period(start, end, period_words(start, end))),
        cost=_cost(school_id, running, start, end, today, hide),
    )


def _attendance(school_id: uuid.UUID, start: date, end: date, hide: Suppressor) -> Attendance:
    attended = func.sum(case((AttendanceMark.kind.in_(sorted(ATTENDED_KINDS)), 1), else_=0))
    year, month = extract("year", AttendanceMark.day), extract("month", AttendanceMark.day)
    rows = db.session.execute(
        select(AttendanceMark.pupil_id, year, month, func.count(), attended)
        .where(AttendanceMark.school_id == school_id, AttendanceMark.day.between(start, end))
        .group_by(AttendanceMark.pupil_id, year, month)
    ).all()
    per_pupil: defaultdict[uuid.UUID, list[int]] = defaultdict(lambda: [0, 0])  # [possible, present]
    # (year, month) -> [possible, present, {pupil ids}]: a list, so the figures are added to in place; Any for its
    # two kinds of item.
    per_month: defaultdict[tuple[int, int], list[Any]] = defaultdict(lambda: [0, 0, set()])
    for pupil_id, y, m, possible, present in rows:
        per_pupil[pupil_id][0] += possible
        per_pupil[pupil_id][1] += int(present or 0)
        figures = per_month[(int(y), int(m))]
        figures[0] += possible
        figures[1] += int(present or 0)
        figures[2].add(pupil_id)
    possible = sum(p for p, _ in per_pupil.values())
    present = sum(a for _, a in per_pupil.values())
    below = sum(1 for p, a in per_pupil.values() if p and 100 * a / p < PERSISTENT_ABSENCE_BELOW)
    pupils = hide.breakdown(
        [
            (f"Attended less than {PERSISTENT_ABSENCE_BELOW:g}% of their sessions", below),
            (f"Attended {PERSISTENT_ABSENCE_BELOW:g}% or more", len(per_pupil) - below),
        ]
    )
    months = []
    for key in _months(start, end):
        month_possible, month_present, month_pupils = per_month.get(key, (0, 0, set()))
        label = f"{date(key[0], key[1], 1):%B %Y}"
        months.append(
            (
                label,
                hide.percent(
                    month_present, month_possible, based_on=hide.count(len(month_pupils)), nothing="no sessions marked"
                ),
            )
        )
    return Attendance(
        percent=hide.percent(present, possible, based_on=pupils.total, nothing="no sessions marked"),
        pupils=pupils,
        below_threshold_percent=hide.percent(
            below,
            len(per_pupil),
            based_on=pupils.rows[0][1] if below else pupils.total,
            nothing="no sessions marked",
        ),
        months=months,
    )


def _behaviour(school_id: uuid.UUID, start: date, end: date, hide: Suppressor) -> Behaviour:
    start_at, end_at = _bounds(start, end)
    rows = db.session.execute(
        select(Incident.severity, Incident.physical_intervention, Incident.suspension, func.count())
        .where(Incident.school_id == school_id, Incident.occurred_at >= start_at, Incident.occurred_at < end_at)
        .group_by(Incident.severity, Incident.physical_intervention, Incident.suspension)
    ).all()
    severity: Counter[str] = Counter()
    physical = suspensions = 0
    for level, intervention, suspended, count in rows:
        severity[level] += count
        physical += count if intervention else 0
        suspensions += count if suspended else 0
    return Behaviour(
        by_severity=hide.breakdown([(label, severity.get(key, 0)) for key, label in SEVERITIES.items()]),
        physical_interventions=hide.count(physical),
        suspensions=hide.count(suspensions),
    )


def _reviews(school_id: uuid.UUID, start: date, end: date, hide: Suppressor) -> Reviews:
    rows = db.session.execute(
        select(PlacementReview.held_on, PlacementReview.due_on, PlacementReview.outcome).where(
            PlacementReview.school_id == school_id, PlacementReview.held_on.between(start, end)
        )
    ).all()
    on_time = sum(1 for held_on, due_on, _ in rows if held_on <= due_on)
    outcomes = Counter(outcome for _, _, outcome in rows)
    return Reviews(
        timeliness=hide.breakdown([("Held on time", on_time), ("Held late", len(rows) - on_time)]),
        outcomes=hide.breakdown([(label, outcomes.get(key, 0)) for key, label in OUTCOMES.items()], total=len(rows)),
    )


def _providers(school_id: uuid.UUID, period: Period) -> list[ProviderRating]:
    profiles = compliance.approved_providers(school_id)
    figures = compliance.compliance_for(school_id, profiles, period)
    return sorted(
        (ProviderRating(p.provider.name, figures[p.provider_id].overall) for p in profiles),
        key=lambda rating: rating.name.lower(),
    )


def _cost(
    school_id: uuid.UUID, running: Sequence[Placement], start: date, end: date, today: date, hide: Suppressor
) -> Cost:
    as_of = min(end, today)
    position = budgets.budget_position(school_id, as_of)
    days = budgets.SchoolDays(school_days(school_id, start, end))
    period_pence = sum(budgets.cost_between(p, start, end, days, year_end=end) for p in running)
    return Cost(position, period_pence, hide.count(sum(1 for p in running if not budgets.has_cost(p))))


# --- charts ---------------------------------------------------------------------------------------------------------


def _count_bars(breakdown: Breakdown) -> list[Bar]:
    return [Bar(label, count.chart_value, count.shown if count.hidden else "") for label, count in breakdown.rows]


def _short_month(label: str) -> str:
    """ "September 2026" as "Sep 2026": a school year's twelve columns have room for no more (the table has it all)."""
    month, _, year = label.partition(" ")
    return f"{month[:3]} {year}"


def report_charts(report: GovernorsReport) -> dict[str, BarChart]:
    """The report's charts by section: placements by reason, attendance by month, destinations. The same charts
    for the page (SVG) and the PDF (drawn by fpdf2); a hidden figure is a bar with no value, drawn as its words."""
    return {
        "reasons": BarChart("placements by main reason", _count_bars(report.by_reason)),
        "attendance": BarChart(
            "attendance at providers by month (% of sessions marked that were attended)",
            [
                Bar(_short_month(label), percent.value, "" if percent.value is not None else percent.shown)
                for label, percent in report.attendance.months
            ],
            horizontal=False,
            unit="%",
            max_value=100,
        ),
        "destinations": BarChart("where pupils went when placements ended", _count_bars(report.destinations)),
    }
