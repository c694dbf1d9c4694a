"""The local authority's side, under /la: its officers see the placements, providers and quality assurance of the
schools in their area. Never imports school_admin/ or portal/. Safeguarding content never reaches this side:
counts and dates at most."""

from flask import Blueprint
from flask.blueprints import BlueprintSetupState

from shared.auth.access import guard_side
from shared.models import OrganisationKind

bp = Blueprint("local_authority", __name__, template_folder="templates")
bp.before_request(guard_side(OrganisationKind.LOCAL_AUTHORITY))


@bp.record_once
def _menu(state: BlueprintSetupState) -> None:
    """The side's menu as a template global: set once when the app is made, not offered again on every render."""
    from local_authority.navigation import la_navigation

    state.app.add_template_global(la_navigation, "la_navigation")


from local_authority.views import (  # noqa: E402,F401  (routes register on bp)
    directory,
    home,
    placements,
    providers,
)
