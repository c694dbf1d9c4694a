"""shared.csv_safety: every cell the app writes to a CSV file is made safe to open in a spreadsheet."""

import pytest

from shared.csv_safety import FORMULA_STARTS, spreadsheet_safe


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_every_character_that_starts_a_formula_gets_a_quote_in_front(start):
    assert start in FORMULA_STARTS
    assert spreadsheet_safe(f'{start}HYPERLINK("http://evil.example")') == f'\'{start}HYPERLINK("http://evil.example")'
    assert spreadsheet_safe(start) == "'" + start


@pytest.mark.parametrize(
    "value",
    ["Ava Example", "Dentist at 10:30", "1A2B3C4D", "2026-11-30", "O'Brien", "a=b", "x-1", "me@school.example", ""],
)
def test_ordinary_values_are_unchanged(value):
    assert spreadsheet_safe(value) == value


def test_none_and_numbers_become_text():
    assert spreadsheet_safe(None) == ""
    assert spreadsheet_safe(15) == "15"
    assert spreadsheet_safe(-2) == "'-2"  # a negative number starts with '-' too: still text, never a formula
    assert spreadsheet_safe(" =1") == " =1"  # only the very first character counts
