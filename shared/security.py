"""Security headers, set in one place for every response."""

from __future__ import annotations

import secrets
from functools import lru_cache

from flask import Flask, Response, current_app, g, session
from flask_wtf.csrf import generate_csrf
from itsdangerous import URLSafeTimedSerializer

_CSP = (
    "default-src 'self'; "
    "script-src 'self' 'nonce-{nonce}'; "
    "style-src 'self'; "
    "img-src 'self' data:; "
    "font-src 'self'; "
    "connect-src 'self'; "
    "object-src 'none'; "
    "base-uri 'none'; "
    "form-action 'self'; "
    "frame-ancestors 'none'"
)


def csp_nonce() -> str:
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    nonce: str = g.csp_nonce
    return nonce


@lru_cache(maxsize=4096)
def _signed_csrf_token(secret_key: str, raw: str) -> str:
    return URLSafeTimedSerializer(secret_key, salt="wtf-csrf-token").dumps(raw)


def csrf_token() -> str:
    """flask_wtf.csrf.generate_csrf (the same token, valid the same way), with the signed form of the session's raw
    token kept in memory. WTF_CSRF_TIME_LIMIT is None (the session's own timeouts bound it), so a token signed on an
    earlier page is exactly as good as a new one, and signing it again on every page (HMAC, JSON, base64) was a
    noticeable share of a light page's time: every signed-in page has the sign-out form."""
    config = current_app.config
    field = config["WTF_CSRF_FIELD_NAME"]
    if field not in g:
        if config["WTF_CSRF_TIME_LIMIT"] is not None:
            return str(generate_csrf())
        if field not in session:
            generate_csrf()  # the first form of a session makes its raw token (and signs it, which is not kept)
        secret_key = config.get("WTF_CSRF_SECRET_KEY") or current_app.secret_key
        # The session's first page carries the same signed token as its later ones: signed once, whenever that is,
        # not once on the first page and again (in another second, so differently) on the next.
        setattr(g, field, _signed_csrf_token(str(secret_key), session[field]))
    return str(g.get(field))


# What HTML kept beyond one request (shared.kept_pages, shared.page_chrome) holds in place of the person's CSRF token:
# random per process, so no data can contain it. `with_csrf_token` puts this request's token in.
CSRF_STAND_IN = f"csrf-{secrets.token_hex(16)}"


def with_csrf_token(html: str) -> str:
    """`html` with the signed-in person's own CSRF token in place of CSRF_STAND_IN."""
    return html.replace(CSRF_STAND_IN, csrf_token())


def init_security_headers(app: Flask) -> None:
    app.jinja_env.globals["csp_nonce"] = csp_nonce
    # After CSRFProtect.init_app: its context processor offers generate_csrf as csrf_token; this one, later, wins.
    app.jinja_env.globals["csrf_token"] = csrf_token
    app.context_processor(lambda: {"csrf_token": csrf_token})

    # The same on every response but the CSP's nonce: worked out once. Nothing the app answers is cached (signed-in
    # pages, form pages with their per-session CSRF token, errors); static files, which may be, never reach Flask
    # (shared.assets answers them first).
    fixed = [
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "DENY"),
        ("Referrer-Policy", "same-origin"),
        ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
        ("Cross-Origin-Opener-Policy", "same-origin"),
        *([("Strict-Transport-Security", "max-age=31536000; includeSubDomains")] if app.config["HSTS"] else []),
        ("Cache-Control", "no-store"),
        ("Pragma", "no-cache"),
    ]
    ours = {name.lower() for name, _ in fixed} | {"content-security-policy"}

    @app.after_request
    def _headers(response: Response) -> Response:
        headers = response.headers
        for name in [name for name, _ in headers if name.lower() in ours]:  # a view's own: these replace it
            del headers[name]
        headers.extend([("Content-Security-Policy", _CSP.format(nonce=csp_nonce())), *fixed])
        return response
