"""The provider's home page: where its onboarding stands."""

from flask import render_template

from portal import bp
from shared.auth.access import current_organisation
from shared.models import ProviderStatus

STATUS_TEXT = {
    ProviderStatus.INVITED: ("Invited", "grey", "Your organisation has been invited."),
    ProviderStatus.ONBOARDING: (
        "Onboarding",
        "blue",
        "Tell the school about your organisation and upload your evidence. "
        "When everything is in, submit it for approval.",
    ),
    ProviderStatus.SUBMITTED: ("Submitted", "yellow", "The school is checking your evidence."),
    ProviderStatus.APPROVED: ("Approved", "green", "The school has approved your organisation."),
    ProviderStatus.SUSPENDED: (
        "Suspended",
        "red",
        "The school has suspended placements with you. Contact the school's AP lead.",
    ),
}


@bp.get("/")
def home():
    org = current_organisation()
    profile = org.provider_profile
    label, colour, explanation = STATUS_TEXT[profile.status]
    return render_template(
        "portal/home.html",
        organisation=org,
        profile=profile,
        status_label=label,
        status_colour=colour,
        explanation=explanation,
        school=profile.school,
    )
