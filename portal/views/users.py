"""The provider's own users: list, invite, a person's page, deactivate (provider manager). The pages are the
shared people pages (shared/people_pages.py) in the portal's words."""

from portal import bp
from shared import roles
from shared.people_pages import PeoplePages, register_people_pages

register_people_pages(
    bp,
    PeoplePages(
        layout="portal/base.html",
        roles=roles.PROVIDER_ROLES,
        managers=frozenset({roles.PROVIDER_MANAGER}),
        title="Users",
        invite_title="Invite a user",
        mfa_hint="A designated safeguarding lead must use two-step sign-in.",
        can_change_roles=False,
        list_endpoint="users",
        invite_endpoint="invite_user",
        person_endpoint="user_detail",
        deactivate_endpoint="deactivate_user",
        list_rule="/users",
        invite_rule="/users/invite",
        person_rule="/users/<uuid:user_id>",
        deactivate_rule="/users/<uuid:user_id>/deactivate",
    ),
)
