"""Unique Pupil Number validation (DfE "Unique pupil numbers (UPNs)" guidance, check letter algorithm).

A UPN is 13 characters: a check letter, a 3-digit LA number, a 4-digit DfE establishment number,
a 2-digit year of allocation and a 3-character serial (digits, or a letter last for a temporary UPN).
"""

import re
import secrets

# The check letter alphabet omits I, O and S (to avoid confusion with 1, 0 and 5).
CHECK_LETTERS = "ABCDEFGHJKLMNPQRTUVWXYZ"
# Letters allowed in position 13 of a temporary UPN map to the values 0-22 via the same alphabet.
_UPN_SHAPE = re.compile(r"^[A-Z][0-9]{11}[0-9A-Z]$")


class InvalidUPN(ValueError):
    pass


def normalise_upn(raw: str) -> str:
    return re.sub(r"\s+", "", raw or "").upper()


def check_letter(last_twelve: str) -> str:
    """The check letter for the 12 characters after it: weights 2..13, sum mod 23, into CHECK_LETTERS."""
    total = 0
    for weight, char in enumerate(last_twelve, start=2):
        value = int(char) if char.isdigit() else CHECK_LETTERS.index(char)
        total += weight * value
    return CHECK_LETTERS[total % 23]


def validate_upn(raw: str) -> str:
    """Return the normalised UPN or raise InvalidUPN with a message a school administrator understands."""
    upn = normalise_upn(raw)
    if len(upn) != 13:
        raise InvalidUPN("A UPN must be 13 characters, like A123456789012")
    if not _UPN_SHAPE.match(upn):
        raise InvalidUPN("A UPN must start with a letter, then 11 digits, then a digit or a letter")
    last = upn[12]
    if last.isalpha() and last not in CHECK_LETTERS:
        raise InvalidUPN("The last character of a temporary UPN cannot be I, O or S")
    if upn[0] != check_letter(upn[1:]):
        raise InvalidUPN("This UPN's check letter does not match the rest of the number; check it was typed correctly")
    return upn


def make_upn(la: int = 999, establishment: int | None = None, year: int = 26, serial: int | None = None) -> str:
    """A well-formed UPN (demo data, tests and the bench data set). 999 is not a real LA number; without an
    establishment and serial, both are random."""
    establishment = secrets.randbelow(10_000) if establishment is None else establishment
    serial = secrets.randbelow(1000) if serial is None else serial
    rest = f"{la:03d}{establishment:04d}{year:02d}{serial:03d}"
    return check_letter(rest) + rest
