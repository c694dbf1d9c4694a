"""Signing in over real HTTP, as a person's browser does: read the form's CSRF token, post it, follow redirects.

Going through the real sign-in (password, then the TOTP security code) gives the benchmark a session exactly like a
user's, server-side session record included, rather than one forged from the inside.
"""

from __future__ import annotations

import http.client
import re
from dataclasses import dataclass
from http.cookies import SimpleCookie
from urllib.parse import urlencode, urlsplit

import pyotp

from bench.errors import BenchError
from bench.server import HOST

CSRF_INPUT = re.compile(r"<input[^>]*\bname=\"csrf_token\"[^>]*>")
VALUE_ATTRIBUTE = re.compile(r"\bvalue=\"([^\"]+)\"")
TIMEOUT_SECONDS = 10


@dataclass(frozen=True)
class Page:
    status: int
    location: str | None  # the path of a redirect, without scheme and host
    text: str


class Browser:
    """One host, its cookies, and nothing else (no JavaScript, no caching, redirects followed by the caller)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}

    def cookie_header(self) -> str:
        return "; ".join(f"{name}={value}" for name, value in self.cookies.items())

    def get(self, path: str) -> Page:
        return self._request("GET", path, None)

    def post(self, path: str, form: dict[str, str]) -> Page:
        return self._request("POST", path, form)

    def _request(self, method: str, path: str, form: dict[str, str] | None) -> Page:
        headers = {"User-Agent": "ap-portal-bench"}
        if self.cookies:
            headers["Cookie"] = self.cookie_header()
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn = http.client.HTTPConnection(HOST, self.port, timeout=TIMEOUT_SECONDS)
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            text = response.read().decode("utf-8", errors="replace")
            self._keep_cookies(response.headers.get_all("Set-Cookie") or [])
            location = response.headers.get("Location")
        finally:
            conn.close()
        if location:
            parts = urlsplit(location)
            location = parts.path + (f"?{parts.query}" if parts.query else "")
        return Page(response.status, location, text)

    def _keep_cookies(self, set_cookie_headers: list[str]) -> None:
        for header in set_cookie_headers:
            cookie = SimpleCookie()
            cookie.load(header)
            for name, morsel in cookie.items():
                if morsel.value == "" or morsel["max-age"] == "0":
                    self.cookies.pop(name, None)  # the server deleted it
                else:
                    self.cookies[name] = morsel.value


def csrf_token(page: Page) -> str:
    tag = CSRF_INPUT.search(page.text)
    value = VALUE_ATTRIBUTE.search(tag.group(0)) if tag else None
    if value is None:
        raise BenchError(f"no CSRF token on the page (HTTP {page.status}): {page.text[:300]!r}")
    return value.group(1)


def _expect(page: Page, status: int, what: str, location: str | None = None) -> None:
    if page.status != status or (location is not None and page.location != location):
        raise BenchError(
            f"{what}: expected HTTP {status}{f' to {location}' if location else ''}, got HTTP {page.status}"
            f"{f' to {page.location}' if page.location else ''}: {page.text[:300]!r}"
        )


def sign_in(
    port: int, *, email: str, password: str, totp_secret: str, home: str, marker: str, page: str | None = None
) -> str:
    """Sign in with password and security code; return the Cookie header of the signed-in session.

    The security code must redirect to `home` (the person's side); `page` (home unless told) must then answer 200
    with `marker` in it, or the benchmark would time the wrong page.
    """
    browser = Browser(port)
    form = browser.get("/sign-in")
    _expect(form, 200, "GET /sign-in")
    answer = browser.post("/sign-in", {"csrf_token": csrf_token(form), "email": email, "password": password})
    _expect(answer, 302, "POST /sign-in", "/sign-in/security-code")
    form = browser.get("/sign-in/security-code")
    _expect(form, 200, "GET /sign-in/security-code")
    code = pyotp.TOTP(totp_secret).now()
    answer = browser.post("/sign-in/security-code", {"csrf_token": csrf_token(form), "code": code})
    _expect(answer, 302, "POST /sign-in/security-code", home)
    path = page or home
    shown = browser.get(path)
    _expect(shown, 200, f"GET {path} signed in")
    if marker not in shown.text:
        raise BenchError(f"GET {path} signed in does not show {marker!r}: {shown.text[:300]!r}")
    return browser.cookie_header()
