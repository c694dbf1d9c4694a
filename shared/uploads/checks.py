"""Stages 1 to 5 of the upload pipeline, failing closed: `check_upload()` returns a `CheckedUpload` or raises
`UploadRefused`. No Flask request and no database: the web views, the API and the CLI all call this.

    with check_upload(file.stream, file.filename, max_bytes=app.config["MAX_CONTENT_LENGTH"]) as upload:
        scan(upload.stream())            # stage 6, elsewhere
        store(upload.stream(), upload.mime_type, ...)

1. Size: the stream is copied in chunks to a spooled temporary file (in memory up to
   `UploadLimits.spool_memory_bytes`, then an anonymous file) while it is measured and hashed; an empty file or
   one over `max_bytes` is refused as soon as that is known.
2. Name: `names.check_filename`.
3. Content sniff: `sniff.check_content_type`, and for docx/xlsx/odt the package's member list (`zips`).
4. Structure: `zips`, `pdfs` or `images`, by type.
5. SHA-256 of the content (computed during stage 1, recorded only for an accepted file).

The spooled copy is closed (and its disk space freed) on every refusal; for an accepted upload the caller owns it
and must close the `CheckedUpload`, best with `with`.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable, Collection
from contextlib import ExitStack
from dataclasses import dataclass, field
from types import TracebackType
from typing import IO

from shared.uploads import images, pdfs, zips
from shared.uploads.names import check_filename
from shared.uploads.policy import DEFAULT_ALLOWED, DEFAULT_LIMITS, READ_CHUNK_BYTES, SNIFF_BYTES, UploadLimits
from shared.uploads.reasons import Reason, UploadRefused
from shared.uploads.sniff import SUPPORTED_EXTENSIONS, ZIP_BASED_EXTENSIONS, check_content_type


@dataclass
class CheckedUpload:
    """An upload that passed stages 1-5. Close it (or use it in a `with` block) to free the temporary copy."""

    display_name: str  # tidied for display only; never a storage key or a path
    extension: str  # lower case, no dot
    mime_type: str  # the type to store and to serve it as
    size: int  # bytes
    sha256: str  # hex
    _content: IO[bytes] = field(repr=False)

    def stream(self) -> IO[bytes]:
        """The checked bytes, rewound to the start; valid until `close()`. Each call rewinds the same file."""
        if self._content.closed:
            raise ValueError("the upload has been closed")
        self._content.seek(0)
        return self._content

    def close(self) -> None:
        self._content.close()

    @property
    def closed(self) -> bool:
        return self._content.closed

    def __enter__(self) -> CheckedUpload:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()


# Stage 6 (virus scan) plugs in here: a callable that reads `upload.stream()` and raises
# UploadRefused(Reason.VIRUS_FOUND / Reason.SCANNER_UNAVAILABLE), or returns when the file is clean (what it returns
# is ignored).
Scanner = Callable[[CheckedUpload], object]


def check_upload(
    stream: IO[bytes],
    filename: str,
    *,
    max_bytes: int,
    allowed_extensions: Collection[str] = DEFAULT_ALLOWED,
    limits: UploadLimits = DEFAULT_LIMITS,
    spool_dir: str | os.PathLike[str] | None = None,
) -> CheckedUpload:
    """Run stages 1-5 on an uploaded file; return the checked upload (the caller closes it) or raise UploadRefused.

    `stream` is read to its end (or to just past `max_bytes`) and not closed. `filename` is what the client sent.
    `spool_dir` is where a large upload's temporary copy goes (the system temporary folder by default).
    """
    allowed = frozenset(extension.lower().lstrip(".") for extension in allowed_extensions)
    if not allowed <= SUPPORTED_EXTENSIONS:
        raise ValueError(f"no content rule for {sorted(allowed - SUPPORTED_EXTENSIONS)}")

    with ExitStack() as cleanup:
        # SpooledTemporaryFile rolls over to tempfile.TemporaryFile, which on Linux has no name on disk (O_TMPFILE,
        # or unlinked as soon as it is made), so closing it, or the process dying, leaves nothing behind.
        spool = cleanup.enter_context(tempfile.SpooledTemporaryFile(max_size=limits.spool_memory_bytes, dir=spool_dir))  # type: ignore[arg-type]
        size, sha256 = _copy_measuring(stream, spool, max_bytes=max_bytes)
        name = check_filename(filename, allowed)
        spool.seek(0)
        mime_type = check_content_type(spool, spool.read(SNIFF_BYTES), name.extension)
        if name.extension in ZIP_BASED_EXTENSIONS:
            zips.check_package(spool, name.extension, limits)
        elif name.extension == "pdf":
            pdfs.check_pdf(spool)
        else:
            images.check_image(spool, name.extension, limits)
        spool.seek(0)
        cleanup.pop_all()  # accepted: from here the CheckedUpload owns the copy, and its close() frees it
    return CheckedUpload(
        display_name=name.display_name,
        extension=name.extension,
        mime_type=mime_type,
        size=size,
        sha256=sha256,
        _content=spool,
    )


def _copy_measuring(stream: IO[bytes], spool: IO[bytes], *, max_bytes: int) -> tuple[int, str]:
    """Stages 1 and 5: copy in chunks, refusing as soon as the size is known to be wrong; return size and SHA-256."""
    digest = hashlib.sha256()
    size = 0
    while chunk := stream.read(READ_CHUNK_BYTES):
        size += len(chunk)
        if size > max_bytes:
            raise UploadRefused(Reason.TOO_LARGE, f"over {max_bytes} bytes")
        digest.update(chunk)
        spool.write(chunk)
    if size == 0:
        raise UploadRefused(Reason.EMPTY)
    return size, digest.hexdigest()
