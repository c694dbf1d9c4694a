"""Downloads of stored uploads, for both sides. The view does the access check (the same one as the page that lists
the file) and then returns one of these responses.

The file is streamed from storage in chunks (never held whole in memory), as an attachment with an RFC 6266
file name, the content type recorded when it was checked, nosniff and no-store. Every download is audited.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask import Response, abort, request
from werkzeug.wsgi import wrap_file

from shared import audit
from shared.extensions import db
from shared.models import EvidenceDocument, Organisation, SafeguardingFile
from shared.storage import ObjectNotFound, Storage, StorageError, content_disposition
from shared.uploads.pipeline import current_storage

log = logging.getLogger(__name__)

DOWNLOAD_CHUNK_BYTES = 64 * 1024


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
    response.headers["Content-Disposition"] = content_disposition(display_name)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    return response


def evidence_download(document: EvidenceDocument, *, storage: Storage | None = None) -> Response:
    """An evidence document as a download, audited (`evidence.downloaded`) against the provider it belongs to."""

    def audit_download() -> None:
        organisation = db.session.get(Organisation, document.organisation_id)
        audit.record("evidence.downloaded", organisation=organisation, obj=document)
        db.session.commit()

    return stored_file_response(
        storage if storage is not None else current_storage(),
        document.storage_key,
        display_name=document.display_name,
        content_type=document.content_type,
        size=document.size_bytes,
        before_send=audit_download,
    )


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
    from shared.crypto import decrypt_bytes

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
    response = Response(plaintext, content_type=content_type)
    response.headers["Content-Disposition"] = content_disposition(display_name)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    return response


def safeguarding_file_response(row: SafeguardingFile, *, before_send: Callable[[], object]) -> Response:
    """A safeguarding attachment (a SafeguardingFile), decrypted and sent; `before_send` audits and commits."""
    from shared.crypto import file_purpose

    return decrypted_file_response(
        current_storage(),
        row.storage_key,
        purpose=file_purpose(row.id),
        display_name=row.display_name,
        content_type=row.content_type,
        before_send=before_send,
    )
