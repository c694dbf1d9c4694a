"""The attendance lead's pages: today's sessions and alerts, a pupil's recent weeks, the MIS export and the
attendance percentages. Read-only, except that an export is audited. The figures come from
shared.services.attendance.overview, a fixed number of queries whatever the size of the school."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from flask import Response, abort, flash, redirect, render_template, request, stream_with_context, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput, GovTextArea
from wtforms import SubmitField, TextAreaField
from wtforms.validators import InputRequired

from school_admin import bp
from shared import roles
from shared.attendance_codes import SCHOOL_DECISIONS
from shared.auth.access import access
from shared.auth.tenancy import own_or_404
from shared.clock import local_now
from shared.display import day_words
from shared.forms import DayMonthYearField, RadiosField, choices_from
from shared.models import AttendanceMark, Pupil, utcnow
from shared.services.accounts import directory
from shared.services.attendance import decisions, overview
from shared.services.attendance import marks as attendance
from shared.services.attendance.marks import PERSISTENT_ABSENCE_BELOW
from shared.services.placements import lists
from shared.services.school_calendar import days as school_calendar
from shared.web import apply

# Who reads attendance: the attendance lead's daily job, and those who oversee placed pupils.
ATTENDANCE_READERS = (roles.ATTENDANCE_LEAD, roles.HEADTEACHER, roles.SLT, roles.AP_LEAD, roles.DSL)


class DateQueryField(DayMonthYearField):
    """A GOV.UK date input read from a query string: the three boxes, or one ISO date (as in ?from=2026-09-01)."""

    def process_formdata(self, valuelist) -> None:
        if len(valuelist) == 1:
            try:
                parsed = date.fromisoformat(valuelist[0].strip())
            except ValueError:
                pass
            else:
                valuelist = [str(parsed.day), str(parsed.month), str(parsed.year)]
        super().process_formdata(valuelist)


class DateRangeForm(FlaskForm):
    """From and to dates in the query string (a GET form: nothing changes, so no CSRF token in the URL)."""

    class Meta:
        csrf = False

    start = DateQueryField(
        "From", name="from", validators=[InputRequired(message="Enter the first day, like 1 9 2026")]
    )
    end = DateQueryField("To", name="to", validators=[InputRequired(message="Enter the last day, like 31 10 2026")])
    submit = SubmitField("Show", widget=GovSubmitInput())

    def check_range(self, *, longest_days: int | None = None) -> bool:
        if self.errors:
            return False
        if self.end.data < self.start.data:
            self.end.errors.append("The last day must be the same as or after the first day")
            return False
        if longest_days and (self.end.data - self.start.data).days >= longest_days:
            self.end.errors.append("Choose dates no more than one school year apart (366 days)")
            return False
        return True


def _school_id() -> uuid.UUID:
    return current_user.organisation_id


def _day_asked(today: date) -> date:
    try:
        return date.fromisoformat(request.args.get("day", ""))
    except ValueError:
        return today


@bp.get("/attendance")
@access(roles=ATTENDANCE_READERS)
def attendance_today():
    now = utcnow()
    today = local_now(now).date()
    day = _day_asked(today)
    return render_template(
        "school_admin/attendance/today.html",
        overview=overview.today(_school_id(), day, now),
        day_words=day_words(day),
        is_today=day == today,
        previous_day=school_calendar.previous_school_day(_school_id(), day),
        next_day=school_calendar.next_school_day(_school_id(), day),
    )


@bp.get("/attendance/pupils/<uuid:pupil_id>")
@access(roles=ATTENDANCE_READERS)
def attendance_pupil(pupil_id: uuid.UUID):
    pupil = lists.pupil_of_school(_school_id(), pupil_id)
    if pupil is None:
        abort(404)
    now = utcnow()
    return render_template(
        "school_admin/attendance/pupil.html",
        pupil=pupil,
        heatmap=overview.pupil_heatmap(_school_id(), pupil.id, local_now(now).date(), now),
        below=PERSISTENT_ABSENCE_BELOW,
        to_decide=decisions.absences_to_decide(_school_id(), pupil.id),
        can_decide=current_user.has_role(roles.ATTENDANCE_LEAD, roles.HEADTEACHER),
        describe=attendance.describe,
    )


@bp.get("/attendance/to-decide")
@access(roles=ATTENDANCE_READERS)
def absences_to_decide():
    """Every earlier absence still coded N, at every provider: where "earlier absences still coded N" leads."""
    today = local_now().date()
    return render_template(
        "school_admin/attendance/to_decide.html",
        absences=decisions.earlier_absences_to_decide(_school_id(), today),
        can_decide=current_user.has_role(roles.ATTENDANCE_LEAD, roles.HEADTEACHER),
        describe=attendance.describe,
    )


@bp.get("/attendance/marks/<uuid:mark_id>")
@access(roles=ATTENDANCE_READERS)
def attendance_mark(mark_id: uuid.UUID):
    """One mark's history: as first recorded, and each amendment (old mark, new mark, reason, who, when)."""
    mark = own_or_404(AttendanceMark, mark_id, owner="school_id")
    history = overview.mark_history(mark)
    return render_template(
        "school_admin/attendance/mark.html", history=history, day_words=day_words(history.day), mark=mark
    )


class AbsenceDecisionForm(FlaskForm):
    code = RadiosField(
        "Code for the school's register",
        choices=choices_from(SCHOOL_DECISIONS),
        invalid_message="Choose the code for the school's register",
    )
    why = TextAreaField(
        "Why",
        widget=GovTextArea(),
        description="For the record: for example, what the parent or carer told you and when.",
        validators=[InputRequired(message="Say why, for the record: for example, what the parent told you")],
    )
    submit = SubmitField("Record the decision", widget=GovSubmitInput())


@bp.route("/attendance/pupils/<uuid:pupil_id>/decide", methods=["GET", "POST"])
@access(roles={roles.ATTENDANCE_LEAD, roles.HEADTEACHER})
def decide_absence(pupil_id: uuid.UUID):
    """The school's decision on an absence the provider could not explain (authorised or not), for the register."""
    pupil = own_or_404(Pupil, pupil_id, owner="school_id")
    try:
        mark_id = uuid.UUID(request.args.get("mark", ""))
    except ValueError:
        return redirect(url_for("school_admin.attendance_pupil", pupil_id=pupil.id))
    mark = own_or_404(AttendanceMark, mark_id, owner="school_id")
    if mark.pupil_id != pupil.id:
        abort(404)
    form = AbsenceDecisionForm()
    if form.validate_on_submit() and apply(
        form, lambda: decisions.decide_absence(mark, form.code.data, why=form.why.data, by=current_user), field="code"
    ):
        flash(f"Decision recorded: {pupil.named}'s {mark.session} session is now coded {mark.code}")
        if request.args.get("from") == "list":
            return redirect(url_for("school_admin.absences_to_decide"))
        return redirect(url_for("school_admin.attendance_pupil", pupil_id=pupil.id))
    return render_template(
        "school_admin/attendance/decide.html",
        form=form,
        pupil=pupil,
        mark=mark,
        said=attendance.describe(mark),
        provider=directory.organisation(mark.provider_id),
    )


@bp.get("/attendance/percentages")
@access(roles=ATTENDANCE_READERS)
def attendance_percentages():
    today = local_now().date()
    form = DateRangeForm(request.args if request.args else None)
    if not request.args:
        form.start.data, form.end.data = overview.current_term_start(_school_id(), today), today
    pupils = providers = None
    if not request.args or (form.validate() and form.check_range()):
        pupils, providers = overview.percentages(_school_id(), form.start.data, form.end.data)
    return render_template(
        "school_admin/attendance/percentages.html",
        form=form,
        pupils=pupils,
        providers=providers,
        below=PERSISTENT_ABSENCE_BELOW,
        start_words=day_words(form.start.data) if form.start.data else "",
        end_words=day_words(form.end.data) if form.end.data else "",
    )


@bp.get("/attendance/export")
@access(roles=ATTENDANCE_READERS)
def attendance_export():
    """The form, or (with dates) the CSV. The export is audited before the first byte is sent, with the row count
    taken first (one COUNT on the same index): an export cut short is still on the record, and no export goes
    unrecorded because the download was stopped before the end."""
    form = DateRangeForm(request.args if request.args else None)
    if not request.args or not (form.validate() and form.check_range(longest_days=overview.MAX_EXPORT_DAYS)):
        if not request.args:
            today = local_now().date()
            form.start.data, form.end.data = today - timedelta(days=today.weekday()), today
        return render_template("school_admin/attendance/export.html", form=form, columns=overview.EXPORT_COLUMNS)
    school_id, start, end = _school_id(), form.start.data, form.end.data
    overview.record_export(school_id, start, end, by=current_user)
    filename = f"ap-attendance-{start.isoformat()}-to-{end.isoformat()}.csv"
    return Response(
        stream_with_context(overview.export_csv(school_id, start, end)),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
