"""Early warning (issue 15): running placements that look as if they are going wrong, each signal with its reason in
words and no score.

The rules, decided here and said on the page:
- Attendance falling: over the pupil's last three school weeks with marks (Monday to Sunday, before the current week,
  looking back at most ATTENDANCE_LOOKBACK_WEEKS so a half-term holiday is skipped), each week's attendance is lower
  than the week before AND the latest is at least FALL_POINTS percentage points below the first. A dip of a point or
  two is not a warning; a steady slide is.
- Incidents rising: more incidents in the last INCIDENT_DAYS days than in the INCIDENT_DAYS before, and at least
  INCIDENTS_AT_LEAST in the last INCIDENT_DAYS (one incident after none is not yet a pattern).
- Progress report late or due, by the rule the provider's own list uses (shared.services.placements.progress
  .reports_owed): late when a half-term's report has not been sent REPORT_LATE_AFTER_DAYS days after the half-term
  ended; due from REPORT_DUE_BEFORE_DAYS days before the half-term ends. A late report is said before one only due.
- Risk assessment unsigned: a running placement, or a planned one the headteacher has agreed, whose joint risk
  assessment (shared.services.placements.risk) is not signed by both a school DSL and the provider's DSL, saying whose
  signature is missing, or that it was reopened after a serious incident and not signed again. Reopened after a
  concern is said so only to a DSL (below); anyone else reads that it was reopened. A placement with no joint risk
  assessment at all is on the list too: it started before joint assessments, or the headteacher let it start
  unsigned, and either way no one has signed what keeps the pupil safe there.
- A safeguarding concern sent to the school in the last CONCERN_DAYS days. Only a DSL may learn that a concern exists
  (shared.services.providers.lists.SAFEGUARDING_EVENTS), so this signal is given only when asked for by a DSL's page
  or list: never its content, only that one was sent and when.

A fixed number of queries whatever the number of placements (tests/test_early_warning.py counts them).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import defer

from shared.attendance_codes import NOT_COUNTED, MarkKind
from shared.clock import local_now
from shared.display import date_words
from shared.extensions import db
from shared.models import (
    AttendanceMark,
    Concern,
    HeadteacherDecision,
    Incident,
    IncidentPupil,
    Organisation,
    Placement,
    PlacementStatus,
    RiskAssessment,
)
from shared.models import Pupil as PupilRow
from shared.services.attention.tasks import aware
from shared.services.placements.progress import (
    REPORT_DUE_BEFORE_DAYS,  # noqa: F401  (the early warning page says the rule: rules.REPORT_DUE_BEFORE_DAYS)
    REPORT_LATE_AFTER_DAYS,
    Due,
    ReportDue,
    reports_owed_for_school,
)

WEEKS = 3
ATTENDANCE_LOOKBACK_WEEKS = 6
FALL_POINTS = 10
INCIDENT_DAYS = 14
INCIDENTS_AT_LEAST = 2
CONCERN_DAYS = 14

ATTENDANCE, INCIDENTS, CONCERN, PROGRESS, RISK = "attendance", "incidents", "concern", "progress", "risk"


@dataclass(frozen=True)
class Signal:
    kind: str  # ATTENDANCE | INCIDENTS | CONCERN | PROGRESS | RISK
    title: str
    reason: str  # in words, with the figures that make it


@dataclass(frozen=True)
class PlacementWarning:
    placement_id: uuid.UUID
    pupil_name: str
    provider_name: str
    signals: tuple[Signal, ...]


def _week_label(monday: date) -> str:
    return f"the week of {monday.day} {monday.strftime('%B')}"


def attendance_signal(weeks: dict[date, tuple[int, int]]) -> Signal | None:
    """`weeks`: Monday -> (sessions attended, sessions counted) for the weeks looked at. The rule in the module's
    docstring, on the latest WEEKS weeks with sessions counted."""
    counted = sorted((monday, attended, total) for monday, (attended, total) in weeks.items() if total)
    last = counted[-WEEKS:]
    if len(last) < WEEKS:
        return None
    percents = [round(100 * attended / total) for _, attended, total in last]
    falling = all(later < earlier for earlier, later in zip(percents, percents[1:], strict=False))
    if not falling or percents[0] - percents[-1] < FALL_POINTS:
        return None
    figures = ", ".join(f"{p}% in {_week_label(monday)}" for p, (monday, _, _) in zip(percents, last, strict=True))
    return Signal(
        ATTENDANCE,
        "Attendance falling",
        f"Attendance fell each week for {WEEKS} school weeks: {figures} "
        f"({percents[0] - percents[-1]} percentage points lower).",
    )


def incidents_signal(latest: int, before: int) -> Signal | None:
    """Counts of incidents in the last INCIDENT_DAYS days and in the INCIDENT_DAYS before them."""
    if latest < INCIDENTS_AT_LEAST or latest <= before:
        return None
    return Signal(
        INCIDENTS,
        "Incidents rising",
        f"{latest} incidents in the last {INCIDENT_DAYS} days, up from {before} in the {INCIDENT_DAYS} days before.",
    )


def progress_signal(owed: list[ReportDue], today: date) -> Signal | None:
    """The provider's progress reports owed (progress.reports_owed): a late one first, else one due."""
    late = [o for o in owed if o.state == Due.LATE]
    if late:
        period = late[0].period
        return Signal(
            PROGRESS,
            "Progress report late",
            f"The provider has not sent its progress report for {period.name}, which ended on "
            f"{date_words(period.end)}: it is late (it was due by {date_words(_late_after(period.end))}, "
            f"{REPORT_LATE_AFTER_DAYS} days after the half-term ended).",
        )
    if owed:
        period = owed[0].period
        ends = "ends" if period.end >= today else "ended"
        return Signal(
            PROGRESS,
            "Progress report due",
            f"The provider's progress report for {period.name} is due: the half-term {ends} on "
            f"{date_words(period.end)} and the report is late after {date_words(_late_after(period.end))}.",
        )
    return None


def _late_after(end: date) -> date:
    return end + timedelta(days=REPORT_LATE_AFTER_DAYS)


_SIGNERS = {"school": "a school DSL", "provider": "the provider's DSL"}


def risk_signal(assessment: RiskAssessment | None, *, with_concerns: bool) -> Signal | None:
    """The joint risk assessment not signed by both DSLs (risk.py's `signed`), or reopened and not signed again."""
    if assessment is None:
        return Signal(
            RISK,
            "Risk assessment unsigned",
            "No joint risk assessment has been written and signed by a school DSL and the provider's DSL.",
        )
    if assessment.signed:
        return None
    missing = [who for side, who in _SIGNERS.items() if getattr(assessment, f"{side}_signed_at") is None]
    by = " or ".join(missing)
    if assessment.reopened_at is not None:
        after = ""
        if assessment.reopened_because == "incident":
            after = " after a serious incident"
        elif with_concerns:
            after = " after a safeguarding concern"
        when = date_words(local_now(aware(assessment.reopened_at)).date())
        return Signal(
            RISK,
            "Risk assessment unsigned",
            f"The joint risk assessment was reopened{after} on {when} and has not been signed again by {by}.",
        )
    return Signal(RISK, "Risk assessment unsigned", f"The joint risk assessment has not been signed by {by}.")


def concern_signal(count: int, latest: datetime) -> Signal:
    when = local_now(latest)
    what = "A safeguarding concern was" if count == 1 else f"{count} safeguarding concerns were"
    return Signal(
        CONCERN,
        "Safeguarding concern raised",
        f"{what} sent to the school in the last {CONCERN_DAYS} days, the latest on {when.day} "
        f"{when.strftime('%B %Y')}. Its details are in the concerns queue.",
    )


def warnings_for_school(school_id: uuid.UUID, now: datetime, *, with_concerns: bool) -> list[PlacementWarning]:
    """Every running placement of the school (and planned one the headteacher agreed) with at least one signal, pupils
    in name order. `with_concerns` only for a DSL (the module's docstring). Five queries, the school's half-terms among
    them (four without concerns), and one more for the reports written once one is due or late, whatever the number
    of placements."""
    today = local_now(now).date()
    this_monday = today - timedelta(days=today.weekday())
    first_monday = this_monday - timedelta(weeks=ATTENDANCE_LOOKBACK_WEEKS)
    # Running: active, or ended on a date still to come (a phased return to school runs until its last day).
    is_running = or_(
        Placement.status == PlacementStatus.ACTIVE,
        and_(Placement.status == PlacementStatus.ENDED, Placement.end_date >= today),
    )
    running = (Placement.school_id == school_id, is_running)
    agreed = and_(
        Placement.status == PlacementStatus.PLANNED, Placement.headteacher_decision == HeadteacherDecision.AGREED
    )

    placements = db.session.execute(
        select(Placement, PupilRow, Organisation.name, RiskAssessment)
        .join(PupilRow, PupilRow.id == Placement.pupil_id)
        .join(Organisation, Organisation.id == Placement.provider_id)
        .outerjoin(RiskAssessment, RiskAssessment.placement_id == Placement.id)
        .where(Placement.school_id == school_id, or_(is_running, agreed))
        # Only whether it is signed or reopened is read here: its encrypted parts are not loaded, let alone decrypted.
        .options(
            defer(RiskAssessment.school_part),
            defer(RiskAssessment.provider_part),
            defer(RiskAssessment.proceed_unsigned_reason),
        )
    ).all()
    if not placements:
        return []

    # One row a placement, each week's sessions counted and attended counted in SQL (not a row a placement and day,
    # ATTENDANCE_LOOKBACK_WEEKS weeks of them, added up here: thousands of rows for a school's list).
    attended = AttendanceMark.kind.in_((MarkKind.PRESENT.value, MarkKind.LATE.value))
    mondays = [first_monday + timedelta(weeks=week) for week in range(ATTENDANCE_LOOKBACK_WEEKS)]
    per_week = []
    for monday in mondays:
        in_week = and_(AttendanceMark.day >= monday, AttendanceMark.day < monday + timedelta(weeks=1))
        per_week += [func.count().filter(and_(in_week, attended)), func.count().filter(in_week)]
    marks = db.session.execute(
        select(AttendanceMark.placement_id, *per_week)
        .join(Placement, Placement.id == AttendanceMark.placement_id)
        .where(
            *running,
            AttendanceMark.school_id == school_id,
            AttendanceMark.day >= first_monday,
            AttendanceMark.day < this_monday,
            AttendanceMark.code.not_in(NOT_COUNTED),
        )
        .group_by(AttendanceMark.placement_id)
    ).all()
    weeks: dict[uuid.UUID, dict[date, tuple[int, int]]] = defaultdict(dict)
    for placement_id, *counts in marks:
        for index, monday in enumerate(mondays):
            present, total = counts[2 * index], counts[2 * index + 1]
            if total:
                weeks[placement_id][monday] = (present, total)

    fortnight_ago = now - timedelta(days=INCIDENT_DAYS)
    month_ago = now - timedelta(days=2 * INCIDENT_DAYS)
    incidents = db.session.execute(
        select(
            IncidentPupil.placement_id,
            func.count().filter(Incident.occurred_at >= fortnight_ago),
            func.count().filter(Incident.occurred_at < fortnight_ago),
        )
        .join(Incident, Incident.id == IncidentPupil.incident_id)
        .where(Incident.school_id == school_id, Incident.occurred_at >= month_ago, Incident.occurred_at <= now)
        .group_by(IncidentPupil.placement_id)
    ).all()
    incident_counts = {placement_id: (latest, before) for placement_id, latest, before in incidents}

    concerns: dict[uuid.UUID, tuple[int, datetime]] = {}
    if with_concerns:
        rows = db.session.execute(
            select(Concern.placement_id, func.count(), func.max(Concern.sent_at))
            .where(
                Concern.school_id == school_id,
                Concern.sent_at >= now - timedelta(days=CONCERN_DAYS),
                Concern.sent_at <= now,
            )
            .group_by(Concern.placement_id)
        ).all()
        concerns = {placement_id: (count, _aware(latest)) for placement_id, count, latest in rows}

    owed = reports_owed_for_school([row[0] for row in placements], today)

    found = []
    for placement, pupil, provider_name, assessment in placements:
        placement_id = placement.id
        signals = [
            attendance_signal(weeks.get(placement_id, {})),
            incidents_signal(*incident_counts.get(placement_id, (0, 0))),
            concern_signal(*concerns[placement_id]) if placement_id in concerns else None,
            progress_signal(owed.get(placement_id, []), today),
            risk_signal(assessment, with_concerns=with_concerns),
        ]
        present_signals = tuple(s for s in signals if s is not None)
        if present_signals:
            found.append(PlacementWarning(placement_id, pupil.named, provider_name, present_signals))
    return sorted(found, key=lambda w: w.pupil_name.lower())


def _aware(moment: datetime | str) -> datetime:
    """func.max of a timestamp comes back without the column's processing (text, naive, on SQLite)."""
    result = aware(moment)
    assert result is not None, "a concern counted has a sent_at"
    return result
