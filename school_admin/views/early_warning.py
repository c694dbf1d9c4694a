"""Early warning (issue 15): running placements that look as if they are going wrong, each signal with its reason."""

from flask import render_template
from flask_login import current_user

from school_admin import bp
from shared import roles
from shared.auth.access import access, current_organisation
from shared.models.base import utcnow
from shared.services.placements import early_warning

READERS = (roles.AP_LEAD, roles.DSL)


@bp.get("/placements/early-warning")
@access(roles=READERS)
def early_warning_list():
    # Only a DSL may learn that a safeguarding concern exists (shared.services.providers.lists.SAFEGUARDING_EVENTS).
    with_concerns = current_user.has_role(roles.DSL)
    return render_template(
        "school_admin/placements/early_warning.html",
        warnings=early_warning.warnings_for_school(current_organisation().id, utcnow(), with_concerns=with_concerns),
        with_concerns=with_concerns,
        rules=early_warning,
    )
