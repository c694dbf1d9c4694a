"""Static files (CSS, JavaScript): served under content-hashed names, cached for a year, before Flask runs at all.

`npm run build` (assets/fingerprint.mjs) writes a copy of each asset named after its content, app.css becoming
build/app.<hash>.css, with gzip and Brotli copies beside it, and build/manifest.json mapping one to the other.
Templates name assets with `asset_url('build/app.css')`, which reads the manifest, once at start-up.

Every request under /static/ is answered by WhiteNoise wrapped around the app, so Flask never sees it: no session,
no before_request, no database, whoever asks.

- A hashed name: `Cache-Control: public, max-age=31536000, immutable` (its content never changes under that name;
  a new build is a new name), compressed when the browser accepts it.
- An unhashed name (/static/build/app.css, as pages named them before): still served, cached for five minutes only.
- Anything else under /static/ (a name of an earlier build, a typo): 404 at once, `no-store`.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any
from wsgiref.headers import Headers

from flask import Flask
from whitenoise import WhiteNoise

log = logging.getLogger(__name__)

URL_PREFIX = "/static/"
# A name with 12 hex digits of its content's SHA-256 before the extension (assets/fingerprint.mjs writes them).
HASHED_NAME = re.compile(r"\.[0-9a-f]{12}\.(css|js)$")
FOREVER = "public, max-age=31536000, immutable"
# An old, unhashed name: its content changes with each release, so browsers keep it only briefly.
UNHASHED_MAX_AGE = 300
NOT_FOUND = b"Not found\n"

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class Manifest:
    """Each asset's hashed name, from build/manifest.json. Read once; in debug mode again when the file changes."""

    def __init__(self, root: Path, *, reload: bool) -> None:
        self.path = root / "build" / "manifest.json"
        self.reload = reload
        self._names: dict[str, str] = {}
        self._read_at: float | None = None
        self._read()
        if not self._names:
            log.warning("no asset manifest at %s: run `make assets`; pages will name unhashed files", self.path)

    def _read(self) -> None:
        try:
            modified = self.path.stat().st_mtime
        except FileNotFoundError:
            self._names, self._read_at = {}, None
            return
        if modified != self._read_at:
            self._names = json.loads(self.path.read_text(encoding="utf-8"))
            self._read_at = modified

    def url(self, name: str) -> str:
        """The URL of asset `name` (a path under shared/static, e.g. 'build/app.css'): its hashed copy's."""
        if self.reload:
            self._read()
        return URL_PREFIX + self._names.get(name, name)


def _headers(headers: Headers, path: str, url: str) -> None:
    if HASHED_NAME.search(url):
        headers["Cache-Control"] = FOREVER
    headers["X-Content-Type-Options"] = "nosniff"


def _not_found(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    start_response(
        "404 Not Found",
        [
            ("Content-Type", "text/plain; charset=utf-8"),
            ("Content-Length", str(len(NOT_FOUND))),
            ("Cache-Control", "no-store"),
            ("X-Content-Type-Options", "nosniff"),
        ],
    )
    return [] if environ.get("REQUEST_METHOD") == "HEAD" else [NOT_FOUND]


class StaticFiles:
    """WSGI middleware: /static/... from the files (or a 404), everything else to the app."""

    def __init__(self, app: WSGIApp, root: Path, *, autorefresh: bool) -> None:
        self.app = app
        self.files = WhiteNoise(
            _not_found,
            root=str(root),
            prefix=URL_PREFIX,
            autorefresh=autorefresh,
            max_age=UNHASHED_MAX_AGE,
            allow_all_origins=False,  # served from the app's own origin, not a CDN
            immutable_file_test=lambda _path, url: bool(HASHED_NAME.search(url)),
            add_headers_function=_headers,
        )

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO", "").startswith(URL_PREFIX):
            files: Iterable[bytes] = self.files(environ, start_response)
            return files
        return self.app(environ, start_response)


def init_assets(app: Flask, root: Path) -> None:
    manifest = Manifest(root, reload=app.debug)
    app.jinja_env.globals["asset_url"] = manifest.url
    app.extensions["asset_manifest"] = manifest
    # Flask's documented way to add WSGI middleware, which mypy sees as replacing a method.
    app.wsgi_app = StaticFiles(app.wsgi_app, root, autorefresh=app.debug)  # type: ignore[method-assign]
