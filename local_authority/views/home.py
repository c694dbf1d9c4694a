"""The local authority officer's home: the schools in the authority's area and what needs attention."""

from flask import render_template

from local_authority import bp
from shared.auth.access import access, current_organisation
from shared.roles import LA_ROLES
from shared.services.local_authority import area


@bp.get("/")
@access(roles=set(LA_ROLES))
def home():
    la = current_organisation()
    return render_template("local_authority/home.html", organisation=la, schools=area.schools_of(la.id))
