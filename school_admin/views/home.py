"""The school home page: what needs the signed-in person's attention, for all their roles at once."""

from flask import render_template
from flask_login import current_user

from school_admin import bp
from shared.auth.access import access
from shared.auth.sessions import ride_with_principal
from shared.models.base import utcnow
from shared.roles import SCHOOL_ROLES
from shared.services.attention import school as attention
from shared.services.attention.tasks import quiet_line

# The headteacher's counts are read in the same statement as the signed-in principal (one round trip, not two).
ride_with_principal("school_admin.home", attention.HEADTEACHER_COUNTS)


@bp.get("/")
@access(roles=SCHOOL_ROLES)
def home():
    now = utcnow()
    user = current_user._get_current_object()
    return render_template(
        "school_admin/home.html",
        tasks=attention.school_tasks(user.organisation_id, user.roles, now),
        quiet_line=quiet_line(user.roles),
        now=now,
    )
