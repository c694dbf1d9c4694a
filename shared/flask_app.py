"""Flask, less the per-request work that gives the same answer every time (issue 16: a light signed-in page spent a
sixth of its time on it). Nothing here changes what a request does or may do; each piece is worked out once per
process instead of once per request.

- `ensure_sync`: Flask asks `inspect.iscoroutinefunction` of every before- and after-request hook and view on every
  request (a dozen calls a request); a function's kind never changes, so the answer is kept.
- The session's signing serializer: Flask builds a new one on every request (and itsdangerous, building it, signs
  an empty payload to learn its type); the serializer is stateless, so one is kept per secret key and salt.
- The session cookie's contents: a signed-in person's browser sends the same cookie request after request, and
  checking and unpacking it (HMAC, base64, zlib, tagged JSON) was a tenth of a light page's time. What a cookie
  value unpacked to, and when it was signed, is kept by the value (a changed session is a new value); its age is
  checked against the session's lifetime on every request, as itsdangerous does, and each request gets its own copy.
- The Jinja environment's globals: each template reads the environment's own dict rather than a chain over it
  (`JinjaEnvironment`), so a render copies them in one step.
"""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Callable, MutableMapping
from types import CodeType
from typing import Any

from cachetools import LRUCache
from flask import Flask, Request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from flask.templating import Environment as FlaskEnvironment
from itsdangerous import BadSignature, URLSafeTimedSerializer

_IMMUTABLE = frozenset({str, int, float, bool, type(None)})
KEPT_COOKIES = 4096  # unpacked session cookies kept in each process (a few hundred bytes each)


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, its serializer made once per secret key (and fallback keys) rather than per
    request: the same cookie, signed and checked exactly as Flask does."""

    def __init__(self) -> None:
        self._serializers: dict[tuple[Any, ...], URLSafeTimedSerializer] = {}
        # (serializer, cookie value) -> (its contents, when it was signed, in seconds since the epoch)
        self._unpacked: LRUCache[tuple[int, str], tuple[dict[str, Any], int]] = LRUCache(maxsize=KEPT_COOKIES)
        self._lock = threading.Lock()

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        """Flask's open_session, with what each cookie value unpacked to kept: the same session, or a new empty one
        for a cookie that is not signed with the key or is older than the session's lifetime (itsdangerous's rule:
        older than max_age, or signed in the future)."""
        serializer = self.get_signing_serializer(app)
        if serializer is None:
            return None
        value = request.cookies.get(self.get_cookie_name(app))
        if not value:
            return self.session_class()
        max_age = int(app.permanent_session_lifetime.total_seconds())
        key = (id(serializer), value)
        with self._lock:
            kept = self._unpacked.get(key)
        if kept is None:
            try:
                data, signed_at = serializer.loads(value, max_age=max_age, return_timestamp=True)
            except BadSignature:
                return self.session_class()
            kept = (data, int(signed_at.timestamp()))
            with self._lock:
                self._unpacked[key] = kept
        data, signed_at_seconds = kept
        age = int(time.time()) - signed_at_seconds
        if age > max_age or age < 0:
            return self.session_class()
        # The request may change its session; the kept one stays. Most sessions hold only strings and flags, which
        # cannot be changed in place: a plain copy of the dict will do for those.
        if all(type(value) in _IMMUTABLE for value in data.values()):
            return self.session_class(data)
        return self.session_class(copy.deepcopy(data))

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        if not app.secret_key:
            return None
        key = (app.secret_key, tuple(app.config.get("SECRET_KEY_FALLBACKS") or ()), self.salt)
        serializer = self._serializers.get(key)
        if serializer is None:
            serializer = super().get_signing_serializer(app)
            if serializer is None:
                return None
            self._serializers[key] = serializer
        return serializer


class JinjaEnvironment(FlaskEnvironment):
    """Flask's Jinja environment, whose templates read the environment's globals directly. Jinja gives each template
    a ChainMap of its own globals over the environment's, and copies it into every render's context key by key
    through the chain (a thirtieth of a light page's time here); a template loaded with no globals of its own (all of
    ours) gets the environment's dict itself, which is copied in one step. Globals added to the environment later
    are still seen, as with the ChainMap. Nothing here asks for a template with globals of its own
    (`get_template(name, globals=...)`): for a template already loaded without any, Jinja would add them to the
    environment's."""

    def make_globals(self, d: MutableMapping[str, Any] | None) -> MutableMapping[str, Any]:
        if not d:
            return self.globals
        return super().make_globals(d)


class App(Flask):
    jinja_environment = JinjaEnvironment

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.session_interface = SessionInterface()  # one per app: its kept serializers are this app's
        self._sync_code: set[CodeType] = set()

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        """Flask's answer, kept by the function's code object: for a function or a bound method that is all
        `inspect.iscoroutinefunction` looks at (its code's flags). Anything else (a partial, a callable object) is
        asked every time, as Flask does. Keyed by code, not by function, so closures made per request are not kept."""
        code = getattr(getattr(func, "__func__", func), "__code__", None)
        if code is not None and code in self._sync_code:
            return func
        made = super().ensure_sync(func)
        if made is func and isinstance(code, CodeType):
            self._sync_code.add(code)
        return made
