"""School admin: the school's side of AP Portal, under /school. Never imports portal/."""

from flask import Blueprint
from flask.blueprints import BlueprintSetupState

from shared.auth.access import guard_side
from shared.models import OrganisationKind

bp = Blueprint("school_admin", __name__, template_folder="templates")
bp.before_request(guard_side(OrganisationKind.SCHOOL))


@bp.record_once
def _menu(state: BlueprintSetupState) -> None:
    """The side's menu as a template global: set once when the app is made, not offered again on every render."""
    from school_admin.navigation import school_navigation

    state.app.add_template_global(school_navigation, "school_navigation")


from school_admin.views import (  # noqa: E402,F401  (routes register on bp)
    agreements,
    attendance,
    budget,
    calendar,
    chronology,
    compliance,
    concerns,
    documents,
    early_warning,
    ehcp_pack,
    governors_report,
    home,
    incidents,
    notices,
    placements,
    policies,
    provider_staff,
    providers,
    pupils,
    reapproval,
    reintegration,
    reliance,
    reports,
    reviews,
    risk_assessments,
    staff,
    verification,
)
