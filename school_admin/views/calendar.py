"""The school calendar: terms, INSET days and the bank holidays of England and Wales.

Everyone at the school may read it. Changing it changes which sessions are expected and chased, so only three roles
may: the school administrator (the office usually keeps the term dates), the attendance lead (whose daily screen
and alerts depend on them) and the headteacher (who sets the INSET days).
"""

from __future__ import annotations

from datetime import date

from flask import flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput, GovTextInput
from wtforms import HiddenField, StringField, SubmitField
from wtforms.validators import InputRequired, Length, Optional

from school_admin import bp
from shared import roles
from shared.auth.access import access, current_organisation
from shared.clock import local_now
from shared.forms import DayMonthYearField, single_line
from shared.services.school_calendar import admin as calendar_admin
from shared.services.school_calendar.days import _bank_holidays
from shared.web import apply

CALENDAR_EDITORS = (roles.SCHOOL_ADMIN, roles.ATTENDANCE_LEAD, roles.HEADTEACHER)


class TermForm(FlaskForm):
    name = StringField(
        "Name of the term",
        widget=GovTextInput(),
        description="For example, Autumn 2026 or Spring 2027 first half",
        filters=[single_line],
        validators=[
            InputRequired(message="Enter a name for the term, like 'Autumn 2026'"),
            Length(max=100, message="The name must be 100 characters or fewer"),
        ],
    )
    start_date = DayMonthYearField(
        "First day of the term", validators=[InputRequired(message="Enter the first day of the term")]
    )
    end_date = DayMonthYearField(
        "Last day of the term", validators=[InputRequired(message="Enter the last day of the term")]
    )
    half_term_starts = DayMonthYearField(
        "First day of the half-term holiday (optional)",
        description="No sessions are expected in the holiday, and reports are split into half-terms at it",
        validators=[Optional()],
    )
    half_term_ends = DayMonthYearField("Last day of the half-term holiday (optional)", validators=[Optional()])
    submit = SubmitField("Add term", widget=GovSubmitInput())


class InsetForm(FlaskForm):
    day = DayMonthYearField(
        "Date of the INSET day", validators=[InputRequired(message="Enter the date of the INSET day")]
    )
    note = StringField(
        "Note (optional)",
        widget=GovTextInput(),
        filters=[single_line],
        validators=[Optional(), Length(max=200, message="The note must be 200 characters or fewer")],
    )
    submit = SubmitField("Add INSET day", widget=GovSubmitInput())


class RemoveInsetForm(FlaskForm):
    inset_id = HiddenField("INSET day")


def _school_year(today: date) -> tuple[date, date]:
    start_year = today.year if today.month >= 9 else today.year - 1
    return date(start_year, 9, 1), date(start_year + 1, 8, 31)


def _page(term_form: TermForm | None = None, inset_form: InsetForm | None = None, remove_form=None):
    school_id = current_user.organisation_id
    first, last = _school_year(local_now().date())
    bank_holidays = sorted(
        (day, name)
        for year in (first.year, last.year)
        for day, name in _bank_holidays(year).items()
        if first <= day <= last
    )
    term_form = term_form or TermForm(prefix="term", formdata=None)
    inset_form = inset_form or InsetForm(prefix="inset", formdata=None)
    remove_form = remove_form or RemoveInsetForm(formdata=None)
    with_errors = next((f for f in (term_form, inset_form, remove_form) if f.errors), None)
    return render_template(
        "school_admin/calendar/calendar.html",
        terms=calendar_admin.terms_of_school(school_id),
        inset_days=calendar_admin.inset_days_of_school(school_id),
        bank_holidays=bank_holidays,
        year_words=f"{first.year} to {last.year}",
        can_edit=current_user.has_role(*CALENDAR_EDITORS),
        term_form=term_form,
        inset_form=inset_form,
        remove_form=remove_form,
        form=with_errors,
    )


@bp.get("/calendar")
@access(roles=roles.SCHOOL_ROLES)
def school_calendar():
    return _page()


@bp.post("/calendar/terms")
@access(roles=CALENDAR_EDITORS)
def add_school_term():
    form = TermForm(prefix="term")
    if form.validate_on_submit() and apply(
        form,
        lambda: calendar_admin.add_term(
            current_organisation(),
            name=form.name.data,
            start=form.start_date.data,
            end=form.end_date.data,
            by=current_user,
            half_term_starts=form.half_term_starts.data,
            half_term_ends=form.half_term_ends.data,
        ),
        field="name",
    ):
        flash(f"{form.name.data} added to the school calendar")
        return redirect(url_for("school_admin.school_calendar"))
    return _page(term_form=form)


@bp.post("/calendar/inset-days")
@access(roles=CALENDAR_EDITORS)
def add_inset_day():
    form = InsetForm(prefix="inset")
    if form.validate_on_submit() and apply(
        form,
        lambda: calendar_admin.add_inset_day(
            current_organisation(), day=form.day.data, note=form.note.data, by=current_user
        ),
        field="day",
    ):
        day = form.day.data
        flash(f"{day.strftime('%A')} {day.day} {day.strftime('%B %Y')} added as an INSET day")
        return redirect(url_for("school_admin.school_calendar"))
    return _page(inset_form=form)


@bp.post("/calendar/inset-days/remove")
@access(roles=CALENDAR_EDITORS)
def remove_inset_day():
    # The INSET day's id comes in the form body, not the URL.
    form = RemoveInsetForm()
    removed: list[date] = []
    if form.validate_on_submit() and apply(
        form,
        lambda: removed.append(
            calendar_admin.remove_inset_day(current_organisation(), form.inset_id.data, by=current_user)
        ),
        field="inset_id",
    ):
        day = removed[0]
        flash(f"{day.strftime('%A')} {day.day} {day.strftime('%B %Y')} is no longer an INSET day")
        return redirect(url_for("school_admin.school_calendar"))
    return _page(remove_form=form)
