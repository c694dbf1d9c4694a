"""The provider portal's menu: each item's endpoint, text and when it is the current one. Who sees an item follows
from its endpoint's `@access` declaration (shared/navigation.py), plus the extra conditions written here."""

from __future__ import annotations

from shared.models import OrganisationKind
from shared.navigation import Menu, MenuItem

ONBOARDING_ENDPOINTS = {
    "portal.onboarding_tasks",
    "portal.organisation_details",
    "portal.sites",
    "portal.contacts",
    "portal.staff_list_page",
    "portal.status_check",
    "portal.confirmation",
    "portal.submit_onboarding",
    "portal.documents",
    "portal.upload_document",
    "portal.school_requests",
}


def _reads_safeguarding(can_open) -> bool:
    """The provider's DSL: the Safeguarding pages (concerns, notices, the school's policy) have their own links."""
    return can_open("portal.concerns_list")


ITEMS = [
    MenuItem("portal.home", "Home", lambda e: e == "portal.home"),
    MenuItem("portal.pupils", "Pupils", lambda e: e in ("portal.pupils", "portal.pupil_page")),
    MenuItem("portal.attendance_today", "Attendance", lambda e: e.startswith("portal.attendance")),
    MenuItem("portal.incidents_list", "Incidents", lambda e: "incident" in e),
    MenuItem("portal.concerns_list", "Safeguarding", lambda e: "concern" in e or "notice" in e),
    # Those without the Safeguarding pages raise a concern from the menu (the DSL raises one from Safeguarding).
    MenuItem(
        "portal.raise_concern",
        "Raise a concern",
        lambda e: "concern" in e,
        also=lambda can_open: not _reads_safeguarding(can_open),
    ),
    MenuItem("portal.onboarding_tasks", "Onboarding", lambda e: e in ONBOARDING_ENDPOINTS),
    MenuItem("portal.users", "Users", lambda e: e.startswith("portal.") and "user" in e),
    MenuItem("portal.agreement", "Agreement", lambda e: e in ("portal.agreement", "portal.compliance_page")),
    MenuItem("portal.api_tokens_page", "API tokens", lambda e: "api_token" in e),
    # The DSL reaches the policy from the Safeguarding pages' own links.
    MenuItem(
        "portal.school_policy",
        "Child protection policy",
        lambda e: "policy" in e,
        also=lambda can_open: not _reads_safeguarding(can_open),
    ),
]

portal_navigation = Menu("portal_navigation", OrganisationKind.PROVIDER, ITEMS)
