"""Access control: one guard per side, role decorators, and organisation-scoped loading.

Each side's blueprint calls `guard_side` before every request, so a view cannot forget the side check;
views add `roles_required`. Objects loaded from a URL id go through `*_or_404`, so another
organisation's object is a 404, indistinguishable from one that does not exist.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import ParamSpec, TypeGuard, TypeVar

from flask import abort, current_app, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from shared.extensions import db
from shared.models import Membership, Organisation, OrganisationKind, User, utcnow
from shared.roles import mfa_required

P = ParamSpec("P")
R = TypeVar("R")
M = TypeVar("M")


class SignInRequired(Exception):
    """Raised for an anonymous request to a signed-in page; the app answers with the sign-in page."""


def guard_side(kind: OrganisationKind) -> Callable[[], ResponseReturnValue | None]:
    """Return a before_request hook: signed in, on this side, with MFA passed where it is required."""

    def _guard() -> ResponseReturnValue | None:
        if not current_user.is_authenticated:
            raise SignInRequired
        if current_user.organisation_kind != kind:
            abort(403)
        if mfa_required(kind, current_user.roles) and not current_user.session_mfa_verified:
            # e.g. a provider user made DSL after signing in without MFA: set it up before going on.
            return redirect(url_for("auth.mfa_setup"))
        return None

    return _guard


def roles_required(*roles: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    def decorator(view: Callable[P, R]) -> Callable[P, R]:
        view.allowed_roles = frozenset(roles)  # type: ignore[attr-defined]  # a marker set on the view function

        @wraps(view)
        def wrapped(*args: P.args, **kwargs: P.kwargs) -> R:
            if not current_user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def mfa_is_recent() -> bool:
    at = current_user.session_mfa_at
    return at is not None and utcnow() - at <= timedelta(minutes=current_app.config["SAFEGUARDING_MFA_MINUTES"])


def recent_mfa_required(view: Callable[P, R]) -> Callable[P, R | Response]:
    """Safeguarding pages: the security code must have been given in this session within SAFEGUARDING_MFA_MINUTES
    (15 by default), else the person is asked for it again and comes back. A form sent with a stale code saves
    nothing (the person is told so and sends it again)."""

    @wraps(view)
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> R | Response:
        if not mfa_is_recent():
            if request.method != "GET":
                flash("For safeguarding information, enter your security code again. Nothing was saved: send it again.")
                back = request.referrer if is_safe_next(_path_of(request.referrer)) else None
                return redirect(url_for("auth.mfa_confirm", next=_path_of(back) or request.path))
            return redirect(url_for("auth.mfa_confirm", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return wrapped


def _path_of(url: str | None) -> str | None:
    """The path and query of a URL on this site (a referrer), or None."""
    if not url:
        return None
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.netloc and parts.netloc != request.host:
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def current_organisation() -> Organisation:
    organisation: Organisation = current_user.organisation
    return organisation


def member_or_404(user_id: uuid.UUID, organisation: Organisation) -> User:
    """A user of this organisation, or 404 (for another organisation's user too)."""
    user = db.session.scalar(
        select(User).join(Membership).where(User.id == user_id, Membership.organisation_id == organisation.id)
    )
    if user is None:
        abort(404)
    return user


def own_or_404(model: type[M], object_id: uuid.UUID, *, owner: str = "organisation_id") -> M:
    """A row of the signed-in person's organisation, or 404 for another organisation's, so it looks exactly like
    one that does not exist. `owner` names the row's column for the organisation: `organisation_id` for the
    provider's own records, `school_id` or `provider_id` for rows both sides share (placements, incidents)."""
    row = db.session.get(model, object_id)
    if row is None or getattr(row, owner) != current_user.organisation_id:
        abort(404)
    return row


def is_safe_next(target: str | None) -> TypeGuard[str]:
    return target is not None and target.startswith("/") and not target.startswith("//") and "\\" not in target
