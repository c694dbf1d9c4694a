"""Access control: one guard per side, one declaration per view, and the registry of those declarations.

Each side's blueprint calls `guard_side` before every request, so a view cannot forget the side check (signed in,
on this side, MFA done). Every view then declares who may open it with `@access(...)`: its roles on its side (the
side follows from its blueprint), or PUBLIC, SIGNED_IN or API_TOKEN. The declaration is enforced where it is
written, and `register_access` gathers them into a registry per endpoint that the menus, the `can_open` template
helper and the access tests read, so who may open a page is written once. Objects loaded from a URL id go through
the `*_or_404` helpers in `shared.auth.tenancy`.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from functools import wraps
from typing import ParamSpec, TypeVar, cast
from urllib.parse import unquote, urlsplit

from flask import Flask, abort, current_app, flash, g, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.wrappers import Response

from shared.auth.sessions import keep_pending_form, take_pending_form
from shared.models import Organisation, OrganisationKind, utcnow
from shared.roles import mfa_required, roles_for

P = ParamSpec("P")
R = TypeVar("R")


class SignInRequired(Exception):
    """Raised for an anonymous request to a signed-in page; the app answers with the sign-in page."""


def guard_side(kind: OrganisationKind) -> Callable[[], Response | None]:
    """Return a before_request hook: signed in, on this side, with MFA passed where it is required."""

    def _guard() -> Response | None:
        user = current_user._get_current_object()  # once, not through the proxy at each use: on every request
        if not user.is_authenticated:
            raise SignInRequired
        if user.organisation_kind != kind:
            abort(403)
        if mfa_required(kind, user.roles) and not user.session_mfa_verified:
            # e.g. a provider user made DSL after signing in without MFA: set it up before going on.
            return redirect(url_for("auth.mfa_setup"))
        return None

    return _guard


# --- declarations ---------------------------------------------------------------------------------------------

PUBLIC = "public"  # anyone, signed in or not (the view checks any token it is given)
SIGNED_IN = "signed_in"  # anyone signed in, on either side
API_TOKEN = "api_token"  # noqa: S105 (a name, not a secret). The JSON API: a provider's API token (api/), never a signed-in person
ROLES = "roles"  # signed in on the view's side with one of the declared roles

# The side of a blueprint's views. A view declaring roles must be on one of these.
SIDES: dict[str, OrganisationKind] = {
    "school_admin": OrganisationKind.SCHOOL,
    "portal": OrganisationKind.PROVIDER,
    "local_authority": OrganisationKind.LOCAL_AUTHORITY,
}


@dataclass(frozen=True)
class Declaration:
    """Who may open one endpoint."""

    endpoint: str
    audience: str  # PUBLIC, SIGNED_IN, API_TOKEN or ROLES
    side: OrganisationKind | None = None  # for ROLES: the side of the endpoint's blueprint
    roles: frozenset[str] = frozenset()
    hidden: bool = False  # others on the side get a 404, not a 403: they must not learn the page exists

    def allows(self, kind: OrganisationKind | None, roles: Iterable[str] = ()) -> bool:
        """May someone on side `kind` (None: not signed in) holding `roles` open it? (An API token is not a
        person: no one signed in "may open" an API_TOKEN endpoint.)"""
        if self.audience == PUBLIC:
            return True
        if self.audience == SIGNED_IN:
            return kind is not None
        if self.audience == ROLES:
            return kind == self.side and not self.roles.isdisjoint(roles)
        return False


@dataclass(frozen=True)
class _Declared:
    audience: str
    roles: frozenset[str]
    hidden: bool


def access(
    audience: str | None = None, *, roles: Iterable[str] | None = None, hidden: bool = False
) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Declare, and enforce, who may open a view: `@access(roles={AP_LEAD, DSL})` on a side's view (403 for another
    role on that side, or 404 with `hidden=True`), or `@access(PUBLIC)`, `@access(SIGNED_IN)`, `@access(API_TOKEN)`.
    Put it right under the route decorator."""
    if (audience is None) == (roles is None):
        raise TypeError("access(): give either an audience (PUBLIC, SIGNED_IN, API_TOKEN) or roles=")
    if audience is not None and audience not in (PUBLIC, SIGNED_IN, API_TOKEN):
        raise ValueError(f"access(): unknown audience {audience!r}")
    allowed = frozenset(roles or ())
    if roles is not None and not allowed:
        raise ValueError("access(): roles= needs at least one role")
    if hidden and audience is not None:
        raise ValueError("access(): hidden=True only goes with roles=")
    declared = _Declared(audience or ROLES, allowed, hidden)

    def decorator(view: Callable[P, R]) -> Callable[P, R]:
        if hasattr(view, "access"):
            raise TypeError(f"{view.__name__} declares its access twice")

        @wraps(view)
        def wrapped(*args: P.args, **kwargs: P.kwargs) -> R:
            _enforce(declared)
            return view(*args, **kwargs)

        wrapped.access = declared  # type: ignore[attr-defined]  # read back by register_access
        return wrapped

    return decorator


def _enforce(declared: _Declared) -> None:
    if declared.audience == PUBLIC:
        return
    if declared.audience == API_TOKEN:
        if g.get("api_token") is None:
            abort(401)
        return
    user = current_user._get_current_object()
    if not user.is_authenticated:
        raise SignInRequired
    if declared.audience == ROLES:
        if user.organisation_kind != SIDES.get(request.blueprint or ""):
            abort(403)
        if declared.roles.isdisjoint(user.roles):
            abort(404 if declared.hidden else 403)


def register_access(app: Flask) -> None:
    """Gather every view's declaration into the app's registry (call once every route is registered). An endpoint
    with no declaration is left out, and tests/test_access.py fails on it."""
    registry: dict[str, Declaration] = {}
    for endpoint, view in app.view_functions.items():
        declared = getattr(view, "access", None)
        if declared is None:
            continue
        blueprint = endpoint.rpartition(".")[0]
        side = SIDES.get(blueprint)
        if (declared.audience == ROLES) != (side is not None):
            raise ValueError(f"{endpoint}: a side's views declare roles, and only they do")
        if side is not None and not declared.roles <= set(roles_for(side)):
            raise ValueError(f"{endpoint}: roles of the other side: {sorted(declared.roles - set(roles_for(side)))}")
        registry[endpoint] = Declaration(endpoint, declared.audience, side, declared.roles, declared.hidden)
    app.extensions["access"] = registry
    app.jinja_env.globals["can_open"] = can_open


def declarations() -> dict[str, Declaration]:
    """The app's registry: endpoint -> Declaration."""
    return cast(dict[str, Declaration], current_app.extensions["access"])


def declaration_of(endpoint: str | None) -> Declaration | None:
    return declarations().get(endpoint) if endpoint else None


def can_open(endpoint: str) -> bool:
    """May the signed-in person (or an anonymous visitor) open this endpoint? For showing a link only to those it
    leads somewhere for; a template calls `can_open('school_admin.provider_agreement')`."""
    declaration = declarations()[endpoint]
    if not current_user.is_authenticated:
        return declaration.allows(None)
    allowed: bool = declaration.allows(current_user.organisation_kind, current_user.roles)
    return allowed


def mfa_is_recent() -> bool:
    at = current_user.session_mfa_at
    recent: bool = at is not None and utcnow() - at <= timedelta(minutes=current_app.config["SAFEGUARDING_MFA_MINUTES"])
    return recent


def recent_mfa_required(view: Callable[P, ResponseReturnValue]) -> Callable[P, ResponseReturnValue]:
    """Safeguarding pages: the security code must have been given in this session within SAFEGUARDING_MFA_MINUTES
    (15 by default), else the person is asked for it again and comes back. A form sent with a stale code saves
    nothing (the person is told so and sends it again)."""

    @wraps(view)
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> ResponseReturnValue:
        if not mfa_is_recent():
            if request.method != "GET":
                back = safe_next(_path_of(request.referrer)) or safe_next(request.path)
                if any(upload.filename for upload in request.files.values()):
                    # A file is not kept across the re-check: say plainly that nothing was saved.
                    flash(
                        "For safeguarding information, enter your security code again. Nothing was saved: "
                        "send it again, with the file.",
                        "info",
                    )
                else:
                    keep_pending_form(request.path, request.form)
                    flash(
                        "For safeguarding information, enter your security code again. What you wrote is kept "
                        "and is saved as soon as you have.",
                        "info",
                    )
                return redirect(url_for("auth.mfa_confirm", next=back))
            return redirect(url_for("auth.mfa_confirm", next=safe_next(request.full_path.rstrip("?"))))
        if request.method == "POST":
            kept = take_pending_form(request.path)
            if kept is not None:
                # The post the code re-check sent back here (307): what was typed before it, with this post's
                # CSRF token, is the form the view reads.
                kept["csrf_token"] = request.form.get("csrf_token", "")
                request.form = ImmutableMultiDict(kept)
                request.files = ImmutableMultiDict()
        return view(*args, **kwargs)

    return wrapped


def _path_of(url: str | None) -> str | None:
    """The path and query of a URL on this site (a referrer), or None."""
    if not url:
        return None
    parts = urlsplit(url)
    if parts.netloc and parts.netloc != request.host:
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def current_organisation() -> Organisation:
    organisation: Organisation = current_user.organisation
    return organisation


def safe_next(target: str | None) -> str | None:
    """`target` if it is a path of this site to send someone to after signing in (or confirming their code), else
    None. The one place deciding that: every `next` read from a request or a session, and every referrer, goes
    through it.

    Refused: anything a browser could read as another origin or scheme. Browsers drop tabs and newlines anywhere in
    a URL and read a backslash as a slash, so `/<tab>/evil.example` or `/\\evil.example` lead to evil.example as
    surely as `//evil.example` does. So a value with any control, whitespace or invisible formatting character or a
    backslash, raw or percent-encoded (once or several times over), is refused, as is one whose path does not start
    with exactly one `/` both as written and fully decoded. The one thing let through is an encoded space in the
    query string (a search for "Jay Marsh"): after the `?` nothing can lead to another site. What is left is
    returned as written, query string included.
    """
    if not target or len(target) > _NEXT_MAX:
        return None
    path, _, query = target.partition("?")
    if not _decodes_safely(path, is_path=True) or not _decodes_safely(query, is_path=False):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


_NEXT_MAX = 2000
_DECODE_ROUNDS = 4


def _decodes_safely(value: str, *, is_path: bool) -> bool:
    """No unsafe character, raw or percent-decoded however many times (up to _DECODE_ROUNDS); a path starts with
    exactly one `/` at each decoding."""
    for round_ in range(_DECODE_ROUNDS):
        if "\\" in value or any(_unsafe_char(ch) for ch in value if not (ch == " " and round_ and not is_path)):
            return False
        if is_path and (not value.startswith("/") or value.startswith("//")):
            return False
        decoded = unquote(value)
        if decoded == value:
            return True
        value = decoded
    return False  # still encoded after that many rounds: nobody links like that


def _unsafe_char(ch: str) -> bool:
    # Cc control, Cf format (zero-width and direction marks), Cs/Co/Cn, Zs/Zl/Zp separators, and ASCII/Unicode spaces.
    return ch.isspace() or unicodedata.category(ch)[0] in {"C", "Z"}
