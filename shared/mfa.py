"""TOTP multi-factor authentication (RFC 6238) and single-use recovery codes."""

from __future__ import annotations

import hashlib
import secrets
import time
from typing import Any, cast

import pyotp
import segno
from sqlalchemy import CursorResult, Text, Update, or_, select, type_coerce, update
from sqlalchemy.orm.attributes import set_committed_value

from shared.crypto import decrypt_text
from shared.extensions import db
from shared.models import RecoveryCode, User, utcnow

ISSUER = "AP Portal"
RECOVERY_CODE_COUNT = 10
VALID_WINDOW = 1  # one 30-second step either side, for clock drift


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, email: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)


def qr_code_data_uri(uri: str) -> str:
    """An SVG QR code as a data URI (allowed by the CSP's img-src data:)."""
    return segno.make(uri, error="m").svg_data_uri(scale=5, border=2)


def format_secret(secret: str) -> str:
    """Groups of four, as authenticator apps show it, for typing in by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def _normalise(code: str) -> str:
    return "".join((code or "").split()).replace("-", "")


def matching_step(secret: str, code: str, *, at: float | None = None) -> int | None:
    """The time-step a 6-digit code belongs to (now, or one step either side), or None."""
    code = _normalise(code)
    if not (len(code) == 6 and code.isdigit()):
        return None
    totp = pyotp.TOTP(secret)
    now = time.time() if at is None else at
    current = int(now // totp.interval)
    for step in range(current - VALID_WINDOW, current + VALID_WINDOW + 1):
        if secrets.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _claimed(statement: Update) -> bool:
    """Run a conditional UPDATE of one row; True when this transaction changed it. The row stays locked (PostgreSQL)
    or the database write-locked (SQLite) until the commit, and a concurrent request's UPDATE waits, then re-checks
    its WHERE against the committed row: of two requests claiming the same thing, exactly one finds a row to change."""
    # An UPDATE's result is a CursorResult (with rowcount); Session.execute is typed to return the base Result.
    result = cast(CursorResult[Any], db.session.execute(statement, execution_options={"synchronize_session": False}))
    return result.rowcount == 1


def verify_totp(user: User, code: str) -> bool:
    """Accept a code once: its step must be later than the last one used (no replay within the window), checked and
    recorded in one conditional UPDATE, so the same code sent by several requests at once is accepted by one only."""
    step = matching_step(user.totp_secret or "", code)
    if step is None:
        return False
    fresh = or_(User.totp_last_step.is_(None), User.totp_last_step < step)
    if not _claimed(update(User).where(User.id == user.id, fresh).values(totp_last_step=step)):
        return False
    set_committed_value(user, "totp_last_step", step)  # the database already holds it
    return True


def confirm_new_secret(user: User, code: str) -> bool:
    """Set-up: a code from the pending secret makes it the user's secret (with that code's step used). The swap is
    one conditional UPDATE on the pending secret still being there, so of several requests confirming it at once,
    exactly one does (and goes on to make the recovery codes); the others are told the code is wrong."""
    # The secret is ciphertext at rest under a fresh nonce each time it is written, so the condition compares the
    # stored ciphertext itself (read as text), the one the code is checked against.
    raw_pending = type_coerce(User.pending_totp_secret, Text)
    stored = db.session.scalar(select(raw_pending).where(User.id == user.id))
    if stored is None:  # another request confirmed it meanwhile
        return False
    secret = decrypt_text(stored, "User.pending_totp_secret")
    step = matching_step(secret, code)
    if step is None:
        return False
    changes = {"totp_secret": secret, "pending_totp_secret": None, "totp_last_step": step, "mfa_enabled_at": utcnow()}
    pending = raw_pending == stored
    if not _claimed(update(User).where(User.id == user.id, pending).values(**changes)):
        return False
    for name, value in changes.items():
        set_committed_value(user, name, value)  # the database already holds them
    return True


def _hash_code(code: str) -> str:
    return hashlib.sha256(_normalise(code).lower().encode()).hexdigest()


def new_recovery_codes(user: User) -> list[str]:
    """Replace the user's recovery codes; the plain codes are shown once and never stored."""
    codes = [f"{secrets.token_hex(3)}-{secrets.token_hex(3)}" for _ in range(RECOVERY_CODE_COUNT)]
    user.recovery_codes.clear()
    user.recovery_codes.extend(RecoveryCode(code_hash=_hash_code(c)) for c in codes)
    return codes


def use_recovery_code(user: User, code: str) -> bool:
    wanted = _hash_code(code)
    for rc in user.recovery_codes:
        if rc.used_at is None and secrets.compare_digest(rc.code_hash, wanted):
            # Marked used only if no other request has used it meanwhile (see _claimed): one sign-in per code.
            now = utcnow()
            unused = RecoveryCode.used_at.is_(None)
            if not _claimed(update(RecoveryCode).where(RecoveryCode.id == rc.id, unused).values(used_at=now)):
                return False
            set_committed_value(rc, "used_at", now)
            return True
    return False


def remaining_recovery_codes(user: User) -> int:
    return sum(1 for rc in user.recovery_codes if rc.used_at is None)
