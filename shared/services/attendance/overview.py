"""What the school's attendance lead reads: today's sessions, a pupil's recent weeks, the MIS export and the
attendance percentages. Read-only.

Every function here is a fixed number of set-based queries (columns, joins, GROUP BY), never one query per pupil:
the attendance lead of a school with hundreds of placed pupils, in a local authority with a million marks, gets the
"today" page in the same handful of queries as a school with three (bench/attendance.py measures it, and
tests/test_school_attendance.py counts them). The rules of what is expected are shared.services.attendance.marks's
(`Placement.expects`: the timetable and the placement's dates; a school day: in term, a weekday, not a bank holiday
of England and Wales, not an INSET day), applied here in Python to rows already loaded.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple, overload

from flask import current_app
from sqlalchemy import Label, Select, and_, case, func, select
from sqlalchemy.orm import aliased

from shared import audit
from shared.attendance_codes import ATTENDED_KINDS, UNACCEPTED_REASONS, AbsenceReason, MarkKind
from shared.clock import school_zone
from shared.csv_safety import spreadsheet_safe
from shared.extensions import db
from shared.models import (
    AttendanceAlert,
    AttendanceAlertEmail,
    AttendanceAmendment,
    AttendanceMark,
    InsetDay,
    Organisation,
    OutboxEmail,
    Placement,
    ProviderProfile,
    Pupil,
    SchoolTerm,
    User,
)
from shared.models.pupil import slot_for
from shared.notifications import UNREACHABLE
from shared.services.attendance.marks import (
    COUNTING_STATUSES,
    PERSISTENT_ABSENCE_BELOW,
    REASON_LABELS,
    MarkValue,
    attendance_counts,
    describe,
    mark_value,
)
from shared.services.school_calendar import days as school_calendar
from shared.services.school_calendar.days import SESSIONS, is_bank_holiday

# The MIS export's columns, in order (documented on the export page).
EXPORT_COLUMNS = ("UPN", "date", "session", "code", "provider", "late minutes", "comment")
MAX_EXPORT_DAYS = 366  # one school year
HEATMAP_WEEKS = 6
HEATMAP_LOOK_BACK_WEEKS = 30  # how far back to look for six school weeks (past the summer holiday)

# What the screens need of a mark to say it in words (shared.services.attendance.marks.describe) and colour it.
MARK_COLUMNS = (
    AttendanceMark.kind,
    AttendanceMark.late_minutes,
    AttendanceMark.reason,
    AttendanceMark.reason_text,
    AttendanceMark.code,
)


# --- one session's state, in words -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SessionState:
    """present | late | absent | not_marked | overdue | not_expected | not_yet, with the words a person reads."""

    state: str
    words: str
    code: str | None = None
    mark_id: uuid.UUID | None = None
    changed: bool = False  # the provider amended the mark: its history says from what, why, who and when


NOT_EXPECTED = SessionState("not_expected", "Not expected")
NOT_YET = SessionState("not_yet", "Not happened yet")


def _marked(
    kind: str,
    late_minutes: int | None,
    reason: str | None,
    reason_text: str | None,
    code: str,
    *,
    mark_id: uuid.UUID | None = None,
    changed: bool = False,
) -> SessionState:
    value: MarkValue = {
        "kind": kind,
        "late_minutes": late_minutes,
        "reason": reason,
        "reason_text": reason_text,
        "code": code,
    }
    return SessionState(kind, describe(value), code, mark_id, changed)


def _is_school_day(day: date, in_term: bool, inset: bool) -> tuple[bool, str | None]:
    """Whether the school expects anyone on the day, and if not, why (in words)."""
    if day.weekday() >= 5:
        return False, "It is a weekend."
    if is_bank_holiday(day):
        return False, "It is a bank holiday."
    if inset:
        return False, "It is an INSET (training) day."
    if not in_term:
        return False, "It is not in one of the school's terms (or it is in a half-term holiday)."
    return True, None


def _expects(timetable: Sequence[str] | None, start: date, end: date | None, day: date, session: str) -> bool:
    # Placement.expects, on columns rather than a loaded Placement.
    return start <= day and (end is None or day <= end) and slot_for(day, session) in (timetable or [])


@overload
def _local(moment: datetime) -> datetime: ...
@overload
def _local(moment: None) -> None: ...
def _local(moment: datetime | None) -> datetime | None:
    return moment.astimezone(school_zone()) if moment is not None else None


# --- today ---------------------------------------------------------------------------------------------------------


@dataclass
class PupilToday:
    pupil_id: uuid.UUID
    name: str
    provider: str
    sessions: dict[str, SessionState]


@dataclass
class Delivery:
    """Whether the e-mails of one alert have gone: all sent, some still being tried, or none needed."""

    state: str  # delivered | waiting | failed | none
    words: str


@dataclass
class AlertToday:
    kind: str  # absence | unmarked
    pupil_id: uuid.UUID
    pupil: str
    provider: str
    session: str
    raised_at: datetime
    resolved: bool
    reason: str | None
    delivery: Delivery
    corrected: bool = False  # an absence whose mark the provider then amended
    mark_id: uuid.UUID | None = None


@dataclass
class Today:
    day: date
    school_day: bool
    not_school_day_because: str | None
    pupils: list[PupilToday] = field(default_factory=list)
    alerts: list[AlertToday] = field(default_factory=list)
    expected: int = 0
    marked: int = 0
    missing: int = 0
    absences: int = 0


class EmailState(NamedTuple):
    """One e-mail of an alert, as far as its delivery goes."""

    sent_at: datetime | None
    attempts: int
    failure: str | None
    gave_up_at: datetime | None


def _delivery(emails: list[EmailState]) -> Delivery:
    if not emails:
        return Delivery("none", "No e-mail was needed")
    unsent = [email for email in emails if email.sent_at is None]
    if not unsent:
        last = max(_local(email.sent_at) for email in emails if email.sent_at is not None)
        return Delivery("delivered", f"Delivered {last.strftime('%H:%M')}")
    attempts = max(email.attempts for email in unsent)
    if any(email.gave_up_at is not None for email in unsent):
        return Delivery("failed", f"Not delivered: gave up after {attempts} attempts")
    if any(email.failure == UNREACHABLE for email in unsent):
        return Delivery("waiting", "Not delivered yet: the mail server cannot be reached, trying every 30 seconds")
    if attempts == 0:
        return Delivery("waiting", "Waiting to be sent")
    tries = "1 attempt" if attempts == 1 else f"{attempts} attempts"
    return Delivery("waiting", f"Not delivered yet: {tries}, will retry")


def today(school_id: uuid.UUID, day: date, now: datetime) -> Today:
    """Every placed pupil the school expects on `day`, each AM and PM session's state, the totals, and the day's
    alerts with whether their e-mails were delivered. Five queries, whatever the size of the school."""
    in_term = (
        db.session.scalar(
            select(SchoolTerm.id).where(SchoolTerm.school_id == school_id, school_calendar.in_term(day)).limit(1)
        )
        is not None
    )
    inset = (
        db.session.scalar(select(InsetDay.id).where(InsetDay.school_id == school_id, InsetDay.day == day)) is not None
    )
    school_day, because = _is_school_day(day, in_term, inset)
    result = Today(day, school_day, because)
    grace = timedelta(minutes=current_app.config["UNMARKED_GRACE_MINUTES"])
    zone = school_zone()

    if school_day:
        placements = db.session.execute(
            select(
                Placement.id,
                Placement.pupil_id,
                Placement.timetable,
                Placement.start_date,
                Placement.end_date,
                Pupil.first_name,
                Pupil.last_name,
                Pupil.preferred_name,
                Organisation.name.label("provider"),
                ProviderProfile.am_marks_due,
                ProviderProfile.pm_marks_due,
            )
            .join(Pupil, Pupil.id == Placement.pupil_id)
            .join(Organisation, Organisation.id == Placement.provider_id)
            .join(ProviderProfile, ProviderProfile.organisation_id == Placement.provider_id)
            .where(
                Placement.school_id == school_id,
                Placement.status.in_(COUNTING_STATUSES),
                Placement.start_date <= day,
                (Placement.end_date.is_(None)) | (Placement.end_date >= day),
            )
            .order_by(Pupil.last_name, Pupil.first_name, Organisation.name)
        ).all()
        marks = {
            (row.placement_id, row.session): row
            for row in db.session.execute(
                select(
                    AttendanceMark.id,
                    AttendanceMark.placement_id,
                    AttendanceMark.session,
                    AttendanceMark.amended_at,
                    *MARK_COLUMNS,
                ).where(AttendanceMark.school_id == school_id, AttendanceMark.day == day)
            )
        }
        for row in placements:
            sessions: dict[str, SessionState] = {}
            for session in SESSIONS:
                if not _expects(row.timetable, row.start_date, row.end_date, day, session):
                    sessions[session] = NOT_EXPECTED
                    continue
                result.expected += 1
                mark = marks.get((row.id, session))
                if mark is not None:
                    result.marked += 1
                    result.absences += mark.kind == MarkKind.ABSENT
                    sessions[session] = _marked(
                        mark.kind,
                        mark.late_minutes,
                        mark.reason,
                        mark.reason_text,
                        mark.code,
                        mark_id=mark.id,
                        changed=mark.amended_at is not None,
                    )
                    continue
                due = datetime.combine(day, row.am_marks_due if session == "AM" else row.pm_marks_due, tzinfo=zone)
                if now >= due + grace:
                    result.missing += 1
                    sessions[session] = SessionState("overdue", "Overdue")
                else:
                    sessions[session] = SessionState("not_marked", f"Not marked (due {due.strftime('%H:%M')})")
            if any(state is not NOT_EXPECTED for state in sessions.values()):
                name = f"{row.preferred_name or row.first_name} {row.last_name}"
                result.pupils.append(PupilToday(row.pupil_id, name, row.provider, sessions))

    # Alerts are listed even on a day that is no longer a school day (an INSET day added afterwards).
    alerts = db.session.execute(
        select(
            AttendanceAlert.id,
            AttendanceAlert.kind,
            AttendanceAlert.pupil_id,
            AttendanceAlert.session,
            AttendanceAlert.raised_at,
            AttendanceAlert.resolved_at,
            AttendanceAlert.corrected_at,
            AttendanceAlert.mark_id,
            AttendanceAlert.reason,
            Pupil.first_name,
            Pupil.last_name,
            Pupil.preferred_name,
            Organisation.name.label("provider"),
        )
        .join(Pupil, Pupil.id == AttendanceAlert.pupil_id)
        .join(Organisation, Organisation.id == AttendanceAlert.provider_id)
        .where(AttendanceAlert.school_id == school_id, AttendanceAlert.day == day)
        .order_by(AttendanceAlert.raised_at, AttendanceAlert.session)
    ).all()
    emails: dict[uuid.UUID, list[EmailState]] = {}
    if alerts:
        for alert_id, sent_at, attempts, failure, gave_up_at in db.session.execute(
            select(
                AttendanceAlertEmail.alert_id,
                OutboxEmail.sent_at,
                OutboxEmail.attempts,
                OutboxEmail.failure,
                OutboxEmail.gave_up_at,
            )
            .join(OutboxEmail, OutboxEmail.id == AttendanceAlertEmail.email_id)
            .join(AttendanceAlert, AttendanceAlert.id == AttendanceAlertEmail.alert_id)
            .where(AttendanceAlert.school_id == school_id, AttendanceAlert.day == day)
        ):
            emails.setdefault(alert_id, []).append(EmailState(sent_at, attempts, failure, gave_up_at))
    for row in alerts:
        result.alerts.append(
            AlertToday(
                kind=row.kind,
                pupil_id=row.pupil_id,
                pupil=f"{row.preferred_name or row.first_name} {row.last_name}",
                provider=row.provider,
                session=row.session,
                raised_at=_local(row.raised_at),
                resolved=row.resolved_at is not None,
                reason=REASON_LABELS[AbsenceReason(row.reason)] if row.reason else None,
                delivery=_delivery(emails.get(row.id, [])),
                corrected=row.corrected_at is not None,
                mark_id=row.mark_id,
            )
        )
    return result


# --- one mark's history -------------------------------------------------------------------------------------------


@dataclass
class Change:
    """One amendment of a mark, in words: from what to what, why, who (and at which organisation) and when."""

    when: datetime
    old: str
    old_code: str
    new: str
    new_code: str
    why: str
    who: str
    source: str


@dataclass
class MarkHistory:
    pupil: str
    pupil_id: uuid.UUID
    provider: str
    day: date
    session: str
    now: str
    code: str
    recorded_at: datetime
    recorded_by: str
    first: str  # the mark as the provider first recorded it
    first_code: str
    changes: list[Change]
    corrected_alerts: int  # absence alerts this mark raised that its amendment corrected


SOURCE_WORDS = {
    "web": "the day page",
    "grid": "the week grid",
    "csv": "a CSV upload",
    "api": "the provider's system",
    "school": "the school's decision on the absence",
}


def _person(names: dict[uuid.UUID, str], user_id: uuid.UUID | None, organisation: str) -> str:
    if user_id is None:
        return f"{organisation} (through its system)"
    return f"{names.get(user_id, 'Someone')}, {organisation}"


SchoolOrg = aliased(Organisation)


def mark_history(mark: AttendanceMark) -> MarkHistory:
    """The mark as first recorded, every amendment (old mark, new mark, reason, who, when) oldest first, and how many
    of its absence alerts were corrected. Four queries."""
    changes = list(
        db.session.scalars(
            select(AttendanceAmendment)
            .where(AttendanceAmendment.mark_id == mark.id)
            .order_by(AttendanceAmendment.amended_at, AttendanceAmendment.id)
        )
    )
    ids = {mark.recorded_by_id, *(c.amended_by_id for c in changes)} - {None}
    names = dict(db.session.execute(select(User.id, User.name).where(User.id.in_(ids))).tuples().all()) if ids else {}
    row = db.session.execute(
        select(Pupil.first_name, Pupil.last_name, Pupil.preferred_name, Organisation.name, SchoolOrg.name)
        .select_from(AttendanceMark)
        .join(SchoolOrg, SchoolOrg.id == AttendanceMark.school_id)
        .join(Organisation, Organisation.id == AttendanceMark.provider_id)
        .join(Pupil, Pupil.id == AttendanceMark.pupil_id)
        .where(AttendanceMark.id == mark.id)
    ).one()
    provider, school = row[3], row[4]
    corrected = db.session.scalar(
        select(func.count())
        .select_from(AttendanceAlert)
        .where(AttendanceAlert.mark_id == mark.id, AttendanceAlert.corrected_at.is_not(None))
    )
    first: dict[str, Any] = dict(changes[0].old_value) if changes else dict(mark_value(mark))
    return MarkHistory(
        pupil=f"{row.preferred_name or row.first_name} {row.last_name}",
        pupil_id=mark.pupil_id,
        provider=provider,
        day=mark.day,
        session=mark.session,
        now=describe(mark),
        code=mark.code,
        recorded_at=_local(mark.recorded_at),
        recorded_by=_person(names, mark.recorded_by_id, provider),
        first=describe(_value(first)),
        first_code=str(first["code"]),
        changes=[
            Change(
                when=_local(c.amended_at),
                old=describe(_value(c.old_value)),
                old_code=str(c.old_value["code"]),
                new=describe(_value(c.new_value)),
                new_code=str(c.new_value["code"]),
                why=c.why,
                who=_person(names, c.amended_by_id, school if c.source == "school" else provider),
                source=SOURCE_WORDS.get(c.source, c.source),
            )
            for c in changes
        ],
        corrected_alerts=corrected or 0,
    )


def _value(stored: dict[str, Any]) -> MarkValue:
    return {
        "kind": stored["kind"],
        "late_minutes": stored.get("late_minutes"),
        "reason": stored.get("reason"),
        "reason_text": stored.get("reason_text"),
        "code": stored["code"],
    }


# --- a pupil's recent weeks ----------------------------------------------------------------------------------------


@dataclass
class HeatmapWeek:
    monday: date
    cells: list[tuple[date, str, SessionState]]  # Monday AM, Monday PM, ... Friday PM


@dataclass
class Heatmap:
    weeks: list[HeatmapWeek]
    start: date | None
    end: date | None
    percent: float | None
    possible: int
    attended: int


def pupil_heatmap(school_id: uuid.UUID, pupil_id: uuid.UUID, today_: date, now: datetime) -> Heatmap:
    """The pupil's last HEATMAP_WEEKS school weeks (weeks with at least one school day, this week included), each
    AM and PM session: present, late, absent, not marked, not expected; and the attendance % over those weeks."""
    this_monday = today_ - timedelta(days=today_.weekday())
    look_from = this_monday - timedelta(weeks=HEATMAP_LOOK_BACK_WEEKS)
    look_to = this_monday + timedelta(days=4)
    terms = db.session.execute(
        select(
            SchoolTerm.start_date, SchoolTerm.end_date, SchoolTerm.half_term_starts, SchoolTerm.half_term_ends
        ).where(SchoolTerm.school_id == school_id, SchoolTerm.start_date <= look_to, SchoolTerm.end_date >= look_from)
    ).all()
    inset = set(
        db.session.scalars(
            select(InsetDay.day).where(InsetDay.school_id == school_id, InsetDay.day.between(look_from, look_to))
        )
    )

    def is_school_day(day: date) -> bool:
        in_term = any(
            school_calendar.covers(first, last, half_starts, half_ends, day)
            for first, last, half_starts, half_ends in terms
        )
        return _is_school_day(day, in_term, day in inset)[0]

    mondays: list[date] = []
    monday = this_monday
    while monday >= look_from and len(mondays) < HEATMAP_WEEKS:
        if any(is_school_day(monday + timedelta(days=n)) for n in range(5)):
            mondays.append(monday)
        monday -= timedelta(weeks=1)
    mondays.reverse()
    if not mondays:
        return Heatmap([], None, None, None, 0, 0)
    start, end = mondays[0], min(mondays[-1] + timedelta(days=4), today_)

    placements = db.session.execute(
        select(Placement.id, Placement.timetable, Placement.start_date, Placement.end_date).where(
            Placement.school_id == school_id,
            Placement.pupil_id == pupil_id,
            Placement.status.in_(COUNTING_STATUSES),
        )
    ).all()
    marks = {
        (row.day, row.session): row
        for row in db.session.execute(
            select(AttendanceMark.day, AttendanceMark.session, *MARK_COLUMNS).where(
                AttendanceMark.school_id == school_id,
                AttendanceMark.pupil_id == pupil_id,
                AttendanceMark.day.between(start, end),
            )
        )
    }
    weeks = []
    kinds = []
    for monday in mondays:
        cells = []
        for offset in range(5):
            day = monday + timedelta(days=offset)
            for session in SESSIONS:
                mark = marks.get((day, session))
                if mark is not None:
                    state = _marked(mark.kind, mark.late_minutes, mark.reason, mark.reason_text, mark.code)
                    kinds.append(mark.kind)
                elif day > today_:
                    state = NOT_YET
                elif is_school_day(day) and any(
                    _expects(p.timetable, p.start_date, p.end_date, day, session) for p in placements
                ):
                    state = SessionState("not_marked", "Not marked")
                else:
                    state = NOT_EXPECTED
                cells.append((day, session, state))
        weeks.append(HeatmapWeek(monday, cells))
    possible, attended = attendance_counts(kinds)
    percent = round(100 * attended / possible, 1) if possible else None
    return Heatmap(weeks, start, end, percent, possible, attended)


# --- percentages ---------------------------------------------------------------------------------------------------


@dataclass
class PercentRow:
    id: uuid.UUID
    name: str
    possible: int
    attended: int
    unauthorised: int

    @property
    def percent(self) -> float | None:
        return round(100 * self.attended / self.possible, 1) if self.possible else None

    @property
    def persistent_absence(self) -> bool:
        return self.percent is not None and self.percent < PERSISTENT_ABSENCE_BELOW


def _figures() -> tuple[Label[int], Label[int], Label[int]]:
    # attendance_counts' rule in SQL: every marked session is possible; present or late is attended. Unauthorised:
    # absences whose reason the school has not accepted (by the reason, so dual registration's D counts too).
    possible = func.count()
    attended = func.sum(case((AttendanceMark.kind.in_(sorted(ATTENDED_KINDS)), 1), else_=0))
    unaccepted = sorted(reason.value for reason in UNACCEPTED_REASONS)
    unauthorised = func.sum(
        case((and_(AttendanceMark.kind == MarkKind.ABSENT.value, AttendanceMark.reason.in_(unaccepted)), 1), else_=0)
    )
    return possible.label("possible"), attended.label("attended"), unauthorised.label("unauthorised")


def percentages(school_id: uuid.UUID, start: date, end: date) -> tuple[list[PercentRow], list[PercentRow]]:
    """Attendance % per pupil and per provider over the marked sessions from start to end (two GROUP BY queries)."""
    in_range = (AttendanceMark.school_id == school_id, AttendanceMark.day.between(start, end))
    pupils = db.session.execute(
        select(AttendanceMark.pupil_id, Pupil.first_name, Pupil.last_name, Pupil.preferred_name, *_figures())
        .join(Pupil, Pupil.id == AttendanceMark.pupil_id)
        .where(*in_range)
        .group_by(AttendanceMark.pupil_id, Pupil.first_name, Pupil.last_name, Pupil.preferred_name)
        .order_by(Pupil.last_name, Pupil.first_name)
    ).all()
    providers = db.session.execute(
        select(AttendanceMark.provider_id, Organisation.name, *_figures())
        .join(Organisation, Organisation.id == AttendanceMark.provider_id)
        .where(*in_range)
        .group_by(AttendanceMark.provider_id, Organisation.name)
        .order_by(Organisation.name)
    ).all()
    return (
        [
            PercentRow(
                r.pupil_id,
                f"{r.preferred_name or r.first_name} {r.last_name}",
                int(r.possible),
                int(r.attended),
                int(r.unauthorised),
            )
            for r in pupils
        ],
        [PercentRow(r.provider_id, r.name, int(r.possible), int(r.attended), int(r.unauthorised)) for r in providers],
    )


def current_term_start(school_id: uuid.UUID, day: date) -> date:
    """The first day of the term `day` is in (or of the last term before it); else 1 September of the school year."""
    start = db.session.scalar(
        select(func.max(SchoolTerm.start_date)).where(SchoolTerm.school_id == school_id, SchoolTerm.start_date <= day)
    )
    return start or date(day.year if day.month >= 9 else day.year - 1, 9, 1)


# --- the MIS export ------------------------------------------------------------------------------------------------


def _export_query(school_id: uuid.UUID, start: date, end: date) -> Select[Any]:
    # Select[Any]: SQLAlchemy's typing follows the columns of a select only up to nine of them.
    return (
        select(
            AttendanceMark.id,
            Pupil.upn,
            AttendanceMark.day,
            AttendanceMark.session,
            AttendanceMark.code,
            Organisation.name.label("provider"),
            AttendanceMark.kind,
            AttendanceMark.late_minutes,
            AttendanceMark.reason,
            AttendanceMark.reason_text,
        )
        .join(Pupil, Pupil.id == AttendanceMark.pupil_id)
        .join(Organisation, Organisation.id == AttendanceMark.provider_id)
        .where(AttendanceMark.school_id == school_id, AttendanceMark.day.between(start, end))
        .order_by(Pupil.upn, AttendanceMark.day, AttendanceMark.session)
    )


SYSTEM = "the provider's system"


def _amendment_trails(school_id: uuid.UUID, start: date, end: date) -> dict[uuid.UUID, list[str]]:
    """Every amendment of the range's marks, oldest first, in words for the comment column: when, who, from which
    code to which, and why. One query (amendments are few beside the marks)."""
    rows = db.session.execute(
        select(
            AttendanceAmendment.mark_id,
            AttendanceAmendment.amended_at,
            AttendanceAmendment.old_value,
            AttendanceAmendment.new_value,
            AttendanceAmendment.why,
            User.name,
        )
        .join(AttendanceMark, AttendanceMark.id == AttendanceAmendment.mark_id)
        .outerjoin(User, User.id == AttendanceAmendment.amended_by_id)
        .where(
            AttendanceMark.school_id == school_id,
            AttendanceMark.day.between(start, end),
            AttendanceMark.amended_at.is_not(None),
        )
        .order_by(AttendanceAmendment.amended_at, AttendanceAmendment.id)
    )
    trails: dict[uuid.UUID, list[str]] = {}
    for mark_id, amended_at, old, new, why, who in rows:
        trails.setdefault(mark_id, []).append(
            f"Amended {_local(amended_at).strftime('%Y-%m-%d %H:%M')} by {who or SYSTEM} "
            f"from {old['code']} ({describe(_value(old))}) to {new['code']} ({describe(_value(new))}): {why}"
        )
    return trails


def export_row_count(school_id: uuid.UUID, start: date, end: date) -> int:
    count = db.session.scalar(
        select(func.count())
        .select_from(AttendanceMark)
        .where(AttendanceMark.school_id == school_id, AttendanceMark.day.between(start, end))
    )
    assert count is not None, "COUNT(*) always gives a row"
    return count


def record_export(school_id: uuid.UUID, start: date, end: date, *, by: User) -> int:
    """Audit an export before its first byte is sent, with its row count taken first, and commit: an export cut short
    is still on the record. Returns the row count."""
    rows = export_row_count(school_id, start, end)
    audit.record(
        "attendance.exported",
        organisation=db.session.get(Organisation, school_id),
        actor=by,
        start=start.isoformat(),
        end=end.isoformat(),
        rows=rows,
    )
    db.session.commit()
    return rows


def export_comment(
    kind: str, late_minutes: int | None, reason: str | None, reason_text: str | None, trail: Sequence[str] = ()
) -> str:
    """The comment column: how late, or the absence reason in the provider's words, and every amendment of the mark
    (when, who, from which code to which, why), oldest first."""
    parts: list[str] = []
    if kind == MarkKind.LATE and late_minutes:
        parts.append(f"Late {late_minutes} minutes")
    elif kind == MarkKind.ABSENT and reason:
        label = REASON_LABELS[AbsenceReason(reason)]
        parts.append(f"{label}: {reason_text}" if reason == AbsenceReason.OTHER and reason_text else label)
    parts.extend(trail)
    return "; ".join(parts)


def export_csv(school_id: uuid.UUID, start: date, end: date) -> Iterator[str]:
    """The CSV, a few rows at a time: one query, read in batches, so a year for every pupil never sits in memory."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(EXPORT_COLUMNS)
    trails = _amendment_trails(school_id, start, end)
    rows = db.session.execute(_export_query(school_id, start, end).execution_options(yield_per=2000))
    for written, row in enumerate(rows, start=1):
        writer.writerow(
            [
                row.upn,
                row.day.isoformat(),
                row.session,
                row.code,
                spreadsheet_safe(row.provider),
                row.late_minutes if row.late_minutes is not None else "",
                spreadsheet_safe(
                    export_comment(row.kind, row.late_minutes, row.reason, row.reason_text, trails.get(row.id, ()))
                ),
            ]
        )
        if written % 500 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
