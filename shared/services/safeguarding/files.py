"""Safeguarding attachments (a concern's, a notice's): the one way such a file is stored.

The upload goes through the upload pipeline (checks, virus scan) and is stored encrypted (AES-GCM, under the current
key) with a purpose bound to its own row (shared.crypto.file_purpose), so the key to one file opens nothing else;
the row keeps which key that was, and its file name is encrypted too (SafeguardingFile.display_name)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import IO

from shared.crypto import file_purpose, keyring
from shared.models import SafeguardingFile, User
from shared.uploads.pipeline import store_upload


@contextmanager
def stored_safeguarding_file(
    stream: IO[bytes],
    filename: str,
    *,
    school_id: uuid.UUID,
    by: User,
    concern_id: uuid.UUID | None = None,
    notice_id: uuid.UUID | None = None,
    uploaded_at: datetime | None = None,
) -> Iterator[SafeguardingFile]:
    """Check, scan and store the file encrypted, then hand its SafeguardingFile row (for the concern or the notice,
    not yet added to the session) to the `with` body, which adds it with the rows it belongs with and commits.
    As shared.uploads.pipeline.store_upload: raises UploadRefused with nothing stored, and if the body raises, the
    session is rolled back and the stored object deleted."""
    file_id = uuid.uuid4()
    with store_upload(stream, filename, organisation_id=school_id, encrypt_purpose=file_purpose(file_id)) as stored:
        row = SafeguardingFile(
            id=file_id,
            concern_id=concern_id,
            notice_id=notice_id,
            school_id=school_id,
            storage_key=stored.key,
            key_id=keyring().current,
            display_name=stored.display_name,
            content_type=stored.content_type,
            size_bytes=stored.size,
            virus_scanned=stored.virus_scanned,
            uploaded_by_id=by.id,
        )
        if uploaded_at is not None:
            row.uploaded_at = uploaded_at
        yield row
