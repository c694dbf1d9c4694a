"""The school's child protection policy as the provider sees it: everyone at the provider downloads it and confirms
each version themselves (the provider's DSL and manager see who has); the provider's DSL confirms each new version
for the organisation; and the school DSL's latest review of the provider's own policy."""

import uuid

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput
from wtforms import SubmitField

from portal import bp
from shared import roles
from shared.auth.access import access, current_organisation
from shared.auth.tenancy import chosen_school_of_my_provider, policy_of_my_school_or_404, school_of_my_provider_or_404
from shared.forms import ConfirmForm
from shared.models import SchoolPolicy
from shared.services.accounts import directory
from shared.services.safeguarding import policies
from shared.uploads.downloads import audited_download
from shared.web import apply

# Everyone at the provider reads the policy and confirms it themselves; only the DSL confirms for the organisation,
# and the DSL and the manager see who has read it.
POLICY_READERS = policies.READERS
OVERSEERS = (roles.PROVIDER_DSL, roles.PROVIDER_MANAGER)


class ReadForm(FlaskForm):
    submit = SubmitField("I have read it", id="read-submit", widget=GovSubmitInput())


def _page(form: ConfirmForm, school: str | None = None):
    provider = current_organisation()
    choice = chosen_school_of_my_provider(school or request.args.get("school"))
    versions = policies.policy_versions(choice.school_id)
    current = versions[0] if versions else None
    confirmation = policies.confirmation_of(current, provider.id) if current else None
    review = policies.latest_review(provider.id, choice.school_id)
    return render_template(
        "portal/policies/index.html",
        school=choice.school,
        choice=choice,
        current=current,
        earlier=versions[1:],
        confirmation=confirmation,
        confirmed_by=directory.person(confirmation.confirmed_by_id) if confirmation else None,
        can_confirm=current_user.has_role(roles.PROVIDER_DSL),
        my_reading=policies.reading_of(current, current_user.id) if current else None,
        readings=policies.readings(provider, current)
        if current and any(current_user.has_role(r) for r in OVERSEERS)
        else None,
        read_form=ReadForm(),
        review=review,
        outcomes=policies.REVIEW_OUTCOMES,
        form=form,
    )


def _policy_page(policy: SchoolPolicy) -> str:
    return url_for("portal.school_policy", school=school_of_my_provider_or_404(policy.school_id).school_arg)


@bp.get("/policies")
@access(roles=POLICY_READERS)
def school_policy():
    return _page(ConfirmForm())


@bp.post("/policies/<uuid:policy_id>/confirm")
@access(roles={roles.PROVIDER_DSL})
def confirm_school_policy(policy_id: uuid.UUID):
    policy = policy_of_my_school_or_404(policy_id)
    form = ConfirmForm()
    if form.validate_on_submit() and apply(
        form, lambda: policies.confirm_policy(current_organisation(), policy, by=current_user), field="submit"
    ):
        flash(f"You have confirmed version {policy.version} of {policy.school.name}'s policy")
        return redirect(
            url_for("portal.school_policy", school=school_of_my_provider_or_404(policy.school_id).school_arg)
        )
    return _page(form, str(policy.school_id))


@bp.post("/policies/<uuid:policy_id>/read")
@access(roles=POLICY_READERS)
def confirm_policy_read(policy_id: uuid.UUID):
    policy = policy_of_my_school_or_404(policy_id)
    form = ReadForm()
    if form.validate_on_submit() and apply(
        form, lambda: policies.confirm_reading(current_organisation(), policy, by=current_user), field="submit"
    ):
        flash(f"You have confirmed that you have read version {policy.version} of {policy.school.name}'s policy")
    for message in form.submit.errors:
        flash(message, "error")
    return redirect(_policy_page(policy))


@bp.get("/policies/<uuid:policy_id>/file")
@access(roles=POLICY_READERS)
def download_school_policy(policy_id: uuid.UUID):
    policy = policy_of_my_school_or_404(policy_id)
    return audited_download(policy, "policy.downloaded", organisation=current_organisation(), version=policy.version)
