"""The page chrome (head, header, menu, footer) of every page, drawn once per process for what it shows.

The chrome is most of a light page's markup and a fifth of a signed-in request's time, yet it changes only with a
few values: the page's title, the organisation's name, the side, the menu (the side, the person's roles and the
page shown) and the asset URLs. `page_chrome` draws chrome/_top.html and chrome/_bottom.html from those values and
nothing else, kept (shared.drawings), and puts this request's own values into a copy of the drawing: the CSP nonce
and the person's CSRF token, which are never kept.

Only the values are kept, not who asked: two people with the same roles at the same organisation on the same page
get the same chrome, with their own nonce and token.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app, request
from markupsafe import Markup

from shared.drawings import drawing
from shared.navigation import fixed_url, menu_items
from shared.security import csp_nonce, csrf_token

# Stand-ins for the per-request values while a drawing is kept: random per process, so no page's text can carry one.
_NONCE = f"nonce-{secrets.token_hex(16)}"
_CSRF = f"csrf-{secrets.token_hex(16)}"

Menu = tuple[tuple[str, str, bool], ...]


@dataclass(frozen=True)
class Chrome:
    top: Markup  # down to the start of <main>
    bottom: Markup  # from the end of <main>


def page_chrome(title: str, has_errors: bool, school_name: str, side_name: str, menu: Menu | None) -> Chrome:
    """This request's chrome. `menu` is the side's links ((href, text, current) each) for a signed-in person, None
    for a page with no menu (signed out, or not on a side)."""
    asset_url: Callable[[str], str] = current_app.jinja_env.globals["asset_url"]  # type: ignore[assignment]
    top = drawing(
        "chrome/_top.html",
        title=title,
        has_errors=bool(has_errors),
        school_name=school_name,
        side_name=side_name,
        home_url=fixed_url("auth.index"),
        stylesheet_url=asset_url("build/app.css"),
        menu_html=None
        if menu is None
        else menu_items(menu, fixed_url("auth.account"), request.endpoint == "auth.account"),
        sign_out_url=fixed_url("auth.sign_out"),
        nonce=_NONCE,
        csrf_token=_CSRF,
    )
    bottom = drawing(
        "chrome/_bottom.html",
        school_name=school_name,
        script_url=asset_url("build/govuk-frontend.min.js"),
        nonce=_NONCE,
    )
    nonce = csp_nonce()
    top = top.replace(_NONCE, nonce)
    if menu is not None:
        top = top.replace(_CSRF, csrf_token())
    # Drawn by Jinja with autoescape; the nonce and the token are URL-safe base64.
    return Chrome(Markup(top), Markup(bottom.replace(_NONCE, nonce)))  # noqa: S704
