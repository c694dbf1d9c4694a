"""The school's child protection policy as the provider sees it: download it, and (the provider's DSL) confirm each
new version; and the school DSL's latest review of the provider's own policy."""

import uuid

from flask import flash, redirect, render_template, url_for
from flask_login import current_user

from portal import bp
from shared import roles
from shared.auth.access import access, current_organisation
from shared.auth.tenancy import policy_of_my_school_or_404
from shared.forms import ConfirmForm
from shared.services.accounts import directory
from shared.services.safeguarding import policies
from shared.uploads.downloads import audited_download
from shared.web import apply

# The manager sees where things stand; only the DSL confirms.
POLICY_READERS = (roles.PROVIDER_MANAGER, roles.PROVIDER_DSL)


def _page(form: ConfirmForm):
    provider = current_organisation()
    profile = provider.provider_profile
    versions = policies.policy_versions(profile.school_id)
    current = versions[0] if versions else None
    confirmation = policies.confirmation_of(current, provider.id) if current else None
    review = policies.latest_review(provider.id)
    return render_template(
        "portal/policies/index.html",
        school=profile.school,
        current=current,
        earlier=versions[1:],
        confirmation=confirmation,
        confirmed_by=directory.person(confirmation.confirmed_by_id) if confirmation else None,
        can_confirm=current_user.has_role(roles.PROVIDER_DSL),
        review=review,
        outcomes=policies.REVIEW_OUTCOMES,
        form=form,
    )


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
        flash(f"You have confirmed version {policy.version} of the school's policy")
        return redirect(url_for("portal.school_policy"))
    return _page(form)


@bp.get("/policies/<uuid:policy_id>/file")
@access(roles=POLICY_READERS)
def download_school_policy(policy_id: uuid.UUID):
    policy = policy_of_my_school_or_404(policy_id)
    return audited_download(policy, "policy.downloaded", organisation=current_organisation(), version=policy.version)
