"""Key rotation for safeguarding content and everything else encrypted at rest (TOTP secrets, a pupil's
child-protection status and professionals, every file about a pupil): re-encrypt every value and file under the
newest key. A file stored before encryption (a PlacementDocument with no key_id, from before migration 0013) is
encrypted here too.

Rows are done in small batches, each committed on its own, while the app keeps running: every configured key still
decrypts, so a reader never meets a value it cannot open. Run it after adding a new key at the end of
SAFEGUARDING_KEYS; when it reports nothing left under the old key, that key can be removed from the configuration.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Text, or_, select, type_coerce, update

from shared.crypto import (
    ENCRYPTED_COLUMNS,
    decrypt_bytes,
    decrypt_text,
    encrypt_bytes,
    file_purpose,
    key_id_of,
    keyring,
)
from shared.extensions import Base, db
from shared.models import ENCRYPTED_FILE_ROWS, PlacementDocument, ProgressPhoto, SafeguardingFile
from shared.storage import new_key
from shared.uploads.pipeline import current_storage

PLAINTEXT = "none"  # key_usage's name for files stored before encryption


def row_purpose(row: SafeguardingFile | PlacementDocument | ProgressPhoto) -> str:
    return file_purpose(row.id, type(row).__name__)


@dataclass
class Rotation:
    values: int = 0
    files: int = 0
    left: dict[str, int] = field(default_factory=dict)  # key id -> values and files still under it


def _model(name: str) -> type[Any]:
    """The mapped class ENCRYPTED_COLUMNS names (db.Model shares Base's registry); which one is known only at run
    time, hence Any."""
    model = Base.registry._class_registry[name]
    assert isinstance(model, type), "ENCRYPTED_COLUMNS names mapped classes"
    return model


FileRow = SafeguardingFile | PlacementDocument | ProgressPhoto


def _files_not_under(current: str, model: type[FileRow], batch: int) -> Sequence[FileRow]:
    """Stored files under an older key, or not encrypted yet (no key)."""
    query = select(model).where(or_(model.key_id.is_(None), model.key_id != current)).limit(batch)
    return cast(Sequence[FileRow], db.session.scalars(query).all())  # mypy joins the two models to Model


def rotate(batch: int = 200) -> Rotation:
    """Re-encrypt what is not under the newest key. Safe to run again (and to stop half-way)."""
    current = keyring().current
    result = Rotation()
    for model_name, attribute, purpose in ENCRYPTED_COLUMNS:
        model = _model(model_name)
        raw = type_coerce(model.__table__.c[attribute], Text)
        while True:
            rows = db.session.execute(
                select(model.id, raw.label("raw"))
                .where(raw.is_not(None), ~raw.startswith(f"sg1:{current}:"))
                .limit(batch)
            ).all()
            if not rows:
                break
            for row_id, stored in rows:
                # The ORM update encrypts the plaintext under the current key (EncryptedText).
                db.session.execute(
                    update(model).where(model.id == row_id).values({attribute: decrypt_text(stored, purpose)})
                )
            db.session.commit()
            result.values += len(rows)
    storage = current_storage()
    for model in ENCRYPTED_FILE_ROWS:
        while True:
            files = _files_not_under(current, model, batch)
            if not files:
                break
            for row in files:
                with storage.open(row.storage_key) as stored:
                    blob = stored.read()
                plaintext = blob if row.key_id is None else decrypt_bytes(blob, row_purpose(row))
                old_key, key = row.storage_key, new_key(row.school_id)
                storage.save(
                    key,
                    io.BytesIO(encrypt_bytes(plaintext, row_purpose(row))),
                    content_type="application/octet-stream",
                    download_name="encrypted",
                )
                row.storage_key, row.key_id = key, current
                db.session.commit()
                storage.delete(old_key)  # only once the row points at the new object
                result.files += 1
    result.left = key_usage(exclude=current)
    return result


def key_usage(exclude: str | None = None) -> dict[str, int]:
    """How many values and files each key still protects (for the report, and to know an old key can go)."""
    counts: dict[str, int] = {}
    for model_name, attribute, _ in ENCRYPTED_COLUMNS:
        model = _model(model_name)
        raw = type_coerce(model.__table__.c[attribute], Text)
        for (stored,) in db.session.execute(select(raw).where(raw.is_not(None))):
            kid = key_id_of(stored) or "?"
            counts[kid] = counts.get(kid, 0) + 1
    for model in ENCRYPTED_FILE_ROWS:
        for (kid,) in db.session.execute(select(model.key_id)):
            kid = kid or PLAINTEXT
            counts[kid] = counts.get(kid, 0) + 1
    if exclude is not None:
        counts.pop(exclude, None)
    return counts
