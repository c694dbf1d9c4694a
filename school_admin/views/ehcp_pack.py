"""The EHC plan annual review pack (issue 15): one PDF of a placement's plan, baseline, targets, progress reports,
attendance and reviews, for a pupil with an EHC plan, with no safeguarding content
(shared.services.placements.ehcp_pack says what is in and what is left out).

Who: those who may read the placement page and its reviews (the attendance lead reads placements but not reviews,
so not this pack). A pupil without an EHC plan, or another school's placement: 404. Every download is audited.
"""

import uuid

from flask import Response, abort
from flask_login import current_user

from school_admin import bp
from shared import roles
from shared.auth.access import access
from shared.auth.tenancy import own_or_404
from shared.clock import today
from shared.models import Placement
from shared.services.placements import ehcp_pack

EHCP_PACK_READERS = (roles.AP_LEAD, roles.HEADTEACHER, roles.SLT, roles.SENDCO, roles.DSL)


@bp.get("/placements/<uuid:placement_id>/ehcp-pack.pdf")
@access(roles=EHCP_PACK_READERS)
def ehcp_pack_pdf(placement_id: uuid.UUID):
    placement = own_or_404(Placement, placement_id, owner="school_id")
    if not ehcp_pack.has_ehc_plan(placement):
        abort(404)
    body, pages = ehcp_pack.as_pdf(ehcp_pack.pack_for(placement, today()))
    ehcp_pack.record_downloaded(placement, pages, by=current_user)
    response = Response(body, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{ehcp_pack.FILENAME}"'
    response.headers["Cache-Control"] = "no-store"
    return response
