"""The school side's menu: each item's endpoint, text and when it is the current one. Who sees an item follows from
its endpoint's `@access` declaration (shared/navigation.py)."""

from __future__ import annotations

from shared.models import OrganisationKind
from shared.navigation import Menu, MenuItem

ITEMS = [
    MenuItem("school_admin.home", "Needs your attention", lambda e: e == "school_admin.home"),
    MenuItem(
        "school_admin.pupils",
        "Pupils",
        lambda e: "pupil" in e and "attendance" not in e and "chronology" not in e,
    ),
    MenuItem("school_admin.placements", "Placements", lambda e: "placement" in e or "risk_assessment" in e),
    MenuItem(
        "school_admin.concerns_queue",
        "Safeguarding",
        lambda e: "concern" in e or "notice" in e or "chronology" in e or "access_log" in e,
    ),
    MenuItem("school_admin.attendance_today", "Attendance", lambda e: "attendance" in e),
    MenuItem("school_admin.incidents_list", "Incidents", lambda e: "incident" in e or "course_of_action" in e),
    MenuItem("school_admin.reviews_list", "Reviews", lambda e: "review" in e),
    MenuItem("school_admin.visits_list", "Visits", lambda e: "visit" in e),
    MenuItem(
        "school_admin.providers",
        "Providers",
        lambda e: "provider" in e or "compliance" in e or "agreement" in e,
    ),
    MenuItem(
        "school_admin.verification_queue",
        "Documents to verify",
        lambda e: "verification" in e or e.endswith("_document"),
    ),
    # The AP budget is under Reports (and one click from the headteacher's list): a menu item costs every page.
    # The governors' report is its own item only for those who do not have Reports (it is listed there).
    MenuItem(
        "school_admin.governors_report",
        "Governors' report",
        lambda e: "governors_report" in e or "budget" in e,
        also=lambda can_open: not can_open("school_admin.reports_index"),
    ),
    MenuItem("school_admin.reports_index", "Reports", lambda e: "report" in e or "budget" in e),
    MenuItem(
        "school_admin.school_calendar",
        "Calendar",
        lambda e: "calendar" in e or "term" in e or "inset" in e,
    ),
    MenuItem("school_admin.staff", "Staff", lambda e: "staff" in e),
]

school_navigation = Menu("school_navigation", OrganisationKind.SCHOOL, ITEMS)
