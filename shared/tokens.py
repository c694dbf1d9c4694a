"""Signed, time-limited tokens for links sent by e-mail (itsdangerous, one salt per purpose)."""

from __future__ import annotations

import enum

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

INVITATION = "invitation"
RESET = "password-reset"  # purposes double as itsdangerous salts


class TokenProblem(enum.StrEnum):
    EXPIRED = "expired"
    INVALID = "invalid"  # tampered, truncated or signed for another purpose


class TokenError(Exception):
    def __init__(self, problem: TokenProblem):
        super().__init__(problem.value)
        self.problem = problem


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"ap-portal/{purpose}")


def make_token(purpose: str, object_id: str) -> str:
    return _serializer(purpose).dumps(object_id)


def read_token(purpose: str, token: str) -> str:
    try:
        object_id: str = _serializer(purpose).loads(token, max_age=current_app.config["TOKEN_MAX_AGE_SECONDS"])
        return object_id
    except SignatureExpired as exc:
        raise TokenError(TokenProblem.EXPIRED) from exc
    except BadSignature as exc:
        raise TokenError(TokenProblem.INVALID) from exc
