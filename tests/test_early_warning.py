"""Early warning (issue 15): falling attendance, rising incidents and (for a DSL only) a recent concern, each with
its reason; on the AP lead's and the DSL's lists and the early warning page; a fixed number of queries."""

from datetime import UTC, date, datetime, timedelta

import pytest
from freezegun import freeze_time

from shared.extensions import db
from shared.models import AttendanceMark, Placement, ProviderStatus
from shared.roles import AP_LEAD, DSL, SENDCO
from shared.services.placements import early_warning
from shared.services.placements.early_warning import attendance_signal, incidents_signal
from tests.test_attention import NOW, _forget_last_code, items, statements  # noqa: F401  (statements: a fixture)

WHEN = datetime(2026, 11, 30, 14, 30, tzinfo=UTC)  # NOW: a Monday
WEEKS = [date(2026, 11, 9), date(2026, 11, 16), date(2026, 11, 23)]  # the three school weeks before it


# --- the rules ------------------------------------------------------------------------------------------------------


def test_attendance_falling_each_week_by_ten_points_or_more_is_a_signal():
    signal = attendance_signal({WEEKS[0]: (9, 10), WEEKS[1]: (7, 10), WEEKS[2]: (5, 10)})
    assert signal is not None and signal.title == "Attendance falling"
    assert signal.reason == (
        "Attendance fell each week for 3 school weeks: 90% in the week of 9 November, 70% in the week of 16 November, "
        "50% in the week of 23 November (40 percentage points lower)."
    )


@pytest.mark.parametrize(
    "weeks",
    [
        {WEEKS[0]: (10, 10), WEEKS[1]: (19, 20), WEEKS[2]: (18, 20)},  # 100%, 95%, 90%: falling by exactly 10 points
    ],
)
def test_a_fall_of_exactly_ten_points_counts(weeks):
    assert attendance_signal(weeks) is not None


@pytest.mark.parametrize(
    "weeks",
    [
        {WEEKS[0]: (10, 10), WEEKS[1]: (10, 10), WEEKS[2]: (19, 20)},  # a small dip
        {WEEKS[0]: (10, 10), WEEKS[1]: (4, 10), WEEKS[2]: (6, 10)},  # down then up: not falling each week
        {WEEKS[0]: (10, 10), WEEKS[1]: (9, 10), WEEKS[2]: (0, 0)},  # only two weeks with sessions
        {WEEKS[1]: (9, 10), WEEKS[2]: (1, 10)},  # only two weeks
        {},
    ],
)
def test_no_attendance_signal_without_a_steady_fall(weeks):
    assert attendance_signal(weeks) is None


def test_only_the_latest_three_weeks_count():
    earlier = date(2026, 11, 2)
    # A fall from 2 November to 16 November, then back up: the latest three weeks are not falling.
    assert attendance_signal({earlier: (10, 10), WEEKS[0]: (8, 10), WEEKS[1]: (6, 10), WEEKS[2]: (9, 10)}) is None


def test_incidents_rising():
    assert incidents_signal(2, 1) is not None
    assert incidents_signal(3, 0).reason == "3 incidents in the last 14 days, up from 0 in the 14 days before."
    assert incidents_signal(1, 0) is None  # one after none is not yet a pattern
    assert incidents_signal(2, 2) is None  # not more than before
    assert incidents_signal(0, 4) is None


# --- the school's placements ----------------------------------------------------------------------------------------


def _marks(app, placement_id, week: date, attended: int, sessions: int = 10) -> None:
    """`sessions` marks over the week from Monday, the first `attended` of them present and the rest absent."""
    with app.app_context():
        placement = db.session.get(Placement, placement_id)
        for n in range(sessions):
            present = n < attended
            db.session.add(
                AttendanceMark(
                    placement_id=placement.id,
                    school_id=placement.school_id,
                    provider_id=placement.provider_id,
                    pupil_id=placement.pupil_id,
                    day=week + timedelta(days=n // 2),
                    session=("AM", "PM")[n % 2],
                    kind="present" if present else "absent",
                    reason=None if present else "unexplained",
                    code="B" if present else "N",
                )
            )
        db.session.commit()


@pytest.fixture
def school(world):
    return world.school("Demo School")


@pytest.fixture
def provider(world, school):
    return world.provider(school, "Hill Farm Learning", ProviderStatus.APPROVED)


def _going_wrong(app, world, school, provider):
    """Three placements: falling attendance; rising incidents; a concern sent last week. And one going well."""
    falling = world.placement(school, provider, world.pupil(school, first_name="Amy", last_name="Falling"))
    for week, attended in zip(WEEKS, (10, 8, 6), strict=True):
        _marks(app, falling, week, attended)
    rising = world.placement(school, provider, world.pupil(school, first_name="Ben", last_name="Rising"))
    for day in (10, 20, 24, 27):  # 1 in the fortnight to 16 November, 3 since
        world.incident(rising, occurred_at=datetime(2026, 11, day, 11, 0, tzinfo=UTC))
    concerned = world.placement(school, provider, world.pupil(school, first_name="Cal", last_name="Concern"))
    world.concern(concerned, sent_at=datetime(2026, 11, 25, 9, 0, tzinfo=UTC))
    world.concern(concerned, sent_at=datetime(2026, 11, 1, 9, 0, tzinfo=UTC))  # too long ago to count
    fine = world.placement(school, provider, world.pupil(school, first_name="Dee", last_name="Fine"))
    for week in WEEKS:
        _marks(app, fine, week, 10)
    world.incident(fine, occurred_at=datetime(2026, 11, 27, 11, 0, tzinfo=UTC))
    return falling, rising, concerned


def test_each_placement_going_wrong_is_found_with_its_reasons(app, world, school, provider):
    falling, rising, concerned = _going_wrong(app, world, school, provider)
    with app.app_context():
        found = early_warning.warnings_for_school(school, WHEN, with_concerns=True)
        without = early_warning.warnings_for_school(school, WHEN, with_concerns=False)
    assert [(w.placement_id, w.pupil_name, [s.kind for s in w.signals]) for w in found] == [
        (falling, "Amy Falling", ["attendance"]),
        (rising, "Ben Rising", ["incidents"]),
        (concerned, "Cal Concern", ["concern"]),
    ]
    assert found[0].signals[0].reason.startswith("Attendance fell each week for 3 school weeks: 100% in the week of")
    assert found[1].signals[0].reason == "3 incidents in the last 14 days, up from 1 in the 14 days before."
    assert found[2].signals[0].reason == (
        "A safeguarding concern was sent to the school in the last 14 days, the latest on 25 November 2026. "
        "Its details are in the concerns queue."
    )
    assert found[0].provider_name == "Hill Farm Learning"
    # Not a DSL: no concern, not even that one exists.
    assert [w.placement_id for w in without] == [falling, rising]


def test_ended_placements_and_another_schools_are_left_out(app, world, school, provider):
    falling, _, _ = _going_wrong(app, world, school, provider)
    other = world.school("Other School")
    with app.app_context():
        db.session.get(Placement, falling).status = "ended"
        db.session.commit()
        assert [w.pupil_name for w in early_warning.warnings_for_school(school, WHEN, with_concerns=True)] == [
            "Ben Rising",
            "Cal Concern",
        ]
        assert early_warning.warnings_for_school(other, WHEN, with_concerns=True) == []


def test_the_dsl_and_the_ap_lead_see_it_on_their_lists_without_names(app, world, school, provider, new_browser):
    _going_wrong(app, world, school, provider)
    dsl, lead, both = (world.user(school, r) for r in ([DSL], [AP_LEAD], [DSL, AP_LEAD]))
    assert "3 placements show early warning signs: see why" in items(new_browser, dsl)
    assert "2 placements show early warning signs: see why" in items(new_browser, lead)
    listed = items(new_browser, both)
    assert [t for t in listed if "early warning" in t] == ["3 placements show early warning signs: see why"]
    assert not any("early warning" in t for t in items(new_browser, world.user(school, [SENDCO])))


def _page(new_browser, person) -> str:
    browser = new_browser()
    _forget_last_code(browser, person)
    with freeze_time(NOW):
        browser.sign_in(person)
        response = browser.get("/school/placements/early-warning")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_the_page_gives_each_sign_with_its_reason_and_concerns_only_to_a_dsl(app, world, school, provider, new_browser):
    _going_wrong(app, world, school, provider)
    dsl_page = _page(new_browser, world.user(school, [DSL]))
    for words in ("Amy Falling at Hill Farm Learning", "Attendance falling", "Incidents rising", "Ben Rising"):
        assert words in dsl_page
    assert "Cal Concern" in dsl_page and "Safeguarding concern raised" in dsl_page
    assert "hungry" not in dsl_page and "neglect" not in dsl_page  # never the concern's content
    lead_page = _page(new_browser, world.user(school, [AP_LEAD]))
    assert "Amy Falling" in lead_page and "Ben Rising" in lead_page
    for secret in ("Cal Concern", "Safeguarding concern", "concern"):
        assert secret not in lead_page


def test_nothing_going_wrong_says_so(world, school, new_browser):
    page = _page(new_browser, world.user(school, [AP_LEAD]))
    assert "No running placement shows an early warning sign." in page


# --- a fixed number of queries -------------------------------------------------------------------------------------


def _school_with(app, world, size: int):
    school = world.school(f"School of {size}")
    provider = world.provider(school, f"Provider of {size}", ProviderStatus.APPROVED)
    for _ in range(size):
        placement = world.placement(school, provider)
        for week, attended in zip(WEEKS, (10, 8, 6), strict=True):
            _marks(app, placement, week, attended, sessions=10)
        world.incident(placement, occurred_at=datetime(2026, 11, 27, 11, 0, tzinfo=UTC))
        world.incident(placement, occurred_at=datetime(2026, 11, 28, 11, 0, tzinfo=UTC))
        world.concern(placement, sent_at=datetime(2026, 11, 25, 9, 0, tzinfo=UTC))
    return school


def test_the_same_few_queries_for_3_or_30_placements(app, world, statements):  # noqa: F811
    small, big = _school_with(app, world, 3), _school_with(app, world, 30)
    counts = []
    with app.app_context():
        for school, size in ((small, 3), (big, 30)):
            for with_concerns in (True, False):
                db.session.expunge_all()
                statements.clear()
                found = early_warning.warnings_for_school(school, WHEN, with_concerns=with_concerns)
                assert len(found) == size and all(len(w.signals) == 2 + with_concerns for w in found)
                counts.append(len(statements))
    # One more for the half-terms (and one for the reports once a half-term has ended: tests/test_progress.py).
    assert counts[0] == counts[2] == 5 and counts[1] == counts[3] == 4, counts
