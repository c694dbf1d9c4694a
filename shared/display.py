"""Words for the people reading a page, an e-mail or a file: dates, counts and sums of money, written one way
everywhere. (Times of day are school-local: convert them first, e.g. with attendance.marks.local_now.)"""

from __future__ import annotations

from datetime import date


def day_words(day: date, *, year: bool = True) -> str:
    """'Monday 30 November 2026' ('Monday 30 November' with year=False)."""
    return f"{day:%A} {day.day} {day:%B %Y}" if year else f"{day:%A} {day.day} {day:%B}"


def date_words(day: date) -> str:
    """'30 November 2026'."""
    return f"{day.day} {day:%B %Y}"


def plural(count: int, word: str, many: str | None = None) -> str:
    """'1 mark', '2 marks'; `many` for a word that does not just take an s ('1 person', '2 people')."""
    return f"{count} {word if count == 1 else (many or word + 's')}"


def pounds(pence: int | None) -> str:
    """£85,000.50, or £85,000 when there are no pence; '' for no sum."""
    if pence is None:
        return ""
    sign = "-" if pence < 0 else ""
    whole, part = divmod(abs(pence), 100)
    return f"{sign}£{whole:,}" + (f".{part:02d}" if part else "")


def file_size(size_bytes: int) -> str:
    """'812 bytes', '1.2 KB', '3.4 MB': never '0 KB' for a small file."""
    if size_bytes < 1024:
        return plural(size_bytes, "byte")
    kilobytes = size_bytes / 1024
    if kilobytes < 1024:
        return f"{kilobytes:.1f}".removesuffix(".0") + " KB"
    return f"{kilobytes / 1024:.1f}".removesuffix(".0") + " MB"
