"""School staff accounts: list, invite, change roles, deactivate (school_admin role)."""

import uuid

from flask import flash, redirect, render_template, url_for
from flask_login import current_user

from school_admin import bp
from shared import roles
from shared.auth.access import access, current_organisation
from shared.auth.tenancy import member_or_404
from shared.forms import ConfirmForm, InviteForm, RolesForm, choices_from
from shared.services.accounts import people as accounts
from shared.web import apply, deactivate_member, invite_into_my_organisation


def _role_choices():
    return choices_from(roles.SCHOOL_ROLES)


@bp.get("/staff")
@access(roles={roles.SCHOOL_ADMIN})
def staff():
    org = current_organisation()
    return render_template(
        "school_admin/staff.html",
        people=accounts.organisation_people(org),
        pending=accounts.pending_invitations(org),
    )


@bp.route("/staff/invite", methods=["GET", "POST"])
@access(roles={roles.SCHOOL_ADMIN})
def invite_staff():
    form = InviteForm()
    form.roles.choices = _role_choices()
    if form.validate_on_submit() and invite_into_my_organisation(form):
        flash(f"Invitation sent to {accounts.normalise_email(form.email.data)}")
        return redirect(url_for("school_admin.staff"))
    return render_template("school_admin/invite_staff.html", form=form)


@bp.route("/staff/<uuid:user_id>/roles", methods=["GET", "POST"])
@access(roles={roles.SCHOOL_ADMIN})
def staff_roles(user_id: uuid.UUID):
    person = member_or_404(user_id, current_organisation())
    form = RolesForm(data={"roles": sorted(person.roles)})
    form.roles.choices = _role_choices()
    if form.validate_on_submit() and apply(
        form, lambda: accounts.set_roles(person, form.roles.data, by=current_user._get_current_object())
    ):
        flash(f"Roles updated for {person.name}")
        return redirect(url_for("school_admin.staff"))
    return render_template("school_admin/staff_roles.html", form=form, person=person, confirm_form=ConfirmForm())


@bp.post("/staff/<uuid:user_id>/deactivate")
@access(roles={roles.SCHOOL_ADMIN})
def deactivate_staff(user_id: uuid.UUID):
    deactivate_member(member_or_404(user_id, current_organisation()))
    return redirect(url_for("school_admin.staff"))
