"""The attendance API: the day's expected sessions, posting marks in bulk, reading marks back, and the OpenAPI
document. Everything is scoped to the token's provider: another provider's placement looks like one that does not
exist. The rules are shared.services.attendance.marks's, the same as the portal's pages and the CSV upload.

A provider sees only a pupil's name and year group here: never the UPN or anything else from the pupil record.
"""

from __future__ import annotations

import uuid
from datetime import date

from flask import jsonify, request

from api import bp, current_token, error_response
from api.openapi import document
from shared.auth.access import API_TOKEN, PUBLIC, access
from shared.display import plural
from shared.models import AttendanceMark, Pupil, utcnow
from shared.services.attendance import provider_systems
from shared.services.attendance.batch import BatchEntry, MarkClash, repeated_sessions, save_marks
from shared.services.attendance.marks import (
    MarkConflict,
    MarkEntry,
    deadline,
    expected_sessions,
    local_now,
    marks_for,
    placements_on,
)
from shared.services.errors import RuleBroken
from shared.services.providers.lists import school_names_of_provider
from shared.services.school_calendar.days import SESSIONS

MAX_MARKS_PER_REQUEST = 500
MAX_RANGE_DAYS = 31
MAX_BODY_BYTES = 1024 * 1024  # 500 marks with long reasons fit in well under this
# apply_mark's field names -> this API's.
FIELD_NAMES = {"kind": "mark", "day": "date", "why": "amendment_reason"}


def _pupil(pupil: Pupil) -> dict:
    """All a provider's system gets of the pupil record."""
    return {"name": pupil.known_as, "year_group": pupil.year_group}


def _school(school_id: uuid.UUID, names: dict[uuid.UUID, str]) -> dict:
    """The school a pupil's marks go to (a provider may work with several)."""
    return {"id": str(school_id), "name": names.get(school_id, "")}


def _mark(mark: AttendanceMark) -> dict:
    return {
        "mark": mark.kind,
        "late_minutes": mark.late_minutes,
        "reason": mark.reason,
        "reason_text": mark.reason_text,
        "code": mark.code,
        "submitted_late": mark.submitted_late,
        "recorded_at": mark.recorded_at.isoformat(),
        "amended_at": mark.amended_at.isoformat() if mark.amended_at else None,
        "source": mark.source,
    }


def _date_arg(name: str, default: date) -> date:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise RuleBroken(f"'{name}' must be a date written YYYY-MM-DD, like 2026-11-30", name) from None


def _invalid(message: str, field: str):
    return error_response(422, message, errors=[{"index": None, "field": field, "message": message}])


@bp.get("/openapi.json")
@access(PUBLIC)
def openapi():
    return jsonify(document())


@bp.get("/sessions")
@access(API_TOKEN)
def sessions():
    provider_id = current_token().organisation_id
    try:
        day = _date_arg("date", local_now().date())
    except RuleBroken as exc:
        return _invalid(str(exc), exc.field)
    placements = placements_on(provider_id=provider_id, day=day)
    provider_systems.load_pupils(placements)
    schools = school_names_of_provider(provider_id)
    profile = provider_systems.provider_profile(provider_id)
    marks = marks_for([p.id for p in placements], day, day)
    expected = sorted(
        expected_sessions(placements, day, day), key=lambda e: (e[0].pupil.last_name, e[0].pupil.first_name, e[2])
    )
    return jsonify(
        date=day.isoformat(),
        sessions=[
            {
                "placement_id": str(placement.id),
                "pupil": _pupil(placement.pupil),
                "school": _school(placement.school_id, schools),
                "date": day.isoformat(),
                "session": session,
                "deadline": deadline(profile, day, session).isoformat(),
                "mark": _mark(marks[key]) if (key := (placement.id, day, session)) in marks else None,
            }
            for placement, day, session in expected
        ],
    )


@bp.get("/marks")
@access(API_TOKEN)
def list_marks():
    provider_id = current_token().organisation_id
    today = local_now().date()
    try:
        start = _date_arg("from", today)
        end = _date_arg("to", start)
    except RuleBroken as exc:
        return _invalid(str(exc), exc.field)
    if end < start:
        return _invalid("'to' must be the same day as 'from' or later", "to")
    if (end - start).days + 1 > MAX_RANGE_DAYS:
        return _invalid(f"Ask for {MAX_RANGE_DAYS} days or fewer at a time", "to")
    rows = provider_systems.marks_with_pupils(provider_id, start, end)
    schools = school_names_of_provider(provider_id)
    return jsonify(
        {
            "from": start.isoformat(),
            "to": end.isoformat(),
            "marks": [
                {
                    "placement_id": str(mark.placement_id),
                    "pupil": _pupil(pupil),
                    "school": _school(mark.school_id, schools),
                    "date": mark.day.isoformat(),
                    "session": mark.session,
                    **_mark(mark),
                }
                for mark, pupil in rows
            ],
        }
    )


# --- posting marks ---------------------------------------------------------------------------------------------------


class _ItemProblem(Exception):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


class _ItemProblems(Exception):
    """Every problem of one item, each an _ItemProblem."""

    def __init__(self, problems: list[_ItemProblem]):
        super().__init__(str(problems[0]))
        self.problems = problems


def _text(item: dict, name: str) -> str | None:
    value = item.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise _ItemProblem(name, f"'{name}' must be text")
    return value


def _parse_item(item, placements: dict) -> tuple:
    """(placement, day, session, entry, amendment reason) from one item, or _ItemProblems with every problem the
    item has (one per field)."""
    if not isinstance(item, dict):
        raise _ItemProblems([_ItemProblem("", "Each mark must be an object with placement_id, date, session and mark")])
    found: list[_ItemProblem] = []

    def attempt(read):
        try:
            return read()
        except _ItemProblem as problem:
            found.append(problem)
        except RuleBroken as exc:
            found.extend(_ItemProblem(FIELD_NAMES.get(p.field, p.field), str(p)) for p in exc.problems)
        return None

    placement = attempt(lambda: _placement_of(item, placements))
    day = attempt(lambda: _day_of(item))
    session = attempt(lambda: _session_of(item))
    late_minutes = item.get("late_minutes")
    if late_minutes is not None and (isinstance(late_minutes, bool) or not isinstance(late_minutes, int | str)):
        found.append(_ItemProblem("late_minutes", "'late_minutes' must be a whole number, like 15"))
        late_minutes = None
    entry = attempt(
        lambda: MarkEntry.parse(_text(item, "mark"), late_minutes, _text(item, "reason"), _text(item, "reason_text"))
    )
    why = attempt(lambda: _text(item, "amendment_reason"))
    if found:
        raise _ItemProblems(found)
    return placement, day, session, entry, why


def _placement_of(item: dict, placements: dict):
    try:
        placement_id = uuid.UUID(str(item.get("placement_id") or ""))
    except ValueError:
        raise _ItemProblem("placement_id", "'placement_id' must be the id of one of your placements") from None
    placement = placements.get(placement_id)
    if placement is None:
        raise _ItemProblem("placement_id", "There is no placement with this id at your provision")
    return placement


def _day_of(item: dict) -> date:
    try:
        return date.fromisoformat(_text(item, "date") or "")
    except ValueError:
        raise _ItemProblem("date", "'date' must be a date written YYYY-MM-DD, like 2026-11-30") from None


def _session_of(item: dict) -> str:
    session = (_text(item, "session") or "").strip().upper()
    if session not in SESSIONS:
        raise _ItemProblem("session", "'session' must be AM or PM")
    return session


def _read_marks_body():
    """The list of items, or an error response."""
    if (request.content_length or 0) > MAX_BODY_BYTES:
        return None, error_response(413, f"Send at most {MAX_BODY_BYTES // 1024} KB in one request.")
    body = request.get_json(silent=True)
    marks = body.get("marks") if isinstance(body, dict) else None
    if not isinstance(marks, list) or not marks:
        return None, _invalid(
            'The body must be JSON like {"marks": [{"placement_id": ..., "date": ..., "session": ..., "mark": ...}]}',
            "marks",
        )
    if len(marks) > MAX_MARKS_PER_REQUEST:
        return None, _invalid(f"Send at most {MAX_MARKS_PER_REQUEST} marks in one request", "marks")
    return marks, None


def _own_placements(items: list) -> dict:
    """The token's provider's placements named in the items, by id (one query)."""
    ids = set()
    for item in items:
        if isinstance(item, dict):
            try:
                ids.add(uuid.UUID(str(item.get("placement_id") or "")))
            except ValueError:
                continue
    return provider_systems.own_placements(current_token().organisation_id, ids)


@bp.post("/marks")
@access(API_TOKEN)
def post_marks():
    """All or nothing: every item is checked, then saved with attendance.batch.save_marks (the same as the week grid
    and the CSV upload) in one transaction. Any invalid item: 422 and nothing saved. Any item that would change a
    different existing mark without an amendment_reason: 409 and nothing saved; likewise, with each item named, a
    session that other requests kept marking at the same moment (after one retry). Sending the same marks again is
    harmless: they come back "unchanged"."""
    items, refusal = _read_marks_body()
    if refusal is not None:
        return refusal
    placements = _own_placements(items)
    entries, errors = [], []
    for index, item in enumerate(items):
        try:
            entries.append(BatchEntry(index, *_parse_item(item, placements)))
        except _ItemProblems as problems:
            errors.extend(
                {"index": index, "field": problem.field, "message": str(problem)} for problem in problems.problems
            )
    for repeat, first in repeated_sessions(entries):
        errors.append(
            {"index": repeat.key, "field": "session", "message": f"This session is also item {first}: send it once"}
        )
        entries.remove(repeat)
    if errors:
        return _refuse_items(sorted(errors, key=lambda e: e["index"]))

    result = save_marks(entries, by=None, source="api", now=utcnow())
    by_index = {entry.key: entry for entry in entries}

    def ref(index: int) -> dict:
        entry = by_index[index]
        return {
            "index": index,
            "placement_id": str(entry.placement.id),
            "date": entry.day.isoformat(),
            "session": entry.session,
        }

    if result.ok:
        return jsonify(
            results=[
                {
                    **ref(index),
                    "status": outcome.outcome.value,
                    "code": outcome.code,
                    "submitted_late": outcome.submitted_late,
                }
                for index, outcome in result.results
            ]
        )
    conflicts = [
        {**ref(index), "message": str(problem), "existing": _mark(problem.existing) if problem.existing else None}
        for index, problem in result.problems
        if isinstance(problem, MarkConflict | MarkClash)
    ]
    errors = [
        {"index": index, "field": FIELD_NAMES.get(problem.field, problem.field), "message": str(problem)}
        for index, problem in result.problems
        if not isinstance(problem, MarkConflict | MarkClash)
    ]
    if errors:
        return _refuse_items(errors)
    if result.clashed:
        message = "Nothing was saved: these sessions are being marked by someone else. Try again."
    else:
        message = (
            f"Nothing was saved: {plural(len(conflicts), 'session')} already "
            f"{'has' if len(conflicts) == 1 else 'have'} a different mark. To change a mark, send it again with an "
            "amendment_reason."
        )
    return error_response(409, message, conflicts=conflicts)


def _refuse_items(errors: list):
    # Nothing to roll back: the items were refused before any was applied, or save_marks rolled back.
    marks = len({e["index"] for e in errors})
    return error_response(
        422, f"Nothing was saved: {plural(marks, 'mark')} {'has' if marks == 1 else 'have'} problems.", errors=errors
    )
