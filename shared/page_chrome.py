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
from functools import lru_cache

from flask import Flask, current_app, g, get_flashed_messages, render_template, request
from flask_login import current_user
from markupsafe import Markup, escape
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from shared.drawings import KEPT_DRAWINGS, drawing
from shared.errors import database_unavailable
from shared.extensions import db
from shared.navigation import fixed_url, menu_items
from shared.security import CSRF_STAND_IN, csp_nonce, with_csrf_token

# A stand-in for the CSP nonce while a drawing is kept (the CSRF token's is shared.security's): random per process,
# so no page's text can carry it.
_NONCE = f"nonce-{secrets.token_hex(16)}"

Menu = tuple[tuple[str, str, bool], ...]


def init_app(app: Flask) -> None:
    # The two drawings for each set of values, found with one look-up (shared.drawings keeps each one as well).
    app.extensions["page_chrome"] = lru_cache(maxsize=KEPT_DRAWINGS)(_drawn)
    app.jinja_env.globals["page_chrome"] = page_chrome
    app.jinja_env.globals["messages"] = messages


@dataclass(frozen=True)
class Chrome:
    top: Markup  # down to the start of <main>
    bottom: Markup  # from the end of <main>


def page_chrome(title: str, has_errors: bool, school_name: str, side_name: str, menu: Menu | None) -> Chrome:
    """This request's chrome. `menu` is the side's links ((href, text, current) each) for a signed-in person, None
    for a page with no menu (signed out, or not on a side)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # a proxy's object, once
    asset_url: Callable[[str], str] = app.jinja_env.globals["asset_url"]
    drawn: Callable[..., tuple[str, str]] = app.extensions["page_chrome"]
    top, bottom = drawn(
        escape(title),  # Markup either way: a plain title and the same text as Markup are equal keys
        bool(has_errors),
        school_name,
        side_name,
        menu,
        menu is not None and request.endpoint == "auth.account",
        asset_url("build/app.css"),
        asset_url("build/govuk-frontend.min.js"),
    )
    nonce = csp_nonce()
    top = top.replace(_NONCE, nonce)
    if menu is not None:
        top = with_csrf_token(top)
    # Drawn by Jinja with autoescape; the nonce and the token are URL-safe base64.
    return Chrome(Markup(top), Markup(bottom.replace(_NONCE, nonce)))  # noqa: S704


def _drawn(
    title: str,
    has_errors: bool,
    school_name: str,
    side_name: str,
    menu: Menu | None,
    on_account: bool,
    stylesheet_url: str,
    script_url: str,
) -> tuple[str, str]:
    top = drawing(
        "chrome/_top.html",
        title=title,
        has_errors=has_errors,
        school_name=school_name,
        side_name=side_name,
        home_url=fixed_url("auth.index"),
        stylesheet_url=stylesheet_url,
        menu_html=None if menu is None else menu_items(menu, fixed_url("auth.account"), on_account),
        sign_out_url=fixed_url("auth.sign_out"),
        nonce=_NONCE,
        csrf_token=CSRF_STAND_IN,
    )
    bottom = drawing("chrome/_bottom.html", school_name=school_name, script_url=script_url, nonce=_NONCE)
    return top, bottom


def school_name() -> str:
    """The header carries the signed-in person's own organisation's name (a school's, a provider's or a local
    authority's: this is their service, not a GOV.UK one); signed out, the school's name where the deployment serves
    one school, otherwise "AP Portal"."""
    if "school_name" not in g:
        from shared.models import Organisation, OrganisationKind

        user = current_user._get_current_object()
        name = user.organisation_name if user.is_authenticated else None
        if name is None:
            try:
                names = db.session.scalars(
                    select(Organisation.name).where(Organisation.kind == OrganisationKind.SCHOOL).limit(2)
                ).all()
                name = names[0] if len(names) == 1 else None
            except SQLAlchemyError as exc:
                db.session.rollback()
                if database_unavailable(exc):
                    # No page can work without the database (not even the sign-in form, whose answer needs it):
                    # the error handler answers "try again in a minute" instead of a page that cannot be used.
                    raise
        g.school_name = name or "AP Portal"
    chosen: str = g.school_name
    return chosen


def messages() -> Markup:
    """This request's flashed messages as notification banners (chrome/_messages.html), or nothing."""
    flashed = get_flashed_messages(with_categories=True)
    if not flashed:
        return Markup()
    return Markup(render_template("chrome/_messages.html", messages=flashed))  # noqa: S704 - drawn by Jinja


def drawn_page(title: str, side_name: str, menu: Menu, content: str) -> str:
    """A signed-in page whose own content is a drawing (shared.drawings), put together as base.html puts a page
    together (the chrome, this request's messages, the content) without drawing base.html itself: for the page
    opened most, a school's home (tests/test_drawings.py holds the two equal)."""
    chrome = page_chrome(title, False, school_name(), side_name, menu)
    return f"{chrome.top}{messages()}{content}{chrome.bottom}"
