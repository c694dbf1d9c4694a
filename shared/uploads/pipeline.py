"""The upload pipeline, stages 1 to 7, used by every upload in the product. Failing closed, and leaving nothing
behind on any failure: no row, no stored object, no temporary file.

    1-5. `check_upload` (size, name, content sniff, structure, SHA-256), on a spooled copy of the stream.
    6.   Virus scan with clamd (INSTREAM). A hit is refused (and the caller may audit it). A configured scanner that
         gives no verdict refuses the upload ("try again shortly"): it is never stored as clean. With no scanner
         configured (local `make run`) the file is stored marked not virus-scanned.
    7.   Storage under a random key `{organisation_id}/{uuid}`, never the person's file name; then the caller's rows
         and one commit. If anything after the save fails (the commit included), the object is deleted again.

`store_upload()` is the generic part (stages 1-7 up to the rows): a context manager whose body writes the rows
and commits. `accept_evidence_upload()` is the provider-evidence use of it; later uploads (risk assessments,
concern attachments) wrap `store_upload()` the same way.

Refusals are `UploadRefused` with a stable reason code (shared.uploads.reasons); the views show its `message`.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import IO, Any, Protocol

from flask import current_app
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from shared import audit
from shared.crypto import encrypt_bytes
from shared.evidence_catalogue import BY_CODE, EvidenceType, ProviderType
from shared.extensions import db
from shared.models import DocumentStatus, EvidenceDocument, EvidenceFile, Organisation, ProviderProfile, User
from shared.scanning import ScannerUnavailable, ScanResult, scanner_from_config
from shared.services.errors import RuleBroken
from shared.services.evidence.documents import next_version, supersede_older_versions, transition
from shared.storage import Storage, StorageError, new_key, storage_from_config
from shared.uploads.checks import CheckedUpload, check_upload
from shared.uploads.policy import DEFAULT_ALLOWED, DEFAULT_LIMITS, UploadLimits
from shared.uploads.reasons import Reason, UploadRefused

log = logging.getLogger(__name__)


class VirusScanner(Protocol):
    """What the pipeline needs of a scanner (shared.scanning.Scanner): a verdict on a stream, or
    ScannerUnavailable."""

    def scan(self, fileobj: IO[bytes]) -> ScanResult: ...


@dataclass(frozen=True)
class StoredUpload:
    """An upload that passed every stage and is in storage under `key`; the caller records it in its rows."""

    key: str
    display_name: str  # for display and the download's file name only
    content_type: str  # detected from the content, not the browser's claim
    size: int
    sha256: str
    virus_scanned: bool


def current_storage() -> Storage:
    """The app's storage (S3 when S3_BUCKET is set, else UPLOAD_FOLDER), made once per app and configuration."""
    config = current_app.config
    settings = tuple(config.get(name) for name in ("S3_BUCKET", "S3_REGION", "S3_ENDPOINT_URL", "UPLOAD_FOLDER"))
    cached = current_app.extensions.get("upload_storage")
    if cached is None or cached[0] != settings:
        cached = (settings, storage_from_config(config))
        current_app.extensions["upload_storage"] = cached
    return cached[1]


@contextmanager
def store_upload(
    stream: IO[bytes],
    filename: str,
    *,
    organisation_id: Any,
    storage: Storage | None = None,
    scanner: VirusScanner | None = None,
    on_virus: Callable[[str | None], None] | None = None,
    allowed_extensions: Collection[str] = DEFAULT_ALLOWED,
    limits: UploadLimits = DEFAULT_LIMITS,
    encrypt_purpose: str | None = None,
) -> Iterator[StoredUpload]:
    """Check, scan and store an upload, then hand it to the `with` body, which writes the rows and commits.

    With `encrypt_purpose` (safeguarding attachments) the stored object is AES-GCM ciphertext bound to that purpose
    (shared.crypto.encrypt_bytes), under the current key; the file is held in memory to encrypt it (it is at most
    MAX_UPLOAD_MB).

    Raises UploadRefused (nothing stored) for any refusal. If the body raises (a failed commit included), the
    session is rolled back, the stored object deleted and the exception re-raised. `scanner` defaults to the
    app's configured one (None when CLAMD_* is unset: stored, marked not scanned). `on_virus(signature)` is called
    on a hit, before the refusal is raised (to audit it). The size limit is the app's MAX_CONTENT_LENGTH.
    """
    storage = storage if storage is not None else current_storage()
    scanner = scanner if scanner is not None else scanner_from_config(current_app.config)
    try:
        checked = check_upload(
            stream,
            filename,
            max_bytes=current_app.config["MAX_CONTENT_LENGTH"],
            allowed_extensions=allowed_extensions,
            limits=limits,
        )
    except UploadRefused as refusal:
        log.info("upload.refused", extra={"reason": refusal.reason.value, "detail": refusal.detail})
        raise
    with checked:  # the spooled copy is freed whatever happens next
        virus_scanned = scan_upload(checked, scanner, on_virus)
        key = new_key(organisation_id)
        _save(storage, key, checked, encrypt_purpose)
        stored = StoredUpload(
            key=key,
            display_name=checked.display_name,
            content_type=checked.mime_type,
            size=checked.size,
            sha256=checked.sha256,
            virus_scanned=virus_scanned,
        )
    try:
        yield stored
    except BaseException:
        db.session.rollback()
        _delete_quietly(storage, key)
        raise


def scan_upload(
    checked: CheckedUpload, scanner: VirusScanner | None, on_virus: Callable[[str | None], None] | None
) -> bool:
    """Stage 6; True when scanned clean, False when there is no scanner to ask. Raises UploadRefused."""
    if scanner is None:
        return False
    try:
        result = scanner.scan(checked.stream())
    except ScannerUnavailable as exc:
        log.error("upload.scanner_unavailable", extra={"error": str(exc)})
        raise UploadRefused(Reason.SCANNER_UNAVAILABLE, type(exc).__name__) from exc
    if result.clean:
        return True
    log.warning("upload.virus_found", extra={"signature": result.signature})
    if on_virus is not None:
        try:
            on_virus(result.signature)
        except Exception:  # the audit failing must not let the file through, nor hide why it was refused
            db.session.rollback()
            log.exception("upload.virus_audit_failed")
    raise UploadRefused(Reason.VIRUS_FOUND, result.signature)


def _save(storage: Storage, key: str, checked: CheckedUpload, encrypt_purpose: str | None = None) -> None:
    try:
        if encrypt_purpose is None:
            storage.save(key, checked.stream(), content_type=checked.mime_type, download_name=checked.display_name)
        else:
            sealed = io.BytesIO(encrypt_bytes(checked.stream().read(), encrypt_purpose))
            storage.save(key, sealed, content_type="application/octet-stream", download_name="encrypted")
    except (StorageError, OSError) as exc:
        # The backends write all or nothing, but a backend that failed half-way must not leave a part behind.
        _delete_quietly(storage, key)
        log.error("upload.storage_failed", extra={"error": type(exc).__name__})
        raise UploadRefused(Reason.STORAGE_FAILED, type(exc).__name__) from exc
    except BaseException:
        _delete_quietly(storage, key)
        raise


def _delete_quietly(storage: Storage, key: str) -> None:
    try:
        storage.delete(key)
    except Exception:  # storage-reconcile finds what is left, and says so
        log.exception("upload.cleanup_failed", extra={"key": key})


# --- provider evidence ------------------------------------------------------------------------------------------


class EvidenceTypeNotRequired(RuleBroken):
    """The evidence type is not in the catalogue, or not one this provider has to give."""


def required_evidence_type(organisation: Organisation, code: str) -> EvidenceType:
    """The catalogue entry for `code`, if this provider has to give it; else EvidenceTypeNotRequired."""
    kind = BY_CODE.get(code)
    profile = organisation.provider_profile
    provider_type = ProviderType(profile.provider_type) if profile is not None and profile.provider_type else None
    if kind is None or not kind.required(provider_type):
        raise EvidenceTypeNotRequired("This is not one of the documents your organisation needs to give", "file")
    return kind


# How many files one version of an evidence item may hold (a registration certificate and an inspection report is
# two; a policy with its appendices a few more).
MAX_EVIDENCE_FILES = 5


def accept_evidence_upload(
    file_storage_or_stream: FileStorage | IO[bytes] | Sequence[FileStorage],
    filename: str | None = None,
    *,
    organisation: Organisation,
    evidence_type_code: str,
    by: User | None,
    storage: Storage | None = None,
    scanner: VirusScanner | None = None,
) -> EvidenceDocument:
    """Take a provider's evidence document (one file, or several files of one version) through the pipeline, each
    file on its own, and record it as the type's newest version, awaiting review (earlier versions are superseded).
    Raises UploadRefused or EvidenceTypeNotRequired, leaving nothing behind (a refused second file removes the
    first from storage too); a virus found is audited (`evidence.refused`) in a commit of its own."""
    kind = required_evidence_type(organisation, evidence_type_code)
    uploads: list[tuple[IO[bytes], str]]
    if isinstance(file_storage_or_stream, FileStorage):
        uploads = [(file_storage_or_stream.stream, filename or file_storage_or_stream.filename or "")]
    elif isinstance(file_storage_or_stream, Sequence):
        uploads = [(item.stream, item.filename or "") for item in file_storage_or_stream]
    else:
        uploads = [(file_storage_or_stream, filename or "")]
    if not uploads:
        raise RuleBroken("Select a file", "file")
    if len(uploads) > MAX_EVIDENCE_FILES:
        raise RuleBroken(f"Upload {MAX_EVIDENCE_FILES} files or fewer for one document", "file")

    def audit_virus(_signature: str | None) -> None:
        db.session.rollback()
        audit.record(
            "evidence.refused",
            organisation=organisation,
            actor=by,
            evidence_type=kind.code,
            reason=Reason.VIRUS_FOUND.value,
        )
        db.session.commit()

    with ExitStack() as stack:
        # Each file through every stage; if a later one is refused, the stack deletes the ones already stored.
        stored_files = [
            stack.enter_context(
                store_upload(
                    stream,
                    name,
                    organisation_id=organisation.id,
                    storage=storage,
                    scanner=scanner,
                    on_virus=audit_virus,
                )
            )
            for stream, name in uploads
        ]
        stored, extras = stored_files[0], stored_files[1:]
        _lock_organisations_documents(organisation)
        document = EvidenceDocument(
            organisation_id=organisation.id,
            evidence_type=kind.code,
            version=next_version(organisation.id, kind.code),
            status=DocumentStatus.UPLOADED,
            storage_key=stored.key,
            display_name=stored.display_name,
            content_type=stored.content_type,
            size_bytes=stored.size,
            sha256=stored.sha256,
            virus_scanned=all(item.virus_scanned for item in stored_files),
            uploaded_by_id=by.id if by is not None else None,
            checklist={},
        )
        db.session.add(document)
        for position, extra in enumerate(extras, start=2):
            db.session.add(
                EvidenceFile(
                    document=document,
                    position=position,
                    storage_key=extra.key,
                    display_name=extra.display_name,
                    content_type=extra.content_type,
                    size_bytes=extra.size,
                    sha256=extra.sha256,
                    virus_scanned=extra.virus_scanned,
                )
            )
        db.session.flush()
        audit.record(
            "evidence.uploaded",
            organisation=organisation,
            obj=document,
            actor=by,
            evidence_type=kind.code,
            version=document.version,
            virus_scanned=document.virus_scanned,
            files=len(stored_files),
        )
        transition(document, DocumentStatus.AWAITING_REVIEW, by=by, why="uploaded")
        supersede_older_versions(document, by=by)
        db.session.commit()
    return document


def _lock_organisations_documents(organisation: Organisation) -> None:
    """Two uploads of one type at once must not both become version N: on PostgreSQL the provider's profile row
    is locked until the commit (SQLite has one writer at a time, and ignores FOR UPDATE)."""
    db.session.execute(
        select(ProviderProfile.id).where(ProviderProfile.organisation_id == organisation.id).with_for_update()
    )
