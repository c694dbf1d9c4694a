"""The service level agreement with a provider: the AP lead records it; the headteacher, SLT and DSL read it.
The page also shows how well the provider keeps it, the same figures the provider
sees (shared.services.agreements.terms).

The AP lead also uploads the signed copy (every upload kept, the newest is the signed copy; the readers download
it), and may give one placement terms of its own in place of the provider's (`/placements/<id>/agreement`).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from decimal import Decimal, InvalidOperation

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from govuk_frontend_wtf.wtforms_widgets import GovFileInput, GovSubmitInput, GovTextArea, GovTextInput
from wtforms import StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from school_admin import bp
from shared import roles
from shared.auth.access import access, current_organisation
from shared.auth.tenancy import own_or_404, provider_of_my_school_or_404
from shared.forms import ConfirmForm, DayMonthYearField, MultiCheckboxField, choices_from
from shared.models import Placement
from shared.services.agreements import breaches as compliance_breaches
from shared.services.agreements import compliance
from shared.services.agreements import terms as agreements
from shared.services.errors import RuleBroken
from shared.services.school_calendar import half_terms
from shared.uploads.downloads import audited_download
from shared.uploads.policy import DEFAULT_ALLOWED
from shared.uploads.reasons import UploadRefused
from shared.web import add_problems, apply

AGREEMENT_READERS = (roles.AP_LEAD, roles.HEADTEACHER, roles.SLT, roles.DSL)
COMPLIANCE_READERS = (roles.AP_LEAD, roles.HEADTEACHER, roles.SLT)

COMMITMENTS = agreements.COMMITMENTS


WHOLE_NUMBER_MESSAGES = {
    "incidents_within_hours": "Enter the hours as a whole number, like 24",
    "reviews_every_weeks": "Enter the weeks as a whole number, like 6",
}


def _whole_number(label: str, example: str) -> StringField:
    return StringField(
        label,
        widget=GovTextInput(),
        description=f"A whole number, for example {example}",
        validators=[InputRequired(message=f"Enter {label.lower()}")],
    )


def _money(label: str) -> StringField:
    return StringField(
        label,
        widget=GovTextInput(),
        description="In pounds, for example 45.50. Leave empty if not agreed.",
        validators=[Optional()],
    )


def _text(label: str, description: str) -> TextAreaField:
    return TextAreaField(
        label,
        widget=GovTextArea(),
        description=description,
        validators=[Optional(), Length(max=5000, message=f"{label} must be 5000 characters or fewer")],
    )


class AgreementForm(FlaskForm):
    starts_on = DayMonthYearField(
        "Date the agreement starts",
        description="For example, 1 9 2026",
        validators=[InputRequired(message="Enter the date the agreement starts")],
    )
    ends_on = DayMonthYearField(
        "Date the agreement ends (optional)",
        description="Leave empty if it runs until it is changed",
        validators=[Optional()],
    )
    incidents_within_hours = _whole_number("Hours within which incidents must be reported", "24")
    reviews_every_weeks = _whole_number("Weeks between placement reviews, at most", "6")
    commitments = MultiCheckboxField("The provider also agrees that", choices=choices_from(COMMITMENTS))
    behaviour_expectations = _text("Behaviour expectations", "What the school expects of pupils and staff")
    reporting_procedures = _text("Reporting procedures", "Who the provider tells, how and when")
    cost_per_session = _money("Cost per session (optional)")
    cost_per_week = _money("Cost per week (optional)")
    submit = SubmitField("Save agreement", widget=GovSubmitInput())

    def terms(self, *, partial: bool = False) -> agreements.AgreementTerms | None:
        """The terms as entered, or None with a plain-English message on each field that is not a number.
        partial=True gives the terms anyway, with None for what could not be read, to check every other rule."""
        numbers: dict[str, int | None] = {}
        for field in (self.incidents_within_hours, self.reviews_every_weeks):
            text = (field.data or "").strip()
            if text.isdigit():
                numbers[field.name] = int(text)
            elif not field.errors:
                field.errors.append(WHOLE_NUMBER_MESSAGES[field.name])
        pence: dict[str, int | None] = {}
        for field, name in (
            (self.cost_per_session, "cost_per_session_pence"),
            (self.cost_per_week, "cost_per_week_pence"),
        ):
            text = (field.data or "").strip().removeprefix("£").replace(",", "")
            if not text:
                pence[name] = None
                continue
            try:
                amount = Decimal(text)
                whole_pence = amount.is_finite() and 0 <= amount == amount.quantize(Decimal("0.01"))
            except InvalidOperation:
                whole_pence = False
            if not whole_pence:
                if partial:
                    pence[name] = None
                field.errors.append(
                    f"{field.label.text.removesuffix(' (optional)')} must be an amount in pounds, like 45.50"
                )
                continue
            pence[name] = int(amount * 100)
        if partial:
            numbers = {name: numbers.get(name) for name in WHOLE_NUMBER_MESSAGES}
        elif len(numbers) < 2 or len(pence) < 2:
            return None
        chosen = set(self.commitments.data or [])
        return agreements.AgreementTerms(
            starts_on=self.starts_on.data,
            ends_on=self.ends_on.data,
            behaviour_expectations=(self.behaviour_expectations.data or "").strip() or None,
            reporting_procedures=(self.reporting_procedures.data or "").strip() or None,
            **numbers,
            **pence,
            **{name: name in chosen for name in COMMITMENTS},
        )


def _saved(form: AgreementForm, save: Callable[[agreements.AgreementTerms], object]) -> bool:
    """Check the form and every rule about the terms in one pass, showing every problem together; save when
    there are none."""
    if not form.is_submitted():
        return False
    valid = form.validate()
    terms = form.terms(partial=True)
    if valid and not any(form.errors.values()):
        return apply(form, lambda: save(terms), field="starts_on")
    try:
        agreements.check_terms(terms)
    except RuleBroken as exc:
        add_problems(form, exc, field="starts_on", skip_fields_with_errors=True)
    return False


def _form_for(agreement) -> AgreementForm:
    if agreement is None:
        return AgreementForm(
            data={"incidents_within_hours": "24", "reviews_every_weeks": "6", "commitments": list(COMMITMENTS)}
        )
    return AgreementForm(
        data={
            "starts_on": agreement.starts_on,
            "ends_on": agreement.ends_on,
            "incidents_within_hours": str(agreement.incidents_within_hours),
            "reviews_every_weeks": str(agreement.reviews_every_weeks),
            "commitments": [name for name in COMMITMENTS if getattr(agreement, name)],
            "behaviour_expectations": agreement.behaviour_expectations,
            "reporting_procedures": agreement.reporting_procedures,
            "cost_per_session": _pounds(agreement.cost_per_session_pence),
            "cost_per_week": _pounds(agreement.cost_per_week_pence),
        }
    )


class SignedCopyForm(FlaskForm):
    file = FileField("Choose a file", widget=GovFileInput(), validators=[FileRequired(message="Select a file")])
    signed_on = DayMonthYearField(
        "Date it was signed (optional)", description="For example, 1 9 2026", validators=[Optional()]
    )
    submit = SubmitField("Upload the signed copy", widget=GovSubmitInput())


def _pounds(pence: int | None) -> str | None:
    return None if pence is None else f"{pence // 100}.{pence % 100:02d}"


@bp.get("/providers/<uuid:provider_id>/agreement")
@access(roles=AGREEMENT_READERS)
def provider_agreement(provider_id: uuid.UUID):
    link = provider_of_my_school_or_404(provider_id)
    profile = link.profile
    period = half_terms.current_period(link.school_id)
    report = compliance.compliance_of(link, period)
    return render_template(
        "school_admin/agreements/agreement.html",
        profile=profile,
        agreement=report.agreement,
        commitments=COMMITMENTS,
        period=period,
        attendance=report.attendance,
        report=report,
        rag_labels=agreements.RAG_LABELS,
        can_edit=current_user.has_role(roles.AP_LEAD),
        can_see_compliance=current_user.has_role(*COMPLIANCE_READERS),
        signed_copies=agreements.signed_copies(profile.organisation_id, school_id=link.school_id),
        own_terms=agreements.placements_with_own_terms(profile.organisation_id, school_id=link.school_id),
    )


@bp.route("/providers/<uuid:provider_id>/agreement/edit", methods=["GET", "POST"])
@access(roles={roles.AP_LEAD})
def edit_provider_agreement(provider_id: uuid.UUID):
    link = provider_of_my_school_or_404(provider_id)
    profile = link.profile
    form = _form_for(agreements.agreement_for(profile.organisation_id, link.school_id))
    if _saved(
        form,
        lambda terms: agreements.save_agreement(
            current_organisation(), profile.organisation, terms, by=current_user._get_current_object()
        ),
    ):
        flash(f"Agreement saved for {profile.organisation.name}")
        return redirect(url_for("school_admin.provider_agreement", provider_id=provider_id))
    return render_template("school_admin/agreements/edit.html", form=form, profile=profile)


# --- the signed copy -------------------------------------------------------------------------------------------------


@bp.route("/providers/<uuid:provider_id>/agreement/signed-copy", methods=["GET", "POST"])
@access(roles={roles.AP_LEAD})
def upload_signed_agreement(provider_id: uuid.UUID):
    link = provider_of_my_school_or_404(provider_id)
    profile = link.profile
    agreement = agreements.agreement_for(profile.organisation_id, link.school_id)
    if agreement is None:
        flash(f"Record the agreement with {profile.organisation.name} before uploading its signed copy", "error")
        return redirect(url_for("school_admin.provider_agreement", provider_id=provider_id))
    form = SignedCopyForm()
    if form.validate_on_submit():
        upload = form.file.data
        try:
            stored = apply(
                form,
                lambda: agreements.store_signed_copy(
                    agreement,
                    upload.stream,
                    upload.filename or "",
                    signed_on=form.signed_on.data,
                    by=current_user._get_current_object(),
                ),
                field="signed_on",
            )
        except UploadRefused as refusal:
            form.file.errors.append(refusal.message)
        else:
            if stored:
                flash(f"Signed copy of the agreement with {profile.organisation.name} uploaded")
                return redirect(url_for("school_admin.provider_agreement", provider_id=provider_id))
    copies = agreements.signed_copies(profile.organisation_id, school_id=link.school_id)
    return render_template(
        "school_admin/agreements/signed_copy.html",
        form=form,
        profile=profile,
        current=copies[0] if copies else None,
        size_limit=f"{current_app.config['MAX_CONTENT_LENGTH'] // (1024 * 1024)} MB",
        accept=",".join(f".{extension}" for extension in sorted(DEFAULT_ALLOWED)),
    )


@bp.get("/providers/<uuid:provider_id>/agreement/signed-copy/<uuid:agreement_document_id>")
@access(roles=AGREEMENT_READERS)
def download_signed_agreement(provider_id: uuid.UUID, agreement_document_id: uuid.UUID):
    """A signed copy of the agreement (the current one or an earlier one), to anyone who may read the agreement."""
    link = provider_of_my_school_or_404(provider_id)
    profile = link.profile
    document = agreements.signed_copy(agreement_document_id)
    if (
        document is None
        or document.school_id != current_organisation().id
        or document.provider_id != profile.organisation_id
    ):
        abort(404)
    return audited_download(document, "agreement.document_downloaded", organisation=current_organisation())


# --- a placement's own terms ----------------------------------------------------------------------------------------


@bp.get("/placements/<uuid:placement_id>/agreement")
@access(roles=AGREEMENT_READERS)
def placement_agreement(placement_id: uuid.UUID):
    """The terms in force for one placement, and whether they are the provider's or the placement's own."""
    placement = own_or_404(Placement, placement_id, owner="school_id")
    own = agreements.placement_agreement(placement)
    provider_terms = agreements.agreement_for(placement.provider_id, placement.school_id)
    return render_template(
        "school_admin/agreements/placement.html",
        placement=placement,
        pupil=placement.pupil,
        profile=placement.provider.provider_profile,
        own=own,
        provider_terms=provider_terms,
        differs=agreements.differing_terms(own, provider_terms) if own else [],
        commitments=COMMITMENTS,
        can_edit=current_user.has_role(roles.AP_LEAD),
        form=ConfirmForm(formdata=None),
    )


@bp.route("/placements/<uuid:placement_id>/agreement/edit", methods=["GET", "POST"])
@access(roles={roles.AP_LEAD})
def edit_placement_agreement(placement_id: uuid.UUID):
    placement = own_or_404(Placement, placement_id, owner="school_id")
    provider_terms = agreements.agreement_for(placement.provider_id, placement.school_id)
    if provider_terms is None:
        flash(
            f"Record the agreement with {placement.provider.name} first: a placement's own terms start from it",
            "error",
        )
        return redirect(url_for("school_admin.placement_agreement", placement_id=placement_id))
    own = agreements.placement_agreement(placement)
    form = _form_for(own or provider_terms)
    if _saved(
        form,
        lambda terms: agreements.save_placement_agreement(placement, terms, by=current_user._get_current_object()),
    ):
        flash(f"Terms saved for {placement.pupil.named}'s placement")
        return redirect(url_for("school_admin.placement_agreement", placement_id=placement_id))
    return render_template(
        "school_admin/agreements/placement_edit.html",
        form=form,
        placement=placement,
        pupil=placement.pupil,
        profile=placement.provider.provider_profile,
        has_own=own is not None,
    )


@bp.post("/placements/<uuid:placement_id>/agreement/remove")
@access(roles={roles.AP_LEAD})
def remove_placement_agreement(placement_id: uuid.UUID):
    placement = own_or_404(Placement, placement_id, owner="school_id")
    form = ConfirmForm()
    if form.validate_on_submit() and apply(
        form,
        lambda: agreements.remove_placement_agreement(placement, by=current_user._get_current_object()),
        field="submit",
    ):
        flash(f"{placement.pupil.named}'s placement now follows the agreement with {placement.provider.name}")
    for message in form.submit.errors:
        flash(message, "error")
    return redirect(url_for("school_admin.placement_agreement", placement_id=placement_id))


@bp.get("/compliance")
@access(roles=COMPLIANCE_READERS)
def compliance_overview():
    """Every approved provider with each term's status and the overall over a chosen period (this half-term by
    default): a fixed number of queries for the school."""
    school = current_organisation()
    chosen = half_terms.chosen(school.id, request.args.get("period"))
    profiles = sorted(compliance.approved_providers(school.id), key=lambda p: p.provider.name.lower())
    reports = compliance.compliance_for(school.id, profiles, chosen.period)
    return render_template(
        "school_admin/agreements/compliance.html",
        rows=[(profile, reports[profile.organisation_id]) for profile in profiles],
        term_names=compliance.TERM_NAMES,
        chosen=chosen,
        period=chosen.period,
        open_breaches=compliance_breaches.open_count(school.id),
        rag_labels=agreements.RAG_LABELS,
    )
