"""The school calendar: terms, INSET days and the bank holidays of England and Wales."""

from datetime import date

import pytest

from shared.extensions import db
from shared.models import InsetDay
from shared.services.errors import RuleBroken
from shared.services.school_calendar import days as school_calendar


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


def test_a_half_term_holiday_inside_a_term_has_no_school_days_and_splits_the_term_in_two(world, ctx):
    from shared.models import SchoolTerm
    from shared.services.school_calendar import half_terms

    school = world.school()
    school_calendar.add_term(
        school,
        name="Autumn 2026",
        start=date(2026, 9, 2),
        end=date(2026, 12, 18),
        half_term_starts=date(2026, 10, 26),
        half_term_ends=date(2026, 10, 30),
    )
    holiday = list(school_calendar.school_days(school, date(2026, 10, 24), date(2026, 11, 1)))
    assert holiday == []
    assert list(school_calendar.school_days(school, date(2026, 10, 23), date(2026, 11, 2))) == [
        date(2026, 10, 23),
        date(2026, 11, 2),
    ]
    periods = half_terms.half_terms(school)
    assert [(p.start, p.end, p.name) for p in periods] == [
        (date(2026, 9, 2), date(2026, 10, 25), "Autumn 2026, first half"),
        (date(2026, 10, 31), date(2026, 12, 18), "Autumn 2026, second half"),
    ]
    # The default period is the half-term containing today; in the holiday, the half just ended.
    assert half_terms.current_period(school, date(2026, 12, 1)).name == "Autumn 2026, second half"
    assert half_terms.current_period(school, date(2026, 10, 28)).name == "Autumn 2026, first half"
    # A school with no calendar yet: the last six weeks.
    assert half_terms.current_period(world.school("No Calendar"), date(2026, 12, 1)).start == date(2026, 10, 20)
    assert db.session.get(SchoolTerm, db.session.scalar(db.select(SchoolTerm.id))).half_term_ends == date(2026, 10, 30)


@pytest.mark.parametrize(
    ("starts", "ends", "message"),
    [
        (date(2026, 10, 26), None, "both the first and the last day"),
        (None, date(2026, 10, 30), "both the first and the last day"),
        (date(2026, 10, 30), date(2026, 10, 26), "must end on or after"),
        (date(2026, 9, 2), date(2026, 9, 4), "inside the term"),
        (date(2026, 12, 14), date(2026, 12, 18), "inside the term"),
    ],
)
def test_a_half_term_holiday_must_be_whole_and_inside_its_term(world, ctx, starts, ends, message):
    from shared.models import SchoolTerm

    school = world.school()
    with pytest.raises(RuleBroken, match=message):
        school_calendar.add_term(
            school,
            name="Autumn 2026",
            start=date(2026, 9, 2),
            end=date(2026, 12, 18),
            half_term_starts=starts,
            half_term_ends=ends,
        )
    db.session.rollback()
    assert db.session.scalar(db.select(SchoolTerm.id).where(SchoolTerm.school_id == school)) is None


def test_the_calendar_page_records_a_half_term_holiday(world, browser):
    from tests.support.client import csrf_from, html

    school = world.school()
    person = world.user(school, roles=["school_admin"])
    browser.sign_in(person)
    page = html(browser.get("/school/calendar"))
    assert csrf_from(page)
    fields = {"term-name": "Spring 2027"}
    for field, day in (
        ("start_date", date(2027, 1, 5)),
        ("end_date", date(2027, 3, 26)),
        ("half_term_starts", date(2027, 2, 15)),
        ("half_term_ends", date(2027, 2, 12)),
    ):
        fields[f"term-{field}"] = [str(day.day), str(day.month), str(day.year)]
    refused = html(browser.post("/school/calendar/terms", data=fields))
    assert "The half-term holiday must end on or after the day it starts" in refused
    fields["term-half_term_ends"] = ["19", "2", "2027"]
    done = browser.post("/school/calendar/terms", data=fields, follow_redirects=True)
    assert "15 February to 19 February 2027" in html(done)
    with world.app.app_context():
        assert list(school_calendar.school_days(school, date(2027, 2, 15), date(2027, 2, 19))) == []
