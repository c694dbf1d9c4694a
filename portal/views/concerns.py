"""Safeguarding concerns at the provider. Staff and the provider's DSL raise them; staff concerns go to the DSL
first, who may add to them and sends them to the school. Only the provider's DSL sees concerns once raised (with a
security code given in the last 15 minutes), and only what the school chooses to share back, never the school's
own record."""

import uuid

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from govuk_frontend_wtf.wtforms_widgets import GovFileInput, GovSubmitInput, GovTextArea, GovTextInput
from wtforms import StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from portal import bp
from shared import roles
from shared.auth.access import access, current_organisation, recent_mfa_required
from shared.auth.tenancy import own_or_404
from shared.forms import DayMonthYearField, RadiosField, choices_from, single_line
from shared.models import Concern
from shared.services.placements.incidents import names_of
from shared.services.providers.lists import school_labels
from shared.services.safeguarding import concerns
from shared.services.safeguarding.concerns import CATEGORIES, ENTRY_KINDS, PROVIDER_STATES, ConcernReport
from shared.uploads.downloads import audited_download
from shared.web import apply

RAISERS = (roles.PROVIDER_DSL, roles.PROVIDER_STAFF, roles.PROVIDER_MANAGER)  # anyone at the provider can raise one


def _text_area(label: str, description: str = "", required: str | None = None) -> TextAreaField:
    checks = [InputRequired(message=required)] if required else [Optional()]
    return TextAreaField(
        label,
        widget=GovTextArea(),
        description=description,
        validators=[*checks, Length(max=5000, message="Keep this to 5000 characters or fewer")],
    )


class ConcernForm(FlaskForm):
    placement_id = RadiosField(
        "Which pupil is this about?",
        invalid_message="Choose a pupil placed with you",
        validators=[InputRequired(message="Choose the pupil")],
    )
    occurred_on = DayMonthYearField(
        "Date you saw or heard it",
        description="For example, 27 11 2026",
        validators=[InputRequired(message="Enter the date")],
    )
    occurred_time = StringField(
        "Time",
        widget=GovTextInput(),
        description="For example, 14:30 or 2:30pm",
        filters=[single_line],
        validators=[InputRequired(message="Enter the time"), Length(max=10)],
    )
    location = StringField(
        "Where",
        widget=GovTextInput(),
        description="For example, the workshop, the minibus, or online.",
        filters=[single_line],
        validators=[
            InputRequired(message="Say where it happened"),
            Length(max=200, message="Keep where it happened to 200 characters or fewer"),
        ],
    )
    category = RadiosField(
        "What kind of concern is it?",
        choices=choices_from(CATEGORIES),
        invalid_message="Choose the kind of concern",
        validators=[InputRequired(message="Choose the kind of concern")],
    )
    what_happened = _text_area(
        "What did you see or hear?", "The facts, in order. Do not guess or interpret.", "Say what you saw or heard"
    )
    childs_words = _text_area("The child's own words", "Exactly what the child said, if they said anything.")
    actions_taken = _text_area("What have you done so far?", required="Say what you have done so far")
    who_told = _text_area("Who have you told?", "For example, your manager, or children's social care.")
    attachment = FileField(
        "Attach a file (optional)",
        widget=GovFileInput(),
        description="For example, a body map or a photo of a note. One file.",
    )
    submit = SubmitField("Send concern", widget=GovSubmitInput())


class AddForm(FlaskForm):
    body = _text_area(
        "Add to this concern", "What you know that the school's DSL should too.", "Write what you want to add"
    )
    submit = SubmitField("Add to concern", id="add-submit", widget=GovSubmitInput())


class SendForm(FlaskForm):
    submit = SubmitField("Send to the school's DSL", id="send-submit", widget=GovSubmitInput())


def _pupil_label(placement, schools: dict) -> str:
    """A pupil as the form offers them: with the year group, and the school (whose DSLs the concern goes to) when
    the provider works with several."""
    details = [d for d in (placement.pupil.year_label, schools.get(placement.school_id)) if d]
    return f"{placement.pupil.known_as} ({', '.join(details)})" if details else placement.pupil.known_as


def _whose_dsls(concern: Concern) -> str:
    school = school_labels(concern.provider_id).get(concern.school_id)
    return f"{school}'s DSLs" if school else "The school's DSLs"


@bp.route("/concerns/new", methods=["GET", "POST"])
@access(roles=RAISERS)
def raise_concern():
    provider = current_organisation()
    form = ConcernForm()
    schools = school_labels(provider.id)
    form.placement_id.choices = choices_from(
        {str(p.id): _pupil_label(p, schools) for p in concerns.raisable_placements(provider.id)}
    )
    if schools:
        form.placement_id.description = "The concern goes to the DSLs of the pupil's own school only."
    saved = {}
    if form.validate_on_submit():
        report = ConcernReport(
            placement_id=form.placement_id.data,
            occurred_on=form.occurred_on.data,
            occurred_time=form.occurred_time.data,
            location=form.location.data,
            category=form.category.data,
            what_happened=form.what_happened.data,
            childs_words=form.childs_words.data,
            actions_taken=form.actions_taken.data,
            who_told=form.who_told.data,
        )
        upload = form.attachment.data
        has_file = upload is not None and getattr(upload, "filename", "")
        if apply(
            form,
            lambda: saved.update(
                concern=concerns.raise_concern(
                    provider,
                    report,
                    by=current_user,
                    attachment=upload.stream if has_file else None,
                    filename=upload.filename if has_file else None,
                )
            ),
            field="what_happened",
        ):
            concern = saved["concern"]
            if concern.status == "sent" and current_user.has_role(roles.PROVIDER_DSL):
                flash(f"Concern sent. {_whose_dsls(concern)} have been told it is waiting for them.")
                return redirect(url_for("portal.concern_detail", concern_id=concern.id))
            return redirect(url_for("portal.concern_confirmation", to="school" if concern.status == "sent" else "dsl"))
    return render_template("portal/concerns/new.html", form=form, has_pupils=bool(form.placement_id.choices))


@bp.get("/concerns/sent")
@access(roles=RAISERS)
def concern_confirmation():
    return render_template("portal/concerns/confirmation.html", to_school=request.args.get("to") == "school")


@bp.get("/concerns")
@access(roles={roles.PROVIDER_DSL})
@recent_mfa_required
def concerns_list():
    provider_id = current_organisation().id
    rows = concerns.provider_concerns(provider_id)
    return render_template(
        "portal/concerns/list.html",
        concerns=rows,
        schools=school_labels(provider_id),
        pupils=concerns.pupils_of(rows),
        states=PROVIDER_STATES,
        local=concerns.local,
    )


def _own(concern_id: uuid.UUID) -> Concern:
    return own_or_404(Concern, concern_id, owner="provider_id")


def _page(concern: Concern, add_form: AddForm | None = None, form=None):
    notes = [e for e in concern.entries if e.kind == "note"]  # the provider DSL's own additions, never the school's
    return render_template(
        "portal/concerns/detail.html",
        concern=concern,
        school=school_labels(concern.provider_id).get(concern.school_id),
        pupil=concerns.pupils_of([concern])[concern.id],
        notes=notes,
        categories=CATEGORIES,
        kinds=ENTRY_KINDS,
        states=PROVIDER_STATES,
        local=concerns.local,
        names=names_of([concern.raised_by_id, concern.sent_by_id, *(n.recorded_by_id for n in notes)]),
        add_form=add_form or AddForm(),
        send_form=SendForm(),
        form=form,
    )


@bp.get("/concerns/<uuid:concern_id>")
@access(roles={roles.PROVIDER_DSL})
@recent_mfa_required
def concern_detail(concern_id: uuid.UUID):
    concern = _own(concern_id)
    concerns.record_opened(concern, current_organisation(), by=current_user)
    return _page(concern)


@bp.post("/concerns/<uuid:concern_id>/add")
@access(roles={roles.PROVIDER_DSL})
@recent_mfa_required
def add_to_concern(concern_id: uuid.UUID):
    concern = _own(concern_id)
    form = AddForm()
    if form.validate_on_submit() and apply(
        form, lambda: concerns.add_to_concern(concern, form.body.data, by=current_user), field="body"
    ):
        flash("Added to the concern.")
        return redirect(url_for("portal.concern_detail", concern_id=concern.id))
    return _page(concern, form, form)


@bp.post("/concerns/<uuid:concern_id>/send")
@access(roles={roles.PROVIDER_DSL})
@recent_mfa_required
def send_concern(concern_id: uuid.UUID):
    concern = _own(concern_id)
    form = SendForm()
    if form.validate_on_submit() and apply(
        form, lambda: concerns.send_to_school(concern, by=current_user), field="submit"
    ):
        flash(f"Concern sent. {_whose_dsls(concern)} have been told it is waiting for them.")
    for message in form.submit.errors:
        flash(message, "error")
    return redirect(url_for("portal.concern_detail", concern_id=concern.id))


@bp.get("/concerns/<uuid:concern_id>/files/<uuid:file_id>")
@access(roles={roles.PROVIDER_DSL})
@recent_mfa_required
def concern_file(concern_id: uuid.UUID, file_id: uuid.UUID):
    concern = _own(concern_id)
    row = concerns.file_of(concern, file_id)
    if row is None:
        abort(404)
    return audited_download(row, "concern.attachment_downloaded", organisation=current_organisation(), obj=concern)
