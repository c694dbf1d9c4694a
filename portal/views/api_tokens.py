"""The provider manager's API tokens, for providers whose own system sends attendance (/api/v1).

A new token is shown once, on the page that answers the form: it is never stored in the clear, never put in a URL,
a cookie or a flash message, so it cannot be shown again.
"""

import uuid

from flask import flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput, GovTextInput
from wtforms import StringField, SubmitField
from wtforms.validators import InputRequired, Length

from portal import bp
from shared import roles
from shared.auth.access import access, current_organisation
from shared.auth.tenancy import own_or_404
from shared.clock import local_now
from shared.forms import single_line
from shared.models import ApiToken
from shared.services.accounts import api_tokens
from shared.web import apply


class ApiTokenForm(FlaskForm):
    name = StringField(
        "What is the token for?",
        widget=GovTextInput(),
        filters=[single_line],
        description="For example, the name of your management information system. It helps you tell tokens apart.",
        validators=[
            InputRequired(message="Enter what the token is for, like 'Our MIS'"),
            Length(max=api_tokens.MAX_NAME_LENGTH, message="The name must be 100 characters or fewer"),
        ],
    )
    submit = SubmitField("Create token", widget=GovSubmitInput())


@bp.route("/api-tokens", methods=["GET", "POST"])
@access(roles={roles.PROVIDER_MANAGER})
def api_tokens_page():
    form = ApiTokenForm()
    created = {}
    if form.validate_on_submit() and apply(
        form,
        lambda: created.update(
            new=api_tokens.create(current_organisation(), name=form.name.data, by=current_user._get_current_object())
        ),
        field="name",
    ):
        return render_template("portal/api_tokens/created.html", new=created["new"])
    return render_template(
        "portal/api_tokens/index.html",
        form=form,
        tokens=api_tokens.tokens_of(current_organisation().id),
        local=local_now,
    )


@bp.post("/api-tokens/<uuid:token_id>/revoke")
@access(roles={roles.PROVIDER_MANAGER})
def revoke_api_token(token_id: uuid.UUID):
    token = own_or_404(ApiToken, token_id)
    if api_tokens.revoke(token, by=current_user._get_current_object()):
        flash(f"Token {token.name} ({token.prefix}…) revoked. Systems using it can no longer send attendance.")
    return redirect(url_for("portal.api_tokens_page"))
