"""Throttling of sign-in, built on the `limits` library (the engine under Flask-Limiter).

- Per account: about 10 attempts per 5 minutes, separately for passwords and security codes. Each attempt is counted
  before the password or code is checked, in one atomic step of the store (`attempt`), so requests sent at once
  cannot all slip under the limit. The right password (or code) clears the count, so in effect only failures add up.
- Per IP: every sign-in POST counts, with a far higher ceiling (a whole school signs in from one IP at 8:30).
The store is in memory, or Redis when REDIS_URL is set (shared by gunicorn workers). If the store cannot be
reached, sign-in fails closed (ThrottleUnavailable -> 503) rather than letting guesses through unthrottled.
The throttle lives in app.extensions, so each app (and each test app) has its own store.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar

from flask import Flask, current_app, request
from limits import RateLimitItem, parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

P = ParamSpec("P")
R = TypeVar("R")
T = TypeVar("T")


class ThrottleUnavailable(RuntimeError):
    pass


class TooManyAttempts(Exception):
    def __init__(self, retry_after: int):
        super().__init__(retry_after)
        self.retry_after = retry_after


class SignInThrottle:
    def __init__(self, storage_uri: str, account_limit: str, ip_limit: str) -> None:
        options = {"socket_connect_timeout": 1, "socket_timeout": 1} if storage_uri.startswith("redis") else {}
        self._storage = storage_from_string(storage_uri, **options)
        self._limiter = MovingWindowRateLimiter(self._storage)
        self._account = parse(account_limit)
        self._ip = parse(ip_limit)

    @staticmethod
    def _key(kind: str, value: str) -> str:
        # Keys are hashes, so e-mail and IP addresses never sit in the store in the clear.
        return f"sign-in:{kind}:" + hashlib.sha256(value.strip().lower().encode()).hexdigest()

    def _guarded(self, fn: Callable[..., T], *args: object) -> T:
        try:
            return fn(*args)
        except Exception as exc:  # any store failure: fail closed
            raise ThrottleUnavailable from exc

    def _retry_after(self, item: RateLimitItem, key: str) -> int:
        reset_at, _remaining = self._guarded(self._limiter.get_window_stats, item, key)
        return max(1, math.ceil(reset_at - time.time()))

    def attempt(self, kind: str, account: str) -> int | None:
        """Count one attempt for this account, before the password or code is checked: seconds to wait when the
        account has used up its attempts (then nothing is counted, and nothing may be checked), else None. The count
        and the check against the limit are one step in the store (a lock in memory, a script in Redis)."""
        key = self._key(kind, account)
        if self._guarded(self._limiter.hit, self._account, key):
            return None
        return self._retry_after(self._account, key)

    def succeeded(self, kind: str, account: str) -> None:
        self._guarded(self._limiter.clear, self._account, self._key(kind, account))

    def hit_ip(self, address: str) -> int | None:
        """Count one attempt from this address; seconds to wait when it is over the ceiling, else None."""
        key = self._key("ip", address or "unknown")
        if self._guarded(self._limiter.hit, self._ip, key):
            return None
        return self._retry_after(self._ip, key)

    def reset(self) -> None:
        """Forget every counter (tests, and an operator clearing a lock-out)."""
        self._guarded(self._storage.reset)


def init_throttle(app: Flask) -> None:
    app.extensions["sign_in_throttle"] = SignInThrottle(
        app.config["RATELIMIT_STORAGE_URI"], app.config["SIGN_IN_ACCOUNT_LIMIT"], app.config["SIGN_IN_IP_LIMIT"]
    )


def throttle() -> SignInThrottle:
    sign_in_throttle: SignInThrottle = current_app.extensions["sign_in_throttle"]
    return sign_in_throttle


def ip_ceiling(view: Callable[P, R]) -> Callable[P, R]:
    """Every POST to a sign-in page counts against the client's IP ceiling."""

    @wraps(view)
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> R:
        if request.method == "POST":
            retry = throttle().hit_ip(request.remote_addr or "")
            if retry:
                raise TooManyAttempts(retry)
        return view(*args, **kwargs)

    return wrapped
