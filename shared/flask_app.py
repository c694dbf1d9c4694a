"""Flask, less the per-request work that gives the same answer every time (issue 16: a light signed-in page spent a
sixth of its time on it). Nothing here changes what a request does or may do; each piece is worked out once per
process instead of once per request.

- `ensure_sync`: Flask asks `inspect.iscoroutinefunction` of every before- and after-request hook and view on every
  request (a dozen calls a request); a function's kind never changes, so the answer is kept.
- The session's signing serializer: Flask builds a new one on every request (and itsdangerous, building it, signs
  an empty payload to learn its type); the serializer is stateless, so one is kept per secret key and salt.
"""

from __future__ import annotations

from collections.abc import Callable
from types import CodeType
from typing import Any

from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import URLSafeTimedSerializer


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, its serializer made once per secret key (and fallback keys) rather than per
    request: the same cookie, signed and checked exactly as Flask does."""

    def __init__(self) -> None:
        self._serializers: dict[tuple[Any, ...], URLSafeTimedSerializer] = {}

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


class App(Flask):
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
