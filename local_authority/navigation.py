"""The local authority side's menu (see shared/navigation.py: who sees an item follows from its endpoint's
`@access` declaration)."""

from __future__ import annotations

from shared.models import OrganisationKind
from shared.navigation import Menu, MenuItem

ITEMS = [
    MenuItem("local_authority.home", "Home", lambda e: e == "local_authority.home"),
    MenuItem("local_authority.placements", "Placements", lambda e: e == "local_authority.placements"),
    MenuItem("local_authority.providers", "Providers", lambda e: e == "local_authority.providers"),
    MenuItem(
        "local_authority.directory",
        "Directory of providers",
        lambda e: (
            e.startswith("local_authority.directory")
            or e
            in ("local_authority.review_document", "local_authority.verify_document", "local_authority.reject_document")
            or e == "local_authority.record_visit"
        ),
    ),
]

la_navigation = Menu("la_navigation", OrganisationKind.LOCAL_AUTHORITY, ITEMS)
