"""Stage 2: the file's name. It is metadata only (stored objects get a random key), so it is checked and tidied
for display, and its last ending decides which content rule applies.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection
from dataclasses import dataclass

from shared.uploads.policy import (
    DISPLAY_NAME_MAX_CHARS,
    EXECUTABLE_EXTENSIONS,
    LEGACY_OFFICE_EXTENSIONS,
    MACRO_ENABLED_EXTENSIONS,
)
from shared.uploads.reasons import Reason, UploadRefused

# Bidirectional overrides and isolates make "invoice\u202efdp.exe" display as "invoiceexe.pdf"; line and paragraph
# separators break log lines and headers. Other format characters (zero-width joiners in emoji) are harmless.
_DECEPTIVE_CHARACTERS = frozenset("\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u2028\u2029")
_WHITESPACE_RUN = re.compile(r"\s+")


@dataclass(frozen=True)
class CheckedName:
    display_name: str
    extension: str  # lower case, without the dot


def check_filename(filename: str, allowed_extensions: Collection[str]) -> CheckedName:
    """Normalise the name the browser sent and check its endings; raise UploadRefused if it will not do."""
    name = unicodedata.normalize("NFC", filename or "")
    # Browsers send a bare name, but old IE and some clients send the whole client path, in either style.
    name = re.split(r"[/\\]", name)[-1].strip()
    for character in name:
        # Cc: C0/C1 controls and DEL (NUL, newlines, escape sequences); Cs: lone surrogates from a bad decode.
        if unicodedata.category(character) in ("Cc", "Cs") or character in _DECEPTIVE_CHARACTERS:
            raise UploadRefused(Reason.BAD_FILENAME, f"character U+{ord(character):04X}")
    if name in ("", ".", ".."):
        raise UploadRefused(Reason.BAD_FILENAME, "no name")

    stem, dot, last = name.rpartition(".")
    extension = _comparable(last)
    if not dot or not extension:
        raise UploadRefused(Reason.EXTENSION_NOT_ALLOWED, "no extension")
    if extension not in allowed_extensions:
        if extension in MACRO_ENABLED_EXTENSIONS:
            raise UploadRefused(Reason.MACROS, f"macro-enabled extension .{extension}")
        if extension in LEGACY_OFFICE_EXTENSIONS:
            raise UploadRefused(Reason.LEGACY_OFFICE, f"legacy extension .{extension}")
        raise UploadRefused(Reason.EXTENSION_NOT_ALLOWED, f".{extension}")
    if not stem.strip(" ."):
        raise UploadRefused(Reason.BAD_FILENAME, "nothing before the extension")
    # Only whole inner endings count, so "Policy v2.1 final.pdf" (inner part "1 final") is fine.
    for inner in stem.split(".")[1:]:
        if _comparable(inner) in EXECUTABLE_EXTENSIONS:
            raise UploadRefused(Reason.HIDDEN_EXECUTABLE_EXTENSION, f"inner .{_comparable(inner)}")
    return CheckedName(display_name=_display_name(stem, extension), extension=extension)


def _comparable(part: str) -> str:
    # NFKC folds look-alikes such as fullwidth "ｅｘｅ" so they cannot slip past the lists.
    return unicodedata.normalize("NFKC", part).strip().casefold()


def _display_name(stem: str, extension: str) -> str:
    stem = _WHITESPACE_RUN.sub(" ", stem).strip()
    room = DISPLAY_NAME_MAX_CHARS - len(extension) - 1
    if len(stem) > room:
        stem = stem[:room].rstrip(" .")
    return f"{stem}.{extension}"
