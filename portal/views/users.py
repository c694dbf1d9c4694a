"""The provider's own users: list, invite, deactivate (provider_manager role)."""

import uuid

from flask import flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select

from portal import bp
from shared import roles
from shared.auth.access import current_organisation, member_or_404, roles_required
from shared.extensions import db
from shared.forms import ConfirmForm, InviteForm
from shared.mail import MailNotSent
from shared.models import Invitation, Membership, User
from shared.services import accounts


@bp.get("/users")
@roles_required(roles.PROVIDER_MANAGER)
def users():
    org = current_organisation()
    people = db.session.scalars(
        select(User).join(Membership).where(Membership.organisation_id == org.id).order_by(User.name)
    ).all()
    pending = db.session.scalars(
        select(Invitation)
        .where(Invitation.organisation_id == org.id, Invitation.accepted_at.is_(None))
        .order_by(Invitation.created_at.desc())
    ).all()
    return render_template("portal/users.html", people=people, pending=pending, confirm_form=ConfirmForm())


@bp.route("/users/invite", methods=["GET", "POST"])
@roles_required(roles.PROVIDER_MANAGER)
def invite_user():
    form = InviteForm()
    form.roles.choices = list(roles.PROVIDER_ROLES.items())
    if form.validate_on_submit():
        try:
            accounts.invite(
                current_organisation(),
                name=form.name.data,
                email=form.email.data,
                roles=form.roles.data,
                by=current_user._get_current_object(),
            )
        except accounts.AccountError as exc:
            getattr(form, exc.field or "email").errors.append(str(exc))
        except MailNotSent:
            form.form_errors.append("The invitation e-mail could not be sent, so nothing was saved. Try again later.")
        else:
            flash(f"Invitation sent to {form.email.data.strip().lower()}")
            return redirect(url_for("portal.users"))
    return render_template("portal/invite_user.html", form=form)


@bp.get("/users/<uuid:user_id>")
@roles_required(roles.PROVIDER_MANAGER)
def user_detail(user_id: uuid.UUID):
    person = member_or_404(user_id, current_organisation())
    return render_template("portal/user_detail.html", person=person, confirm_form=ConfirmForm())


@bp.post("/users/<uuid:user_id>/deactivate")
@roles_required(roles.PROVIDER_MANAGER)
def deactivate_user(user_id: uuid.UUID):
    person = member_or_404(user_id, current_organisation())
    if ConfirmForm().validate_on_submit():
        try:
            accounts.deactivate_user(person, by=current_user._get_current_object())
        except accounts.AccountError as exc:
            flash(str(exc), "error")
        else:
            flash(f"{person.name} can no longer sign in")
    return redirect(url_for("portal.users"))
