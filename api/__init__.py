"""The JSON API for providers with their own systems, under /api/v1. Never imports portal/ or school_admin/.

A caller is a provider, known by its API token (`Authorization: Bearer app_...`), never by a session: on /api/ paths
the signed-in person machinery does not run (no session is read, no cookie is set) and CSRF does not apply, since a
cross-site page cannot set the Authorization header. Every answer, errors included, is JSON; an error is
`{"error": {"code": ..., "message": ...}}` with a plain-English message.
"""

from __future__ import annotations

import logging
import math
import time

from flask import Blueprint, Flask, current_app, g, jsonify, request
from limits import parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter
from werkzeug.exceptions import HTTPException

from shared.auth.access import PUBLIC, declaration_of
from shared.errors import DATABASE_RETRY_AFTER, database_unavailable, forget_unreachable_work, render_error
from shared.extensions import csrf, login_manager
from shared.models import ApiToken
from shared.services import discard_unfinished_work
from shared.services.accounts import api_tokens

log = logging.getLogger(__name__)

API_PREFIX = "/api/"

bp = Blueprint("api", __name__)

# What each status means to a caller, in plain English; views give a more precise message where they can.
ERRORS = {
    400: ("bad_request", "The request could not be understood."),
    401: ("unauthorised", "Send a valid API token in the Authorization header: 'Bearer <token>'."),
    403: ("forbidden", "This token may not do that."),
    404: ("not_found", "There is nothing at this address."),
    405: ("method_not_allowed", "This address does not accept that method."),
    409: ("conflict", "This conflicts with what is already recorded."),
    413: ("too_large", "The request body is too large."),
    422: ("invalid", "The request has problems: nothing was saved."),
    429: ("too_many_requests", "Too many requests with this token. Wait, then try again."),
    500: ("server_error", "Sorry, there is a problem with the service. Nothing was saved. Try again later."),
    503: (
        "service_unavailable",
        "The service is unavailable for a moment: its database cannot be reached. Nothing was saved. "
        "Try again in a minute.",
    ),
}


def error_response(status: int, message: str | None = None, *, code: str | None = None, headers=None, **extra):
    default_code, default_message = ERRORS.get(status, ERRORS[500])
    body = {"code": code or default_code, "message": message or default_message, **extra}
    response = jsonify(error=body)
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def is_api_request() -> bool:
    return request.path.startswith(API_PREFIX)


def current_token() -> ApiToken:
    """The caller's token (set by the blueprint's check before every view that needs one)."""
    return g.api_token


# --- authentication and rate limiting -----------------------------------------------------------------------------


@bp.before_request
def _authenticate():
    declaration = declaration_of(request.endpoint)
    if declaration is not None and declaration.audience == PUBLIC:  # the OpenAPI document
        return None
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return error_response(401, headers={"WWW-Authenticate": 'Bearer realm="api"'})
    row = api_tokens.authenticate(token.strip())
    if row is None:
        return error_response(
            401,
            "This API token is not valid: it may have been revoked, or your organisation may not be approved "
            "at the moment. Ask your provider manager for a new token.",
            headers={"WWW-Authenticate": 'Bearer realm="api", error="invalid_token"'},
        )
    retry_after = _hit_rate_limit(row)
    if retry_after:
        return error_response(
            429,
            f"Too many requests with this token. Wait {retry_after} seconds, then try again.",
            headers={"Retry-After": str(retry_after)},
        )
    g.api_token = row
    return None


def _hit_rate_limit(row: ApiToken) -> int | None:
    """Count one call against the token's limit; seconds to wait when it is over, else None. The limit protects
    the service, not an account, so if the store cannot be reached the call goes through (and is logged)."""
    limiter: MovingWindowRateLimiter = current_app.extensions["api_rate_limiter"]
    item = parse(current_app.config["API_RATE_LIMIT"])
    key = f"api:{row.id}"
    try:
        if limiter.hit(item, key):
            return None
        reset_at, _remaining = limiter.get_window_stats(item, key)
    except Exception:  # noqa: BLE001 - any store failure: let the call through
        log.warning("api.rate_limit_store_unavailable")
        return None
    return max(1, math.ceil(reset_at - time.time()))


# --- errors as JSON ------------------------------------------------------------------------------------------------


@bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException):
    return error_response(exc.code or 500)


@bp.errorhandler(Exception)
def _unexpected(exc: Exception):
    if isinstance(exc, HTTPException):
        return _http_error(exc)
    if database_unavailable(exc):
        log.error("api.database_unavailable", extra={"error": type(exc).__name__})
        forget_unreachable_work()
        return error_response(503, headers={"Retry-After": str(DATABASE_RETRY_AFTER)})
    log.exception("api.unhandled_error")
    discard_unfinished_work()
    return error_response(500)


def _routing_error(status: int):
    """404 and 405 are decided by the URL map before any blueprint is chosen, so they are answered at app level:
    JSON under /api/, the side's error page everywhere else."""

    def handler(exc: HTTPException):
        if not is_api_request():
            return render_error(status)
        allowed = getattr(exc, "valid_methods", None)
        return error_response(status, headers={"Allow": ", ".join(allowed)} if allowed else None)

    return handler


def _no_signed_in_person() -> None:
    """API requests never read the session: the person is anonymous whatever cookie came with the request, so a
    session cookie alone never reaches the API, and audit events of API calls have no actor."""
    if is_api_request():
        g._login_user = login_manager.anonymous_user()


def register_api(app: Flask) -> None:
    from api import views  # noqa: F401  (routes register on bp)

    csrf.exempt(bp)
    app.register_blueprint(bp, url_prefix="/api/v1")
    app.before_request(_no_signed_in_person)
    app.register_error_handler(404, _routing_error(404))
    app.register_error_handler(405, _routing_error(405))
    storage_uri = app.config["RATELIMIT_STORAGE_URI"]
    options = {"socket_connect_timeout": 1, "socket_timeout": 1} if storage_uri.startswith("redis") else {}
    app.extensions["api_rate_limiter"] = MovingWindowRateLimiter(storage_from_string(storage_uri, **options))
