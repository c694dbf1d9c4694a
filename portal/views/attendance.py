"""The provider's attendance pages: the register (a day's pupils, a row each with both sessions, one Save), a mark's
history, the week grid, and the CSV upload with its template. The register, the grid and the upload save their marks
through shared.services.attendance.batch.save_marks (all or nothing; each mark by marks.apply_marks); nothing here
decides a code, a deadline or whether a session is expected.

A provider sees of a pupil only the name they are known by, the year group and the placement's reference."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

from flask import Response, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from govuk_frontend_wtf.wtforms_widgets import GovFileInput, GovSelect, GovSubmitInput, GovTextArea
from markupsafe import Markup
from wtforms import FormField, SelectField, SelectMultipleField, StringField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, ValidationError

from portal import bp
from shared import kept_pages, roles
from shared.attendance_codes import AbsenceReason, MarkKind
from shared.auth.access import access, current_organisation
from shared.auth.tenancy import own_or_404
from shared.clock import local_now
from shared.display import day_words, plural
from shared.models import AttendanceMark, Placement, User
from shared.services.accounts import directory
from shared.services.attendance import batch as attendance_import
from shared.services.attendance import marks as attendance
from shared.services.attendance.batch import BatchEntry, ImportRefused, pupil_ref
from shared.services.errors import RuleBroken
from shared.services.providers import lists as provider_lists
from shared.services.school_calendar.days import SESSIONS

PROVIDER_ROLES = (roles.PROVIDER_MANAGER, roles.PROVIDER_DSL, roles.PROVIDER_STAFF)
MARK_FIELDS = ("kind", "late_minutes", "reason", "reason_text", "why")


def _me() -> User:
    return current_user._get_current_object()


def _today() -> date:
    return local_now().date()


def _iso(text: str | None) -> date | None:
    try:
        return date.fromisoformat((text or "").strip())
    except ValueError:
        return None


def _words(mark: AttendanceMark) -> str:
    text = attendance.describe(mark)
    return text[:1].lower() + text[1:]


def _day_words(day: date) -> str:
    return day_words(day, year=False)


# --- the register: every pupil, both sessions, one Save ---------------------------------------------------------


class MarkForm(FlaskForm):
    """One session's row cell. A session already marked changes only when a new mark is chosen ("No change"
    otherwise), with the reason for the change. The rules and their messages are MarkEntry.parse's and
    save_marks's; the register's own form (below) carries the CSRF token for all of them."""

    class Meta:
        csrf = False

    kind = StringField("Mark")  # present, late, or absent with its reason: "absent:illness"
    late_minutes = StringField("Minutes late")
    reason = StringField("Absence reason")  # only if sent apart from the mark
    reason_text = StringField("Other reason")
    why = TextAreaField("Reason for the change")


class _Unposted:
    """A MarkForm field as the register's macros read it on a GET, when nothing was posted: no data, no errors
    (what MarkForm's field would say before any data), without building a WTForms form for each session."""

    __slots__ = ("data", "errors", "id", "name")

    def __init__(self, name: str):
        self.id = self.name = name
        self.data = None
        self.errors: list[str] = []


class _UnpostedCell:
    """A session's MarkForm (its FormField) as the macros read it on a GET: the same field names and ids
    ("m-<placement>-am-kind"), empty."""

    errors: dict = {}

    def __init__(self, prefix: str):
        for field in MARK_FIELDS:
            setattr(self, field, _Unposted(f"{prefix}-{field}"))


# The options of a session's mark (the mark and an absence's reason as one choice, "absent:illness").
MARK_OPTIONS = (
    ("present", "Present"),
    ("late", "Late"),
    *((f"absent:{reason.value}", f"Absent: {words.lower()}") for reason, words in attendance.REASON_LABELS.items()),
)


@lru_cache(maxsize=64)
def _mark_options(first: str, selected: str) -> Markup:
    """A session's <option>s, `first` the empty choice's words and `selected` the chosen value: the same few for
    every session, made once rather than once a session in the template."""
    return Markup("").join(
        Markup('<option value="{}"{}>{}</option>').format(value, Markup(" selected") if value == selected else "", text)
        for value, text in (("", first), *MARK_OPTIONS)
    )


def _prefix(placement: Placement, session: str) -> str:
    return f"m-{placement.id.hex[:12]}-{session.lower()}"


@dataclass
class SessionLine:
    placement: Placement
    day: date
    session: str
    mark: AttendanceMark | None
    due: str
    name: str  # the register form's field for this session
    history: str = ""  # the mark's history page


_ANY_PLACEMENT = uuid.UUID(int=0)


def _history_links(day: date) -> dict[str, str]:
    """The history page of each session of `day` with a placeholder placement id (every marked session of the
    register links to one: the route built once a session, not once a pupil-session)."""
    return {
        session: url_for("portal.attendance_history", placement_id=_ANY_PLACEMENT, day=day.isoformat(), session=session)
        for session in SESSIONS
    }


def _register(organisation, day: date, *, posted: bool = True):
    """Rows of [SessionLine, ...] (one per pupil, their expected sessions in order), the register's form class, the
    schools closed on the day (closed_schools) and the previous school day (for its link). Not `posted` (a GET),
    the form class has no field for each session: nothing was sent to read or check, and the page draws each
    session's empty fields from _UnpostedCell."""
    profile = organisation.provider_profile
    found, previous_day = attendance.provider_register(organisation.id, day, names_only=not posted)
    expected, marks = found.expected, found.marks
    fields: dict = {
        "all_present": SelectMultipleField("Mark all not yet marked as present", choices=list(SESSIONS)),
    }
    pupils: dict = {}
    history = _history_links(day)
    for placement, _, session in expected:
        name = _prefix(placement, session)
        if posted:
            fields[name] = FormField(MarkForm, separator="-")
        due = attendance.deadline(profile, day, session).strftime("%H:%M")
        mark = marks.get((placement.id, day, session))
        link = history[session].replace(str(_ANY_PLACEMENT), str(placement.id), 1)
        pupils.setdefault(placement.id, []).append(SessionLine(placement, day, session, mark, due, name, link))
    rows = sorted(pupils.values(), key=lambda sessions: (sessions[0].placement.pupil.known_as, sessions[0].name))
    for sessions in rows:
        sessions.sort(key=lambda line: SESSIONS.index(line.session))
    closed = attendance.closed_schools(found.placements, day, found.days_by_school)
    return rows, type("RegisterForm", (FlaskForm,), fields), closed, previous_day


def _register_entries(form, rows) -> list[BatchEntry]:
    """The marks the register asks for: those chosen, and 'present' for each session not yet marked when its
    session is ticked under 'mark all not yet marked as present'. A session left as it is gives no entry; a detail
    without a mark, or a mark without its detail, is an error on that session's box."""
    everyone = set(form.all_present.data or [])
    entries: list[BatchEntry] = []
    for sessions in rows:
        for line in sessions:
            cell = form[line.name]
            # The register's one choice says both ("absent:illness"); a reason may also come on its own.
            kind, _, chosen_reason = (cell.kind.data or "").strip().partition(":")
            reason = chosen_reason or cell.reason.data or None
            details = any((cell[f].data or "").strip() for f in ("late_minutes", "reason_text")) or bool(reason)
            if not kind:
                if details:
                    cell.kind.errors.append(
                        f"{line.placement.pupil.known_as}, {line.session}: choose present, late or absent, "
                        "or clear the minutes and the reason"
                    )
                    continue
                if line.mark is not None or line.session not in everyone:
                    continue
                kind = "present"
            try:
                entry = attendance.MarkEntry.parse(kind, cell.late_minutes.data or None, reason, cell.reason_text.data)
            except RuleBroken as exc:
                field = exc.field if exc.field in MARK_FIELDS and exc.field != "reason" else "kind"
                cell[field].errors.append(f"{line.placement.pupil.known_as}, {line.session}: {exc}")
                continue
            entries.append(BatchEntry(line.name, line.placement, line.day, line.session, entry, cell.why.data or None))
    return entries


def _register_saved(result: attendance_import.BatchResult) -> str:
    created, amended = result.count(attendance.Outcome.CREATED), result.count(attendance.Outcome.AMENDED)
    if not created and not amended:
        return "Nothing to save: choose a mark for a session, or tick 'mark all not yet marked as present'"
    parts = []
    if created:
        parts.append(plural(created, "mark") + " saved")
    if amended:
        parts.append(f"{plural(amended, 'mark')} changed")
    return "Register saved: " + " and ".join(parts)


kept_pages.keep("portal.attendance_today")


@bp.route("/attendance", methods=["GET", "POST"])
@access(roles=PROVIDER_ROLES)
def attendance_today():
    today = _today()
    day = _iso(request.args.get("day")) or today
    if day > today:
        flash("You cannot mark attendance for a day that has not happened yet. This is today's attendance.", "error")
        return redirect(url_for("portal.attendance_today"))
    here = url_for("portal.attendance_today", day=None if day == today else day.isoformat())
    if request.method != "POST":
        # Drawn once and kept while none of the provider's placements, pupils, marks or schools' calendars change.
        body = kept_pages.content(
            "portal/attendance/_register.html",
            lambda: _register_page(day, today, here, posted=False),
            depends_on=(day, today),
        )
        return render_template("portal/attendance/today.html", content=body)
    organisation = current_organisation()
    rows, form_class, closed, previous_day = _register(organisation, day)
    form = form_class()
    if form.validate_on_submit():
        entries = _register_entries(form, rows)
        if not form.errors:

            def conflict(exc: attendance.MarkConflict) -> str:
                return f"{attendance_import.already_marked(exc)}. To change it, give the reason for the change"

            # Each mark is audited as it is saved (marks.apply_marks), as from the grid, the CSV and the API.
            result = attendance_import.save_marks(entries, by=_me(), source="web", conflict=conflict)
            if result.ok:
                flash(_register_saved(result))
                return redirect(here)
            for key, exc in result.problems:
                field = exc.field if exc.field in MARK_FIELDS and exc.field != "reason" else "kind"
                form[key][field].errors.append(str(exc))
    # Sent with problems (or nothing was saved): drawn again from the database, with what was chosen still there.
    body = kept_pages.content(
        "portal/attendance/_register.html",
        lambda: _register_page(day, today, here, posted=True, form=form),
        depends_on=None,
    )
    return render_template("portal/attendance/today.html", content=body, form=form)  # the layout sums up its errors


def _register_page(day: date, today: date, here: str, *, posted: bool, form: FlaskForm | None = None) -> dict:
    """What the register's content (portal/attendance/_register.html) is drawn from. Not `posted` (a GET), each
    session's fields are empty and the form carries only the CSRF token and 'mark all present'."""
    organisation = current_organisation()
    names = provider_lists.school_names_of_provider(organisation.id)
    schools = names if len(names) > 1 else {}  # labels only when there is more than one school (as school_labels)
    rows, form_class, closed, previous_day = _register(organisation, day, posted=posted)
    if form is None:
        form = form_class()
    return {
        "form": form,
        # A session that was not on the register as it was sent (a placement that started meanwhile) is drawn empty.
        "cells": {
            line.name: form[line.name] if posted and line.name in form else _UnpostedCell(line.name)
            for sessions in rows
            for line in sessions
        },
        "mark_options": _mark_options,
        "day": day,
        "today": today,
        "is_today": day == today,
        "rows": rows,
        "refs": {sessions[0].placement.id: pupil_ref(sessions[0].placement) for sessions in rows},
        "schools": schools,
        "closed": [(names.get(school_id, "its school"), len(placements)) for school_id, placements in closed.items()],
        "action": here,
        "previous_day": previous_day,
        "next_day": attendance.next_weekday(day),
        "describe": attendance.describe,
        "unmarked": {line.session for sessions in rows for line in sessions if line.mark is None},
        "am_due": organisation.provider_profile.am_marks_due.strftime("%H:%M"),
        "pm_due": organisation.provider_profile.pm_marks_due.strftime("%H:%M"),
    }


@bp.get("/attendance/<uuid:placement_id>")
@access(roles=PROVIDER_ROLES)
def attendance_history(placement_id: uuid.UUID):
    """One session's mark and every change to it (?day=YYYY-MM-DD&session=AM)."""
    placement = own_or_404(Placement, placement_id, owner="provider_id")
    day = _iso(request.args.get("day"))
    session = (request.args.get("session") or "").upper()
    if day is None or session not in SESSIONS:
        return redirect(url_for("portal.attendance_today"))
    mark = attendance.marks_for([placement.id], day, day).get((placement.id, day, session))
    people_ids = set()
    if mark is not None:
        people_ids = {mark.recorded_by_id} | {a.amended_by_id for a in mark.amendments}
    people = directory.people_names(people_ids)
    return render_template(
        "portal/attendance/history.html",
        placement=placement,
        school=provider_lists.school_labels(placement.provider_id).get(placement.school_id),
        ref=pupil_ref(placement),
        day=day,
        session=session,
        mark=mark,
        people=people,
        describe=attendance.describe,
        local=local_now,
        due=attendance.deadline(placement.provider.provider_profile, day, session).strftime("%H:%M"),
    )


# --- the week grid -------------------------------------------------------------------------------------------------

# What a grid cell can say. Late needs its minutes and "other" its words: each cell has a box for each.
GRID_CHOICES = {
    "": "Not marked",
    "present": "Present",
    "late": "Late",
    "absent:illness": "Absent: illness",
    "absent:medical_appointment": "Absent: medical appointment",
    "absent:excluded": "Absent: excluded or suspended",
    "absent:unexplained": "Absent: unexplained",
    "absent:other": "Absent: other reason",
}


def _grid_value(mark: AttendanceMark | None) -> str:
    """The grid's value for a mark (its minutes or other reason go in the cell's own boxes)."""
    if mark is None:
        return ""
    if mark.kind == MarkKind.ABSENT:
        return f"absent:{mark.reason}"
    return str(mark.kind)


class GridCell(SelectField):
    widget = GovSelect()

    def pre_validate(self, form) -> None:
        if self.data not in {choice.value for choice in self.choices}:
            raise ValidationError(f"{self.label.text}: choose a mark from the list")


@dataclass
class Cell:
    day: date
    session: str
    state: str  # not_expected | closed (not a school day for the pupil's school) | future | field
    mark: AttendanceMark | None = None
    name: str | None = None


def _week_start(text: str | None, today: date) -> date:
    start = _iso(text) or today
    return start - timedelta(days=start.weekday())


def _week(organisation, start: date, today: date):
    """Rows of (placement, [Cell for Mon AM .. Fri PM]) and the grid's form class."""
    end = start + timedelta(days=4)
    found = attendance.provider_sessions(organisation.id, start, end)
    placements, marks = found.placements, found.marks
    expected = {(p.id, d, s) for p, d, s in found.expected}
    fields = {"why": TextAreaField("Reason for changes", widget=GovTextArea(), validators=[Length(max=500)])}
    rows = []
    for placement in sorted(placements, key=lambda p: p.pupil.known_as):
        cells = []
        for offset in range(5):
            day = start + timedelta(days=offset)
            for session in SESSIONS:
                key = (placement.id, day, session)
                mark = marks.get(key)
                if key not in expected:
                    # Timetabled, but not a school day for the pupil's own school (an INSET day, a holiday).
                    closed = placement.expects(day, session) and day not in found.days_by_school[placement.school_id]
                    cells.append(Cell(day, session, "closed" if closed else "not_expected", mark))
                elif day > today:
                    cells.append(Cell(day, session, "future"))
                else:
                    name = f"c_{placement.id.hex[:12]}_{day:%Y%m%d}_{session.lower()}"
                    choices = [SelectChoice(v, t) for v, t in GRID_CHOICES.items() if v or mark is None]
                    label = f"{placement.pupil.known_as}, {_day_words(day)}, {session}"
                    fields[name] = GridCell(label, choices=choices, default=_grid_value(mark))
                    minutes = str(mark.late_minutes) if mark is not None and mark.late_minutes else ""
                    fields[f"{name}_minutes"] = StringField(f"Minutes late ({label})", default=minutes)
                    other = (mark.reason_text or "") if mark is not None else ""
                    fields[f"{name}_other"] = StringField(f"Other reason ({label})", default=other)
                    cells.append(Cell(day, session, "field", mark, name))
        if any(cell.state not in ("not_expected", "closed") or cell.mark for cell in cells):
            rows.append((placement, cells))
    return rows, type("WeekGridForm", (FlaskForm,), fields)


# Where a cell's problem is shown: its minutes box, its other-reason box, or its mark.
GRID_FIELD_SUFFIX = {"late_minutes": "_minutes", "reason_text": "_other"}


def _grid_entries(form, rows) -> list[BatchEntry]:
    """The grid's marks; a cell whose details are wrong (late without minutes, other without words) gets its error
    on the box to fill in, and gives no entry."""
    entries = []
    for placement, cells in rows:
        for cell in cells:
            if cell.state != "field" or not form[cell.name].data:
                continue
            kind, _, reason = form[cell.name].data.partition(":")
            minutes = form[f"{cell.name}_minutes"].data if kind == MarkKind.LATE else None
            other = form[f"{cell.name}_other"].data if reason == AbsenceReason.OTHER else None
            try:
                entry = attendance.MarkEntry.parse(kind, minutes or None, reason or None, other)
            except RuleBroken as exc:
                field = cell.name + GRID_FIELD_SUFFIX.get(exc.field or "", "")
                form[field].errors.append(f"{form[cell.name].label.text}: {exc}")
                continue
            entries.append(BatchEntry(cell.name, placement, cell.day, cell.session, entry, form.why.data or None))
    return entries


@bp.route("/attendance/week", methods=["GET", "POST"])
@access(roles=PROVIDER_ROLES)
def attendance_week():
    organisation = current_organisation()
    today = _today()
    start = _week_start(request.args.get("start"), today)
    rows, form_class = _week(organisation, start, today)
    form = form_class()
    if form.validate_on_submit():
        conflicts = []

        def conflict(exc: attendance.MarkConflict) -> str:
            conflicts.append(exc)
            return f"{attendance_import.already_marked(exc)}. To change it, give the reason for changes"

        entries = _grid_entries(form, rows)
        problems = bool(form.errors)
        result = attendance_import.save_marks(entries, by=_me(), source="grid", conflict=conflict, keep=not problems)
        if result.ok and not problems:
            flash(_grid_saved(result))
            return redirect(url_for("portal.attendance_week", start=start.isoformat()))
        for key, exc in result.problems:
            form[key + GRID_FIELD_SUFFIX.get(exc.field or "", "")].errors.append(str(exc))
        if conflicts:
            form.why.errors.append("Enter the reason for changes to marks already sent")
        # Nothing was saved: draw the grid again from the database, with what was chosen still selected.
        rows, _ = _week(organisation, start, today)
    return render_template(
        "portal/attendance/week.html",
        form=form,
        rows=rows,
        refs={placement.id: pupil_ref(placement) for placement, _ in rows},
        schools=provider_lists.school_labels(organisation.id),
        days=[start + timedelta(days=offset) for offset in range(5)],
        start=start,
        previous_week=start - timedelta(days=7),
        next_week=start + timedelta(days=7) if start + timedelta(days=7) <= today else None,
        describe=attendance.describe,
    )


def _grid_saved(result: attendance_import.BatchResult) -> str:
    created, amended = result.count(attendance.Outcome.CREATED), result.count(attendance.Outcome.AMENDED)
    if not created and not amended:
        return "Nothing to save: no marks were new or changed"
    parts = []
    if created:
        parts.append(plural(created, "new mark"))
    if amended:
        parts.append(f"{plural(amended, 'mark')} changed")
    return "Week saved: " + " and ".join(parts)


# --- CSV upload ----------------------------------------------------------------------------------------------------


class UploadForm(FlaskForm):
    file = FileField("Upload a CSV file", widget=GovFileInput())
    submit = SubmitField("Upload and save marks", widget=GovSubmitInput())


@bp.route("/attendance/upload", methods=["GET", "POST"])
@access(roles=PROVIDER_ROLES)
def attendance_upload():
    form = UploadForm()
    problems: list[str] = []
    if form.validate_on_submit():
        upload = form.file.data
        if not upload or not upload.filename:
            form.file.errors.append("Select a CSV file")
        elif not upload.filename.lower().endswith(".csv"):
            form.file.errors.append("The selected file must be a CSV file (ending .csv)")
        else:
            data = upload.stream.read(attendance_import.MAX_CSV_BYTES + 1)
            try:
                result = attendance_import.import_marks(current_organisation(), data, by=_me())
            except ImportRefused as refusal:
                form.file.errors.append(str(refusal))
                problems = refusal.row_problems
            else:
                created = result.count(attendance.Outcome.CREATED)
                amended = result.count(attendance.Outcome.AMENDED)
                unchanged = result.count(attendance.Outcome.UNCHANGED)
                flash(f"File saved: {plural(created, 'new mark')}, {amended} changed, {unchanged} already sent")
                return redirect(url_for("portal.attendance_upload"))
    start = _week_start(None, _today())
    return render_template(
        "portal/attendance/upload.html",
        form=form,
        problems=problems,
        columns=attendance_import.columns_for(provider_lists.school_labels(current_organisation().id)),
        start=start,
        size_limit=f"{attendance_import.MAX_CSV_BYTES // (1024 * 1024)} MB",
    )


@bp.get("/attendance/template.csv")
@access(roles=PROVIDER_ROLES)
def attendance_template():
    start = _week_start(request.args.get("start"), _today())
    provider_id = current_organisation().id
    schools = provider_lists.school_labels(provider_id)
    text = attendance_import.template_csv(provider_id, start, start + timedelta(days=4), schools)
    return Response(
        "\ufeff" + text,  # the byte-order mark makes Excel open it as UTF-8
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="attendance-week-{start.isoformat()}.csv"'},
    )
