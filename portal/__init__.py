"""The provider portal, under /portal. Never imports school_admin/."""

from flask import Blueprint

from shared.auth.access import guard_side
from shared.models import OrganisationKind

bp = Blueprint("portal", __name__, template_folder="templates")
bp.before_request(guard_side(OrganisationKind.PROVIDER))


@bp.app_context_processor
def _menu() -> dict:
    from portal.navigation import portal_navigation

    return {"portal_navigation": portal_navigation}


from portal.views import (  # noqa: E402,F401  (routes register on bp)
    agreement,
    api_tokens,
    attendance,
    compliance,
    concerns,
    documents,
    home,
    incidents,
    notices,
    onboarding,
    policies,
    progress,
    pupils,
    risk_assessments,
    school_requests,
    staff,
    standards,
    users,
)
