"""The provider's own users: list, invite, deactivate (provider_manager role)."""

import uuid

from flask import flash, redirect, render_template, url_for

from portal import bp
from shared import roles
from shared.auth.access import access, current_organisation
from shared.auth.tenancy import member_or_404
from shared.forms import ConfirmForm, InviteForm, choices_from
from shared.services.accounts import people as accounts
from shared.web import deactivate_member, invite_into_my_organisation


@bp.get("/users")
@access(roles={roles.PROVIDER_MANAGER})
def users():
    org = current_organisation()
    return render_template(
        "portal/users.html",
        people=accounts.organisation_people(org),
        pending=accounts.pending_invitations(org),
    )


@bp.route("/users/invite", methods=["GET", "POST"])
@access(roles={roles.PROVIDER_MANAGER})
def invite_user():
    form = InviteForm()
    form.roles.choices = choices_from(roles.PROVIDER_ROLES)
    if form.validate_on_submit() and invite_into_my_organisation(form):
        flash(f"Invitation sent to {accounts.normalise_email(form.email.data)}")
        return redirect(url_for("portal.users"))
    return render_template("portal/invite_user.html", form=form)


@bp.get("/users/<uuid:user_id>")
@access(roles={roles.PROVIDER_MANAGER})
def user_detail(user_id: uuid.UUID):
    person = member_or_404(user_id, current_organisation())
    return render_template("portal/user_detail.html", person=person, confirm_form=ConfirmForm())


@bp.post("/users/<uuid:user_id>/deactivate")
@access(roles={roles.PROVIDER_MANAGER})
def deactivate_user(user_id: uuid.UUID):
    deactivate_member(member_or_404(user_id, current_organisation()))
    return redirect(url_for("portal.users"))
