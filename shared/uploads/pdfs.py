"""Stage 4 for PDFs: refuse encryption and active content (scripts, launch actions, automatic actions, attached
files), which a PDF reader would run or open and which a virus scanner cannot always see into.

Two passes, because each misses something the other sees:
- pypdf resolves every object in the cross-reference table, including those packed in compressed object
  streams, whether or not anything refers to them.
- A raw scan of the file's syntax (outside stream bodies, strings and comments) finds objects that are in no
  table at all: appended after %%EOF or left for a reader's repair pass to find. Stream bodies are skipped
  because fonts, images and XMP metadata hold arbitrary bytes and text; strings and comments because titles such
  as "HTML/JavaScript course" are ordinary. Names written with #xx escapes ("/J#53") are matched too.

Beyond scripts, both passes refuse, each with its own reason: an XFA form (/XFA in the AcroForm: an XML form
with its own scripts); actions that send form data or open other files (/SubmitForm, /ImportData, /GoToR,
/GoToE); embedded media (/Rendition, /RichMedia, movie, sound and screen annotations); and attached files however
they are held (/EmbeddedFiles, /FileAttachment annotations, a file specification's /EF). A link annotation with a
/URI action and a fillable form whose fields have no actions are ordinary and allowed.

An /OpenAction that is a destination ("open at page 1, fit width") or a GoTo action is ordinary (LaTeX and Word
write one) and is allowed; any other opening action is refused.
"""

from __future__ import annotations

import mmap
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO

from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, PdfObject

from shared.uploads.reasons import Reason, UploadRefused

_ACTIVE_KEYS = frozenset({"/JavaScript", "/JS", "/AA", "/Launch", "/EmbeddedFiles", "/EmbeddedFile"})
_ACTIVE_ACTIONS = frozenset({"/JavaScript", "/Launch"})
_HARMLESS_OPEN_ACTIONS = frozenset({"/GoTo"})
# Dictionary keys that are refused wherever they appear, each with its reason: the /XFA form (an XML form that
# carries its own scripts, in the AcroForm), a file specification's embedded file (/EF), and Flash/3D content.
_KEY_REASONS = {
    "/XFA": Reason.PDF_XFA_FORM,
    "/EF": Reason.PDF_ACTIVE_CONTENT,
    "/RichMediaContent": Reason.PDF_EMBEDDED_MEDIA,
    "/RichMediaSettings": Reason.PDF_EMBEDDED_MEDIA,
}
# Actions (/S) that send form data away, load data from a file, or open another document or an embedded one.
_EXTERNAL_ACTIONS = frozenset({"/SubmitForm", "/ImportData", "/GoToR", "/GoToE"})
# Actions and annotation types (/Subtype) that play embedded media (Flash, video, sound) or hold an attached file.
_MEDIA = frozenset({"/Rendition", "/RichMedia", "/Movie", "/Sound", "/Screen"})
_ATTACHMENT_SUBTYPES = frozenset({"/FileAttachment"})
# Names the raw scan looks for, beyond _ACTIVE_KEYS, each with its reason: none appears in ordinary object syntax.
_RAW_NAME_REASONS = {
    "/XFA": Reason.PDF_XFA_FORM,
    "/FileAttachment": Reason.PDF_ACTIVE_CONTENT,
    "/RichMedia": Reason.PDF_EMBEDDED_MEDIA,
    "/RichMediaContent": Reason.PDF_EMBEDDED_MEDIA,
    "/Rendition": Reason.PDF_EMBEDDED_MEDIA,
    **dict.fromkeys(_EXTERNAL_ACTIONS, Reason.PDF_EXTERNAL_ACTION),
}
_RAW_NAMES = _ACTIVE_KEYS | frozenset(_RAW_NAME_REASONS)

_DELIMITER = rb"(?=[\x00\t\n\x0c\r ()<>\[\]{}/%]|\Z)"


def _name_pattern(name: str) -> bytes:
    # Each character may be written literally or as #xx (PDF 1.2+ name escapes), hex digits in either case.
    return b"/" + b"".join(b"(?:%s|#(?i:%02x))" % (re.escape(ch.encode()), ord(ch)) for ch in name) + _DELIMITER


_LEXEME = re.compile(
    rb"(?P<string>\()|(?P<comment>%)|(?P<dictionary><<)|(?P<hex><)"
    # Only a "stream" keyword right after a dictionary starts a body, so a bare "stream" cannot hide what follows.
    rb"|(?P<stream>>>[\x00\t\n\x0c\r ]*stream(?:\r\n|\n|\r))"
    rb"|(?P<name>" + b"|".join(_name_pattern(name[1:]) for name in sorted(_RAW_NAMES, key=len, reverse=True)) + b")"
)
_STRING_SYNTAX = re.compile(rb"[()\\]")
_END_OF_LINE = re.compile(rb"\r\n|\n|\r")


def check_pdf(spool: IO[bytes]) -> None:
    """Stage 4 for a PDF; raise UploadRefused if it will not do."""
    try:
        spool.seek(0)
        reader = PdfReader(spool, strict=False)
        encrypted = reader.is_encrypted
    except Exception as exc:  # pypdf raises many types (PdfReadError, ValueError, KeyError...) on broken files
        raise UploadRefused(Reason.UNREADABLE, f"pdf: {type(exc).__name__}") from exc
    if encrypted:
        raise UploadRefused(Reason.PDF_ENCRYPTED, "encrypted")
    try:
        found = next((problem for obj in _all_objects(reader) if (problem := _active_content(obj))), None)
    except Exception as exc:
        raise UploadRefused(Reason.UNREADABLE, f"pdf objects: {type(exc).__name__}") from exc
    finally:
        # pypdf keeps every resolved object (stream bytes included) in a cache held by a reference cycle: empty it
        # now rather than whenever the garbage collector gets round to it.
        reader.resolved_objects.clear()
    if found:
        raise UploadRefused(*found)
    with _mapped(spool) as data:
        name = active_name_in_syntax(data)
    if name:
        raise UploadRefused(_RAW_NAME_REASONS.get(_unescaped(name), Reason.PDF_ACTIVE_CONTENT), f"{name} in raw syntax")


def _unescaped(name: str) -> str:
    return re.sub(r"#([0-9A-Fa-f]{2})", lambda escape: chr(int(escape.group(1), 16)), name)


# The raw scan reads the file through a memory map and hands back pages it has passed, so a 200 MB PDF does not
# make the worker 200 MB bigger (the bound is 40 MiB of extra memory for a 200 MB upload).
_RELEASE_EVERY = 8 * 1024 * 1024


@contextmanager
def _mapped(spool: IO[bytes]) -> Iterator[bytes | _ReleasingView]:
    spool.seek(0, 2)
    size = spool.tell()
    spool.seek(0)
    if size <= _RELEASE_EVERY:
        yield spool.read()  # small: simpler and as cheap in memory
        return
    with mmap.mmap(spool.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
        yield _ReleasingView(mapped)


class _ReleasingView:
    """The mapped file, for the lexer: behaves like the bytes it needs (search/find/len/index) and, as the scan
    moves on, tells the kernel it can drop the pages behind it (MADV_DONTNEED on a read-only file mapping)."""

    def __init__(self, mapped: mmap.mmap) -> None:
        self._mapped = mapped
        self._released = 0

    def _release_before(self, position: int) -> None:
        boundary = (position // _RELEASE_EVERY) * _RELEASE_EVERY
        if boundary > self._released and hasattr(mmap, "MADV_DONTNEED"):
            self._mapped.madvise(mmap.MADV_DONTNEED, self._released, boundary - self._released)
            self._released = boundary

    def find(self, sub: bytes, start: int = 0) -> int:
        self._release_before(start)
        return self._mapped.find(sub, start)

    def search(self, pattern: re.Pattern[bytes], start: int) -> re.Match[bytes] | None:
        self._release_before(start)
        return pattern.search(self._mapped, start)

    def __len__(self) -> int:
        return len(self._mapped)

    def __getitem__(self, index: int) -> int:
        return self._mapped[index]


def _all_objects(reader: PdfReader) -> Iterator[PdfObject]:
    yield reader.trailer
    references = {(number, generation) for generation, table in reader.xref.items() for number in table}
    references |= {(number, 0) for number in reader.xref_objStm}
    for number, generation in sorted(references):
        obj = reader.get_object(IndirectObject(number, generation, reader))
        if obj is not None:
            yield obj
        # Done with it: drop it from pypdf's cache, so only one stream's bytes are held at a time.
        reader.resolved_objects.pop((generation, number), None)


def _active_content(obj: PdfObject) -> tuple[Reason, str] | None:
    # Walks the object's direct children only: referenced objects are visited on their own by _all_objects.
    # A stack rather than recursion, so deeply nested arrays cannot exhaust Python's recursion limit.
    stack = [obj]
    while stack:
        item = stack.pop()
        if isinstance(item, DictionaryObject):
            active = _active_keys_of(item)
            if active:
                return active
            stack.extend(value for value in item.values() if not isinstance(value, IndirectObject))
        elif isinstance(item, ArrayObject):
            stack.extend(value for value in item if not isinstance(value, IndirectObject))
    return None


def _active_keys_of(dictionary: DictionaryObject) -> tuple[Reason, str] | None:
    keys = _ACTIVE_KEYS.intersection(dictionary.keys())
    if keys:
        return Reason.PDF_ACTIVE_CONTENT, min(keys)
    other_keys = sorted(_KEY_REASONS.keys() & dictionary.keys())
    if other_keys:
        return _KEY_REASONS[other_keys[0]], other_keys[0]
    action = _resolved(dictionary.get("/S"))
    if action in _ACTIVE_ACTIONS:
        return Reason.PDF_ACTIVE_CONTENT, f"/S {action}"
    if action in _EXTERNAL_ACTIONS:
        return Reason.PDF_EXTERNAL_ACTION, f"/S {action}"
    if action in _MEDIA:
        return Reason.PDF_EMBEDDED_MEDIA, f"/S {action}"
    subtype = _resolved(dictionary.get("/Subtype"))
    if subtype in _MEDIA:
        return Reason.PDF_EMBEDDED_MEDIA, f"/Subtype {subtype}"
    if subtype in _ATTACHMENT_SUBTYPES:
        return Reason.PDF_ACTIVE_CONTENT, f"/Subtype {subtype}"
    if _resolved(dictionary.get("/Type")) == "/EmbeddedFile":
        return Reason.PDF_ACTIVE_CONTENT, "/Type /EmbeddedFile"
    if "/OpenAction" in dictionary:
        opening = _resolved(dictionary.get("/OpenAction"))
        if isinstance(opening, DictionaryObject) and _resolved(opening.get("/S")) not in _HARMLESS_OPEN_ACTIONS:
            return Reason.PDF_ACTIVE_CONTENT, f"/OpenAction {_resolved(opening.get('/S'))}"
    return None


def _resolved(value: object) -> object:
    return value.get_object() if isinstance(value, IndirectObject) else value


def _search(pattern: re.Pattern[bytes], data: bytes | _ReleasingView, position: int) -> re.Match[bytes] | None:
    return data.search(pattern, position) if isinstance(data, _ReleasingView) else pattern.search(data, position)


def active_name_in_syntax(data: bytes | _ReleasingView) -> str | None:
    """The first active-content name written in the PDF's object syntax (outside streams, strings and comments)."""
    position = 0
    while lexeme := _search(_LEXEME, data, position):
        kind = lexeme.lastgroup
        position = lexeme.end()
        if kind == "name":
            return lexeme.group().decode("latin-1")
        if kind == "string":
            # An unterminated string would hide the rest of the file: scan on from just inside it instead.
            position = _end_of_literal_string(data, position) or position
        elif kind == "comment":
            line_end = _search(_END_OF_LINE, data, position)
            position = line_end.end() if line_end else len(data)
        elif kind == "hex":
            end = data.find(b">", position)
            position = end + 1 if end >= 0 else position
        elif kind == "stream":
            end = data.find(b"endstream", position)
            position = end + len(b"endstream") if end >= 0 else position
    return None


def _end_of_literal_string(data: bytes | _ReleasingView, position: int) -> int | None:
    depth = 1  # literal strings may hold balanced parentheses; a backslash escapes the next byte
    while match := _search(_STRING_SYNTAX, data, position):
        character = data[match.start()]
        if character == ord("\\"):
            position = match.start() + 2
            continue
        depth += 1 if character == ord("(") else -1
        position = match.end()
        if depth == 0:
            return position
    return None
