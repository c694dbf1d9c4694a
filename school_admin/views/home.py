"""The school home page: what needs the signed-in person's attention, for all their roles at once.

It is the page opened most, so it is put together from kept drawings (shared.drawings): the chrome, this request's
messages and its own content, as base.html would put them, without drawing base.html (tests/test_drawings.py holds
the two equal).
"""

from flask_login import current_user

from school_admin import bp
from school_admin.navigation import school_navigation
from shared.auth.access import access
from shared.auth.sessions import ride_with_principal
from shared.drawings import drawing, task_list
from shared.models.base import utcnow
from shared.page_chrome import drawn_page
from shared.roles import SCHOOL_ROLES, role_names
from shared.services.attention import school as attention
from shared.services.attention.tasks import quiet_line

# The headteacher's counts are read in the same statement as the signed-in principal (one round trip, not two).
ride_with_principal("school_admin.home", attention.HEADTEACHER_COUNTS)

TITLE = "Needs your attention"
SIDE_NAME = "School admin"  # as school_admin/base.html


@bp.get("/")
@access(roles=SCHOOL_ROLES)
def home():
    now = utcnow()
    user = current_user._get_current_object()
    tasks = task_list(attention.school_tasks(user.organisation_id, user.roles, now), now, quiet_line(user.roles))
    content = drawing("school_admin/_home.html", caption=f"{user.name} · {role_names(user.roles)}", tasks=tasks)
    return drawn_page(TITLE, SIDE_NAME, school_navigation(), content)
