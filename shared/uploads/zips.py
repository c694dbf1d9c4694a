"""Zip-based documents (docx, xlsx, odt): stage 3 confirms the type from the member list, stage 4 checks the
structure. Only the central directory is read, plus small members (the mimetype or content-type list, and the
OOXML relationship parts), with bounded reads; nothing is extracted.

Active content refused in OOXML, beyond macros: embedded objects (OLE objects, whole files packed inside, ActiveX
controls), found by member folder and by relationship type; and relationships that make Word or Excel fetch
something when the file is opened (TargetMode="External": a template, another workbook, a frame, a
sub-document, a linked object or picture). An external hyperlink is ordinary and allowed: it is only followed
when clicked.
"""

from __future__ import annotations

import re
import struct
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO
from xml.parsers import expat

from shared.uploads.policy import MAX_ZIP_MEMBER_READ_BYTES, UploadLimits
from shared.uploads.reasons import Reason, UploadRefused
from shared.uploads.sniff import ODT

_EOCD = b"PK\x05\x06"
_EOCD_SIZE = 22
_ZIP64_LOCATOR = b"PK\x06\x07"
_ZIP64_EOCD = b"PK\x06\x06"
_MAX_COMMENT = 0xFFFF
_ZIP64_MARKER = 0xFFFF

# OOXML: the package's type list plus the main part's folder (ECMA-376 part 2; Word writes word/, Excel xl/).
_OOXML_MAIN_FOLDERS = {"docx": "word/", "xlsx": "xl/"}
_CONTENT_TYPES = "[content_types].xml"
# Code-carrying parts: VBA projects (any Office file), Excel 4.0 macro sheets, and macro-enabled content types.
_MACRO_CONTENT_TYPE_MARKERS = ("macroenabled", "vbaproject", "macrosheet")
# ODF macros live under Basic/ (StarBasic modules; the *-lc.xml/*-lb.xml library lists alone hold no code) and
# Scripts/ (Python, JavaScript, BeanShell).
_ODF_LIBRARY_LISTS = frozenset({"script-lc.xml", "dialog-lc.xml", "script-lb.xml", "dialog-lb.xml"})
# Member folders that hold embedded objects (OLE objects, packed files, ActiveX controls) in any OOXML document.
_EMBEDDING_FOLDERS = ("embeddings/", "activex/")
_OLE_OBJECT_NAME = re.compile(r"^oleobject\d*\.bin$")
# Parts that exist only to point at another workbook or an external data source.
_EXTERNAL_DATA_PARTS = re.compile(r"^xl/(externallinks/|connections\.xml$)")
# Relationship types (the last segment of the Type URI, lower case) that embed an object, and those that point at
# external content whatever their TargetMode says.
_EMBEDDING_RELATIONSHIPS = frozenset({"oleobject", "package", "activexcontrol", "activexcontrolbinary"})
_EXTERNAL_RELATIONSHIPS = frozenset({"externallink", "externallinkpath", "attachedtemplate", "subdocument", "frame"})
_VBA_RELATIONSHIPS = frozenset({"vbaproject"})
_ALLOWED_EXTERNAL_RELATIONSHIPS = frozenset({"hyperlink"})
# A template path on a local drive, which Word records for any document made from a template. A network (UNC)
# path or a URL is refused: opening the document would fetch it (and could run its macros or leak credentials).
_LOCAL_DRIVE_TARGET = re.compile(r"^(?:file:/{2,3})?[A-Za-z]:[\\/]", re.IGNORECASE)
_DRIVE_PATH = re.compile(r"^[A-Za-z]:")
_UNSAFE_NAME_CHARACTER = re.compile(r"[\x00-\x1f\x7f]")


def check_package(spool: IO[bytes], extension: str, limits: UploadLimits) -> None:
    """Stages 3 and 4 for a zip-based document; raise UploadRefused if it will not do."""
    with _open_package(spool, limits) as package:
        infos = package.infolist()
        _confirm_type(package, infos, extension)
        _check_members(infos, limits)
        _check_macros(package, infos, extension)
        if extension in _OOXML_MAIN_FOLDERS:
            _check_embedded_and_external(package, infos)


@contextmanager
def _open_package(spool: IO[bytes], limits: UploadLimits) -> Iterator[zipfile.ZipFile]:
    # zipfile builds an object per central-directory entry, so the declared count is checked first: a 20 MB
    # archive of empty entries would otherwise cost hundreds of MB of memory just to list.
    declared = _declared_entry_count(spool)
    if declared is None:
        raise UploadRefused(Reason.UNREADABLE, "no zip end-of-central-directory record")
    if declared > limits.max_zip_entries:
        raise UploadRefused(Reason.ZIP_BOMB, f"{declared} entries declared")
    try:
        spool.seek(0)
        package = zipfile.ZipFile(spool)
    except Exception as exc:  # BadZipFile, OSError, ValueError, struct.error on malformed records
        raise UploadRefused(Reason.UNREADABLE, f"zip: {type(exc).__name__}") from exc
    with package:
        if len(package.infolist()) > limits.max_zip_entries:
            raise UploadRefused(Reason.ZIP_BOMB, f"{len(package.infolist())} entries")
        yield package


def _declared_entry_count(spool: IO[bytes]) -> int | None:
    spool.seek(0, 2)
    size = spool.tell()
    tail_start = max(0, size - _EOCD_SIZE - _MAX_COMMENT)
    spool.seek(tail_start)
    tail = spool.read()
    at = tail.rfind(_EOCD)
    if at < 0 or at + _EOCD_SIZE > len(tail):
        return None
    count: int
    (count,) = struct.unpack_from("<H", tail, at + 10)
    if count != _ZIP64_MARKER:
        return count
    # Zip64: the 20-byte locator just before the end record points at the zip64 end record (count at +32).
    locator_at = tail_start + at - 20
    if locator_at < 0:
        return None
    spool.seek(locator_at)
    locator = spool.read(20)
    if len(locator) < 20 or not locator.startswith(_ZIP64_LOCATOR):
        return None
    (record_at,) = struct.unpack_from("<Q", locator, 8)
    spool.seek(record_at)
    record = spool.read(56)
    if len(record) < 56 or not record.startswith(_ZIP64_EOCD):
        return None
    count64: int
    (count64,) = struct.unpack_from("<Q", record, 32)
    return count64


def _confirm_type(package: zipfile.ZipFile, infos: list[zipfile.ZipInfo], extension: str) -> None:
    names = {info.filename.lower() for info in infos}
    if extension == "odt":
        exact_names = {info.filename for info in infos}
        if "mimetype" not in exact_names or _read_member(package, "mimetype").strip() != ODT.encode():
            raise UploadRefused(Reason.CONTENT_MISMATCH, "zip without the ODT mimetype member")
        return
    folder = _OOXML_MAIN_FOLDERS[extension]
    if _CONTENT_TYPES not in names or not any(name.startswith(folder) for name in names):
        raise UploadRefused(Reason.CONTENT_MISMATCH, f"zip without [Content_Types].xml and {folder} parts")


def _check_members(infos: list[zipfile.ZipInfo], limits: UploadLimits) -> None:
    total = 0
    seen: set[str] = set()
    for info in infos:
        # orig_filename is the name as stored: zipfile cuts `filename` at a NUL, which would hide the trick.
        raw_name = info.orig_filename
        parts = re.split(r"[/\\]", raw_name)
        if (
            raw_name.startswith(("/", "\\"))
            or _DRIVE_PATH.match(raw_name)
            or ".." in parts
            or _UNSAFE_NAME_CHARACTER.search(raw_name)
        ):
            raise UploadRefused(Reason.ZIP_PATH_TRAVERSAL, "unsafe member name")
        # Two members with one name (OOXML part names are case-insensitive) let two readers see different files.
        if raw_name.lower() in seen:
            raise UploadRefused(Reason.UNREADABLE, "duplicate member name")
        seen.add(raw_name.lower())
        if info.flag_bits & 0x1:
            raise UploadRefused(Reason.OFFICE_ENCRYPTED, "encrypted zip member")
        # Office and LibreOffice only ever store or deflate; anything else is crafted, and may defeat the scanner.
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise UploadRefused(Reason.UNREADABLE, f"compression method {info.compress_type}")
        if info.file_size > limits.max_zip_entry_uncompressed_bytes:
            raise UploadRefused(Reason.ZIP_BOMB, f"member of {info.file_size} bytes")
        total += info.file_size
        if total > limits.max_zip_total_uncompressed_bytes:
            raise UploadRefused(Reason.ZIP_BOMB, f"more than {total} bytes uncompressed")
        if info.file_size > limits.zip_ratio_grace_bytes and (
            info.compress_size == 0 or info.file_size / info.compress_size > limits.max_zip_compression_ratio
        ):
            raise UploadRefused(Reason.ZIP_BOMB, f"compression ratio over {limits.max_zip_compression_ratio}:1")


def _check_macros(package: zipfile.ZipFile, infos: list[zipfile.ZipInfo], extension: str) -> None:
    for info in infos:
        name = info.filename.lower()
        base = name.rpartition("/")[2]
        if base == "vbaproject.bin" or name.startswith("xl/macrosheets/"):
            raise UploadRefused(Reason.MACROS, "VBA project or macro sheet")
        odf_code = name.startswith("scripts/") or (name.startswith("basic/") and base not in _ODF_LIBRARY_LISTS)
        if extension == "odt" and odf_code and not info.is_dir():
            raise UploadRefused(Reason.MACROS, "ODF Basic or Scripts module")
    if extension in _OOXML_MAIN_FOLDERS:
        content_types_name = next(info.filename for info in infos if info.filename.lower() == _CONTENT_TYPES)
        content_types = _read_member(package, content_types_name).lower()
        if any(marker.encode() in content_types for marker in _MACRO_CONTENT_TYPE_MARKERS):
            raise UploadRefused(Reason.MACROS, "macro-enabled content type")


def _check_embedded_and_external(package: zipfile.ZipFile, infos: list[zipfile.ZipInfo]) -> None:
    for info in infos:
        name = info.filename.lower()
        folder, _, base = name.rpartition("/")
        if any(f"/{embedding}" in f"/{folder}/" for embedding in _EMBEDDING_FOLDERS) or _OLE_OBJECT_NAME.match(base):
            raise UploadRefused(Reason.OFFICE_EMBEDDED_OBJECT, "embedded object part")
        if _EXTERNAL_DATA_PARTS.match(name):
            raise UploadRefused(Reason.OFFICE_EXTERNAL_CONTENT, "external link or data connection part")
    for info in infos:
        if info.filename.lower().endswith(".rels") and not info.is_dir():
            for relationship_type, target, external in _relationships(_read_member(package, info.filename)):
                _check_relationship(relationship_type, target, external)


def _check_relationship(relationship_type: str, target: str, external: bool) -> None:
    kind = relationship_type.rstrip("/").rpartition("/")[2].lower()
    if kind in _VBA_RELATIONSHIPS:
        raise UploadRefused(Reason.MACROS, f"{kind} relationship")
    if kind == "attachedtemplate" and external and _LOCAL_DRIVE_TARGET.match(target.strip()):
        return  # the template on the author's own drive (file:///C:\...), as Word records it: nothing remote
    if kind in _EXTERNAL_RELATIONSHIPS or (external and kind not in _ALLOWED_EXTERNAL_RELATIONSHIPS):
        raise UploadRefused(Reason.OFFICE_EXTERNAL_CONTENT, f"{'external ' if external else ''}{kind} relationship")
    if kind in _EMBEDDING_RELATIONSHIPS:
        raise UploadRefused(Reason.OFFICE_EMBEDDED_OBJECT, f"{kind} relationship")


def _relationships(data: bytes) -> list[tuple[str, str, bool]]:
    """(Type, Target, is-external) for each Relationship element of a .rels part. A document type declaration is
    refused: relationship parts never have one, and it is how entity-expansion tricks start."""
    found: list[tuple[str, str, bool]] = []

    def start(tag: str, attributes: dict[str, str]) -> None:
        if tag.rpartition(":")[2] == "Relationship":
            external = attributes.get("TargetMode", "").strip().lower() == "external"
            found.append((attributes.get("Type", ""), attributes.get("Target", ""), external))

    def doctype(*_: object) -> None:
        raise UploadRefused(Reason.UNREADABLE, "document type declaration in a relationship part")

    parser = expat.ParserCreate()
    parser.StartElementHandler = start
    parser.StartDoctypeDeclHandler = doctype
    try:
        parser.Parse(data, True)
    except expat.ExpatError as exc:
        raise UploadRefused(Reason.UNREADABLE, "malformed relationship part") from exc
    return found


def _read_member(package: zipfile.ZipFile, name: str) -> bytes:
    try:
        with package.open(name) as member:
            data = member.read(MAX_ZIP_MEMBER_READ_BYTES + 1)
    except Exception as exc:  # BadZipFile (CRC), zlib.error, RuntimeError (encrypted), NotImplementedError
        raise UploadRefused(Reason.UNREADABLE, f"zip member: {type(exc).__name__}") from exc
    if len(data) > MAX_ZIP_MEMBER_READ_BYTES:
        raise UploadRefused(Reason.UNREADABLE, "oversized package metadata member")
    return data
