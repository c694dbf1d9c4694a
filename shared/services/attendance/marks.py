"""Attendance at providers: which sessions are expected, recording a mark, amendments, and deadlines.

Every way in (the portal's register and week grid, the CSV upload, the JSON API) calls `apply_mark`, so the rules
are the same whichever a provider uses:

- a mark is for a session the placement expects (the timetable, inside term, not a bank holiday or INSET day)
  and not for a future day;
- it is converted to the statutory code by `shared.attendance_codes.register_code`, nothing else;
- after the session's deadline (the provider's agreement, school-local time) it is recorded as submitted late;
- the same mark sent again changes nothing; a different one is an amendment, which needs a reason and keeps the
  old value, the new value, who and when;
- one mark per session is a database constraint, so concurrent submissions leave one row;
- an absence tells who must know at once (shared.services.attendance.alerts), in the same transaction.

`apply_mark` does not commit; `record_mark` is one mark and a commit. Many marks at once (the register, the week
grid, the CSV upload, the API) go through shared.services.attendance.batch.save_marks: all or nothing, one commit,
and the same handling of a concurrent insert whichever channel they came from.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, TypedDict

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from shared import audit
from shared.attendance_codes import ATTENDED_KINDS, AbsenceReason, LegalBasis, MarkKind, register_code
from shared.clock import local_now, school_zone
from shared.display import day_words
from shared.extensions import begin_transaction_now, db, savepoint
from shared.models import (
    AttendanceAmendment,
    AttendanceMark,
    Placement,
    PlacementStatus,
    ProviderProfile,
    Pupil,
    User,
    utcnow,
)
from shared.services.attendance import alerts as attendance_alerts
from shared.services.errors import Problems, RuleBroken
from shared.services.school_calendar.days import SESSIONS, is_bank_holiday, school_days, school_days_of

MAX_LATE_MINUTES = 240
# Placements whose sessions are expected: running now, or ended (for the days before they ended).
COUNTING_STATUSES = (PlacementStatus.ACTIVE, PlacementStatus.ENDED)

MARK_LABELS = {MarkKind.PRESENT: "Present", MarkKind.LATE: "Late", MarkKind.ABSENT: "Absent"}
# Keyed by AbsenceReason, a StrEnum, so a reason code read back as a plain str finds its label too.
REASON_LABELS: dict[str, str] = {
    AbsenceReason.ILLNESS: "Illness",
    AbsenceReason.MEDICAL_APPOINTMENT: "Medical or dental appointment",
    AbsenceReason.EXCLUDED: "Excluded or suspended",
    AbsenceReason.UNEXPLAINED: "Unexplained",
    AbsenceReason.OTHER: "Other reason",
}


class MarkValue(TypedDict):
    """A mark's value, as an amendment keeps it (old and new) and describe() reads it."""

    kind: str
    late_minutes: int | None
    reason: str | None
    reason_text: str | None
    code: str


# Whether the school expects a placement's session: (placement, day, session).
ExpectedCheck = Callable[[Placement, date, str], bool]


class MarkConflict(RuleBroken):
    """The session already has a different mark and no reason for an amendment was given."""

    def __init__(self, message: str, existing: AttendanceMark):
        super().__init__(message, "why")
        self.existing = existing


class Outcome(enum.StrEnum):
    CREATED = "created"
    UNCHANGED = "unchanged"
    AMENDED = "amended"


@dataclass(frozen=True)
class MarkEntry:
    """What a provider says happened in one session."""

    kind: MarkKind
    late_minutes: int | None = None
    reason: AbsenceReason | None = None
    reason_text: str | None = None

    @classmethod
    def parse(
        cls, kind: str | None, late_minutes: object = None, reason: str | None = None, reason_text: str | None = None
    ) -> MarkEntry:
        """From strings (forms, CSV, JSON), with a plain message for everything that is not right (RulesBroken
        when there is more than one)."""
        try:
            mark_kind = MarkKind((kind or "").strip().lower())
        except ValueError:
            raise RuleBroken("Choose present, late or absent", "kind") from None
        found = Problems()
        minutes = None
        if mark_kind == MarkKind.LATE:
            try:
                minutes = int(str(late_minutes).strip())
            except (TypeError, ValueError):
                found.add("Enter how many minutes late, as a whole number, like 15", "late_minutes")
        why = None
        text = (reason_text or "").strip() or None
        if mark_kind == MarkKind.ABSENT:
            try:
                why = AbsenceReason((reason or "").strip().lower())
            except ValueError:
                found.add(
                    "Choose the reason for the absence: illness, medical appointment, excluded or suspended, "
                    "unexplained, or other",
                    "reason",
                )
        entry = cls(mark_kind, minutes, why, text if why == AbsenceReason.OTHER else None)
        for problem in entry.problems():
            if not found.has(problem.field or ""):
                found.found.append(problem)
        found.raise_any()
        return entry

    def check(self) -> None:
        found = Problems()
        found.found.extend(self.problems())
        found.raise_any()

    def problems(self) -> list[RuleBroken]:
        """Every rule this mark breaks."""
        found: list[RuleBroken] = []
        if self.kind == MarkKind.LATE:
            if self.late_minutes is None or not 1 <= self.late_minutes <= MAX_LATE_MINUTES:
                found.append(RuleBroken(f"Minutes late must be between 1 and {MAX_LATE_MINUTES}", "late_minutes"))
        elif self.late_minutes is not None:
            found.append(RuleBroken("Minutes late are only for a late mark", "late_minutes"))
        if self.kind == MarkKind.ABSENT:
            if self.reason is None:
                found.append(RuleBroken("Choose the reason for the absence", "reason"))
            elif self.reason == AbsenceReason.OTHER and not self.reason_text:
                found.append(RuleBroken("Say what the other reason for the absence is", "reason_text"))
            if self.reason_text and len(self.reason_text) > 500:
                found.append(RuleBroken("The reason must be 500 characters or fewer", "reason_text"))
        elif self.reason is not None:
            found.append(RuleBroken("A reason is only for an absence", "reason"))
        return found

    def value(self, code: str) -> MarkValue:
        return {
            "kind": self.kind.value,
            "late_minutes": self.late_minutes,
            "reason": self.reason.value if self.reason else None,
            "reason_text": self.reason_text,
            "code": code,
        }

    @property
    def is_absence(self) -> bool:
        return self.kind == MarkKind.ABSENT


def mark_value(mark: AttendanceMark) -> MarkValue:
    return {
        "kind": mark.kind,
        "late_minutes": mark.late_minutes,
        "reason": mark.reason,
        "reason_text": mark.reason_text,
        "code": mark.code,
    }


def describe(mark: AttendanceMark | MarkValue) -> str:
    """A mark in words, e.g. 'Late (10 minutes)' or 'Absent: illness'."""
    value = mark if isinstance(mark, dict) else mark_value(mark)
    kind = MarkKind(value["kind"])
    if kind == MarkKind.LATE:
        return f"Late ({value['late_minutes']} minutes)"
    if kind == MarkKind.ABSENT:
        assert value["reason"] is not None, "an absence always has a reason (MarkEntry.check)"
        reason = AbsenceReason(value["reason"])
        words = REASON_LABELS[reason].lower()
        return f"Absent: {value['reason_text']}" if reason == AbsenceReason.OTHER else f"Absent: {words}"
    return "Present"


@dataclass
class MarkResult:
    mark: AttendanceMark
    outcome: Outcome
    replaced: MarkValue | None = None  # an amendment's old value
    # What the mark says, kept as plain values when the result is made: after the batch commits, the mark's
    # attributes are expired, and reading each one back (the API answers with every code) is a query a mark.
    code: str = field(init=False)
    submitted_late: bool = field(init=False)

    def __post_init__(self) -> None:
        self.code = self.mark.code
        self.submitted_late = self.mark.submitted_late


# --- time ---------------------------------------------------------------------------------------------------------


def deadline(profile: ProviderProfile, day: date, session: str) -> datetime:
    """When the session's mark is due: the provider's agreed time on that day, in the school's time zone."""
    due: time = profile.am_marks_due if session == "AM" else profile.pm_marks_due
    return datetime.combine(day, due, tzinfo=school_zone())


def chase_time(profile: ProviderProfile, day: date, session: str) -> datetime:
    return deadline(profile, day, session) + timedelta(minutes=current_app.config["UNMARKED_GRACE_MINUTES"])


# --- what is expected ---------------------------------------------------------------------------------------------


def placements_on(
    provider_id: uuid.UUID | None = None,
    school_id: uuid.UUID | None = None,
    day: date | None = None,
    end: date | None = None,
    *,
    with_pupils: bool = False,
) -> list[Placement]:
    """Placements (of a provider, or of a school) that may expect sessions between day and end (`with_pupils`: each
    one's pupil loaded too, in one more query for all)."""
    end = end or day
    query = select(Placement).where(Placement.status.in_(COUNTING_STATUSES))
    if with_pupils:
        query = query.options(selectinload(Placement.pupil))
    if provider_id is not None:
        query = query.where(Placement.provider_id == provider_id)
    if school_id is not None:
        query = query.where(Placement.school_id == school_id)
    if day is not None:
        query = query.where(Placement.start_date <= end, (Placement.end_date.is_(None)) | (Placement.end_date >= day))
    return list(db.session.scalars(query))


def expected_sessions(
    placements: Iterable[Placement],
    start: date,
    end: date,
    *,
    days_by_school: Mapping[uuid.UUID, list[date]] | None = None,
) -> list[tuple[Placement, date, str]]:
    """Every (placement, day, session) expected from start to end: the school's days, narrowed by each timetable.
    `days_by_school` (school_days_of's answer for these days) when the caller has it already."""
    placements = list(placements)
    if days_by_school is None:
        # Each placement by its own school's calendar (a provider's pupils come from several): two queries for all.
        days_by_school = school_days_of({p.school_id for p in placements}, start, end)
    out = []
    for placement in placements:
        for day in days_by_school[placement.school_id]:
            for session in SESSIONS:
                if placement.expects(day, session):
                    out.append((placement, day, session))
    return out


@dataclass
class ProviderSessions:
    """What a provider's register (one day) and week grid (five) are drawn from."""

    placements: list[Placement]
    expected: list[tuple[Placement, date, str]]
    marks: dict[tuple[uuid.UUID, date, str], AttendanceMark]
    days_by_school: dict[uuid.UUID, list[date]]  # each school's own school days among them


def provider_sessions(provider_id: uuid.UUID, start: date, end: date) -> ProviderSessions:
    """A provider's placements that may expect sessions from start to end, from every school that placed pupils with
    it, with their pupils, the sessions each expects by its own school's calendar, and their marks: the same handful
    of queries however many schools and pupils there are."""
    placements = placements_on(provider_id=provider_id, day=start, end=end, with_pupils=True)
    days_by_school = school_days_of({p.school_id for p in placements}, start, end)
    return ProviderSessions(
        placements=placements,
        expected=expected_sessions(placements, start, end, days_by_school=days_by_school),
        marks=marks_for({p.id for p in placements}, start, end),
        days_by_school=days_by_school,
    )


def provider_register(
    provider_id: uuid.UUID, day: date, *, look_back_days: int = 42, names_only: bool = False
) -> tuple[ProviderSessions, date]:
    """provider_sessions for one day, and previous_school_day's answer for it, from the same queries: the placements
    (their pupils joined) and the schools' calendars are loaded once for the weeks before `day` and `day` itself, and
    the previous school day is found among them by stepping back from `day` (usually a day or three). `names_only`:
    of each pupil only what a provider's register shows (the names and the year group; nothing encrypted is read),
    for a register that is only drawn, not saved (saving reads more of a pupil, as an absence's alerts do)."""
    start = day - timedelta(days=look_back_days)
    pupil = joinedload(Placement.pupil, innerjoin=True)
    if names_only:
        pupil = pupil.load_only(Pupil.first_name, Pupil.last_name, Pupil.preferred_name, Pupil.year_group)
    everything = list(
        db.session.scalars(
            select(Placement)
            .options(pupil)
            .where(
                Placement.provider_id == provider_id,
                Placement.status.in_(COUNTING_STATUSES),
                Placement.start_date <= day,
                (Placement.end_date.is_(None)) | (Placement.end_date >= start),
            )
        )
    )
    calendars = {
        school_id: set(days)
        for school_id, days in school_days_of({p.school_id for p in everything}, start, day).items()
    }
    placements = [p for p in everything if p.start_date <= day and (p.end_date is None or p.end_date >= day)]
    days_by_school = {p.school_id: [day] if day in calendars[p.school_id] else [] for p in placements}
    found = ProviderSessions(
        placements=placements,
        expected=expected_sessions(placements, day, day, days_by_school=days_by_school),
        marks=marks_for({p.id for p in placements}, day, day),
        days_by_school=days_by_school,
    )
    return found, _previous_expected_day(everything, calendars, start, day)


def _previous_expected_day(
    placements: Sequence[Placement], calendars: Mapping[uuid.UUID, set[date]], start: date, day: date
) -> date:
    """previous_school_day, on placements and school days loaded from `start` to `day`."""
    before = day - timedelta(days=1)
    while before >= start:
        if any(
            before in calendars[p.school_id] and any(p.expects(before, session) for session in SESSIONS)
            for p in placements
        ):
            return before
        before -= timedelta(days=1)
    before = day - timedelta(days=1)
    while before.weekday() >= 5 or is_bank_holiday(before):
        before -= timedelta(days=1)
    return before


def closed_schools(
    placements: Iterable[Placement], day: date, days_by_school: Mapping[uuid.UUID, list[date]]
) -> dict[uuid.UUID, list[Placement]]:
    """A provider's register of one day, across the schools that placed pupils with it: the schools for which `day`
    is not a school day (a holiday, an INSET day, outside its terms) though some of their placements' timetables
    have a session on it, each with those placements. Their pupils are not expected that day; the register says so
    rather than leaving them out without a word."""
    closed: dict[uuid.UUID, list[Placement]] = {}
    for placement in placements:
        if (
            placement.status in COUNTING_STATUSES
            and day not in days_by_school.get(placement.school_id, ())
            and any(placement.expects(day, session) for session in SESSIONS)
        ):
            closed.setdefault(placement.school_id, []).append(placement)
    return closed


def previous_school_day(provider_id: uuid.UUID, day: date, *, look_back_days: int = 42) -> date:
    """The last day before `day` on which one of the provider's pupils was expected (so a Monday or a Sunday goes
    back to the Friday, and a half-term or a bank holiday is stepped over); with none in the weeks before, the
    weekday before that is not a bank holiday."""
    start, end = day - timedelta(days=look_back_days), day - timedelta(days=1)
    placements = placements_on(provider_id=provider_id, day=start, end=end)
    days = {expected_day for _, expected_day, _ in expected_sessions(placements, start, end)}
    if days:
        return max(days)
    before = end
    while before.weekday() >= 5 or is_bank_holiday(before):
        before -= timedelta(days=1)
    return before


def next_weekday(day: date) -> date:
    """The weekday after `day` (Friday, Saturday and Sunday go to Monday)."""
    after = day + timedelta(days=1)
    while after.weekday() >= 5:
        after += timedelta(days=1)
    return after


def is_expected(placement: Placement, day: date, session: str) -> bool:
    if placement.status not in COUNTING_STATUSES or not placement.expects(day, session):
        return False
    return any(True for _ in school_days(placement.school_id, day, day))


def marks_for(
    placement_ids: Iterable[uuid.UUID], start: date, end: date, *, for_update: bool = False
) -> dict[tuple[uuid.UUID, date, str], AttendanceMark]:
    """Marks keyed by (placement_id, day, session). `for_update`: to change them, so each row is locked (PostgreSQL;
    in id order, so two writers never wait on each other in a circle) and read as committed now, not as this
    session last saw it. SQLite's writers are already one at a time (extensions.begin_transaction_now)."""
    ids = list(placement_ids)
    if not ids:
        return {}
    query = select(AttendanceMark).where(
        AttendanceMark.placement_id.in_(ids), AttendanceMark.day >= start, AttendanceMark.day <= end
    )
    if for_update and db.session.get_bind().dialect.name == "postgresql":
        query = query.order_by(AttendanceMark.id).with_for_update().execution_options(populate_existing=True)
    rows = db.session.scalars(query)
    return {(m.placement_id, m.day, m.session): m for m in rows}


# --- recording -----------------------------------------------------------------------------------------------------


def session_words(day: date, session: str) -> str:
    """E.g. 'the AM session on Monday 30 November 2026'."""
    return f"the {session} session on {day_words(day)}"


def _checked_code(
    placement: Placement, day: date, session: str, entry: MarkEntry, *, today: date, expected: ExpectedCheck
) -> str:
    """The rules every mark meets before it is recorded; the statutory code it maps to. `expected(placement, day,
    session)` says whether the school expects the session (one query per call, or a batch's preloaded days)."""
    if session not in SESSIONS:
        raise RuleBroken("The session must be AM or PM", "session")
    entry.check()
    name = placement.pupil.known_as
    if day > today:
        raise RuleBroken(f"You cannot mark {name} for a day that has not happened yet", "day")
    if not expected(placement, day, session):
        raise RuleBroken(f"{name} is not expected at your provision for {session_words(day, session)}", "session")
    return register_code(LegalBasis(placement.legal_basis), entry.kind, entry.reason)


def profile_of(placement: Placement) -> ProviderProfile:
    """The placement's provider's profile: every provider organisation is made with one (people.invite_provider)."""
    profile = placement.provider.provider_profile
    assert profile is not None, "a provider organisation has a profile"
    return profile


def _new_mark(
    placement: Placement,
    day: date,
    session: str,
    entry: MarkEntry,
    code: str,
    *,
    by: User | None,
    source: str,
    now: datetime,
) -> AttendanceMark:
    return AttendanceMark(
        id=uuid.uuid4(),  # known before the insert, so the audit event and alerts can name it in the same flush
        placement_id=placement.id,
        school_id=placement.school_id,
        provider_id=placement.provider_id,
        pupil_id=placement.pupil_id,
        day=day,
        session=session,
        kind=entry.kind.value,
        late_minutes=entry.late_minutes,
        reason=entry.reason.value if entry.reason else None,
        reason_text=entry.reason_text,
        code=code,
        submitted_late=now > deadline(profile_of(placement), day, session),
        source=source,
        recorded_by_id=by.id if by else None,
        recorded_at=now,
    )


def _audit_created(mark: AttendanceMark, placement: Placement, *, by: User | None, source: str) -> None:
    audit.record(
        "attendance.marked",
        organisation=placement.provider,
        obj=mark,
        actor=by,
        day=mark.day.isoformat(),
        session=mark.session,
        code=mark.code,
        late=mark.submitted_late,
        source=source,
    )


def _compare_or_amend(
    existing: AttendanceMark,
    placement: Placement,
    entry: MarkEntry,
    code: str,
    *,
    why: str | None,
    by: User | None,
    source: str,
    now: datetime,
) -> MarkResult:
    """The session already has a mark: the same one changes nothing; a different one needs a reason and is kept
    as an amendment (old value, new value, why, who, when)."""
    old_value, new_value = mark_value(existing), entry.value(code)
    if old_value == new_value:
        return MarkResult(existing, Outcome.UNCHANGED)
    why = (why or "").strip()
    if not why:
        raise MarkConflict(
            f"{placement.pupil.known_as} is already marked {describe(existing).lower()} for "
            f"{session_words(existing.day, existing.session)}. To change it, give the reason for the amendment",
            existing,
        )
    if len(why) > 500:
        raise RuleBroken("The reason for the amendment must be 500 characters or fewer", "why")
    db.session.add(
        AttendanceAmendment(
            mark=existing,
            old_value=old_value,
            new_value=new_value,
            why=why,
            source=source,
            amended_by_id=by.id if by else None,
            amended_at=now,
        )
    )
    existing.kind = entry.kind.value
    existing.late_minutes = entry.late_minutes
    existing.reason = new_value["reason"]
    existing.reason_text = entry.reason_text
    existing.code = code
    existing.amended_at = now
    audit.record(
        "attendance.amended",
        organisation=placement.provider,
        obj=existing,
        actor=by,
        day=existing.day.isoformat(),
        session=existing.session,
        old_code=old_value["code"],
        new_code=code,
        source=source,
    )
    return MarkResult(existing, Outcome.AMENDED, replaced=old_value)


def apply_mark(
    placement: Placement,
    day: date,
    session: str,
    entry: MarkEntry,
    *,
    by: User | None,
    source: str = "web",
    why: str | None = None,
    now: datetime | None = None,
) -> MarkResult:
    """Record one session's mark in the current transaction (no commit). Raises RuleBroken, or MarkConflict for a
    different mark without a reason."""
    session = (session or "").upper()
    now = now or utcnow()
    code = _checked_code(placement, day, session, entry, today=local_now(now).date(), expected=is_expected)
    begin_transaction_now()
    audit.lock_chain()  # the head, then the mark: the order every writer of marks takes its locks in (apply_marks)
    existing = _existing(placement, day, session)
    if existing is None:
        mark = _new_mark(placement, day, session, entry, code, by=by, source=source, now=now)
        try:
            with savepoint():
                db.session.add(mark)
        except IntegrityError:
            # Someone else marked the same session a moment ago: carry on as if we had found their mark.
            existing = _existing(placement, day, session)
            if existing is None:  # pragma: no cover - the constraint fired, so the row is there
                raise
        else:
            _audit_created(mark, placement, by=by, source=source)
            attendance_alerts.mark_recorded(mark, placement, now=now)
            return MarkResult(mark, Outcome.CREATED)
    result = _compare_or_amend(existing, placement, entry, code, why=why, by=by, source=source, now=now)
    if result.outcome == Outcome.AMENDED:
        assert result.replaced is not None, "an amendment keeps the value it replaced"
        attendance_alerts.mark_amended(existing, placement, result.replaced, now=now)
        attendance_alerts.mark_recorded(existing, placement, now=now)
    return result


@dataclass
class PlannedMark:
    """One mark of a batch (the week grid, a CSV file, an API call)."""

    placement: Placement
    day: date
    session: str
    entry: MarkEntry
    why: str | None = None


class BatchClash(Exception):
    """Another request marked one of the batch's sessions at the same moment. Roll back and run the batch again:
    the second time its marks are found and compared like any other. `created` are the positions (in the batch)
    of the marks it was inserting, one of which met the other request's (shared.services.attendance.batch
    .save_marks retries once, then names them)."""

    def __init__(self, message: str, created: Sequence[int] = ()):
        super().__init__(message)
        self.created = list(created)


def apply_marks(
    planned: Sequence[PlannedMark], *, by: User | None, source: str, now: datetime | None = None
) -> list[MarkResult | RuleBroken]:
    """Many marks in the current transaction (no commit), with the same rules as apply_mark, and for each its
    result or the RuleBroken (a MarkConflict included) it met: the caller rolls back unless it wants them all.

    The lookups are made once for the batch (its existing marks, each school's days, the open unmarked alerts) and
    the new marks are inserted in one flush, so a batch costs a handful of queries rather than several per mark.
    Raises BatchClash if a concurrent request inserted one of the same sessions first (the caller rolls back and
    may try again: shared.services.attendance.batch.save_marks does, once)."""
    now = now or utcnow()
    begin_transaction_now()
    if not planned:
        return []
    placement_ids = {item.placement.id for item in planned}
    first, last = min(item.day for item in planned), max(item.day for item in planned)
    # Locks in one order for every writer of marks: the audit chain's head, then the marks (each amendment then
    # records the value it replaced, and a mark's writer never waits on the head while holding a mark).
    audit.lock_chain()
    existing = marks_for(placement_ids, first, last, for_update=True)
    days = {
        school_id: set(found)
        for school_id, found in school_days_of({i.placement.school_id for i in planned}, first, last).items()
    }
    open_unmarked = attendance_alerts.open_unmarked_alerts(placement_ids, first, last)

    def expected(placement: Placement, day: date, session: str) -> bool:
        return (
            placement.status in COUNTING_STATUSES
            and placement.expects(day, session)
            and day in days[placement.school_id]
        )

    today = local_now(now).date()
    results: list[MarkResult | RuleBroken] = []
    absences: list[tuple[AttendanceMark, Placement]] = []
    amended: list[tuple[AttendanceMark, Placement, MarkValue]] = []
    created: list[int] = []
    # No autoflush while the batch is built: a lazy load (a pupil's name, say) would otherwise flush the new marks
    # outside the savepoint below, and a concurrent duplicate would surface there as an error, not a BatchClash.
    with db.session.no_autoflush:
        for index, item in enumerate(planned):
            session = (item.session or "").upper()
            key = (item.placement.id, item.day, session)
            try:
                code = _checked_code(item.placement, item.day, session, item.entry, today=today, expected=expected)
                if key in existing:
                    result = _compare_or_amend(
                        existing[key], item.placement, item.entry, code, why=item.why, by=by, source=source, now=now
                    )
                else:
                    mark = _new_mark(item.placement, item.day, session, item.entry, code, by=by, source=source, now=now)
                    db.session.add(mark)
                    _audit_created(mark, item.placement, by=by, source=source)
                    existing[key] = mark
                    created.append(index)
                    result = MarkResult(mark, Outcome.CREATED)
            except RuleBroken as exc:
                results.append(exc)
                continue
            results.append(result)
            if result.outcome != Outcome.UNCHANGED:
                alert = open_unmarked.pop(key, None)
                if alert is not None:
                    alert.resolved_at, alert.mark_id = now, result.mark.id
                if result.replaced is not None:
                    amended.append((result.mark, item.placement, result.replaced))
                if result.mark.kind == MarkKind.ABSENT:
                    absences.append((result.mark, item.placement))
    if created:
        try:
            with savepoint():
                db.session.flush()
        except IntegrityError as exc:
            raise BatchClash("a session of the batch was marked by someone else at the same moment", created) from exc
    # Alerts of an amended absence are corrected (and those told of it are told) before any new absence is told.
    for mark, placement, replaced in amended:
        attendance_alerts.mark_amended(mark, placement, replaced, now=now)
    for mark, placement in absences:
        attendance_alerts.mark_recorded(mark, placement, now=now)
    return results


def _existing(placement: Placement, day: date, session: str) -> AttendanceMark | None:
    query = select(AttendanceMark).where(
        AttendanceMark.placement_id == placement.id, AttendanceMark.day == day, AttendanceMark.session == session
    )
    if db.session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    return db.session.scalar(query)


def record_mark(placement: Placement, day: date, session: str, entry: MarkEntry, **kwargs: Any) -> MarkResult:
    """One mark, committed (or nothing, on a RuleBroken). `kwargs` are apply_mark's (by, source, why, now)."""
    try:
        result = apply_mark(placement, day, session, entry, **kwargs)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return result


# --- figures -------------------------------------------------------------------------------------------------------


def attendance_counts(kinds: Iterable[str]) -> tuple[int, int]:
    """(sessions marked, sessions attended) from the provider's marks: present or late is attended. Judged by the
    marks, not the register codes: under dual registration every session is D, present or not. Sessions the
    provider has not marked are not counted (the screens show them as missing instead)."""
    possible = attended = 0
    for kind in kinds:
        possible += 1
        attended += kind in ATTENDED_KINDS
    return possible, attended


def attendance_percent(kinds: Iterable[str]) -> float | None:
    """Attendance at the provider as a percentage of the sessions it marked, or None when it marked none."""
    possible, attended = attendance_counts(kinds)
    return round(100 * attended / possible, 1) if possible else None


PERSISTENT_ABSENCE_BELOW = 90.0


def record_history(placement: Placement, planned: Sequence[tuple[date, str, MarkEntry, datetime]]) -> None:
    """A run of one placement's marks, each (day, session, entry, at) recorded as if sent by the provider at its own
    time `at`, in the current transaction (no commit): the rows apply_mark would write for each, in the same order
    (the mark, its audit event, and for an absence its alert, e-mails and notifications), with the lookups made once
    for the run as apply_marks makes them for a batch, and the marks flushed together. Loading a term of history
    (the demo's) takes a fraction of the time of an apply_mark per mark. A session marked already goes through
    apply_mark (compared, or amended)."""
    if not planned:
        return
    first, last = min(item[0] for item in planned), max(item[0] for item in planned)
    begin_transaction_now()
    audit.lock_chain()
    existing = marks_for([placement.id], first, last)
    days = set(school_days_of([placement.school_id], first, last)[placement.school_id])
    open_unmarked = attendance_alerts.open_unmarked_alerts([placement.id], first, last)

    def expected(placement: Placement, day: date, session: str) -> bool:
        return placement.status in COUNTING_STATUSES and placement.expects(day, session) and day in days

    for day, session, entry, at in planned:
        key = (placement.id, day, session)
        if key in existing:
            apply_mark(placement, day, session, entry, by=None, source="web", now=at)
            continue
        code = _checked_code(placement, day, session, entry, today=local_now(at).date(), expected=expected)
        mark = _new_mark(placement, day, session, entry, code, by=None, source="web", now=at)
        db.session.add(mark)
        existing[key] = mark
        _audit_created(mark, placement, by=None, source="web")
        # attendance_alerts.mark_recorded, with the "not marked" alert looked up above; it is called for an absence.
        unmarked = open_unmarked.pop(key, None)
        if unmarked is not None:
            unmarked.resolved_at, unmarked.mark_id = at, mark.id
        if mark.kind == MarkKind.ABSENT:
            attendance_alerts.mark_recorded(mark, placement, now=at)
