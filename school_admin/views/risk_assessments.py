"""The joint risk assessment of a placement, the school's side (issue 15): a DSL or the AP lead writes each
section's risk and the measures agreed, a school DSL signs, the headteacher reads it. Safeguarding content: every
page needs a recent security code and every opening is logged (the safeguarding access log)."""

import uuid

from flask import flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput, GovTextArea, GovTextInput
from wtforms import StringField, SubmitField, TextAreaField
from wtforms.validators import Length, Optional

from school_admin import bp
from shared import roles
from shared.auth.access import access, current_organisation, recent_mfa_required
from shared.auth.tenancy import own_or_404
from shared.forms import single_line
from shared.models import Placement
from shared.services.placements import risk
from shared.services.placements.incidents import names_of
from shared.services.safeguarding.access_log import record_opening
from shared.web import apply

READERS = (roles.DSL, roles.AP_LEAD, roles.HEADTEACHER)
WRITERS = (roles.DSL, roles.AP_LEAD)


def _box(label: str, field_id: str) -> TextAreaField:
    return TextAreaField(
        label,
        id=field_id,
        widget=GovTextArea(),
        validators=[Optional(), Length(max=risk.MAX_TEXT, message="Keep each box to 5000 characters or fewer")],
    )


class SchoolPartForm(FlaskForm):
    submit = SubmitField("Save the risk assessment", widget=GovSubmitInput())


for _key, _label in risk.SECTIONS.items():
    setattr(SchoolPartForm, f"{_key}_risk", _box(f"{_label}: the risk as assessed", f"{_key}_risk"))
    setattr(SchoolPartForm, f"{_key}_measures", _box(f"{_label}: the measures agreed", f"{_key}_measures"))


class SignForm(FlaskForm):
    typed_name = StringField(
        "Type your full name to sign",
        widget=GovTextInput(),
        filters=[single_line],
        validators=[Optional(), Length(max=200, message="Keep your name to 200 characters or fewer")],
    )
    submit = SubmitField("Sign the risk assessment", widget=GovSubmitInput())


def _page(placement: Placement, sign_form: SignForm | None = None):
    assessment = risk.of_placement(placement)
    if assessment is not None:
        record_opening("risk_assessment.opened", assessment, organisation=current_organisation(), by=current_user)
    names = names_of(
        [assessment.school_signed_by_id, assessment.provider_signed_by_id, assessment.proceed_unsigned_by_id]
        if assessment
        else []
    )
    return render_template(
        "school_admin/risk_assessments/show.html",
        placement=placement,
        pupil=placement.pupil,
        assessment=assessment,
        sections=risk.sections(assessment),
        written=risk.is_written(assessment),
        names=names,
        form=sign_form or SignForm(),
        can_write=current_user.has_role(*WRITERS),
        can_sign=current_user.has_role(roles.DSL),
    )


@bp.get("/placements/<uuid:placement_id>/joint-risk-assessment")
@access(roles=READERS)
@recent_mfa_required
def risk_assessment_page(placement_id: uuid.UUID):
    return _page(own_or_404(Placement, placement_id, owner="school_id"))


@bp.route("/placements/<uuid:placement_id>/joint-risk-assessment/edit", methods=["GET", "POST"])
@access(roles=WRITERS)
@recent_mfa_required
def risk_assessment_edit(placement_id: uuid.UUID):
    placement = own_or_404(Placement, placement_id, owner="school_id")
    assessment = risk.of_placement(placement)
    form = SchoolPartForm()
    if not form.is_submitted():
        if assessment is not None:
            record_opening("risk_assessment.opened", assessment, organisation=current_organisation(), by=current_user)
        for section in risk.sections(assessment):
            form[f"{section.key}_risk"].data = section.risk
            form[f"{section.key}_measures"].data = section.measures
    if form.validate_on_submit() and apply(
        form,
        lambda: risk.save_school_part(
            placement,
            {key: (form[f"{key}_risk"].data, form[f"{key}_measures"].data) for key in risk.SECTIONS},
            by=current_user,
        ),
        field="exploitation_risk",
    ):
        flash("Risk assessment saved. Any signatures are voided: both DSLs sign again.")
        return redirect(url_for("school_admin.risk_assessment_page", placement_id=placement.id))
    return render_template(
        "school_admin/risk_assessments/edit.html",
        form=form,
        placement=placement,
        pupil=placement.pupil,
        sections=risk.SECTIONS,
        provider_measures={s.key: s.provider_measures for s in risk.sections(assessment)},
    )


@bp.post("/placements/<uuid:placement_id>/joint-risk-assessment/sign")
@access(roles={roles.DSL})
@recent_mfa_required
def risk_assessment_sign(placement_id: uuid.UUID):
    placement = own_or_404(Placement, placement_id, owner="school_id")
    assessment = risk.of_placement(placement)
    form = SignForm()
    if assessment is None:
        flash("The risk assessment has not been written yet", "error")
        return redirect(url_for("school_admin.risk_assessment_page", placement_id=placement.id))
    if form.validate_on_submit() and apply(
        form, lambda: risk.sign(assessment, "school", form.typed_name.data, by=current_user), field="typed_name"
    ):
        flash("You have signed the risk assessment for the school")
        return redirect(url_for("school_admin.risk_assessment_page", placement_id=placement.id))
    return _page(placement, sign_form=form)
