"""shared.display: dates, counts and money written one way everywhere."""

from datetime import date

from shared.display import date_words, day_words, plural, pounds


def test_dates_in_words():
    assert day_words(date(2026, 11, 30)) == "Monday 30 November 2026"
    assert day_words(date(2026, 12, 1), year=False) == "Tuesday 1 December"
    assert date_words(date(2026, 12, 1)) == "1 December 2026"


def test_counts_in_words():
    assert plural(1, "mark") == "1 mark" and plural(0, "mark") == "0 marks" and plural(2, "new mark") == "2 new marks"
    assert plural(2, "person", "people") == "2 people" and plural(1, "person", "people") == "1 person"


def test_money_in_words():
    assert pounds(8500050) == "£85,000.50" and pounds(8500000) == "£85,000" and pounds(-150) == "-£1.50"
    assert pounds(None) == ""
