"""The provider portal, under /portal. Never imports school_admin/."""

from flask import Blueprint
from flask.blueprints import BlueprintSetupState

from shared.auth.access import guard_side
from shared.models import OrganisationKind

bp = Blueprint("portal", __name__, template_folder="templates")
bp.before_request(guard_side(OrganisationKind.PROVIDER))


@bp.record_once
def _menu(state: BlueprintSetupState) -> None:
    """The side's menu as a template global: set once when the app is made, not offered again on every render."""
    from portal.navigation import portal_navigation

    state.app.add_template_global(portal_navigation, "portal_navigation")


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
