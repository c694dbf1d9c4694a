"""Per-account throttling of failed sign-in and MFA attempts (on the `limits` library that Flask-Limiter uses).

Only failures count. The store is in memory, or Redis when REDIS_URL is set; if the store cannot be reached,
sign-in fails closed (ThrottleUnavailable -> 503) rather than letting guesses through unthrottled.
"""

from __future__ import annotations

import hashlib
import math
import time

from flask import Flask, current_app
from limits import parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter


class ThrottleUnavailable(RuntimeError):
    pass


class AccountThrottle:
    def __init__(self, storage_uri: str, limit: str) -> None:
        options = {"socket_connect_timeout": 1, "socket_timeout": 1} if storage_uri.startswith("redis") else {}
        self._storage = storage_from_string(storage_uri, **options)
        self._limiter = MovingWindowRateLimiter(self._storage)
        self._item = parse(limit)

    @staticmethod
    def _key(kind: str, account: str) -> str:
        # The key is a hash, so e-mail addresses never sit in Redis in the clear.
        return f"{kind}:" + hashlib.sha256(account.strip().lower().encode()).hexdigest()

    def retry_after(self, kind: str, account: str) -> int | None:
        """Seconds to wait when this account has used up its attempts, else None."""
        key = self._key(kind, account)
        try:
            if self._limiter.test(self._item, key):
                return None
            reset_at, _remaining = self._limiter.get_window_stats(self._item, key)
        except Exception as exc:  # any store failure: fail closed
            raise ThrottleUnavailable from exc
        return max(1, math.ceil(reset_at - time.time()))

    def failed(self, kind: str, account: str) -> None:
        try:
            self._limiter.hit(self._item, self._key(kind, account))
        except Exception as exc:
            raise ThrottleUnavailable from exc

    def succeeded(self, kind: str, account: str) -> None:
        try:
            self._limiter.clear(self._item, self._key(kind, account))
        except Exception as exc:
            raise ThrottleUnavailable from exc

    def reset(self) -> None:
        """Forget every counter (tests, and an operator clearing a lock-out)."""
        self._storage.reset()


def init_throttle(app: Flask) -> None:
    app.extensions["account_throttle"] = AccountThrottle(
        app.config["RATELIMIT_STORAGE_URI"], app.config["SIGN_IN_ACCOUNT_LIMIT"]
    )


def account_throttle() -> AccountThrottle:
    return current_app.extensions["account_throttle"]
