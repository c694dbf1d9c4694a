"""Early warning (issue 15): falling attendance, rising incidents, (for a DSL only) a recent concern, a risk assessment
not signed by both DSLs and a progress report late or due, each with its reason; on the AP lead's and the DSL's lists
and the early warning page; a fixed number of queries."""

from datetime import UTC, date, datetime, timedelta

import pytest
from freezegun import freeze_time
from sqlalchemy import select

from shared.extensions import db
from shared.models import (
    AttendanceMark,
    HeadteacherDecision,
    Placement,
    ProgressReport,
    ProviderStatus,
    RiskAssessment,
    SchoolTerm,
)
from shared.roles import AP_LEAD, DSL, SENDCO
from shared.services.placements import early_warning
from shared.services.placements.early_warning import attendance_signal, incidents_signal
from tests.test_attention import NOW, _forget_last_code, items

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
    for placement in (falling, rising, concerned, fine):  # signed by both DSLs: no risk-assessment signal
        _sign(app, world.risk_assessment(placement), school=True, provider=True)
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


def _school_with(app, world, size: int, full: bool = False):
    school = world.school(f"School of {size}")
    provider = world.provider(school, f"Provider of {size}", ProviderStatus.APPROVED)
    if full:
        _autumn(app, school)
        planned = world.placement(
            school, provider, world.pupil(school, first_name="Pat", last_name="Planned"), status="planned"
        )
        world.risk_assessment(planned)
    for _ in range(size):
        placement = world.placement(school, provider)
        for week, attended in zip(WEEKS, (10, 8, 6), strict=True):
            _marks(app, placement, week, attended, sessions=10)
        world.incident(placement, occurred_at=datetime(2026, 11, 27, 11, 0, tzinfo=UTC))
        world.incident(placement, occurred_at=datetime(2026, 11, 28, 11, 0, tzinfo=UTC))
        world.concern(placement, sent_at=datetime(2026, 11, 25, 9, 0, tzinfo=UTC))
        assessment = world.risk_assessment(placement)
        if full:
            _sign(app, assessment, school=True)
    return school


@pytest.mark.parametrize("full", [False, True])
def test_the_same_few_queries_for_3_or_30_placements(app, world, statements, full):  # noqa: F811
    """With every signal on every placement (`full`: a half-term's report late too, so the reports written are looked
    up, and a planned placement the headteacher agreed)."""
    small, big = _school_with(app, world, 3, full), _school_with(app, world, 30, full)
    counts = []
    with app.app_context():
        for school, size in ((small, 3), (big, 30)):
            for with_concerns in (True, False):
                db.session.expunge_all()
                statements.clear()
                found = early_warning.warnings_for_school(school, WHEN, with_concerns=with_concerns)
                kinds = {"attendance", "incidents", "risk"} | ({"concern"} if with_concerns else set())
                kinds |= {"progress"} if full else set()
                assert len(found) == size + full  # the planned placement, with its risk assessment unsigned
                assert all({s.kind for s in w.signals} == kinds for w in found if w.pupil_name != "Pat Planned")
                counts.append(len(statements))
    # Placements, marks, incidents, (concerns), the half-terms (and the reports written once one is owed).
    more = 1 if full else 0
    assert counts[0] == counts[2] == 5 + more and counts[1] == counts[3] == 4 + more, counts


# --- the risk assessment not signed by both DSLs ---------------------------------------------------------------------


def _sign(app, assessment_id, *, school: bool = False, provider: bool = False, reopened: str | None = None) -> None:
    with app.app_context():
        assessment = db.session.get(RiskAssessment, assessment_id)
        for side, signs in (("school", school), ("provider", provider)):
            if signs:
                setattr(assessment, f"{side}_signed_at", datetime(2026, 11, 2, 10, 0, tzinfo=UTC))
                setattr(assessment, f"{side}_signed_name", f"The {side} DSL")
        if reopened:
            assessment.reopened_at = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
            assessment.reopened_because = reopened
        db.session.commit()


def test_a_running_placement_with_no_joint_risk_assessment_is_a_warning(app, world, school, provider):
    placement = world.placement(school, provider, world.pupil(school, first_name="Noor", last_name="Unassessed"))
    with app.app_context():
        (warning,) = early_warning.warnings_for_school(school, WHEN, with_concerns=False)
    assert warning.placement_id == placement
    assert [(s.title, s.reason) for s in warning.signals] == [
        (
            "Risk assessment unsigned",
            "No joint risk assessment has been written and signed by a school DSL and the provider's DSL.",
        )
    ]


def _risk_reasons(app, school, with_concerns: bool) -> dict[str, list[str]]:
    with app.app_context():
        found = early_warning.warnings_for_school(school, WHEN, with_concerns=with_concerns)
    return {w.pupil_name: [f"{s.title}: {s.reason}" for s in w.signals if s.kind == "risk"] for w in found}


def test_a_risk_assessment_not_signed_by_both_dsls_says_whose_signature_is_missing(app, world, school, provider):
    def placed(first: str, decision: HeadteacherDecision = HeadteacherDecision.AGREED, **fields):
        placement = world.placement(
            school, provider, world.pupil(school, first_name=first, last_name="Pupil"), **fields
        )
        with app.app_context():
            db.session.get(Placement, placement).headteacher_decision = decision
            db.session.commit()
        return placement

    _sign(app, world.risk_assessment(placed("Ann")))
    _sign(app, world.risk_assessment(placed("Bob")), school=True)
    _sign(app, world.risk_assessment(placed("Cat")), provider=True)
    _sign(app, world.risk_assessment(placed("Dan")), school=True, provider=True)  # signed: nothing to say
    _sign(app, world.risk_assessment(placed("Eve")), reopened="incident")
    _sign(app, world.risk_assessment(placed("Fay")), provider=True, reopened="concern")
    _sign(app, world.risk_assessment(placed("Gus", status="planned")))  # agreed by the headteacher, not started
    _sign(app, world.risk_assessment(placed("Hal", HeadteacherDecision.PENDING, status="planned")))
    _sign(app, world.risk_assessment(placed("Ida", status="ended")))
    placed("Jo")  # no joint risk assessment at all (a placement from before them): unsigned too
    unsigned = "Risk assessment unsigned: The joint risk assessment"
    expected = {
        "Ann Pupil": [f"{unsigned} has not been signed by a school DSL or the provider's DSL."],
        "Bob Pupil": [f"{unsigned} has not been signed by the provider's DSL."],
        "Cat Pupil": [f"{unsigned} has not been signed by a school DSL."],
        "Eve Pupil": [
            f"{unsigned} was reopened after a serious incident on 26 November 2026 and has not been signed again by "
            "a school DSL or the provider's DSL."
        ],
        "Fay Pupil": [
            f"{unsigned} was reopened after a safeguarding concern on 26 November 2026 and has not been signed again "
            "by a school DSL."
        ],
        "Gus Pupil": [f"{unsigned} has not been signed by a school DSL or the provider's DSL."],
        "Jo Pupil": [
            "Risk assessment unsigned: No joint risk assessment has been written and signed by a school DSL and the "
            "provider's DSL."
        ],
    }
    assert _risk_reasons(app, school, with_concerns=True) == expected
    # Only a DSL learns that a concern reopened it.
    assert _risk_reasons(app, school, with_concerns=False)["Fay Pupil"] == [
        f"{unsigned} was reopened on 26 November 2026 and has not been signed again by a school DSL."
    ]


def test_the_unsigned_risk_assessment_is_on_the_page_and_the_lists(app, world, school, provider, new_browser):
    pupil = world.pupil(school, first_name="Gus", last_name="Planned")
    _sign(app, world.risk_assessment(world.placement(school, provider, pupil, status="planned")), school=True)
    lead = world.user(school, [AP_LEAD])
    assert "1 placement shows early warning signs: see why" in items(new_browser, lead)
    page = _page(new_browser, world.user(school, [AP_LEAD]))
    assert "Gus Planned at Hill Farm Learning" in page
    assert "The joint risk assessment has not been signed by the provider&#39;s DSL." in page
    assert "Risk assessment unsigned" in page


# --- the progress report late or due ---------------------------------------------------------------------------------


def _autumn(app, school) -> None:
    """The autumn term, its first half ending on 25 October and its second on 18 December."""
    with app.app_context():
        db.session.add(
            SchoolTerm(
                school_id=school,
                name="Autumn term",
                start_date=date(2026, 9, 1),
                end_date=date(2026, 12, 18),
                half_term_starts=date(2026, 10, 26),
                half_term_ends=date(2026, 10, 30),
            )
        )
        db.session.commit()


def _progress(app, school, when: datetime) -> dict[str, list[str]]:
    with app.app_context():
        found = early_warning.warnings_for_school(school, when, with_concerns=False)
    return {w.pupil_name: [f"{s.title}: {s.reason}" for s in w.signals if s.kind == "progress"] for w in found}


def test_a_progress_report_late_then_due(app, world, school, provider):
    _autumn(app, school)
    placement = world.placement(school, provider, world.pupil(school, first_name="Kim", last_name="Report"))
    _sign(app, world.risk_assessment(placement), school=True, provider=True)  # only the report is in question
    late = (
        "Progress report late: The provider has not sent its progress report for Autumn term, first half, which "
        "ended on 25 October 2026: it is late (it was due by 8 November 2026, 14 days after the half-term ended)."
    )
    # Due from the week before the first half ends, until 8 November; late the day after.
    assert _progress(app, school, datetime(2026, 10, 17, 12, 0, tzinfo=UTC)) == {}
    due = "Progress report due: The provider's progress report for Autumn term, first half is due: the half-term"
    assert _progress(app, school, datetime(2026, 10, 18, 12, 0, tzinfo=UTC)) == {
        "Kim Report": [f"{due} ends on 25 October 2026 and the report is late after 8 November 2026."]
    }
    assert _progress(app, school, datetime(2026, 11, 8, 12, 0, tzinfo=UTC)) == {
        "Kim Report": [f"{due} ended on 25 October 2026 and the report is late after 8 November 2026."]
    }
    assert _progress(app, school, datetime(2026, 11, 9, 12, 0, tzinfo=UTC)) == {"Kim Report": [late]}
    # In the week before the second half ends, its report is due too; the late one is said first.
    december = datetime(2026, 12, 11, 12, 0, tzinfo=UTC)
    assert _progress(app, school, december) == {"Kim Report": [late]}
    world.progress_photo(placement)  # a report for the first half
    with app.app_context():
        report = db.session.scalars(select(ProgressReport).where(ProgressReport.placement_id == placement)).one()
        assert report.period_start == date(2026, 9, 1)
    assert _progress(app, school, december) == {
        "Kim Report": [
            "Progress report due: The provider's progress report for Autumn term, second half is due: the half-term "
            "ends on 18 December 2026 and the report is late after 1 January 2027."
        ]
    }
    # Not asked for yet a week earlier.
    assert _progress(app, school, datetime(2026, 12, 10, 12, 0, tzinfo=UTC)) == {}
