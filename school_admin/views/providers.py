"""Providers the school uses; the AP lead invites new ones."""

from flask import flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput, GovTextInput
from sqlalchemy import select
from wtforms import StringField, SubmitField
from wtforms.validators import InputRequired, Length

from school_admin import bp
from shared import roles
from shared.auth.access import current_organisation, roles_required
from shared.extensions import db
from shared.forms import email_field, name_field, single_line
from shared.models import Organisation, ProviderProfile
from shared.services import accounts
from shared.web import apply

# Who may see the list of providers: the people who place pupils or oversee provision.
PROVIDER_READERS = (roles.AP_LEAD, roles.HEADTEACHER, roles.DSL, roles.SLT, roles.SENDCO, roles.ATTENDANCE_LEAD)


class InviteProviderForm(FlaskForm):
    provider_name = StringField(
        "Provider's name",
        widget=GovTextInput(),
        filters=[single_line],
        validators=[
            InputRequired(message="Enter the provider's name"),
            Length(max=200, message="Provider's name must be 200 characters or fewer"),
        ],
    )
    name = name_field("Provider manager's full name")
    email = email_field("Provider manager's email address")
    submit = SubmitField("Invite provider", widget=GovSubmitInput())


@bp.get("/providers")
@roles_required(*PROVIDER_READERS)
def providers():
    rows = db.session.execute(
        select(Organisation, ProviderProfile)
        .join(ProviderProfile, ProviderProfile.organisation_id == Organisation.id)
        .where(ProviderProfile.school_id == current_organisation().id)
        .order_by(Organisation.name)
    ).all()
    return render_template("school_admin/providers.html", rows=rows, can_invite=current_user.has_role(roles.AP_LEAD))


@bp.route("/providers/invite", methods=["GET", "POST"])
@roles_required(roles.AP_LEAD)
def invite_provider():
    form = InviteProviderForm()
    if form.validate_on_submit() and apply(
        form,
        lambda: accounts.invite_provider(
            current_organisation(),
            provider_name=form.provider_name.data,
            manager_name=form.name.data,
            manager_email=form.email.data,
            by=current_user._get_current_object(),
        ),
    ):
        flash(f"{form.provider_name.data.strip()} has been invited. Their manager has been sent an e-mail.")
        return redirect(url_for("school_admin.providers"))
    return render_template("school_admin/invite_provider.html", form=form)
