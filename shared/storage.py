"""Where uploaded documents live: a Storage interface with two backends, local files and S3.

Keys are random (`{organisation_id}/{uuid4}`, from new_key), never the user's filename, which lives only in the
database row. The caller keeps row and object in agreement: save, then commit, and delete the object if the
commit fails; `keys()` lets a reconciliation command find objects without a row (and rows without an object).

Both backends stream: save() reads the file object in chunks and open() returns a readable stream, so neither
an upload nor a download is ever held in memory whole.
"""

from __future__ import annotations

import io
import logging
import os
import re
import tempfile
import unicodedata
import uuid
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, BinaryIO
from urllib.parse import quote

import boto3
from boto3.exceptions import Boto3Error
from boto3.s3.transfer import TransferConfig
from botocore.config import Config as BotoConfig
from botocore.exceptions import BotoCoreError, ClientError

MIB = 1024 * 1024
CHUNK_SIZE = MIB
# One path segment of a key: what new_key produces (UUIDs), with room for dots inside a name but never "." or "..".
_KEY_SEGMENT = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]*")
_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f]")
# Bidirectional overrides and isolates make "invoice\u202efdp.exe" display as "invoiceexe.pdf"; line and paragraph
# separators end a header line for some parsers.
_SPOOFING_CHARS = frozenset("\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u2028\u2029")


log = logging.getLogger(__name__)


@dataclass(frozen=True)
class UnfinishedUpload:
    key: str
    upload_id: str
    started_at: datetime


class StorageError(Exception):
    """The backend failed (disk, network, S3 refused): nothing was stored or removed. Try again later."""


class ObjectNotFound(LookupError):
    """No object under this key."""


def new_key(organisation_id: uuid.UUID | str) -> str:
    """A fresh random key for an organisation's document."""
    return f"{organisation_id}/{uuid.uuid4()}"


def check_key(key: str) -> str:
    """Refuse anything that is not a relative path of plain segments: no "..", no leading "/", no backslash."""
    segments = key.split("/")
    if not key or not all(_KEY_SEGMENT.fullmatch(segment) for segment in segments):
        raise ValueError(f"invalid storage key: {key!r}")
    return key


def content_disposition(download_name: str, disposition: str = "attachment") -> str:
    """A Content-Disposition value per RFC 6266: an ASCII `filename` for old clients, then `filename*` (RFC 5987,
    UTF-8, percent-encoded) which current browsers prefer. Control and bidi-override characters are removed (CR/LF
    would inject headers), path separators become "_". The ASCII fallback replaces quotes, semicolons and "%"
    rather than escaping them: browsers disagree about backslash escapes and percent-decoding in quoted strings."""
    if disposition not in {"attachment", "inline"}:
        raise ValueError(f"unknown disposition: {disposition!r}")
    name = "".join(ch for ch in download_name if not _unsafe_in_name(ch))
    name = name.replace("/", "_").replace("\\", "_").strip() or "download"
    fallback = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    fallback = re.sub(r'["%;]', "_", fallback).strip() or "download"
    # quote() leaves only unreserved characters (letters, digits, "-._~") unencoded: all are RFC 5987 attr-chars.
    encoded = quote(name, safe="")
    return f"{disposition}; filename=\"{fallback}\"; filename*=UTF-8''{encoded}"


def _unsafe_in_name(ch: str) -> bool:
    # Cc: control characters (CR/LF among them); Cs/Co/Cn: surrogates, private use, unassigned.
    return unicodedata.category(ch) in {"Cc", "Cs", "Co", "Cn"} or ch in _SPOOFING_CHARS


class Storage(ABC):
    """Documents by key. content_type and download_name are recorded where the backend can hold them (S3);
    the database row stays the source of truth for both."""

    @abstractmethod
    def save(self, key: str, fileobj: IO[bytes], *, content_type: str, download_name: str) -> None:
        """Store fileobj (from its current position) under key; all or nothing."""

    @abstractmethod
    def open(self, key: str) -> BinaryIO:
        """A readable stream of the object; the caller closes it. Raises ObjectNotFound."""

    @abstractmethod
    def delete(self, key: str) -> None:
        """Remove the object; no error if it is already gone."""

    @abstractmethod
    def exists(self, key: str) -> bool: ...

    @abstractmethod
    def keys(self, prefix: str = "") -> Iterator[str]:
        """Every stored key starting with prefix (for reconciliation against the database)."""

    def unfinished_uploads(self) -> list[UnfinishedUpload]:
        """Uploads begun and never completed nor aborted, whose parts the backend keeps (and bills) until they are
        aborted. Only S3 has them: a local save writes a temporary file that its own failure removes."""
        return []

    def abort_upload(self, upload: UnfinishedUpload) -> None:
        """Abort an unfinished upload, dropping its parts; no error if it has already gone."""
        raise NotImplementedError(f"{type(self).__name__} has no unfinished uploads to abort")


def _check_content_type(content_type: str) -> str:
    if _CONTROL_CHARS.search(content_type):
        raise ValueError("content type holds control characters")
    return content_type


# --- local files --------------------------------------------------------------------------------------------------

_TEMP_PREFIX = ".partial-"


class LocalStorage(Storage):
    """Files under `root` (the app's UPLOAD_FOLDER: instance/uploads, outside any static folder, so nothing here
    is ever served without the download view's authorisation check). Files are written 0o600, folders 0o700."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root).resolve()

    def _path(self, key: str) -> Path:
        path = (self.root / check_key(key)).resolve()
        # check_key already refuses "..": this also catches a symlink inside root that points out of it.
        if not path.is_relative_to(self.root):
            raise ValueError(f"invalid storage key: {key!r}")
        return path

    def save(self, key: str, fileobj: IO[bytes], *, content_type: str, download_name: str) -> None:
        path = self._path(key)
        try:
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            # Same folder as the target, so os.replace is an atomic rename: readers see no file or the whole file.
            fd, temp_name = tempfile.mkstemp(prefix=_TEMP_PREFIX, dir=path.parent)  # mkstemp creates it 0o600
        except OSError as exc:
            raise StorageError(f"cannot write to {self.root}: {exc}") from exc
        try:
            with os.fdopen(fd, "wb") as out:
                # Read errors (the upload itself failing) propagate as they are; write errors are the disk's.
                while chunk := fileobj.read(CHUNK_SIZE):
                    _write(out, chunk)
                _sync(out)
            os.replace(temp_name, path)
        except BaseException:
            Path(temp_name).unlink(missing_ok=True)
            raise

    def open(self, key: str) -> BinaryIO:
        try:
            return self._path(key).open("rb")
        except (FileNotFoundError, IsADirectoryError) as exc:
            raise ObjectNotFound(key) from exc

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def keys(self, prefix: str = "") -> Iterator[str]:
        for folder, dirnames, filenames in os.walk(self.root):
            dirnames.sort()
            for filename in sorted(filenames):
                if filename.startswith(_TEMP_PREFIX):
                    continue  # a write in progress (or one killed mid-way), not a stored object
                key = Path(folder, filename).relative_to(self.root).as_posix()
                if key.startswith(prefix):
                    yield key


def _write(out: BinaryIO, chunk: bytes) -> None:
    try:
        out.write(chunk)
    except OSError as exc:
        raise StorageError(f"cannot write the upload: {exc}") from exc


def _sync(out: BinaryIO) -> None:
    try:
        out.flush()
        os.fsync(out.fileno())  # the row is committed next: the bytes must be on disk before it says they exist
    except OSError as exc:
        raise StorageError(f"cannot write the upload: {exc}") from exc


# --- S3 -------------------------------------------------------------------------------------------------------------


_BOTO_ERRORS = (BotoCoreError, ClientError)


def bounded_transfer_config() -> TransferConfig:
    """boto3's defaults keep up to 10 parts of 8 MiB in memory per upload, with 10 threads (about 125 MiB for a
    200 MB upload); a gunicorn worker must grow by under 40 MiB. Parts of 5 MiB (S3's minimum part size; 10,000
    parts still allow 48 GiB), at most two in memory and two threads: measured at 15 MiB for a 200 MB file on disk
    and 22 MiB for a stream that returns short reads (tests/test_storage.py), still uploading two parts at a time.
    The classic transfer client, not CRT, so that these bounds apply."""
    config = TransferConfig(
        multipart_threshold=5 * MIB,
        multipart_chunksize=5 * MIB,
        max_concurrency=2,
        max_io_queue=4,
        preferred_transfer_client="classic",
    )
    # Not a TransferConfig argument, but read by s3transfer's TransferManager: the in-memory parts of an upload
    # from a file object (seekable or not), i.e. the memory bound that matters here.
    config.max_in_memory_upload_chunks = 2
    return config


class _FullReads:
    """A non-seekable view of a file object whose read(n) returns n bytes unless the stream has ended.

    s3transfer decides between one PUT and a multipart upload by reading multipart_threshold bytes from a
    non-seekable stream: a short read (a pipe, a socket, a raw stream returning what it has) makes it think the
    stream is small, and it then reads the rest with read(), i.e. all of it, into memory. A seekable file object
    has its own trap: parts are cut by size, so a short read silently truncates the object. Always presenting a
    non-seekable stream with full reads gives one bounded path: at most max_in_memory_upload_chunks parts in
    memory, whatever the caller passes."""

    def __init__(self, fileobj: IO[bytes]) -> None:
        self._fileobj = fileobj
        # What the caller's file object raised, if it did: that propagates as it is; anything else is S3's.
        self.failure: BaseException | None = None

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def read(self, size: int | None = -1) -> bytes:
        try:
            return self._read(size)
        except BaseException as exc:
            self.failure = exc
            raise

    def _read(self, size: int | None) -> bytes:
        if size is None or size < 0:
            # s3transfer only does this once the threshold read came back short, i.e. at the end of the stream.
            return self._fileobj.read()
        first = self._fileobj.read(size)
        if not first or len(first) >= size:
            return first  # a buffered file: one read, no copy
        # BytesIO grows in place and hands its buffer to getvalue() without copying: about one part in memory,
        # where joining a list of pieces would briefly hold two.
        buffer = io.BytesIO()
        buffer.write(first)
        del first
        while buffer.tell() < size and (data := self._fileobj.read(size - buffer.tell())):
            buffer.write(data)
        return buffer.getvalue()


class S3Storage(Storage):
    """Objects in one private bucket, encrypted at rest by S3 (SSE-S3, AES256). No ACL is ever sent, so objects
    stay private to the bucket owner (and buckets with ACLs disabled accept the uploads)."""

    def __init__(
        self,
        bucket: str,
        region: str | None = None,
        endpoint_url: str | None = None,
        *,
        server_side_encryption: str = "AES256",
        connect_timeout: float = 5.0,
        read_timeout: float = 60.0,
        client: Any = None,
    ) -> None:
        self.bucket = bucket
        self.server_side_encryption = server_side_encryption
        self.transfer_config = bounded_transfer_config()
        if client is None:
            client = boto3.session.Session().client(
                "s3",
                region_name=region,
                endpoint_url=endpoint_url or None,
                config=BotoConfig(
                    connect_timeout=connect_timeout,
                    read_timeout=read_timeout,
                    retries={"max_attempts": 3, "mode": "standard"},
                    # S3-compatible stores (MinIO, moto, Ceph) behind a custom endpoint expect path-style URLs.
                    s3={"addressing_style": "path"} if endpoint_url else {},
                ),
            )
        self.client = client

    def save(self, key: str, fileobj: IO[bytes], *, content_type: str, download_name: str) -> None:
        extra_args = {
            "ServerSideEncryption": self.server_side_encryption,
            "ContentType": _check_content_type(content_type),
            "ContentDisposition": content_disposition(download_name),
        }
        key = check_key(key)
        source = _FullReads(fileobj)
        try:
            # On a failure (including the file object raising) s3transfer aborts the multipart upload; the file
            # object's own exception propagates unchanged.
            self.client.upload_fileobj(source, self.bucket, key, ExtraArgs=extra_args, Config=self.transfer_config)
        except (Boto3Error, *_BOTO_ERRORS) as exc:  # S3UploadFailedError wraps the ClientError
            self._abort_uploads_of(key)
            raise StorageError(f"S3 upload failed: {exc}") from exc
        except Exception as exc:
            self._abort_uploads_of(key)
            if exc is source.failure:
                raise
            # Anything else came from inside s3transfer: a connection cut mid-answer leaves a response without
            # its UploadId (a KeyError there), for one. It is S3 failing, and is said as such.
            raise StorageError(f"S3 upload failed: {type(exc).__name__}") from exc

    def _abort_uploads_of(self, key: str) -> None:
        """After a failed save: abort whatever multipart upload of this key is still open, in case s3transfer's own
        abort did not get through (S3 cut mid-upload). Best effort, never raising over the save's own error: what
        S3 does not answer now, `storage-reconcile --remove` aborts later. Keys are random, so an upload of this
        key is this save's."""
        try:
            for upload in self._unfinished_uploads(prefix=key):
                if upload.key == key:
                    self.abort_upload(upload)
        except (StorageError, *_BOTO_ERRORS):
            log.warning("storage.abort_after_failed_upload_failed")

    def open(self, key: str) -> BinaryIO:
        """The StreamingBody of the object: read(n) / iter_chunks(), then close()."""
        try:
            # botocore's StreamingBody: the file-like reads (read, close) that BinaryIO names
            body: BinaryIO = self.client.get_object(Bucket=self.bucket, Key=check_key(key))["Body"]
            return body
        except _BOTO_ERRORS as exc:
            if _is_not_found(exc):
                raise ObjectNotFound(key) from exc
            raise StorageError(f"S3 download failed: {exc}") from exc

    def delete(self, key: str) -> None:
        try:
            self.client.delete_object(Bucket=self.bucket, Key=check_key(key))
        except _BOTO_ERRORS as exc:
            raise StorageError(f"S3 delete failed: {exc}") from exc

    def exists(self, key: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=check_key(key))
        except _BOTO_ERRORS as exc:
            if _is_not_found(exc):
                return False
            raise StorageError(f"S3 head failed: {exc}") from exc
        return True

    def keys(self, prefix: str = "") -> Iterator[str]:
        paginator = self.client.get_paginator("list_objects_v2")
        try:
            for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
                for item in page.get("Contents", []):
                    yield item["Key"]
        except _BOTO_ERRORS as exc:
            raise StorageError(f"S3 listing failed: {exc}") from exc

    def unfinished_uploads(self) -> list[UnfinishedUpload]:
        return self._unfinished_uploads()

    def _unfinished_uploads(self, prefix: str = "") -> list[UnfinishedUpload]:
        paginator = self.client.get_paginator("list_multipart_uploads")
        found = []
        try:
            for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
                for item in page.get("Uploads", []):
                    started: datetime = item["Initiated"]
                    found.append(UnfinishedUpload(item["Key"], item["UploadId"], started.astimezone(UTC)))
        except _BOTO_ERRORS as exc:
            raise StorageError(f"S3 listing of unfinished uploads failed: {exc}") from exc
        return found

    def abort_upload(self, upload: UnfinishedUpload) -> None:
        try:
            self.client.abort_multipart_upload(Bucket=self.bucket, Key=upload.key, UploadId=upload.upload_id)
        except _BOTO_ERRORS as exc:
            if _is_not_found(exc) or _error_code(exc) == "NoSuchUpload":
                return
            raise StorageError(f"S3 abort of an unfinished upload failed: {exc}") from exc


def _error_code(exc: Exception) -> str:
    response = getattr(exc, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


def _is_not_found(exc: Exception) -> bool:
    response = getattr(exc, "response", None) or {}
    code = str(response.get("Error", {}).get("Code", ""))
    return code in {"404", "NoSuchKey", "NotFound"}


# --- configuration --------------------------------------------------------------------------------------------------


def storage_from_config(config: Mapping[str, Any]) -> Storage:
    """S3 when S3_BUCKET is set, else local files under UPLOAD_FOLDER."""
    if config.get("S3_BUCKET"):
        return S3Storage(
            config["S3_BUCKET"],
            region=config.get("S3_REGION") or None,
            endpoint_url=config.get("S3_ENDPOINT_URL") or None,
        )
    return LocalStorage(config["UPLOAD_FOLDER"])
