"""The local authority officer's home: the schools in the authority's area and what needs attention."""

from flask import render_template

from local_authority import bp
from shared.auth.access import access, current_organisation
from shared.models.base import utcnow
from shared.roles import LA_ROLES
from shared.services.attention.tasks import ordered
from shared.services.local_authority import area
from shared.services.local_authority.attention import la_tasks


@bp.get("/")
@access(roles=set(LA_ROLES))
def home():
    la = current_organisation()
    now = utcnow()
    return render_template(
        "local_authority/home.html",
        organisation=la,
        schools=area.schools_of(la.id),
        tasks=ordered(la_tasks(la.id, now)),
        quiet_line="You can look at the placements your schools have told you of and the providers they use.",
        now=now,
    )
