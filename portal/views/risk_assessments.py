"""The joint risk assessment, the provider's side (issue 15): the provider's DSL reads what the school wrote, adds
the provider's measures section by section, and signs. Only the provider's DSL role opens it; every page needs a
recent security code and every opening is logged in the school's safeguarding access log."""

import uuid

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput, GovTextArea, GovTextInput
from wtforms import StringField, SubmitField, TextAreaField
from wtforms.validators import Length, Optional

from portal import bp
from shared import roles
from shared.auth.access import access, current_organisation, recent_mfa_required
from shared.clock import local_now
from shared.forms import single_line
from shared.models import Placement, RiskAssessment
from shared.services.placements import risk
from shared.services.placements.plans import provider_placement
from shared.services.safeguarding.access_log import record_opening
from shared.web import apply


class ProviderPartForm(FlaskForm):
    submit = SubmitField("Save your measures", widget=GovSubmitInput())


for _key, _label in risk.SECTIONS.items():
    setattr(
        ProviderPartForm,
        _key,
        TextAreaField(
            f"{_label}: your measures",
            id=_key,
            widget=GovTextArea(),
            validators=[Optional(), Length(max=risk.MAX_TEXT, message="Keep each box to 5000 characters or fewer")],
        ),
    )


class SignForm(FlaskForm):
    typed_name = StringField(
        "Type your full name to sign",
        widget=GovTextInput(),
        filters=[single_line],
        validators=[Optional(), Length(max=200, message="Keep your name to 200 characters or fewer")],
    )
    submit = SubmitField("Sign the risk assessment", widget=GovSubmitInput())


def _placement_and_assessment(placement_id: uuid.UUID) -> tuple[Placement, RiskAssessment]:
    """The provider's placement and its written assessment; 404 for another provider's, or one not written yet."""
    placement = provider_placement(current_organisation().id, placement_id, local_now().date())
    if placement is None:
        abort(404)
    assessment = risk.of_placement(placement)
    if assessment is None or not risk.is_written(assessment):
        abort(404)
    return placement, assessment


def _opened(assessment: RiskAssessment) -> None:
    record_opening("risk_assessment.opened", assessment, organisation=current_organisation(), by=current_user)


def _page(placement: Placement, assessment: RiskAssessment, form: SignForm | None = None):
    return render_template(
        "portal/risk_assessments/show.html",
        placement=placement,
        pupil_name=placement.pupil.known_as,
        assessment=assessment,
        sections=risk.sections(assessment),
        form=form or SignForm(),
    )


@bp.get("/pupils/<uuid:placement_id>/risk-assessment")
@access(roles={roles.PROVIDER_DSL})
@recent_mfa_required
def risk_assessment_page(placement_id: uuid.UUID):
    placement, assessment = _placement_and_assessment(placement_id)
    _opened(assessment)
    return _page(placement, assessment)


@bp.route("/pupils/<uuid:placement_id>/risk-assessment/edit", methods=["GET", "POST"])
@access(roles={roles.PROVIDER_DSL})
@recent_mfa_required
def risk_assessment_edit(placement_id: uuid.UUID):
    placement, assessment = _placement_and_assessment(placement_id)
    form = ProviderPartForm()
    if not form.is_submitted():
        _opened(assessment)
        for section in risk.sections(assessment):
            form[section.key].data = section.provider_measures
    if form.validate_on_submit() and apply(
        form,
        lambda: risk.save_provider_part(assessment, {key: form[key].data for key in risk.SECTIONS}, by=current_user),
        field="exploitation",
    ):
        flash("Your measures are saved. Any signatures are voided: both DSLs sign again.")
        return redirect(url_for("portal.risk_assessment_page", placement_id=placement.id))
    return render_template(
        "portal/risk_assessments/edit.html",
        form=form,
        placement=placement,
        pupil_name=placement.pupil.known_as,
        sections=risk.sections(assessment),
    )


@bp.post("/pupils/<uuid:placement_id>/risk-assessment/sign")
@access(roles={roles.PROVIDER_DSL})
@recent_mfa_required
def risk_assessment_sign(placement_id: uuid.UUID):
    placement, assessment = _placement_and_assessment(placement_id)
    form = SignForm()
    if form.validate_on_submit() and apply(
        form, lambda: risk.sign(assessment, "provider", form.typed_name.data, by=current_user), field="typed_name"
    ):
        flash("You have signed the risk assessment for your organisation")
        return redirect(url_for("portal.risk_assessment_page", placement_id=placement.id))
    return _page(placement, assessment, form)
