"""Whose verifications of providers' evidence the school relies on (its local authority, the schools of its trust,
any school, or only its own): the headteacher's and AP lead's choice, audited."""

from flask import flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput
from wtforms import SubmitField

from school_admin import bp
from shared import roles
from shared.auth.access import access, current_organisation
from shared.forms import MultiCheckboxField, choices_from
from shared.models import Organisation
from shared.services.evidence import reliance
from shared.web import apply


class RelianceForm(FlaskForm):
    relies = MultiCheckboxField("Whose verification does your school rely on, besides its own?")
    submit = SubmitField("Save", widget=GovSubmitInput())


def _choices(school: Organisation) -> dict[str, str]:
    choices: dict[str, str] = {}
    if school.local_authority is not None:
        choices["relies_on_la"] = f"{school.local_authority.name} (your local authority)"
    if school.trust_name:
        choices["relies_on_trust"] = f"Schools of {school.trust_name} (your trust)"
    choices["relies_on_any_school"] = "Any school on AP Portal"
    return choices


@bp.route("/settings/verification", methods=["GET", "POST"])
@access(roles={roles.HEADTEACHER, roles.AP_LEAD})
def verification_settings():
    school = current_organisation()
    form = RelianceForm()
    offered = _choices(school)
    form.relies.choices = choices_from(offered)
    if not form.is_submitted():
        form.relies.data = [name for name, chosen in reliance.reliance_choices(school).items() if chosen]
    if form.validate_on_submit():
        chosen = set(form.relies.data or []) & set(offered)
        if apply(
            form,
            lambda: reliance.set_reliance(
                school,
                la="relies_on_la" in chosen,
                trust="relies_on_trust" in chosen,
                any_school="relies_on_any_school" in chosen,
                by=current_user._get_current_object(),
            ),
            field="relies",
        ):
            flash(reliance.describe_reliance(school))
            return redirect(url_for("school_admin.verification_settings"))
    return render_template(
        "school_admin/verification/settings.html",
        form=form,
        school=school,
        summary=reliance.describe_reliance(school),
        default_note=reliance.DEFAULT_NOTE,
    )
