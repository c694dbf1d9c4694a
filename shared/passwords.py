"""Passwords: argon2id hashing and the NCSC password policy.

NCSC guidance: a minimum length (12 here), a generous maximum (128 here), no composition rules, and a
deny-list of common passwords. We also refuse the organisation's own name and the person's e-mail name.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, has_app_context

from shared.config import PASSWORD_HASH_PARAMETERS

MIN_LENGTH = 12
MAX_LENGTH = 128
DENY_LIST_PATH = Path(__file__).parent / "data" / "common-passwords.txt"


@cache
def _hasher_for(time_cost: int, memory_cost: int, parallelism: int) -> tuple[PasswordHasher, str]:
    """The hasher for these parameters, and a well-formed hash made with it of a random password, so unknown
    e-mails take as long to check as known ones."""
    hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism)
    return hasher, hasher.hash("not-a-real-password-only-for-timing")


def _hasher() -> tuple[PasswordHasher, str]:
    """argon2id with the app's PASSWORD_HASH_* settings; outside an app, with their production values."""
    if not has_app_context():
        return _hasher_for(*PASSWORD_HASH_PARAMETERS)
    config = current_app.config
    return _hasher_for(
        config["PASSWORD_HASH_TIME_COST"], config["PASSWORD_HASH_MEMORY_COST"], config["PASSWORD_HASH_PARALLELISM"]
    )


class PasswordRejected(ValueError):
    pass


@cache
def _deny_list() -> frozenset[str]:
    lines = DENY_LIST_PATH.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip() and not line.startswith("#"))


def _squash(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def check_password_policy(password: str, *, organisation_name: str | None = None, email: str | None = None) -> None:
    """Raise PasswordRejected with a plain-English reason, or return None when the password is acceptable."""
    if len(password) < MIN_LENGTH:
        raise PasswordRejected(f"Password must be {MIN_LENGTH} characters or more")
    if len(password) > MAX_LENGTH:
        raise PasswordRejected(f"Password must be {MAX_LENGTH} characters or fewer")
    lowered = password.lower()
    # Common passwords, also with digits or symbols tacked on the end ("password123456!").
    stripped = re.sub(r"[\d\W_]+$", "", lowered)
    if lowered in _deny_list() or (len(stripped) >= 8 and stripped in _deny_list()):
        raise PasswordRejected(
            "This password is too common and easy to guess. Choose a different one, for example three random words"
        )
    if len(set(lowered)) <= 2:
        raise PasswordRejected(
            "This password is too easy to guess. Choose a different one, for example three random words"
        )
    squashed = _squash(password)
    if organisation_name and len(_squash(organisation_name)) >= 4 and _squash(organisation_name) in squashed:
        raise PasswordRejected("Your password must not contain your organisation's name")
    if email:
        local = _squash(email.split("@")[0])
        if len(local) >= 4 and local in squashed:
            raise PasswordRejected("Your password must not contain your e-mail address")


def hash_password(password: str) -> str:
    hasher, _ = _hasher()
    return hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Constant-ish time: an account with no password still costs one argon2 verification."""
    hasher, dummy_hash = _hasher()
    try:
        hasher.verify(password_hash or dummy_hash, password)  # returns True or raises
    except (VerificationError, InvalidHashError):
        return False
    return password_hash is not None


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with other argon2 parameters than the current ones (re-hash it at sign-in)."""
    hasher, _ = _hasher()
    return hasher.check_needs_rehash(password_hash)
