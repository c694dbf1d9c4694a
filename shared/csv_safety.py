"""Cells of the CSV files the app writes (attendance exports and templates, the census and inspection files, the
safeguarding chronology), made safe to open in a spreadsheet.

A spreadsheet runs a cell that starts with =, +, - or @ as a formula (and a leading tab or carriage return can hide
one), so a name or a provider's own words could carry a formula into the school's MIS. A quote in front keeps the
cell text: the spreadsheet shows the value as typed and does not show the quote.
"""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: object) -> str:
    """The value as a cell's text ('' for None), with a quote in front when it would start a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text
