"""The attendance lead's pages: today's sessions and alerts, a pupil's recent weeks, the MIS export and the
attendance percentages. Read-only, except that an export is audited. The figures come from
shared.services.attendance_overview, a fixed number of queries whatever the size of the school."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from flask import Response, abort, render_template, request, stream_with_context
from flask_login import current_user
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput
from sqlalchemy import select
from wtforms import SubmitField
from wtforms.validators import InputRequired

from school_admin import bp
from shared import audit, roles
from shared.auth.access import roles_required
from shared.extensions import db
from shared.forms import DayMonthYearField
from shared.models import Organisation, Pupil, utcnow
from shared.services import attendance_overview as overview
from shared.services.attendance import PERSISTENT_ABSENCE_BELOW, local_now

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
@roles_required(*ATTENDANCE_READERS)
def attendance_today():
    now = utcnow()
    today = local_now(now).date()
    day = _day_asked(today)
    return render_template(
        "school_admin/attendance/today.html",
        overview=overview.today(_school_id(), day, now),
        day_words=overview.day_in_words(day),
        is_today=day == today,
        previous_day=day - timedelta(days=3 if day.weekday() == 0 else 1),
        next_day=day + timedelta(days=3 if day.weekday() == 4 else 1),
    )


@bp.get("/attendance/pupils/<uuid:pupil_id>")
@roles_required(*ATTENDANCE_READERS)
def attendance_pupil(pupil_id: uuid.UUID):
    pupil = db.session.scalar(select(Pupil).where(Pupil.id == pupil_id, Pupil.school_id == _school_id()))
    if pupil is None:
        abort(404)
    now = utcnow()
    return render_template(
        "school_admin/attendance/pupil.html",
        pupil=pupil,
        heatmap=overview.pupil_heatmap(_school_id(), pupil.id, local_now(now).date(), now),
        below=PERSISTENT_ABSENCE_BELOW,
    )


@bp.get("/attendance/percentages")
@roles_required(*ATTENDANCE_READERS)
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
        start_words=overview.day_in_words(form.start.data) if form.start.data else "",
        end_words=overview.day_in_words(form.end.data) if form.end.data else "",
    )


@bp.get("/attendance/export")
@roles_required(*ATTENDANCE_READERS)
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
    rows = overview.export_row_count(school_id, start, end)
    audit.record(
        "attendance.exported",
        organisation=db.session.get(Organisation, school_id),
        start=start.isoformat(),
        end=end.isoformat(),
        rows=rows,
    )
    db.session.commit()
    filename = f"ap-attendance-{start.isoformat()}-to-{end.isoformat()}.csv"
    return Response(
        stream_with_context(overview.export_csv(school_id, start, end)),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
