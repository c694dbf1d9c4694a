"""Issue 15, the reintegration plan: a review chooses a phased return to school, the AP lead writes it week by week,
and the provider's register, the double-booking check and the destination follow-up follow it. Frozen time (the
school's clock is Europe/London): Monday 30 November 2026, in term."""

import re
from datetime import date, timedelta

import pytest
from freezegun import freeze_time
from sqlalchemy import select

from shared.extensions import db
from shared.models import (
    AuditEvent,
    Placement,
    PlacementReview,
    PlacementStatus,
    ProviderStatus,
    ReintegrationPlan,
    SendStatus,
)
from shared.models.pupil import TIMETABLE_SLOTS
from shared.services.placements import plans, reintegration
from tests.support.client import html
from tests.support.demo import DEMO_MOMENT, seed_demo

NOW = "2026-11-30 15:00:00"
PLAN = "/school/placements/{}/reintegration"


@pytest.fixture
def setting(world):
    school = world.school("Hillside Academy")
    provider = world.provider(school, "Northside Learning", ProviderStatus.APPROVED)
    pupil = world.pupil(school, first_name="Jayden", last_name="Marsh")
    placement = world.placement(school, provider, pupil, start=date(2026, 9, 7))
    return {
        "school": school,
        "provider": provider,
        "pupil": pupil,
        "placement": placement,
        "ap_lead": world.user(school, ["ap_lead"]),
        "attendance_lead": world.user(school, ["attendance_lead"]),
        "staff": world.user(provider, ["provider_staff"]),
    }


def _review(**changes) -> dict:
    data = {
        "held_on": ["30", "11", "2026"],
        "school_attendees": "J Patel (AP lead)",
        "attendance_notes": "Good.",
        "behaviour": "Settled.",
        "academic_progress": "On track.",
        "wellbeing": "Calmer.",
        "outcome": "phased",
    }
    data.update(changes)
    return data


def _grid(*weeks: dict[str, str]) -> dict:
    """The plan form's grid: each week {slot: place}, every other slot 'none'."""
    data: dict = {"weeks": str(len(weeks))}
    for number, week in enumerate(weeks, start=1):
        for slot in TIMETABLE_SLOTS:
            data[f"w{number}_{slot}"] = week.get(slot, "none")
    return data


def _all(place: str, slots=TIMETABLE_SLOTS) -> dict[str, str]:
    return dict.fromkeys(slots, place)


AM = [s for s in TIMETABLE_SLOTS if s.endswith("_am")]
PM = [s for s in TIMETABLE_SLOTS if s.endswith("_pm")]
THREE_WEEKS = (
    {**_all("provider", AM), **_all("school", PM)},  # week 1: mornings at the provider, afternoons at school
    {**_all("school"), "mon_am": "provider", "tue_am": "provider", "wed_am": "provider"},
    _all("school"),  # week 3: at school full time
)


def _plan_form(*weeks, **changes) -> dict:
    data = {
        "starts_on": ["7", "12", "2026"],
        "school_support": "Ms Okafor (pastoral lead) meets him at the gate each morning",
        "provider_support": "S Tutor walks him over on the first day",
        **_grid(*weeks),
    }
    data.update(changes)
    return data


def _choose_phased_return(browser, setting):
    browser.sign_in(setting["ap_lead"])
    response = browser.submit(f"/school/placements/{setting['placement']}/reviews/new", _review())
    assert response.status_code == 302
    return response


@freeze_time(NOW)
def test_a_review_choosing_a_phased_return_leads_to_writing_the_plan(app, browser, world, setting):
    placement = setting["placement"]
    response = _choose_phased_return(browser, setting)
    assert response.location.endswith(PLAN.format(placement))
    page = html(browser.get(response.location))
    assert "Review recorded. Now write the reintegration plan" in page
    assert "Write the reintegration plan" in page
    # A first draft of four weeks from next Monday, handing sessions back to school a few at a time.
    assert len(re.findall(r'<select class="govuk-select app-week__select" id="w\d+_', page)) == 40
    assert 'value="7"' in page and 'value="12"' in page
    with app.app_context():
        row = db.session.get(Placement, placement)
        assert row.status == PlacementStatus.ACTIVE and row.timetable_weeks is None
        (review,) = db.session.scalars(select(PlacementReview)).all()
        assert review.outcome == "phased" and review.next_review_on is None
    # Until it is written, the AP lead's list and the reviews page say so.
    home = html(browser.get("/school/"))
    assert "Write 1 reintegration plan: a review chose a phased return to school" in home
    reviews_page = html(browser.get("/school/reviews"))
    assert "Reintegration plans to write" in reviews_page and "Jayden Marsh" in reviews_page
    assert "Write the reintegration plan" in html(browser.get(f"/school/placements/{placement}"))


@freeze_time(NOW)
def test_bad_input_says_what_is_wrong_and_saves_nothing(app, browser, setting):
    placement = setting["placement"]
    _choose_phased_return(browser, setting)
    url = PLAN.format(placement)
    page = html(browser.submit(url, _plan_form(*THREE_WEEKS, starts_on=["8", "12", "2026"], school_support="")))
    assert "enter the Monday of the first week, for example Monday 14 December 2026" in page
    assert "Enter who supports the pupil at school" in page
    page = html(browser.submit(url, _plan_form(*THREE_WEEKS, starts_on=["23", "11", "2026"])))
    assert "The phased return must start today or later" in page
    page = html(browser.submit(url, _plan_form(_all("none"))))
    assert "Plan at least one session, at the provider or at school" in page
    page = html(browser.submit(url, _plan_form({**_all("school"), "mon_am": "elsewhere"})))
    assert "Choose at the provider, at school or neither for each session of week 1" in page
    with app.app_context():
        assert db.session.scalars(select(ReintegrationPlan)).all() == []
        row = db.session.get(Placement, placement)
        assert row.status == PlacementStatus.ACTIVE and row.timetable_weeks is None and row.end_date is None


@freeze_time(NOW)
def test_the_plan_ends_the_placement_and_the_register_follows_it_week_by_week(app, browser, new_browser, setting):
    placement = setting["placement"]
    _choose_phased_return(browser, setting)
    response = browser.submit(PLAN.format(placement), _plan_form(*THREE_WEEKS))
    assert response.status_code == 302
    page = html(browser.get(response.location))
    assert "Reintegration plan saved" in page
    assert "From 7 December 2026, 3 weeks" in page and "25 December 2026: back at school full time" in page
    assert "Due 5 February 2027" in page  # the follow-up, six weeks after the return
    assert "Ms Okafor (pastoral lead)" in page
    with app.app_context():
        row = db.session.get(Placement, placement)
        assert row.status == PlacementStatus.ENDED
        assert (row.end_date, row.end_destination) == (date(2026, 12, 25), "reintegrated")
        assert row.timetable_weeks == {
            "2026-12-07": AM,
            "2026-12-14": ["mon_am", "tue_am", "wed_am"],
            "2026-12-21": [],
        }
        # Before the plan, the timetable; in it, its weeks; after it, nothing.
        assert row.expects(date(2026, 12, 1), "PM")
        assert row.expects(date(2026, 12, 7), "AM") and not row.expects(date(2026, 12, 7), "PM")
        assert row.expects(date(2026, 12, 16), "AM") and not row.expects(date(2026, 12, 17), "AM")
        assert not row.expects(date(2026, 12, 21), "AM") and not row.expects(date(2027, 1, 4), "AM")
        (review,) = db.session.scalars(select(PlacementReview)).all()
        assert (review.end_date, review.destination, review.follow_up_on) == (
            date(2026, 12, 25),
            "reintegrated",
            date(2027, 2, 5),
        )
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "reintegration.planned"))
        assert event.details == {"weeks": 3, "starts_on": "2026-12-07"}
    assert "Write 1 reintegration plan" not in html(browser.get("/school/"))
    # The placement runs until the plan's last day: the school's pages say when it ends, not that it has ended.
    placement_page = html(browser.get(f"/school/placements/{placement}"))
    tag = re.search(r'<strong class="govuk-tag[^"]*">\s*([^<]*?)\s*</strong>', placement_page)
    assert tag is not None and tag.group(1) == "Phased return"
    assert "25 December 2026: Back at school full time (reintegrated)" in placement_page
    assert "Ends 25 December 2026" in html(browser.get("/school/placements"))

    provider = new_browser()
    provider.sign_in(setting["staff"])
    pupil_page = html(provider.get(f"/portal/pupils/{placement}"))
    assert "Phased return to school" in pupil_page and "Ms Okafor (pastoral lead)" in pupil_page
    assert "The placement ends on 25 December 2026" in pupil_page
    with freeze_time("2026-12-07 09:00:00"):  # week 1: the morning only
        provider.sign_in(setting["staff"])
        register = html(provider.get("/portal/attendance"))
        assert "Jayden Marsh" in register
        assert register.count('<option value="" selected>Not marked yet</option>') == 1
        assert "Not expected" in register
    with freeze_time("2026-12-17 09:00:00"):  # week 2, a Thursday: not at the provider
        provider.sign_in(setting["staff"])
        assert "Jayden Marsh" not in html(provider.get("/portal/attendance"))


@freeze_time(NOW)
def test_a_plan_cannot_double_book_the_pupil_and_another_plan_cannot_clash_with_it(app, browser, world, setting):
    placement = setting["placement"]
    other_provider = world.provider(setting["school"], "Southside Skills", ProviderStatus.APPROVED)
    # Jayden's own placement has every session but Wednesday afternoon, which he spends at Southside.
    with app.app_context():
        row = db.session.get(Placement, placement)
        row.timetable = [s for s in TIMETABLE_SLOTS if s != "wed_pm"]
        db.session.commit()
    southside = world.placement(setting["school"], other_provider, setting["pupil"], timetable=["wed_pm"])
    _choose_phased_return(browser, setting)
    url = PLAN.format(placement)
    page = html(browser.submit(url, _plan_form(*THREE_WEEKS)))  # week 1 has him at school on Wednesday afternoon
    assert (
        "Jayden Marsh is already placed at Southside Skills for Wednesday PM in the week beginning 7 December 2026"
        in page
    )
    with app.app_context():
        assert db.session.scalars(select(ReintegrationPlan)).all() == []
    weeks = [dict(week, wed_pm="none") for week in THREE_WEEKS]
    assert browser.submit(url, _plan_form(*weeks)).status_code == 302

    # Southside may not now add Thursday morning: the plan has him at Northside in week 1.
    with app.app_context():
        pupil = db.session.get(Placement, southside).pupil
        clash = plans.timetable_clash(pupil, date(2026, 12, 1), None, ["wed_pm", "thu_am"], other_than=southside)
        assert clash is not None
        assert "already placed at Northside Learning for Thursday AM in the week beginning 7 December 2026" in clash
        # Nor Thursday afternoon from week 2, when the plan has him back at school.
        clash = plans.timetable_clash(pupil, date(2026, 12, 14), None, ["thu_pm"], other_than=southside)
        assert clash is not None
        assert "due back at school for Thursday PM in the week beginning 14 December 2026" in clash
        assert "phased return from Northside Learning" in clash
        # From the week after the plan ends, Thursday morning is free.
        assert plans.timetable_clash(pupil, date(2026, 12, 28), None, ["thu_am"], other_than=southside) is None


@freeze_time(NOW)
def test_weeks_that_have_started_stay_as_planned(app, browser, setting):
    placement = setting["placement"]
    _choose_phased_return(browser, setting)
    url = PLAN.format(placement)
    assert browser.submit(url, _plan_form(*THREE_WEEKS)).status_code == 302
    with freeze_time("2026-12-15 10:00:00"):  # week 2 has started
        browser.sign_in(setting["ap_lead"])
        page = html(browser.get(url))
        assert "2 weeks have started" in page and "disabled" in page
        changed_week_1 = (_all("school"), THREE_WEEKS[1], THREE_WEEKS[2])
        page = html(browser.submit(url, _plan_form(*changed_week_1)))
        assert "Weeks that have started cannot be changed" in page
        page = html(browser.submit(url, _plan_form(*THREE_WEEKS, starts_on=["21", "12", "2026"])))
        assert "The plan started on Monday 7 December 2026, so its first week cannot move" in page
        # Week 3 may change, and a fourth week may be added: the end and the follow-up move with it.
        longer = (*THREE_WEEKS[:2], {**_all("school"), "fri_pm": "provider"}, _all("school"))
        assert browser.submit(url, _plan_form(*longer)).status_code == 302
    with app.app_context():
        row = db.session.get(Placement, placement)
        assert row.end_date == date(2027, 1, 1) and row.timetable_weeks["2026-12-21"] == ["fri_pm"]
        (review,) = db.session.scalars(select(PlacementReview)).all()
        assert review.follow_up_on == date(2027, 2, 12)
        assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "reintegration.changed")) is not None
    with freeze_time("2027-01-04 10:00:00"):  # finished: read only
        browser.sign_in(setting["ap_lead"])
        page = html(browser.get(url))
        assert "The phased return has finished" in page and "<select" not in page


@freeze_time(NOW)
def test_only_the_schools_reviewers_write_it_and_another_school_sees_nothing(app, browser, new_browser, world, setting):
    placement = setting["placement"]
    url = PLAN.format(placement)
    browser.sign_in(setting["ap_lead"])
    page = html(browser.get(url))
    assert "A plan is written when a placement review chooses a phased return" in page
    assert "Record a review" in page
    response = browser.submit(url, _plan_form(*THREE_WEEKS))  # no review chose it
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalars(select(ReintegrationPlan)).all() == []
    browser.submit(f"/school/placements/{placement}/reviews/new", _review())

    attendance_lead = new_browser()
    attendance_lead.sign_in(setting["attendance_lead"])
    assert attendance_lead.get(url).status_code == 403
    outsider = new_browser()
    outsider.sign_in(world.user(world.school("Elsewhere High"), ["ap_lead"]))
    assert outsider.get(url).status_code == 404
    assert outsider.post(url, _plan_form(*THREE_WEEKS)).status_code == 404
    with app.app_context():
        assert db.session.scalars(select(ReintegrationPlan)).all() == []
        assert reintegration.plans_to_write(setting["school"])[0].id == placement


def test_two_plans_for_one_pupil_sent_at_the_same_moment_never_book_one_session_twice(app, new_browser, world, setting):
    """Jayden's two placements each get a phased return. Alone, each plan is fine; together, both put him somewhere
    on the first Friday morning. Sent at the same moment (two threads; the pupil's row is locked on PostgreSQL), one
    is saved and the other refused with the clash, never a 500 or both."""
    import threading

    placement = setting["placement"]
    other_provider = world.provider(setting["school"], "Southside Skills", ProviderStatus.APPROVED)
    with app.app_context():
        row = db.session.get(Placement, placement)
        row.timetable = [s for s in TIMETABLE_SLOTS if s not in ("wed_pm", "fri_am")]
        db.session.commit()
    southside = world.placement(
        setting["school"], other_provider, setting["pupil"], timetable=["wed_pm"], start=date(2026, 9, 7)
    )
    for each in (placement, southside):
        world.review(each, held_on=date(2026, 11, 30), outcome="phased", next_review_on=None)
    northside_weeks = [dict(week, wed_pm="none", fri_am="none") for week in THREE_WEEKS]
    northside_weeks[0]["fri_am"] = "school"
    southside_weeks = [{"wed_pm": "provider"}, {"wed_pm": "provider"}, _all("none")]
    southside_weeks[0]["fri_am"] = "provider"
    forms = [_plan_form(*northside_weeks), _plan_form(*southside_weeks)]
    urls = [PLAN.format(placement), PLAN.format(southside)]
    leads = []
    with freeze_time(NOW):
        for url in urls:
            lead = new_browser()
            lead.sign_in(world.user(setting["school"], ["ap_lead"]))
            assert lead.get(url).status_code == 200
            leads.append((lead, lead.token()))
        barrier = threading.Barrier(2)
        responses: list = [None, None]

        def send(index: int) -> None:
            lead, token = leads[index]
            barrier.wait(timeout=30)
            responses[index] = lead.client.post(urls[index], data={**forms[index], "csrf_token": token})

        threads = [threading.Thread(target=send, args=(i,)) for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200, 302], statuses
    (refused,) = [r for r in responses if r.status_code == 200]
    assert "Friday AM in the week beginning 7 December 2026" in html(refused)
    with app.app_context():
        assert len(db.session.scalars(select(ReintegrationPlan)).all()) == 1


def test_the_demo_shows_a_phased_return_once(app):
    """The demo's Kai Bennett: a review chose a phased return, and the plan (three weeks from next Monday) is written;
    seeding twice adds nothing."""
    runner = app.test_cli_runner()
    with freeze_time(DEMO_MOMENT):  # a Wednesday in term, never the wall clock's day
        seed_demo(app)
        assert runner.invoke(None, ["seed-demo"], catch_exceptions=False).exit_code == 0  # safe to run twice
    with app.app_context():
        (plan,) = db.session.scalars(select(ReintegrationPlan)).all()
        assert plan.starts_on == date(2026, 12, 7)  # the next Monday
        placement = db.session.get(Placement, plan.placement_id)
        assert placement.pupil.known_as == "Kai Bennett"
        assert placement.pupil.send_status == SendStatus.EHCP  # the demo's EHC plan pack
        assert len(plan.weeks) == 3 and plan.starts_on.weekday() == 0
        assert (placement.status, placement.end_destination) == (PlacementStatus.ENDED, "reintegrated")
        assert placement.end_date == plan.last_day
        review = db.session.get(PlacementReview, plan.review_id)
        assert review.outcome == "phased" and review.follow_up_on == plan.last_day + timedelta(weeks=6)
