"""School admin: the school's side of AP Portal, under /school. Never imports portal/."""

from flask import Blueprint

from shared.auth.access import guard_side
from shared.models import OrganisationKind

bp = Blueprint("school_admin", __name__, template_folder="templates")
bp.before_request(guard_side(OrganisationKind.SCHOOL))

from school_admin.views import (  # noqa: E402,F401  (routes register on bp)
    agreements,
    attendance,
    calendar,
    chronology,
    concerns,
    documents,
    home,
    incidents,
    notices,
    placements,
    policies,
    providers,
    pupils,
    reports,
    reviews,
    staff,
    verification,
)
