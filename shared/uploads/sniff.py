"""Stage 3: what the content really is (libmagic, from the first bytes), which must agree with the name's ending.

Zip-based types cannot be told apart by libmagic alone: it names an OOXML or ODF package only when the right
member comes first, and says application/zip otherwise. So for those, "zip" is accepted here and `zips` confirms
the type from the package's own member list.
"""

from __future__ import annotations

from typing import IO

import magic

from shared.uploads.reasons import Reason, UploadRefused

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ODT = "application/vnd.oasis.opendocument.text"

# The type recorded, stored and served for each allowed ending.
CANONICAL_TYPES: dict[str, str] = {
    "pdf": "application/pdf",
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "docx": DOCX,
    "xlsx": XLSX,
    "odt": ODT,
}
ZIP_BASED_EXTENSIONS = frozenset({"docx", "xlsx", "odt"})
_ZIP_TYPES = frozenset({"application/zip", "application/x-zip", "application/x-zip-compressed"})
_ACCEPTED_SNIFFS: dict[str, frozenset[str]] = {
    extension: frozenset({canonical}) | (_ZIP_TYPES if extension in ZIP_BASED_EXTENSIONS else frozenset())
    for extension, canonical in CANONICAL_TYPES.items()
}
SUPPORTED_EXTENSIONS = frozenset(CANONICAL_TYPES)

# Legacy Office (.doc, .xls, .ppt, .msg) and password-protected OOXML are OLE compound files. Whatever the name
# says, they are refused: their macros and embedded objects are not something we can inspect here.
OLE_SIGNATURE = bytes.fromhex("D0CF11E0A1B11AE1")
_OLE_TYPES = frozenset(
    {
        "application/x-ole-storage",
        "application/cdfv2",
        "application/encrypted",
        "application/msword",
        "application/vnd.ms-excel",
        "application/vnd.ms-office",
        "application/vnd.ms-powerpoint",
        "application/vnd.ms-outlook",
        "application/x-msi",
    }
)
# Office saves a password-protected .docx/.xlsx as an OLE file holding an "EncryptedPackage" stream; the
# directory entry names are UTF-16LE.
_ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")


def sniff_type(head: bytes) -> str:
    """libmagic's MIME type for the first bytes of a file."""
    try:
        return magic.from_buffer(head, mime=True)
    except Exception as exc:  # libmagic errors (magic.MagicException) have no stable type across versions
        raise UploadRefused(Reason.UNREADABLE, "libmagic could not read the content") from exc


def check_content_type(spool: IO[bytes], head: bytes, extension: str) -> str:
    """Refuse content that disagrees with the ending; return the type to store and serve."""
    detected = sniff_type(head)
    if head.startswith(OLE_SIGNATURE) or detected.lower() in _OLE_TYPES:
        if _contains(spool, _ENCRYPTED_PACKAGE):
            raise UploadRefused(Reason.OFFICE_ENCRYPTED, f"OLE EncryptedPackage ({detected})")
        raise UploadRefused(Reason.LEGACY_OFFICE, f"detected {detected}")
    if "macroenabled" in detected.lower():
        raise UploadRefused(Reason.MACROS, f"detected {detected}")
    if detected not in _ACCEPTED_SNIFFS[extension]:
        raise UploadRefused(Reason.CONTENT_MISMATCH, f"detected {detected} for .{extension}")
    return CANONICAL_TYPES[extension]


def _contains(spool: IO[bytes], needle: bytes, chunk_bytes: int = 1024 * 1024) -> bool:
    spool.seek(0)
    tail = b""
    while chunk := spool.read(chunk_bytes):
        if needle in tail + chunk:
            return True
        tail = chunk[-(len(needle) - 1) :]
    return False
