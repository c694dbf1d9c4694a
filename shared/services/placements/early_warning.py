"""Early warning (issue 15): running placements that look as if they are going wrong, each signal with its reason in
words and no score.

The rules, decided here and said on the page:
- Attendance falling: over the pupil's last three school weeks with marks (Monday to Sunday, before the current week,
  looking back at most ATTENDANCE_LOOKBACK_WEEKS so a half-term holiday is skipped), each week's attendance is lower
  than the week before AND the latest is at least FALL_POINTS percentage points below the first. A dip of a point or
  two is not a warning; a steady slide is.
- Incidents rising: more incidents in the last INCIDENT_DAYS days than in the INCIDENT_DAYS before, and at least
  INCIDENTS_AT_LEAST in the last INCIDENT_DAYS (one incident after none is not yet a pattern).
- No progress report for the last half-term: the provider's report for the last half-term of the school's calendar
  to have ended is late (shared.services.placements.progress.REPORT_LATE_AFTER_DAYS days after it ended).
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

from sqlalchemy import func, select

from shared.attendance_codes import NOT_COUNTED, MarkKind
from shared.clock import local_now
from shared.extensions import db
from shared.models import AttendanceMark, Concern, Incident, IncidentPupil, Organisation, Placement, PlacementStatus
from shared.models import Pupil as PupilRow
from shared.services.attention.tasks import aware
from shared.services.placements.progress import REPORT_LATE_AFTER_DAYS, late_reports_for_school

WEEKS = 3
ATTENDANCE_LOOKBACK_WEEKS = 6
FALL_POINTS = 10
INCIDENT_DAYS = 14
INCIDENTS_AT_LEAST = 2
CONCERN_DAYS = 14

ATTENDANCE, INCIDENTS, CONCERN, PROGRESS = "attendance", "incidents", "concern", "progress"


@dataclass(frozen=True)
class Signal:
    kind: str  # ATTENDANCE | INCIDENTS | CONCERN | PROGRESS
    title: str
    reason: str  # in words, with the figures that make it


@dataclass(frozen=True)
class PlacementWarning:
    placement_id: uuid.UUID
    pupil_name: str
    provider_name: str
    signals: tuple[Signal, ...]


def _day(value: date | str) -> date:
    return date.fromisoformat(value) if isinstance(value, str) else value


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


PROGRESS_SIGNAL = Signal(
    PROGRESS,
    "No progress report for the last half-term",
    f"The provider has not sent its progress report for the last half-term, {REPORT_LATE_AFTER_DAYS} days after "
    "it ended.",
)


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
    """Every running placement of the school with at least one signal, pupils in name order. `with_concerns` only
    for a DSL (the module's docstring). Five queries (four without concerns; one more once a
    half-term has ended), whatever the number of placements."""
    today = local_now(now).date()
    this_monday = today - timedelta(days=today.weekday())
    first_monday = this_monday - timedelta(weeks=ATTENDANCE_LOOKBACK_WEEKS)
    running = (Placement.school_id == school_id, Placement.status == PlacementStatus.ACTIVE)

    placements = db.session.execute(
        select(Placement.id, PupilRow, Organisation.name, Placement.start_date)
        .join(PupilRow, PupilRow.id == Placement.pupil_id)
        .join(Organisation, Organisation.id == Placement.provider_id)
        .where(*running)
    ).all()
    if not placements:
        return []

    attended = AttendanceMark.kind.in_((MarkKind.PRESENT.value, MarkKind.LATE.value))
    marks = db.session.execute(
        select(AttendanceMark.placement_id, AttendanceMark.day, func.count(), func.count().filter(attended))
        .join(Placement, Placement.id == AttendanceMark.placement_id)
        .where(
            *running,
            AttendanceMark.school_id == school_id,
            AttendanceMark.day >= first_monday,
            AttendanceMark.day < this_monday,
            AttendanceMark.code.not_in(NOT_COUNTED),
        )
        .group_by(AttendanceMark.placement_id, AttendanceMark.day)
    ).all()
    weeks: dict[uuid.UUID, dict[date, tuple[int, int]]] = defaultdict(dict)
    for placement_id, day, total, present in marks:
        day = _day(day)
        monday = day - timedelta(days=day.weekday())
        attended_so_far, total_so_far = weeks[placement_id].get(monday, (0, 0))
        weeks[placement_id][monday] = (attended_so_far + present, total_so_far + total)

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

    late_reports = late_reports_for_school(school_id, {row[0]: row[3] for row in placements}, now)

    found = []
    for placement_id, pupil, provider_name, _ in placements:
        signals = [
            attendance_signal(weeks.get(placement_id, {})),
            incidents_signal(*incident_counts.get(placement_id, (0, 0))),
            concern_signal(*concerns[placement_id]) if placement_id in concerns else None,
            PROGRESS_SIGNAL if placement_id in late_reports else None,
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
