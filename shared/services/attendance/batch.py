"""Many marks at once, all or nothing, from any channel; and the portal's CSV upload.

A provider never knows a pupil's UPN, so a pupil is named in a file by the placement's reference: the first
8 characters of the placement id, upper-cased (e.g. 1A2B3C4D). The portal's register and week grid show it
beside each name, and the template CSV is filled in with it, so nobody has to type it. It belongs to the
placement, not the pupil, so it says nothing about the child and cannot reach another provider's pupil: a
reference is only looked up among this provider's own placements.

`save_marks` is how every channel that sends many marks at once saves them: the portal's register (a day's
pupils, both sessions, one Save) and week grid, the CSV upload here, and the JSON API (api/views.py). Every
mark goes through attendance.apply_marks (codes, deadlines, amendments, alerts, the same rules as apply_mark);
each entry is tried, every problem is collected, nothing is kept unless every entry was accepted, and a clash with
another request is handled the same way for all.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Generic, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from shared import audit
from shared.csv_safety import spreadsheet_safe
from shared.extensions import db
from shared.models import AttendanceMark, Organisation, Placement, User, utcnow
from shared.services.attendance import marks as attendance
from shared.services.errors import Problems, RuleBroken
from shared.services.school_calendar.days import SESSIONS
from shared.text import clean, one_line

REF_LENGTH = 8
MAX_CSV_BYTES = 2 * 1024 * 1024
MAX_CSV_ROWS = 5000

# The columns of the upload, in order, with what goes in each: shown on the upload page and used for the template.
CSV_COLUMNS: list[tuple[str, bool, str]] = [
    ("pupil_ref", True, "The pupil's reference from the attendance pages, like 1A2B3C4D."),
    ("pupil_name", False, "The pupil's name. Optional; if it is filled in, it must match the reference."),
    ("date", True, "The day, like 2026-11-30 or 30/11/2026."),
    ("session", True, "AM or PM."),
    ("mark", True, "present, late or absent. A row with no mark is left out, so you can fill in the week as it goes."),
    ("late_minutes", False, "For late: how many minutes late, like 15."),
    ("reason", False, "For absent: illness, medical appointment, excluded (or suspended), unexplained or other."),
    ("reason_text", False, "For an absence with the reason 'other': what the reason is."),
    ("amendment_reason", False, "Only to change a mark already sent: why it is changing."),
]
# A provider working with more than one school gets a column saying each pupil's school, after the name.
SCHOOL_COLUMN = (
    "school",
    False,
    "The pupil's school (only when you work with more than one). Optional; if it is filled in, it must match the "
    "reference.",
)
REQUIRED_COLUMNS = [name for name, required, _ in CSV_COLUMNS if required]
KNOWN_COLUMNS = {name for name, _, _ in CSV_COLUMNS} | {SCHOOL_COLUMN[0]}


def columns_for(school_names: dict[uuid.UUID, str]) -> list[tuple[str, bool, str]]:
    """The file's columns for a provider: with the school column when it works with several schools
    (school_names is providers.lists.school_labels's answer)."""
    if not school_names:
        return list(CSV_COLUMNS)
    return [*CSV_COLUMNS[:2], SCHOOL_COLUMN, *CSV_COLUMNS[2:]]


# Words people write for each absence reason, to the shared.attendance_codes.AbsenceReason value.
REASON_WORDS = {
    "illness": "illness",
    "ill": "illness",
    "sick": "illness",
    "medical_appointment": "medical_appointment",
    "medical": "medical_appointment",
    "medical_or_dental_appointment": "medical_appointment",
    "appointment": "medical_appointment",
    "excluded": "excluded",
    "suspended": "excluded",
    "excluded_or_suspended": "excluded",
    "unexplained": "unexplained",
    "other": "other",
}


def pupil_ref(placement: Placement) -> str:
    return placement.id.hex[:REF_LENGTH].upper()


def provider_placements(provider_id: uuid.UUID) -> list[Placement]:
    """Placements whose sessions this provider may mark (running, or ended for the days before they ended), from
    every school it works with, with their pupils and schools (a fixed number of queries however many)."""
    return list(
        db.session.scalars(
            select(Placement)
            .where(Placement.provider_id == provider_id, Placement.status.in_(attendance.COUNTING_STATUSES))
            .options(selectinload(Placement.pupil), selectinload(Placement.school))
        )
    )


def find_by_ref(placements: Iterable[Placement], ref: str) -> Placement:
    ref = (ref or "").strip().upper().replace("-", "")
    if len(ref) < REF_LENGTH:
        raise RuleBroken(f"Enter the pupil's reference: {REF_LENGTH} letters and numbers, like 1A2B3C4D", "pupil_ref")
    found = [p for p in placements if p.id.hex.upper().startswith(ref)]
    if not found:
        raise RuleBroken(f"No pupil placed with you has the reference {ref[:32]}", "pupil_ref")
    if len(found) > 1:  # pragma: no cover - 8 hex characters of random ids almost never collide
        raise RuleBroken(f"More than one pupil has a reference starting {ref}: use more of it", "pupil_ref")
    return found[0]


def parse_day(text: str) -> date:
    text = (text or "").strip()
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise RuleBroken("Enter the date like 2026-11-30 or 30/11/2026", "date")


def parse_session(text: str) -> str:
    session = (text or "").strip().upper()
    if session not in SESSIONS:
        raise RuleBroken("The session must be AM or PM", "session")
    return session


def parse_reason(text: str | None) -> str | None:
    words = "_".join((text or "").strip().lower().replace("-", " ").split())
    if not words:
        return None
    return REASON_WORDS.get(words, words)  # an unknown word gets MarkEntry.parse's message


# --- applying many marks -------------------------------------------------------------------------------------------


# What a batch's entries are known by: a grid cell's field name (str), a CSV row number (int).
Key = TypeVar("Key")


@dataclass
class BatchEntry(Generic[Key]):
    """One mark of a batch, with a key to hang its problem on (a grid cell's field name, a CSV row number, an API
    item's index)."""

    key: Key
    placement: Placement
    day: date
    session: str
    entry: attendance.MarkEntry
    why: str | None = None


class MarkClash(RuleBroken):
    """Another request marked this session at the same moment as the batch, twice running: nothing was saved.
    `existing` is the mark it recorded (None if it has gone again)."""

    def __init__(self, message: str, existing: AttendanceMark | None):
        super().__init__(message, "session")
        self.existing = existing


@dataclass
class BatchResult(Generic[Key]):
    results: list[tuple[Key, attendance.MarkResult]] = field(default_factory=list)  # (key, result), in order
    problems: list[tuple[Key, RuleBroken]] = field(default_factory=list)  # (key, problem), in order

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def clashed(self) -> bool:
        """Nothing was saved because other requests kept marking the same sessions (MarkClash problems)."""
        return any(isinstance(problem, MarkClash) for _, problem in self.problems)

    def count(self, outcome: attendance.Outcome) -> int:
        return sum(1 for _, result in self.results if result.outcome == outcome)


def repeated_sessions(entries: Iterable[BatchEntry[Key]]) -> list[tuple[BatchEntry[Key], Key]]:
    """Entries for a session an earlier entry is already for, each with that earlier entry's key: a batch names
    each session once, and each channel says so in its own words."""
    first: dict[tuple[uuid.UUID, date, str], Key] = {}
    repeats: list[tuple[BatchEntry[Key], Key]] = []
    for item in entries:
        key = (item.placement.id, item.day, (item.session or "").upper())
        if key in first:
            repeats.append((item, first[key]))
        else:
            first[key] = item.key
    return repeats


def save_marks(
    entries: Iterable[BatchEntry[Key]],
    *,
    by: User | None,
    source: str,
    now: datetime | None = None,
    conflict: Callable[[attendance.MarkConflict], str] | None = None,
    on_success: Callable[[], object] | None = None,
    keep: bool = True,
) -> BatchResult[Key]:
    """Many marks from any channel (the week grid, a CSV file, the API), all or nothing: every entry is tried with
    attendance.apply_marks in the current transaction and every problem collected, each against its entry's key.
    Nothing is kept unless all were accepted (roll back); otherwise `on_success` runs (e.g. its audit event) and
    the transaction is committed.

    `conflict` words the message for a changed mark without a reason, for the page or file it came from (the
    problem stays a MarkConflict for the API, which sends the existing mark back). keep=False only checks: it
    rolls back whatever happens (the caller already knows of a problem elsewhere and wants every other one too).

    A clash (another request inserted one of the same sessions at the same moment) is rolled back and the batch
    run once more, when that mark is found and compared like any other. If it clashes again, nothing is saved and
    each entry whose session was taken gets a MarkClash."""
    entries = list(entries)
    now = now or utcnow()
    planned = [attendance.PlannedMark(e.placement, e.day, e.session, e.entry, e.why) for e in entries]
    for attempt in (1, 2):
        try:
            outcomes = attendance.apply_marks(planned, by=by, source=source, now=now)
            break
        except attendance.BatchClash as clash:
            db.session.rollback()
            if attempt == 2:
                return _clashes(entries, clash.created)
    result: BatchResult[Key] = BatchResult()
    for item, outcome in zip(entries, outcomes, strict=True):
        if isinstance(outcome, attendance.MarkConflict) and conflict is not None:
            result.problems.append((item.key, _reworded(outcome, conflict(outcome))))
        elif isinstance(outcome, RuleBroken):
            result.problems.append((item.key, outcome))
        else:
            result.results.append((item.key, outcome))
    if result.problems or not keep:
        db.session.rollback()
        return result
    if on_success is not None:
        on_success()
    db.session.commit()
    return result


def _reworded(exc: attendance.MarkConflict, message: str) -> attendance.MarkConflict:
    reworded = attendance.MarkConflict(message, exc.existing)
    reworded.field = exc.field
    return reworded


def _clashes(entries: list[BatchEntry[Key]], created: list[int]) -> BatchResult[Key]:
    """The result of a batch that clashed twice (already rolled back): a MarkClash for each entry it was inserting
    whose session now has someone else's mark (every one it was inserting, if none can be found)."""
    inserting = [entries[i] for i in created] or entries
    first, last = min(e.day for e in inserting), max(e.day for e in inserting)
    now_there = attendance.marks_for({e.placement.id for e in inserting}, first, last)
    taken = [e for e in inserting if (e.placement.id, e.day, e.session.upper()) in now_there] or inserting
    result: BatchResult[Key] = BatchResult()
    for item in taken:
        result.problems.append(
            (
                item.key,
                MarkClash(
                    f"{item.placement.pupil.known_as} was marked for "
                    f"{attendance.session_words(item.day, item.session.upper())} by someone else at the same moment. "
                    "Nothing was saved: try again",
                    now_there.get((item.placement.id, item.day, item.session.upper())),
                ),
            )
        )
    return result


def already_marked(exc: attendance.MarkConflict) -> str:
    """The conflict's first sentence ('Ava Example is already marked present for the AM session on ...'), for
    pages and files that ask for the reason their own way."""
    return str(exc).split(". To change it", 1)[0]


# --- the CSV upload ------------------------------------------------------------------------------------------------


class ImportRefused(RuleBroken):
    """The file as a whole, or some of its rows, could not be accepted; nothing was saved."""

    def __init__(self, message: str, row_problems: list[str] | None = None):
        super().__init__(message, "file")
        self.row_problems = row_problems or []


def read_csv(data: bytes) -> list[tuple[int, dict[str, str]]]:
    """The rows of a UTF-8 CSV file (a byte-order mark is fine) as (row number, {column: value}) pairs."""
    if len(data) > MAX_CSV_BYTES:
        raise ImportRefused(f"The file must be {MAX_CSV_BYTES // (1024 * 1024)} MB or smaller")
    if not data.strip():
        raise ImportRefused("The file is empty")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportRefused(
            "The file must be a CSV file saved as UTF-8. In Excel, choose Save As, then 'CSV UTF-8 (Comma delimited)'"
        ) from None
    if "\x00" in text:
        raise ImportRefused("The file must be a CSV file, not a spreadsheet or another kind of file")
    try:
        reader = csv.reader(io.StringIO(text, newline=""))
        header = next(reader, [])
        names = [h.strip().lower() for h in header]
        missing = [name for name in REQUIRED_COLUMNS if name not in names]
        if missing:
            raise ImportRefused(
                "The first row must name the columns. Missing: " + ", ".join(missing) + ". Download the template to see"
            )
        rows: list[tuple[int, dict[str, str]]] = []
        for values in reader:
            if not any(v.strip() for v in values):
                continue
            if len(rows) >= MAX_CSV_ROWS:
                raise ImportRefused(f"The file has more than {MAX_CSV_ROWS} rows: split it into smaller files")
            row = {name: value for name, value in zip(names, values, strict=False) if name in KNOWN_COLUMNS}
            rows.append((reader.line_num, row))
    except csv.Error:
        raise ImportRefused(
            "The file could not be read as a CSV file. Download the template and start from that"
        ) from None
    if not rows:
        raise ImportRefused("The file has no rows of marks under its first row")
    return rows


def _entry_from_row(number: int, row: dict[str, str], placements: list[Placement]) -> BatchEntry[int]:
    """The row's mark, or RuleBroken listing every problem the row has (RulesBroken when several)."""
    found = Problems()
    placement = found.attempt(lambda: find_by_ref(placements, row.get("pupil_ref", "")))
    named = one_line((row.get("pupil_name") or "").lstrip("'")).lower()
    if (
        placement is not None
        and named
        and named
        not in {
            placement.pupil.known_as.lower(),
            placement.pupil.full_name.lower(),
        }
    ):
        found.add(
            f"The reference {pupil_ref(placement)} is not the pupil named '{row['pupil_name'][:60]}'", "pupil_name"
        )
    school = one_line((row.get("school") or "").lstrip("'")).lower()
    if placement is not None and school and school != placement.school.name.lower():
        found.add(
            f"The reference {pupil_ref(placement)} is not a pupil of the school named '{row['school'][:60]}'", "school"
        )
    entry = found.attempt(
        lambda: attendance.MarkEntry.parse(
            row.get("mark"),
            row.get("late_minutes") or None,
            parse_reason(row.get("reason")),
            row.get("reason_text"),
        )
    )
    day = found.attempt(lambda: parse_day(row.get("date", "")))
    session = found.attempt(lambda: parse_session(row.get("session", "")))
    found.raise_any()
    assert placement is not None and entry is not None and day is not None and session is not None
    return BatchEntry(
        key=number,
        placement=placement,
        day=day,
        session=session,
        entry=entry,
        why=clean(row.get("amendment_reason")),
    )


def import_marks(provider: Organisation, data: bytes, *, by: User) -> BatchResult[int]:
    """Every row of the file, or none: raises ImportRefused listing each bad row ('Row 4: ...')."""
    rows = read_csv(data)
    placements = provider_placements(provider.id)
    problems: list[tuple[int, str]] = []  # (row number, message): every problem, a clash included, has its row
    entries: list[BatchEntry[int]] = []
    for number, row in rows:
        if not (row.get("mark") or "").strip():
            continue  # a row of the template not filled in yet: that session is left for later
        try:
            entries.append(_entry_from_row(number, row, placements))
        except RuleBroken as exc:
            problems.extend((number, f"Row {number}: {problem}") for problem in exc.problems)
    for item, first in repeated_sessions(entries):
        problems.append((item.key, f"Row {item.key}: The same pupil and session as row {first}"))
        entries.remove(item)
    if not entries and not problems:
        raise ImportRefused("No row of the file has a mark in it, so there was nothing to save")
    # Every row is tried, even when some could not be read, so one upload lists every problem in the file.
    result = save_marks(
        entries,
        by=by,
        source="csv",
        conflict=lambda exc: f"{already_marked(exc)}. To change it, fill in amendment_reason",
        on_success=lambda: audit.record("attendance.imported", organisation=provider, actor=by, count=len(entries)),
        keep=not problems,
    )
    problems += [(key, f"Row {key}: {exc}") for key, exc in result.problems]
    if problems:
        messages = [message for _, message in sorted(problems, key=lambda p: p[0])]
        raise ImportRefused(_refusal(len({number for number, _ in problems})), messages)
    return result


def _refusal(bad_rows: int) -> str:
    rows = "1 row has a problem" if bad_rows == 1 else f"{bad_rows} rows have problems"
    return f"Nothing was saved: {rows}. Correct the file and upload it again"


# --- the template ---------------------------------------------------------------------------------------------------


def template_csv(provider_id: uuid.UUID, start: date, end: date, school_names: dict[uuid.UUID, str]) -> str:
    """This week's expected sessions, one row each, ready to fill in (marks already sent are filled in), each
    pupil's by its own school's calendar; with each pupil's school when the provider works with several
    (`school_names`, providers.lists.school_labels's answer)."""
    found = attendance.provider_sessions(provider_id, start, end)
    expected, marks = found.expected, found.marks
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([name for name, _, _ in columns_for(school_names)])
    for placement, day, session in sorted(expected, key=lambda e: (e[0].pupil.known_as, e[1], e[2])):
        mark = marks.get((placement.id, day, session))
        reason = (mark.reason or "") if mark else ""
        school = [spreadsheet_safe(school_names[placement.school_id])] if school_names else []
        writer.writerow(
            [
                pupil_ref(placement),
                spreadsheet_safe(placement.pupil.known_as),
                *school,
                day.isoformat(),
                session,
                mark.kind if mark else "",
                (mark.late_minutes or "") if mark else "",
                reason.replace("_", " "),
                spreadsheet_safe(mark.reason_text or "") if mark else "",
                "",
            ]
        )
    return out.getvalue()
