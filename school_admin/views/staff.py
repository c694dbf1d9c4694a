"""School staff accounts: list, invite, change roles, deactivate (school_admin role)."""

import uuid

from flask import flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select

from school_admin import bp
from shared import roles
from shared.auth.access import current_organisation, member_or_404, roles_required
from shared.extensions import db
from shared.forms import ConfirmForm, InviteForm, RolesForm
from shared.mail import MailNotSent
from shared.models import Invitation, Membership, User
from shared.services import accounts


def _role_choices():
    return list(roles.SCHOOL_ROLES.items())


@bp.get("/staff")
@roles_required(roles.SCHOOL_ADMIN)
def staff():
    org = current_organisation()
    people = db.session.scalars(
        select(User).join(Membership).where(Membership.organisation_id == org.id).order_by(User.name)
    ).all()
    pending = db.session.scalars(
        select(Invitation)
        .where(Invitation.organisation_id == org.id, Invitation.accepted_at.is_(None))
        .order_by(Invitation.created_at.desc())
    ).all()
    return render_template("school_admin/staff.html", people=people, pending=pending)


@bp.route("/staff/invite", methods=["GET", "POST"])
@roles_required(roles.SCHOOL_ADMIN)
def invite_staff():
    form = InviteForm()
    form.roles.choices = _role_choices()
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
            return redirect(url_for("school_admin.staff"))
    return render_template("school_admin/invite_staff.html", form=form)


@bp.route("/staff/<uuid:user_id>/roles", methods=["GET", "POST"])
@roles_required(roles.SCHOOL_ADMIN)
def staff_roles(user_id: uuid.UUID):
    person = member_or_404(user_id, current_organisation())
    form = RolesForm(data={"roles": sorted(person.roles)})
    form.roles.choices = _role_choices()
    if form.validate_on_submit():
        try:
            accounts.set_roles(person, form.roles.data, by=current_user._get_current_object())
        except accounts.AccountError as exc:
            db.session.rollback()
            form.roles.errors.append(str(exc))
        else:
            flash(f"Roles updated for {person.name}")
            return redirect(url_for("school_admin.staff"))
    return render_template("school_admin/staff_roles.html", form=form, person=person, confirm_form=ConfirmForm())


@bp.post("/staff/<uuid:user_id>/deactivate")
@roles_required(roles.SCHOOL_ADMIN)
def deactivate_staff(user_id: uuid.UUID):
    person = member_or_404(user_id, current_organisation())
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            accounts.deactivate_user(person, by=current_user._get_current_object())
        except accounts.AccountError as exc:
            flash(str(exc), "error")
        else:
            flash(f"{person.name} can no longer sign in")
    return redirect(url_for("school_admin.staff"))
