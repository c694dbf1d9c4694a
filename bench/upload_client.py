"""A browser's file upload over real HTTP: sign in with a password (provider managers have no security code), then
post a multipart form streamed from a file on disk, as a browser sends it, and time the answer.

The file is sent in 1 MiB pieces, so the benchmark process never holds it whole; only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import http.client
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from bench.browser import Browser, Page, csrf_token
from bench.errors import BenchError
from bench.server import HOST

SEND_CHUNK_BYTES = 1024 * 1024
UPLOAD_TIMEOUT_SECONDS = 120  # per socket operation: the answer comes once the whole upload is processed


@dataclass(frozen=True)
class Answer:
    status: int
    location: str | None
    body: bytes
    seconds: float  # from opening the connection to the end of the answer


def _check(page: Page, status: int, what: str, location: str | None = None) -> None:
    if page.status != status or (location is not None and page.location != location):
        raise BenchError(
            f"{what}: expected HTTP {status}{f' to {location}' if location else ''}, got HTTP {page.status}"
            f"{f' to {page.location}' if page.location else ''}: {page.text[:300]!r}"
        )


def sign_in_with_password(port: int, *, email: str, password: str, home: str, marker: str) -> Browser:
    """Sign in as someone without two-step sign-in; return the browser holding the signed-in session."""
    browser = Browser(port)
    form = browser.get("/sign-in")
    _check(form, 200, "GET /sign-in")
    answer = browser.post("/sign-in", {"csrf_token": csrf_token(form), "email": email, "password": password})
    _check(answer, 302, "POST /sign-in", home)
    page = browser.get(home)
    _check(page, 200, f"GET {home} signed in")
    if marker not in page.text:
        raise BenchError(f"GET {home} signed in does not show {marker!r}: {page.text[:300]!r}")
    return browser


def form_token(browser: Browser, path: str) -> str:
    """The CSRF token of the upload form at `path` (the page must answer 200)."""
    page = browser.get(path)
    _check(page, 200, f"GET {path}")
    return csrf_token(page)


def post_file(
    port: int,
    path: str,
    *,
    fields: dict[str, str],
    file_field: str,
    file_path: Path,
    filename: str,
    content_type: str,
    browser: Browser | None = None,
) -> Answer:
    """POST a multipart/form-data body: `fields`, then the file under `file_field`; time it to the last byte of
    the answer. With `browser`, its cookies are sent and the answer's kept, as a browser does."""
    boundary = f"ap-portal-bench-{secrets.token_hex(12)}"
    head = b"".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    )
    head += (
        f'--{boundary}\r\nContent-Disposition: form-data; name="{file_field}"; filename="{filename}"\r\n'
        f"Content-Type: {content_type}\r\n\r\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    size = file_path.stat().st_size
    headers = {
        "Content-Type": f"multipart/form-data; boundary={boundary}",
        "Content-Length": str(len(head) + size + len(tail)),
        "User-Agent": "ap-portal-bench",
    }
    if browser is not None and browser.cookies:
        headers["Cookie"] = browser.cookie_header()
    started = time.perf_counter()
    conn = http.client.HTTPConnection(HOST, port, timeout=UPLOAD_TIMEOUT_SECONDS)
    try:
        conn.putrequest("POST", path, skip_accept_encoding=True)
        for name, value in headers.items():
            conn.putheader(name, value)
        conn.endheaders()
        conn.send(head)
        sent = 0
        with file_path.open("rb") as file:
            while sent < size and (chunk := file.read(min(SEND_CHUNK_BYTES, size - sent))):
                conn.send(chunk)
                sent += len(chunk)
        conn.send(tail)
        response = conn.getresponse()
        body = response.read()
        seconds = time.perf_counter() - started
        location = response.headers.get("Location")
        if browser is not None:
            browser._keep_cookies(response.headers.get_all("Set-Cookie") or [])
    except (OSError, http.client.HTTPException) as exc:
        raise BenchError(f"POST {path} on port {port} failed: {exc!r}") from exc
    finally:
        conn.close()
    if location:
        parts = urlsplit(location)
        location = parts.path + (f"?{parts.query}" if parts.query else "")
    return Answer(response.status, location, body, seconds)
