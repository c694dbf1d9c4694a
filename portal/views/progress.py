"""Progress the school can see, the provider's side (issue 15): the pupil's baseline in the first week and a
progress report every half-term of the school's calendar. The provider's manager or staff write them."""

import uuid
from typing import Any

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from govuk_frontend_wtf.wtforms_widgets import GovFileInput, GovSubmitInput, GovTextArea
from wtforms import SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from portal import bp
from shared import roles
from shared.auth.access import access, current_organisation
from shared.clock import local_now
from shared.forms import RadiosField, choices_from
from shared.models import Placement
from shared.services.placements import progress
from shared.services.placements.plans import provider_placement
from shared.web import apply

WRITERS = {roles.PROVIDER_MANAGER, roles.PROVIDER_STAFF}
PHOTO_FIELDS = ("photo_1", "photo_2", "photo_3")


def _notes(label: str, required: str | None = None, description: str = "") -> TextAreaField:
    validators = [InputRequired(message=required)] if required else [Optional()]
    return TextAreaField(
        label,
        widget=GovTextArea(),
        description=description,
        validators=[*validators, Length(max=progress.MAX_TEXT, message="Keep this to 5000 characters or fewer")],
    )


class BaselineForm(FlaskForm):
    english = _notes("English", "Enter where the pupil starts in English", "For example, reading age or working level.")
    maths = _notes("Maths", "Enter where the pupil starts in maths", "For example, the topics they are secure in.")
    engagement = _notes("Engagement", "Enter where the pupil starts in engagement")
    attendance = _notes("Attendance", "Enter where the pupil starts in attendance", "As it was before the placement.")
    pupil_voice = _notes("What the pupil says", description="In their own words, if they are willing.")
    submit = SubmitField("Save the baseline", widget=GovSubmitInput())


class _ReportForm(FlaskForm):
    photo_1 = FileField("Photo 1", widget=GovFileInput(), validators=[Optional()])
    photo_2 = FileField("Photo 2", widget=GovFileInput(), validators=[Optional()])
    photo_3 = FileField("Photo 3", widget=GovFileInput(), validators=[Optional()])
    units_achieved = _notes(
        "Accreditation units achieved", description="For example, the qualification and the units completed."
    )
    pupil_voice = _notes(
        "What the pupil says", "Enter what the pupil says", "About their progress, in their own words."
    )
    submit = SubmitField("Send the report to the school", widget=GovSubmitInput())


def report_form(targets: list[str]) -> Any:
    """The report form with a rating and words for each of the placement's targets."""

    class ReportForm(_ReportForm):
        pass

    for index in range(len(targets)):
        number = index + 1
        setattr(
            ReportForm,
            f"rating_{index}",
            RadiosField(
                f"Target {number}: how much progress",
                choices=choices_from(progress.RATINGS),
                invalid_message=f"Select how much progress the pupil made towards target {number}",
                validators=[InputRequired(message=f"Select how much progress the pupil made towards target {number}")],
            ),
        )
        setattr(
            ReportForm,
            f"progress_{index}",
            _notes(f"Target {number}: what the pupil did", f"Enter the progress towards target {number}"),
        )
    return ReportForm()


def _placement(placement_id: uuid.UUID) -> Placement:
    placement = provider_placement(current_organisation().id, placement_id, local_now().date())
    if placement is None:
        abort(404)
    return placement


@bp.route("/pupils/<uuid:placement_id>/baseline", methods=["GET", "POST"])
@access(roles=WRITERS)
def progress_baseline(placement_id: uuid.UUID):
    placement = _placement(placement_id)
    baseline = progress.baseline_of(placement.id)
    form = BaselineForm(obj=baseline)
    if form.validate_on_submit() and apply(
        form,
        lambda: progress.record_baseline(
            placement, {key: form[key].data for key in progress.BASELINE_FIELDS}, by=current_user
        ),
        field="english",
    ):
        flash("Baseline saved. The school can now see it.")
        return redirect(url_for("portal.pupil_page", placement_id=placement.id))
    return render_template(
        "portal/progress/baseline.html",
        form=form,
        placement=placement,
        pupil_name=placement.pupil.known_as,
        due_by=progress.baseline_due_by(placement),
    )


@bp.route("/pupils/<uuid:placement_id>/progress-report", methods=["GET", "POST"])
@access(roles=WRITERS)
def progress_report(placement_id: uuid.UUID):
    placement = _placement(placement_id)
    period = progress.period_to_report(placement, local_now().date())
    targets = progress.targets_of(placement)
    form = report_form(targets)
    if period is not None and form.validate_on_submit():
        items = [
            progress.TargetProgress(target, form[f"rating_{i}"].data, form[f"progress_{i}"].data)
            for i, target in enumerate(targets)
        ]
        photos = [
            progress.Photo(upload.stream, upload.filename or "", name)
            for name in PHOTO_FIELDS
            if (upload := form[name].data) is not None and getattr(upload, "filename", None)
        ]
        if apply(
            form,
            lambda: progress.write_report(
                placement,
                period,
                items,
                units_achieved=form.units_achieved.data,
                pupil_voice=form.pupil_voice.data,
                by=current_user,
                photos=photos,
            ),
            field="pupil_voice",
        ):
            flash(f"Progress report for {period.name} sent to the school")
            return redirect(url_for("portal.pupil_page", placement_id=placement.id))
    report = progress.report_for(placement, period) if period else None
    return render_template(
        "portal/progress/report.html",
        photos=progress.photos_of([report.id]).get(report.id, []) if report else [],
        form=form,
        placement=placement,
        pupil_name=placement.pupil.known_as,
        period=period,
        targets=list(enumerate(targets)),
        attendance=progress.period_attendance(placement, period) if period else None,
    )


@bp.get("/pupils/<uuid:placement_id>/progress-reports/<uuid:report_id>")
@access(roles=WRITERS)
def sent_progress_report(placement_id: uuid.UUID, report_id: uuid.UUID):
    """A report the provider has sent, to read again (read-only; its photos by name: the provider has no download of
    them). Another provider's placement, or a report of another placement: 404."""
    placement = _placement(placement_id)
    sent = progress.sent_report(placement.id, report_id)
    if sent is None:
        abort(404)
    return render_template(
        "portal/progress/sent.html",
        sent=sent,
        report=sent.report,
        placement=placement,
        pupil_name=placement.pupil.known_as,
        ratings=progress.RATINGS,
    )
