"""The school calendar: terms, INSET days and the bank holidays of England and Wales."""

from datetime import date

import pytest

from shared.extensions import db
from shared.models import InsetDay
from shared.services import school_calendar
from shared.services.errors import RuleBroken


def test_bank_holidays_come_from_the_maintained_list():
    assert school_calendar.is_bank_holiday(date(2026, 12, 28))  # Boxing Day (substitute day)
    assert school_calendar.is_bank_holiday(date(2027, 3, 29))  # Easter Monday 2027
    assert not school_calendar.is_bank_holiday(date(2026, 11, 30))


def test_school_days_skip_weekends_holidays_inset_and_the_holidays_between_terms(world, ctx):
    school = world.school()
    school_calendar.add_term(school, name="Spring 2027 first half", start=date(2027, 1, 4), end=date(2027, 2, 12))
    school_calendar.add_term(school, name="Spring 2027 second half", start=date(2027, 2, 22), end=date(2027, 3, 26))
    db.session.add(InsetDay(school_id=school, day=date(2027, 1, 4), note="Training day"))
    db.session.commit()
    days = list(school_calendar.school_days(school, date(2027, 1, 1), date(2027, 1, 8)))
    assert days == [date(2027, 1, d) for d in (5, 6, 7, 8)]  # 1 Jan bank holiday, 4 Jan INSET, 2-3 weekend
    half_term = list(school_calendar.school_days(school, date(2027, 2, 13), date(2027, 2, 21)))
    assert half_term == []
    # Good Friday 2027 is 26 March, the last day of the term: not a school day.
    assert date(2027, 3, 26) not in set(school_calendar.school_days(school, date(2027, 3, 22), date(2027, 3, 31)))
    sessions = list(school_calendar.expected_sessions(school, date(2027, 1, 5), date(2027, 1, 5)))
    assert sessions == [(date(2027, 1, 5), "AM"), (date(2027, 1, 5), "PM")]


def test_terms_must_not_overlap_or_run_backwards(world, ctx):
    school = world.school()
    school_calendar.add_term(school, name="Autumn 2026", start=date(2026, 9, 2), end=date(2026, 12, 18))
    with pytest.raises(RuleBroken, match="overlap Autumn 2026"):
        school_calendar.add_term(school, name="Clash", start=date(2026, 12, 1), end=date(2027, 1, 10))
    with pytest.raises(RuleBroken, match="must end on or after"):
        school_calendar.add_term(school, name="Backwards", start=date(2027, 4, 20), end=date(2027, 4, 1))
    other = world.school("Other School")
    school_calendar.add_term(other, name="Autumn 2026", start=date(2026, 9, 2), end=date(2026, 12, 18))
