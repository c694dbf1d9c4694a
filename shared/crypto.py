"""Encryption at rest for safeguarding content: concern and notice text, DSL decisions and their attachments.

AES-256-GCM (the `cryptography` package's AESGCM), with keys from configuration. Each ciphertext names the key
that made it, so several keys can be in use while `flask --app wsgi keys-rotate` re-encrypts everything under the
newest one (the app keeps reading both meanwhile: no downtime). A tampered or swapped ciphertext fails its
authentication tag and raises `CiphertextTampered`; the associated data binds each value to its purpose (a concern's
text cannot be pasted into a notice's).

    SAFEGUARDING_KEYS = "2026a:<base64 of 32 random bytes>,2026b:<...>"   the last key encrypts; all decrypt

Text columns use `EncryptedText(purpose)`; files use `encrypt_bytes` / `decrypt_bytes` around storage.
Format of a value: ``sg1:<key id>:<base64 nonce>:<base64 ciphertext and tag>``.
"""

from __future__ import annotations

import base64
import enum
import os
import re
import uuid
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import Flask, current_app
from sqlalchemy import Dialect, Text, TypeDecorator

PREFIX = "sg1"
FILE_MAGIC = b"APSG1"  # stored files: magic, key id length, key id, nonce, ciphertext and tag
NONCE_BYTES = 12
KEY_ID = re.compile(r"^[A-Za-z0-9_-]{1,20}$")
DEV_KEY_ID = "dev"


class KeyConfigError(ValueError):
    pass


class CiphertextTampered(Exception):
    """A ciphertext failed authentication: changed, truncated, moved to another purpose, or under an unknown key."""


@dataclass(frozen=True)
class KeyRing:
    keys: dict[str, bytes]  # key id -> 32-byte key
    current: str  # the key id that encrypts

    @classmethod
    def from_config(cls, value: str | None, *, secret_key: str) -> KeyRing:
        if not value:
            # Development and tests: one key derived from SECRET_KEY (production refuses this: shared.app).
            derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"ap-portal safeguarding dev key")
            return cls({DEV_KEY_ID: derived.derive(secret_key.encode())}, DEV_KEY_ID)
        keys: dict[str, bytes] = {}
        current = ""
        for item in value.split(","):
            kid, _, encoded = item.strip().partition(":")
            if not KEY_ID.match(kid):
                raise KeyConfigError(f"SAFEGUARDING_KEYS: key id {kid!r} must be 1-20 letters, digits, - or _")
            try:
                key = base64.b64decode(encoded, validate=True)
            except ValueError:
                raise KeyConfigError(f"SAFEGUARDING_KEYS: key {kid!r} is not base64") from None
            if len(key) != 32:
                raise KeyConfigError(f"SAFEGUARDING_KEYS: key {kid!r} must be 32 bytes (it is {len(key)})")
            if kid in keys:
                raise KeyConfigError(f"SAFEGUARDING_KEYS: key id {kid!r} appears twice")
            keys[kid] = key
            current = kid
        return cls(keys, current)

    def encrypt(self, plaintext: bytes, purpose: str) -> tuple[str, bytes, bytes]:
        nonce = os.urandom(NONCE_BYTES)
        return self.current, nonce, AESGCM(self.keys[self.current]).encrypt(nonce, plaintext, purpose.encode())

    def decrypt(self, kid: str, nonce: bytes, ciphertext: bytes, purpose: str) -> bytes:
        key = self.keys.get(kid)
        if key is None:
            raise CiphertextTampered(f"no key {kid!r} is configured")
        try:
            return AESGCM(key).decrypt(nonce, ciphertext, purpose.encode())
        except InvalidTag:
            raise CiphertextTampered("the ciphertext failed authentication") from None


def init_crypto(app: Flask) -> None:
    app.extensions["keyring"] = KeyRing.from_config(
        app.config.get("SAFEGUARDING_KEYS"), secret_key=app.config["SECRET_KEY"]
    )


def keyring() -> KeyRing:
    ring: KeyRing = current_app.extensions["keyring"]
    return ring


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def encrypt_text(plaintext: str, purpose: str) -> str:
    kid, nonce, ciphertext = keyring().encrypt(plaintext.encode(), purpose)
    return f"{PREFIX}:{kid}:{_b64(nonce)}:{_b64(ciphertext)}"


def key_id_of(stored: str) -> str | None:
    parts = stored.split(":")
    return parts[1] if len(parts) == 4 and parts[0] == PREFIX else None


def decrypt_text(stored: str, purpose: str) -> str:
    parts = stored.split(":")
    if len(parts) != 4 or parts[0] != PREFIX:
        raise CiphertextTampered("not a ciphertext of this application")
    try:
        nonce, ciphertext = base64.b64decode(parts[2], validate=True), base64.b64decode(parts[3], validate=True)
    except ValueError:
        raise CiphertextTampered("the ciphertext is not valid base64") from None
    return keyring().decrypt(parts[1], nonce, ciphertext, purpose).decode()


def encrypt_bytes(data: bytes, purpose: str) -> bytes:
    kid, nonce, ciphertext = keyring().encrypt(data, purpose)
    encoded = kid.encode()
    return FILE_MAGIC + bytes([len(encoded)]) + encoded + nonce + ciphertext


def file_key_id(blob: bytes) -> str | None:
    if not blob.startswith(FILE_MAGIC) or len(blob) < len(FILE_MAGIC) + 1:
        return None
    length = blob[len(FILE_MAGIC)]
    return blob[len(FILE_MAGIC) + 1 : len(FILE_MAGIC) + 1 + length].decode(errors="replace")


def decrypt_bytes(blob: bytes, purpose: str) -> bytes:
    kid = file_key_id(blob)
    if kid is None:
        raise CiphertextTampered("not an encrypted file of this application")
    start = len(FILE_MAGIC) + 1 + len(kid.encode())
    nonce, ciphertext = blob[start : start + NONCE_BYTES], blob[start + NONCE_BYTES :]
    return keyring().decrypt(kid, nonce, ciphertext, purpose)


def file_purpose(file_id: uuid.UUID, model_name: str = "SafeguardingFile") -> str:
    """Associated data for a stored encrypted file (a safeguarding attachment, a placement's risk assessment): bound
    to its row, so files cannot be swapped between rows (nor between kinds of row)."""
    return f"{model_name}:{file_id}"


class EncryptedText(TypeDecorator[str]):
    """A text column stored as AES-GCM ciphertext under the current key, read back as text. `purpose` is bound to
    the ciphertext (associated data), so a value moved to another column fails to decrypt."""

    impl = Text
    cache_ok = True

    def __init__(self, purpose: str) -> None:
        super().__init__()
        self.purpose = purpose

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else encrypt_text(value, self.purpose)

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else decrypt_text(value, self.purpose)


class EncryptedEnum(TypeDecorator[enum.StrEnum]):
    """An enum column stored as the ciphertext of its value (text), read back as the enum. Accepts the member or its
    value. The database sees only ciphertext, so it cannot filter or group on the column: do that in Python."""

    impl = Text
    cache_ok = True

    def __init__(self, purpose: str, enum_class: type[enum.StrEnum]) -> None:
        super().__init__()
        self.purpose = purpose
        self.enum_class = enum_class

    def process_bind_param(self, value: enum.StrEnum | str | None, dialect: Dialect) -> str | None:
        return None if value is None else encrypt_text(self.enum_class(value).value, self.purpose)

    def process_result_value(self, value: str | None, dialect: Dialect) -> enum.StrEnum | None:
        return None if value is None else self.enum_class(decrypt_text(value, self.purpose))


# Every encrypted column, for keys-rotate: (model name, attribute, purpose). Filled by the models as they declare them.
ENCRYPTED_COLUMNS: list[tuple[str, str, str]] = []


def encrypted(model_name: str, attribute: str) -> EncryptedText:
    """The column type for `model_name.attribute`, registered for key rotation."""
    purpose = f"{model_name}.{attribute}"
    ENCRYPTED_COLUMNS.append((model_name, attribute, purpose))
    return EncryptedText(purpose)


def encrypted_enum(model_name: str, attribute: str, enum_class: type[enum.StrEnum]) -> EncryptedEnum:
    """As `encrypted`, for an enum column (the ciphertext of the member's value)."""
    purpose = f"{model_name}.{attribute}"
    ENCRYPTED_COLUMNS.append((model_name, attribute, purpose))
    return EncryptedEnum(purpose, enum_class)
