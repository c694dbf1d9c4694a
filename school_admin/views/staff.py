"""School staff accounts: list, invite, change roles, deactivate (school administrator). The pages are the shared
people pages (shared/people_pages.py) in the school's words."""

from school_admin import bp
from shared import roles
from shared.people_pages import PeoplePages, register_people_pages

register_people_pages(
    bp,
    PeoplePages(
        layout="school_admin/base.html",
        roles=roles.SCHOOL_ROLES,
        managers=frozenset({roles.SCHOOL_ADMIN}),
        title="Staff",
        invite_title="Invite a member of staff",
        mfa_hint="Every school account uses two-step sign-in.",
        can_change_roles=True,
        list_endpoint="staff",
        invite_endpoint="invite_staff",
        person_endpoint="staff_roles",
        deactivate_endpoint="deactivate_staff",
        list_rule="/staff",
        invite_rule="/staff/invite",
        person_rule="/staff/<uuid:user_id>/roles",
        deactivate_rule="/staff/<uuid:user_id>/deactivate",
    ),
)
