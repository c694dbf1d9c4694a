"""Downloads of stored uploads, for both sides. The view does the access check (the same one as the page that lists
the file) and then returns `audited_download(row, event, organisation=...)`.

The file is streamed from storage in chunks (never held whole in memory), as an attachment with an RFC 6266
file name, the content type recorded when it was checked, nosniff and no-store. Every download is audited.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from typing import Any

from flask import Response, abort, request
from werkzeug.wsgi import wrap_file

from shared import audit
from shared.crypto import decrypt_bytes, file_purpose
from shared.extensions import db
from shared.models import ENCRYPTED_FILE_ROWS, Organisation, User
from shared.storage import ObjectNotFound, Storage, StorageError, content_disposition
from shared.uploads.pipeline import current_storage

log = logging.getLogger(__name__)

DOWNLOAD_CHUNK_BYTES = 64 * 1024


def audited_download(
    row: Any,  # any stored file's row: EvidenceDocument, SchoolPolicy, AgreementDocument, SafeguardingFile, ...
    event: str,
    *,
    organisation: Organisation | uuid.UUID,
    obj: object | None = None,
    actor: User | None = None,
    storage: Storage | None = None,
    **details: Any,
) -> Response:
    """The one way a view sends a stored file, after its own access check: `row` is the file's row (storage_key,
    display_name, content_type, size_bytes). Once the object is open the download is audited (`event`, against
    `organisation` (an Organisation or its id), about `obj` (the row unless given), by `actor` (the signed-in user
    unless given), with `details`) and committed; then the file is streamed as an attachment with the right headers.
    A file about a pupil (a SafeguardingFile, a PlacementDocument) is encrypted: it is decrypted first."""

    def audit_download() -> None:
        audited = organisation if isinstance(organisation, Organisation) else db.session.get(Organisation, organisation)
        audit.record(event, organisation=audited, obj=row if obj is None else obj, actor=actor, **details)
        db.session.commit()

    storage = storage if storage is not None else current_storage()
    if isinstance(row, ENCRYPTED_FILE_ROWS) and row.key_id is not None:  # None: stored before encryption
        return decrypted_file_response(
            storage,
            row.storage_key,
            purpose=file_purpose(row.id, type(row).__name__),
            display_name=row.display_name,
            content_type=row.content_type,
            before_send=audit_download,
        )
    return stored_file_response(
        storage,
        row.storage_key,
        display_name=row.display_name,
        content_type=row.content_type,
        size=row.size_bytes,
        before_send=audit_download,
    )


def _as_attachment(response: Response, display_name: str) -> Response:
    response.headers["Content-Disposition"] = content_disposition(display_name)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    return response


def stored_file_response(
    storage: Storage,
    key: str,
    *,
    display_name: str,
    content_type: str,
    size: int | None,
    before_send: Callable[[], object] | None = None,
) -> Response:
    """Stream the object under `key` as an attachment. `before_send()` runs once the object is open (to audit the
    download and commit). A missing object is a 404 (and logged: storage-reconcile reports it); a storage failure
    a 503."""
    try:
        stream = storage.open(key)
    except ObjectNotFound:
        log.error("download.object_missing", extra={"key": key})
        abort(404)
    except (StorageError, OSError) as exc:
        log.error("download.storage_failed", extra={"error": type(exc).__name__})
        abort(503)
    try:
        if before_send is not None:
            before_send()
    except BaseException:
        stream.close()
        raise
    response = Response(
        wrap_file(request.environ, stream, buffer_size=DOWNLOAD_CHUNK_BYTES),
        content_type=content_type,
        direct_passthrough=True,
    )
    if size is not None:
        response.content_length = size
    return _as_attachment(response, display_name)


def decrypted_file_response(
    storage: Storage,
    key: str,
    *,
    purpose: str,
    display_name: str,
    content_type: str,
    before_send: Callable[[], object] | None = None,
) -> Response:
    """An encrypted object (a safeguarding attachment) decrypted and sent as an attachment. A tampered object is
    a 500 that says nothing of its content (CiphertextTampered is logged by the error handler)."""
    try:
        with storage.open(key) as stream:
            plaintext = decrypt_bytes(stream.read(), purpose)
    except ObjectNotFound:
        log.error("download.object_missing", extra={"key": key})
        abort(404)
    except (StorageError, OSError) as exc:
        log.error("download.storage_failed", extra={"error": type(exc).__name__})
        abort(503)
    if before_send is not None:
        before_send()
    return _as_attachment(Response(plaintext, content_type=content_type), display_name)
