"""Error pages in the look of the side the URL belongs to, with plain-English text and no stack traces."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

import psycopg
from flask import Flask, current_app, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, DisconnectionError, InterfaceError, OperationalError, SQLAlchemyError
from werkzeug.exceptions import HTTPException

from shared.auth.access import SignInRequired, safe_next
from shared.auth.throttle import ThrottleUnavailable, TooManyAttempts
from shared.display import plural
from shared.extensions import login_manager
from shared.services import discard_unfinished_work

log = logging.getLogger(__name__)

MESSAGES = {
    400: ("Sorry, there is a problem with that request", "Go back and try again."),
    403: (
        "You do not have permission to see this page",
        "If you think you should, ask the person who manages accounts at your organisation.",
    ),
    404: (
        "Page not found",
        "If you typed the web address, check it is correct. If you pasted it, check you copied the entire address.",
    ),
    405: ("Sorry, there is a problem with that request", "Go back and try again."),
    413: ("The file is too large", "Choose a smaller file and try again."),
    429: ("Too many attempts", "Wait a few minutes, then try again."),
    500: ("Sorry, there is a problem with the service", "Try again later. Nothing you entered has been saved."),
    503: ("Sorry, the service is unavailable", "Try again in a few minutes."),
}


# How long to tell people and callers to wait when the database cannot be reached (the Retry-After header, seconds).
DATABASE_RETRY_AFTER = 60
DATABASE_DOWN_TITLE = "Sorry, the service is unavailable"
DATABASE_DOWN_BODY = (
    "The service is unavailable for a moment. Try again in a minute. If you were sending a form, nothing in it "
    "has been saved yet."
)


def database_unavailable(exc: BaseException) -> bool:
    """Whether the error means the database cannot be reached (stopped, restarting, the network cut), rather than a
    mistake in the app: SQLAlchemy's OperationalError and InterfaceError (what the driver raises for a refused or
    dropped connection), a connection SQLAlchemy found invalidated, and psycopg's own errors used outside it."""
    if isinstance(exc, (OperationalError, InterfaceError, DisconnectionError)):
        return True
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(exc, (psycopg.OperationalError, psycopg.InterfaceError))


def forget_unreachable_work() -> None:
    """After the database was found unreachable: the person is treated as signed out for this one answer (their
    session cannot be read, and the page must not try again), the header shows the service's own name, and the
    unit of work is dropped, as far as a dead connection allows. Nothing is ended: the next request, once the
    database is back, finds the session as it was."""
    g._login_user = login_manager.anonymous_user()
    g.setdefault("school_name", "AP Portal")
    try:
        discard_unfinished_work()
    except SQLAlchemyError:  # the rollback needs the connection that has gone
        log.warning("database.rollback_failed")


def layout_for_path(path: str) -> str:
    if path == "/school" or path.startswith("/school/"):
        return "school_admin/base.html"
    if path == "/portal" or path.startswith("/portal/"):
        return "portal/base.html"
    return "base.html"


def form_page() -> str | None:
    """Where the form just sent can be opened again (for 'file too large'): the page it was sent to, when that
    page opens with GET (an upload form posts to itself), else the page it was sent from (the referrer, if it is
    one of this site's pages); None if neither."""
    if request.method == "POST":
        try:
            current_app.url_map.bind("").match(request.path, method="GET")
        except HTTPException:
            pass
        else:
            return safe_next(request.full_path.rstrip("?"))
    referrer = urlsplit(request.referrer or "")
    if referrer.netloc and referrer.netloc != request.host:
        return None
    target = referrer.path + (f"?{referrer.query}" if referrer.query else "")
    return safe_next(target) if referrer.path and target != request.full_path.rstrip("?") else None


def render_error(
    status: int, *, title: str | None = None, body: str | None = None, headers: dict[str, str] | None = None
) -> tuple[str, int, dict[str, str]]:
    default_title, default_body = MESSAGES.get(status, MESSAGES[500])
    if status == 413:
        limit_mb = request.max_content_length // (1024 * 1024) if request.max_content_length else None
        if limit_mb:
            default_body = f"Files must be {limit_mb} MB or smaller. Choose a smaller file and try again."
    html = render_template(
        "errors/error.html",
        layout=layout_for_path(request.path),
        status=status,
        title=title or default_title,
        body=body or default_body,
        back_to_form=form_page() if status == 413 else None,
    )
    return html, status, headers or {}


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(SignInRequired)
    def _sign_in_required(_exc: SignInRequired) -> ResponseReturnValue:
        reason = g.get("session_ended_reason")
        if reason == "idle":
            flash("You were signed out because you had not done anything for a while. Sign in again.")
        elif reason == "absolute":
            flash("You were signed out because you had been signed in for 12 hours. Sign in again.")
        if request.method in {"GET", "HEAD"}:
            target = request.full_path.rstrip("?")
            return redirect(url_for("auth.sign_in", next=safe_next(target)))
        return render_error(
            401,
            title="You have been signed out",
            body="Your session ended before you sent the form, so nothing was saved. Sign in and try again.",
        )

    @app.errorhandler(CSRFError)
    def _csrf(_exc: CSRFError) -> ResponseReturnValue:
        return render_error(
            400,
            title="This form has expired",
            body="The page was open too long or your session ended, so nothing was saved. "
            "Go back, reload the page and try again.",
        )

    @app.errorhandler(ThrottleUnavailable)
    def _throttle_down(_exc: ThrottleUnavailable) -> ResponseReturnValue:
        log.error("throttle.store_unavailable")
        return render_error(
            503,
            title="Signing in is unavailable right now",
            body="We could not check sign-in attempts, so signing in is paused to keep accounts safe. "
            "Try again in a few minutes.",
        )

    @app.errorhandler(TooManyAttempts)
    def _too_many(exc: TooManyAttempts) -> ResponseReturnValue:
        minutes = max(1, round(exc.retry_after / 60))
        return render_error(
            429,
            body=f"You have made too many attempts. Wait {plural(minutes, 'minute')}, then try again.",
            headers={"Retry-After": str(exc.retry_after)},
        )

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> ResponseReturnValue:
        if exc.code is None or exc.code < 400:
            return exc
        return render_error(exc.code)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> ResponseReturnValue:
        if isinstance(exc, HTTPException):
            return _http(exc)
        if database_unavailable(exc):
            log.error("database.unavailable", extra={"error": type(exc).__name__})
            forget_unreachable_work()
            return render_error(
                503,
                title=DATABASE_DOWN_TITLE,
                body=DATABASE_DOWN_BODY,
                headers={"Retry-After": str(DATABASE_RETRY_AFTER)},
            )
        log.exception("unhandled_error")
        discard_unfinished_work()
        return render_error(500)
