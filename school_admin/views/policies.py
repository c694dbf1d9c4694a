"""Child-protection policies: the school's own (versions uploaded by a DSL, which every provider's DSL confirms)
and the school DSL's review of each provider's own policy."""

import uuid

from flask import current_app, flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from govuk_frontend_wtf.wtforms_widgets import GovFileInput, GovSubmitInput, GovTextArea
from wtforms import SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length

from school_admin import bp
from shared import roles
from shared.auth.access import access, current_organisation
from shared.auth.tenancy import own_or_404, provider_of_my_school_or_404
from shared.forms import RadiosField, choices_from
from shared.models import ProviderProfile, SchoolPolicy
from shared.services.safeguarding import policies
from shared.uploads.downloads import audited_download
from shared.uploads.reasons import UploadRefused
from shared.web import apply

POLICY_READERS = (roles.HEADTEACHER, roles.AP_LEAD, roles.DSL)


class PolicyUploadForm(FlaskForm):
    file = FileField("Choose a file", widget=GovFileInput(), validators=[FileRequired(message="Select a file")])
    submit = SubmitField("Upload policy", widget=GovSubmitInput())


class ProviderPolicyReviewForm(FlaskForm):
    outcome = RadiosField(
        "Outcome",
        choices=choices_from(policies.REVIEW_OUTCOMES),
        invalid_message="Choose whether the policy meets your expectations or needs changes",
        validators=[InputRequired(message="Choose whether the policy meets your expectations or needs changes")],
    )
    comments = TextAreaField(
        "Comments for the provider",
        widget=GovTextArea(),
        description="The provider's manager and DSL will read these. Say what needs to change, if anything.",
        validators=[
            InputRequired(message="Write your comments for the provider"),
            Length(max=policies.COMMENTS_MAX, message=f"Keep your comments to {policies.COMMENTS_MAX} characters"),
        ],
    )
    submit = SubmitField("Save review", widget=GovSubmitInput())


@bp.get("/policies")
@access(roles=POLICY_READERS)
def school_policies():
    school = current_organisation()
    versions = policies.policy_versions(school.id)
    current = versions[0] if versions else None
    return render_template(
        "school_admin/policies/index.html",
        versions=versions,
        uploaders={person.id: person for person in policies.uploaders(versions)},
        current=current,
        providers=policies.confirmations(current) if current else [],
        can_upload=current_user.has_role(roles.DSL),
    )


@bp.route("/policies/new", methods=["GET", "POST"])
@access(roles={roles.DSL})
def upload_school_policy():
    school = current_organisation()
    form = PolicyUploadForm()
    if form.validate_on_submit():
        upload = form.file.data
        try:
            policy = policies.upload_policy(school, upload.stream, upload.filename or "", by=current_user)
        except UploadRefused as refusal:
            form.file.errors.append(refusal.message)
        else:
            flash(
                f"Version {policy.version} uploaded. Every provider's DSL has been asked to confirm it, and everyone "
                "at each provider to read it."
            )
            return redirect(url_for("school_admin.school_policies"))
    return render_template(
        "school_admin/policies/upload.html",
        form=form,
        current=policies.current_policy(school.id),
        size_limit=f"{current_app.config['MAX_CONTENT_LENGTH'] // (1024 * 1024)} MB",
        accept=",".join(f".{extension}" for extension in sorted(policies.POLICY_EXTENSIONS)),
    )


@bp.get("/policies/<uuid:policy_id>/file")
@access(roles=POLICY_READERS)
def download_school_policy(policy_id: uuid.UUID):
    policy = own_or_404(SchoolPolicy, policy_id, owner="school_id")
    return audited_download(policy, "policy.downloaded", organisation=current_organisation(), version=policy.version)


# --- the provider's own policy ---------------------------------------------------------------------------------------


def _review_page(profile: ProviderProfile, form: ProviderPolicyReviewForm):
    return render_template(
        "school_admin/policies/provider_review.html",
        form=form,
        profile=profile,
        document=policies.provider_policy_document(profile.organisation_id),
        latest=policies.latest_review(profile.organisation_id, current_organisation().id),
        outcomes=policies.REVIEW_OUTCOMES,
    )


@bp.route("/providers/<uuid:provider_id>/policy-review", methods=["GET", "POST"])
@access(roles={roles.DSL})
def assess_provider_policy(provider_id: uuid.UUID):
    """KCSIE: the school's DSL reviews the provider's own child protection policy; the provider reads the outcome."""
    link = provider_of_my_school_or_404(provider_id)
    profile = link.profile
    form = ProviderPolicyReviewForm()
    if (
        policies.provider_policy_document(profile.organisation_id) is not None
        and form.validate_on_submit()
        and apply(
            form,
            lambda: policies.review_provider_policy(
                link, outcome=form.outcome.data, comments=form.comments.data, by=current_user
            ),
            field="outcome",
        )
    ):
        flash(f"Review saved. {profile.organisation.name} can now read it.")
        return redirect(url_for("school_admin.provider_page", provider_id=provider_id))
    return _review_page(profile, form)
