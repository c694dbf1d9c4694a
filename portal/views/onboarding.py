"""Onboarding on the portal: the task list, organisation details, teaching sites and contacts."""

import uuid

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from portal import bp
from portal.forms import ContactsForm, OrganisationForm, SiteForm
from shared import roles
from shared.auth.access import access, current_organisation
from shared.auth.tenancy import chosen_school_of_my_provider, own_or_404
from shared.evidence_catalogue import PROVIDER_TYPE_LABELS
from shared.forms import ConfirmForm
from shared.models import ProviderProfile, ProviderSite
from shared.services.providers import approval, onboarding
from shared.services.providers.lists import last_decision_of
from shared.web import apply, from_form, submitted


def _profile() -> ProviderProfile:
    return current_organisation().provider_profile


@bp.get("/onboarding")
@access(roles={roles.PROVIDER_MANAGER})
def onboarding_tasks():
    choice = chosen_school_of_my_provider(request.args.get("school"))
    profile = choice.profile
    returned = last_decision_of(choice)
    return render_template(
        "portal/onboarding/tasks.html",
        profile=profile,
        choice=choice,
        tasks=onboarding.onboarding_tasks(choice),
        last_decision=returned,
        dsl_missing=onboarding.dsl_account_missing(profile),
    )


@bp.route("/onboarding/organisation", methods=["GET", "POST"])
@access(roles={roles.PROVIDER_MANAGER})
def organisation_details():
    profile = _profile()
    form = OrganisationForm(obj=profile)
    if submitted(
        form,
        lambda: onboarding.save_organisation_details(
            profile,
            from_form(onboarding.OrganisationDetails, form),
            by=current_user,
        ),
        check=lambda: onboarding.check_organisation_details(from_form(onboarding.OrganisationDetails, form)),
    ):
        flash("Organisation details saved")
        return redirect(url_for("portal.onboarding_tasks"))
    return render_template("portal/onboarding/organisation.html", form=form, type_labels=PROVIDER_TYPE_LABELS)


@bp.route("/onboarding/sites", methods=["GET", "POST"])
@access(roles={roles.PROVIDER_MANAGER})
def sites():
    profile = _profile()
    form = SiteForm()
    if submitted(
        form,
        lambda: onboarding.add_site(
            profile,
            from_form(onboarding.SiteDetails, form),
            by=current_user,
        ),
        check=lambda: onboarding.check_site(from_form(onboarding.SiteDetails, form)),
    ):
        flash(f"{form.name.data} added")
        return redirect(url_for("portal.sites"))
    return render_template("portal/onboarding/sites.html", form=form, profile=profile, confirm_form=ConfirmForm())


@bp.route("/onboarding/sites/<uuid:site_id>/remove", methods=["GET", "POST"])
@access(roles={roles.PROVIDER_MANAGER})
def remove_site(site_id: uuid.UUID):
    """Asks first: a site is removed only after 'Yes, remove' on this page (one click on the list only opens it)."""
    site = own_or_404(ProviderSite, site_id)
    name = site.name
    form = ConfirmForm()
    refused = onboarding.why_site_stays(site)
    if (
        not refused
        and form.validate_on_submit()
        and apply(form, lambda: onboarding.remove_site(site, by=current_user), field="submit")
    ):
        flash(f"{name} removed")
        return redirect(url_for("portal.sites"))
    return render_template(
        "portal/onboarding/confirm_remove.html",
        form=form,
        what="Teaching sites",
        name=name,
        consequences=["The school will no longer see it among your teaching sites."],
        refused=refused,
        back=url_for("portal.sites"),
    )


@bp.route("/onboarding/contacts", methods=["GET", "POST"])
@access(roles={roles.PROVIDER_MANAGER})
def contacts():
    profile = _profile()
    form = ContactsForm(obj=profile)
    if submitted(
        form,
        lambda: onboarding.save_contacts(
            profile,
            from_form(onboarding.Contacts, form),
            by=current_user,
        ),
        check=lambda: onboarding.check_contacts(from_form(onboarding.Contacts, form)),
    ):
        flash("Contacts saved")
        return redirect(url_for("portal.onboarding_tasks"))
    return render_template("portal/onboarding/contacts.html", form=form)


@bp.route("/onboarding/submit", methods=["GET", "POST"])
@access(roles={roles.PROVIDER_MANAGER})
def submit_onboarding():
    choice = chosen_school_of_my_provider(request.values.get("school"))
    profile = choice.profile
    form = ConfirmForm()
    if form.validate_on_submit() and apply(
        form, lambda: approval.submit_for_approval(choice, by=current_user), field="submit"
    ):
        flash(f"Submitted to {choice.school.name}. Its AP lead has been told and will check everything.")
        return redirect(url_for("portal.onboarding_tasks", school=choice.school_arg))
    return render_template(
        "portal/onboarding/submit.html",
        profile=profile,
        choice=choice,
        checklist=approval.provider_checklist(choice),
        form=form,
        dsl_missing=onboarding.dsl_account_missing(profile),
    )
