"""The school side's menu: which items each role sees and when an item is the current one.

Built in Python rather than in the layout, and each link's URL worked out once per app (not on every request):
the menu is on every signed-in page, and thirteen url_for calls and role checks per page were most of the cost of
a light page like the headteacher's home."""

from __future__ import annotations

from collections.abc import Callable

from flask import current_app, request, url_for
from flask_login import current_user

READ_PUPILS = {"ap_lead", "sendco", "dsl", "headteacher", "attendance_lead", "slt"}

# (endpoint, text, roles that see it (None: everyone), is it the current item for this endpoint?)
ITEMS: list[tuple[str, str, set[str] | None, Callable[[str], bool]]] = [
    ("school_admin.home", "Needs your attention", None, lambda e: e == "school_admin.home"),
    (
        "school_admin.pupils",
        "Pupils",
        READ_PUPILS,
        lambda e: "pupil" in e and "attendance" not in e and "chronology" not in e,
    ),
    ("school_admin.placements", "Placements", READ_PUPILS, lambda e: "placement" in e or "risk_assessment" in e),
    (
        "school_admin.concerns_queue",
        "Safeguarding",
        {"dsl", "headteacher"},
        lambda e: "concern" in e or "notice" in e or "chronology" in e or "access_log" in e,
    ),
    (
        "school_admin.attendance_today",
        "Attendance",
        {"attendance_lead", "headteacher", "slt", "ap_lead", "dsl"},
        lambda e: "attendance" in e,
    ),
    (
        "school_admin.incidents_list",
        "Incidents",
        {"ap_lead", "dsl", "headteacher", "slt", "sendco", "attendance_lead"},
        lambda e: "incident" in e or "course_of_action" in e,
    ),
    (
        "school_admin.reviews_list",
        "Reviews",
        {"ap_lead", "headteacher", "slt", "sendco", "dsl"},
        lambda e: "review" in e,
    ),
    ("school_admin.visits_list", "Visits", {"ap_lead", "headteacher", "slt"}, lambda e: "visit" in e),
    (
        "school_admin.providers",
        "Providers",
        {"ap_lead", "headteacher", "dsl", "slt", "sendco", "attendance_lead"},
        lambda e: "provider" in e or "compliance" in e or "agreement" in e,
    ),
    (
        "school_admin.verification_queue",
        "Documents to verify",
        {"ap_lead", "dsl"},
        lambda e: "verification" in e or e.endswith("_document"),
    ),
    # The AP budget is under Reports (and one click from the headteacher's list): a menu item costs every page.
    (
        "school_admin.governors_report",
        "Governors' report",
        {"governor"},
        lambda e: "governors_report" in e or "budget" in e,
    ),
    (
        "school_admin.reports_index",
        "Reports",
        {"headteacher", "ap_lead", "slt", "dsl"},
        lambda e: "report" in e or "budget" in e,
    ),
    (
        "school_admin.school_calendar",
        "Calendar",
        None,
        lambda e: "calendar" in e or "term" in e or "inset" in e,
    ),
    ("school_admin.staff", "Staff", {"school_admin"}, lambda e: "staff" in e),
]


def _hrefs() -> dict[str, str]:
    cached = current_app.extensions.get("school_navigation_hrefs")
    if cached is None:
        cached = {endpoint: url_for(endpoint) for endpoint, *_ in ITEMS}
        current_app.extensions["school_navigation_hrefs"] = cached
    return cached


def school_navigation() -> list[tuple[str, str, bool]]:
    """(href, text, current) for the signed-in school user's menu."""
    if not (current_user.is_authenticated and current_user.is_school):
        return []
    endpoint = request.endpoint or ""
    hrefs = _hrefs()
    roles = current_user.roles
    return [
        (hrefs[name], text, is_current(endpoint))
        for name, text, allowed, is_current in ITEMS
        if allowed is None or roles & allowed
    ]
