"""The people pages of an organisation, one set for both sides: the list of accounts and invitations, inviting
someone, a person's page (their roles, changed where the side allows it) and deactivating an account.

Each side registers them on its own blueprint with its words, roles and endpoint names (`portal.users`,
`school_admin.staff`, ...), so the URLs and the access declarations stay the side's own while the views and
templates exist once. Only a manager of the organisation (the provider manager, the school administrator) may use
them, and a person named in a URL must be a member of the signed-in person's organisation, or it is a 404.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from flask import Blueprint, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from shared.auth.access import access, current_organisation
from shared.auth.tenancy import member_or_404
from shared.forms import ConfirmForm, InviteForm, RolesForm, choices_from
from shared.services.accounts import people as accounts
from shared.web import apply, deactivate_member, invite_into_my_organisation


@dataclass(frozen=True)
class PeoplePages:
    """What differs between the sides: the layout, the words, the roles that may be given and who manages them."""

    layout: str  # the side's base template
    roles: dict[str, str]  # the roles of the side, with their labels
    managers: frozenset[str]  # who may use these pages
    title: str  # "Users", "Staff"
    invite_title: str  # "Invite a user"
    mfa_hint: str  # what the invite page says about two-step sign-in
    can_change_roles: bool  # may the manager change a person's roles on their page?
    # Endpoint names on the side's blueprint (without the blueprint's name) and their URL rules.
    list_endpoint: str
    invite_endpoint: str
    person_endpoint: str
    deactivate_endpoint: str
    list_rule: str
    invite_rule: str
    person_rule: str
    deactivate_rule: str


def register_people_pages(bp: Blueprint, pages: PeoplePages) -> None:
    """Add the four people pages to a side's blueprint."""
    endpoint = {
        "list": f"{bp.name}.{pages.list_endpoint}",
        "invite": f"{bp.name}.{pages.invite_endpoint}",
        "person": f"{bp.name}.{pages.person_endpoint}",
        "deactivate": f"{bp.name}.{pages.deactivate_endpoint}",
    }
    managers = access(roles=pages.managers)

    def render(template: str, **context: object) -> str:
        return render_template(f"people/{template}", pages=pages, endpoint=endpoint, **context)

    def people_list() -> ResponseReturnValue:
        org = current_organisation()
        return render("list.html", people=accounts.organisation_people(org), pending=accounts.pending_invitations(org))

    def invite_person() -> ResponseReturnValue:
        form = InviteForm()
        form.roles.choices = choices_from(pages.roles)
        if form.validate_on_submit() and invite_into_my_organisation(form):
            flash(f"Invitation sent to {accounts.normalise_email(form.email.data)}")
            return redirect(url_for(endpoint["list"]))
        return render("invite.html", form=form)

    def person_page(user_id: uuid.UUID) -> ResponseReturnValue:
        person = member_or_404(user_id, current_organisation())
        form = None
        if pages.can_change_roles:
            form = RolesForm(data={"roles": sorted(person.roles)})
            form.roles.choices = choices_from(pages.roles)
            if form.validate_on_submit() and apply(
                form, lambda: accounts.set_roles(person, form.roles.data, by=current_user._get_current_object())
            ):
                flash(f"Roles updated for {person.name}")
                return redirect(url_for(endpoint["list"]))
        return render("person.html", person=person, form=form, confirm_form=ConfirmForm())

    def deactivate_person(user_id: uuid.UUID) -> ResponseReturnValue:
        deactivate_member(member_or_404(user_id, current_organisation()))
        return redirect(url_for(endpoint["list"]))

    person_methods = ["GET", "POST"] if pages.can_change_roles else ["GET"]
    bp.add_url_rule(pages.list_rule, pages.list_endpoint, managers(people_list), methods=["GET"])
    bp.add_url_rule(pages.invite_rule, pages.invite_endpoint, managers(invite_person), methods=["GET", "POST"])
    bp.add_url_rule(pages.person_rule, pages.person_endpoint, managers(person_page), methods=person_methods)
    bp.add_url_rule(pages.deactivate_rule, pages.deactivate_endpoint, managers(deactivate_person), methods=["POST"])
