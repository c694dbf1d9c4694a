"""The providers the schools in the local authority's area use, with the independent school registration line
counted across every school, and counts and dates (never content) of safeguarding concerns and notices."""

from __future__ import annotations

from flask import render_template, request

from local_authority import bp
from local_authority.views.placements import page_number
from shared.auth.access import access, current_organisation
from shared.roles import LA_ROLES
from shared.services.local_authority import providers as la_providers
from shared.services.placements.plans import FULL_TIME_HOURS, REGISTRATION_PUPIL_COUNT


@bp.get("/providers")
@access(roles=set(LA_ROLES))
def providers():
    la = current_organisation()
    show = request.args.get("show", la_providers.SHOW_ALL)
    show = show if show in (la_providers.SHOW_ALL, la_providers.SHOW_THRESHOLD) else la_providers.SHOW_ALL
    found = la_providers.providers_page(la.id, show=show, page=page_number(request.args.get("page")))
    return render_template(
        "local_authority/providers.html",
        organisation=la,
        found=found,
        show=show,
        full_time_hours=FULL_TIME_HOURS,
        registration_pupils=REGISTRATION_PUPIL_COUNT,
    )
