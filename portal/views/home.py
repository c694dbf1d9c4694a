"""The provider's home page: what needs the signed-in person's attention, and where its onboarding stands."""

from flask import render_template
from flask_login import current_user

from portal import bp
from shared.auth.access import access, current_organisation
from shared.models import ProviderStatus
from shared.models.base import utcnow
from shared.roles import PROVIDER_DSL, PROVIDER_MANAGER, PROVIDER_ROLES
from shared.services.agreements import compliance
from shared.services.agreements.terms import RAG_LABELS
from shared.services.attention import provider as attention
from shared.services.attention.tasks import quiet_line
from shared.services.providers import onboarding
from shared.services.providers.lists import schools_of_provider

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
@access(roles=PROVIDER_ROLES)
def home():
    org = current_organisation()
    profile = org.provider_profile
    now = utcnow()
    # Every school in one query, held while the page is drawn: each link.school below is then no query.
    _schools = schools_of_provider(org.id)
    # Amber or red this half-term is said on the home page, to those who may open the compliance page: for each
    # school that has approved the provider (each has its own agreement).
    standings = []
    if current_user.has_role(PROVIDER_MANAGER) or current_user.has_role(PROVIDER_DSL):
        for link in profile.schools:
            report = compliance.standing_for_home(link, notices=current_user.has_role(PROVIDER_DSL), now=now)
            if report is not None:
                standings.append((link, report))
    return render_template(
        "portal/home.html",
        organisation=org,
        profile=profile,
        schools=[(link, *STATUS_TEXT[link.status]) for link in profile.schools],
        onboarding=any(link.status in (ProviderStatus.INVITED, ProviderStatus.ONBOARDING) for link in profile.schools),
        tasks=attention.provider_tasks(org.id, current_user.roles, now, user_id=current_user.id),
        quiet_line=quiet_line(current_user.roles),
        now=now,
        standings=standings,
        rag_labels=RAG_LABELS,
        dsl_missing=onboarding.dsl_account_missing(profile) if current_user.has_role(PROVIDER_MANAGER) else None,
    )
