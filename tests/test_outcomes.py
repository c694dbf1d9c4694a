"""A review that ends a placement (issue 15): the destination, including "not known", and a follow-up of it six
weeks after the end, on the AP lead's list when due until recorded. Frozen time (Europe/London)."""

from datetime import date
from html import unescape

import pytest
from freezegun import freeze_time
from sqlalchemy import select

from shared.extensions import db
from shared.models import AuditEvent, Placement, PlacementReview, PlacementStatus, ProviderStatus
from shared.services.placements import reviews
from tests.support.client import html

NOW = "2026-11-30 15:00:00"  # Monday 30 November 2026
FOLLOW_UP_DAY = "2027-01-15 09:00:00"  # six weeks after an end on 4 December 2026


@pytest.fixture
def setting(world):
    school = world.school("Hillside Academy")
    provider = world.provider(school, "Northside Learning", ProviderStatus.APPROVED)
    return {
        "school": school,
        "provider": provider,
        "ap_lead": world.user(school, ["ap_lead"]),
        "headteacher": world.user(school, ["headteacher"]),
    }


def _placement(world, setting, first_name="Jayden"):
    pupil = world.pupil(setting["school"], first_name=first_name, last_name="Marsh")
    return world.placement(setting["school"], setting["provider"], pupil, start=date(2026, 9, 7))


def _ending(destination="further_education", end=("4", "12", "2026")) -> dict:
    return {
        "held_on": ["30", "11", "2026"],
        "school_attendees": "J Patel (AP lead)",
        "attendance_notes": "Good.",
        "behaviour": "Settled.",
        "academic_progress": "Level 1 achieved.",
        "wellbeing": "Calmer.",
        "outcome": "cease",
        "end_date": list(end),
        "destination": destination,
        "next_review_on": ["", "", ""],
    }


def test_ending_sets_a_follow_up_six_weeks_after_the_end_through_the_end_placement_rules(app, browser, world, setting):
    placement = _placement(world, setting)
    url = f"/school/placements/{placement}/reviews/new"
    with freeze_time(NOW):
        browser.sign_in(setting["ap_lead"])
        page = html(browser.submit(url, _ending(end=("1", "9", "2026"))))  # before the start: mark_ended's check
        assert "The end date must be on or after the day the placement started" in page
        response = browser.submit(url, _ending(destination="not_known"))
        assert response.status_code == 302
        page = html(browser.get(response.location))
    assert "Destination: Not known" in page
    assert "Following up the destination" in page and "15 January 2027" in page
    with app.app_context():
        row = db.session.get(Placement, placement)
        assert (row.status, row.end_destination) == (PlacementStatus.ENDED, "not_known")
        (review,) = db.session.scalars(select(PlacementReview)).all()
        assert review.follow_up_on == date(2027, 1, 15) and review.followed_up_at is None
        assert reviews.follow_ups_due(setting["school"], date(2027, 1, 14)) == []
        assert [r.id for r in reviews.follow_ups_due(setting["school"], date(2027, 1, 15))] == [review.id]


def test_a_continue_review_sets_no_follow_up(app, world, setting):
    placement = _placement(world, setting)
    world.review(placement, held_on=date(2026, 10, 19), next_review_on=date(2026, 12, 3))
    with app.app_context():
        assert reviews.follow_ups_due(setting["school"], date(2027, 6, 1)) == []


def test_the_follow_up_is_on_the_ap_leads_list_when_due_until_recorded(app, browser, world, setting):
    placement = _placement(world, setting)
    review = world.review(
        placement,
        outcome="cease",
        end_date=date(2026, 12, 4),
        destination="further_education",
        follow_up_on=date(2027, 1, 15),
        next_review_on=None,
    )
    with app.app_context():
        db.session.get(Placement, placement).status = PlacementStatus.ENDED
        db.session.commit()
    with freeze_time("2027-01-14 09:00:00"):
        browser.sign_in(setting["ap_lead"])
        assert "destination" not in html(browser.get("/school/"))
    with freeze_time(FOLLOW_UP_DAY):
        browser.sign_in(setting["ap_lead"])
        home = unescape(html(browser.get("/school/")))
        assert "Follow up 1 pupil's destination: their placement ended 6 weeks ago or more" in home
        assert "Jayden" not in home  # a count and a link, never who
        assert f"/school/reviews/{review}" in home
        listing = html(browser.get("/school/reviews"))
        assert "Destinations to follow up" in listing and "Jayden Marsh" in listing
        assert "College, employment or training" in listing
        page = html(browser.post(f"/school/reviews/{review}/follow-up", {"notes": ""}))
        assert "Write what you found: where the pupil is now and how it is going" in page
        response = browser.post(f"/school/reviews/{review}/follow-up", {"notes": "At college, attending well."})
        assert response.status_code == 302
        page = html(browser.get(response.location))
        assert "Follow-up recorded" in page and "At college, attending well." in page
        assert "Follow up 1 pupil" not in html(browser.get("/school/"))
        assert "Destinations to follow up" not in html(browser.get("/school/reviews"))
        again = html(browser.post(f"/school/reviews/{review}/follow-up", {"notes": "Again"}))
        assert "already been followed up" in again
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "review.followed_up"))
        assert event is not None and event.details == {}


def test_only_reviewers_record_a_follow_up_and_another_schools_review_is_not_found(app, new_browser, world, setting):
    placement = _placement(world, setting)
    review = world.review(
        placement, outcome="cease", end_date=date(2026, 12, 4), destination="other", follow_up_on=date(2027, 1, 15)
    )
    with freeze_time(FOLLOW_UP_DAY):
        head = new_browser()
        head.sign_in(setting["headteacher"])
        page = html(head.get(f"/school/reviews/{review}"))
        assert "Following up the destination" in page and "Record the follow-up" not in page
        listing = html(head.get("/school/reviews"))
        assert "Destinations to follow up" in listing and "View review" in listing and "Follow up" not in listing
        assert head.post(f"/school/reviews/{review}/follow-up", {"notes": "x"}).status_code == 403
        outsider = new_browser()
        outsider.sign_in(world.user(world.school("Elsewhere High"), ["ap_lead"]))
        assert outsider.post(f"/school/reviews/{review}/follow-up", {"notes": "x"}).status_code == 404


def test_no_follow_up_for_a_review_that_did_not_end_the_placement(app, browser, world, setting):
    placement = _placement(world, setting)
    review = world.review(placement)
    with freeze_time(NOW):
        browser.sign_in(setting["ap_lead"])
        assert "Following up the destination" not in html(browser.get(f"/school/reviews/{review}"))
        page = html(browser.post(f"/school/reviews/{review}/follow-up", {"notes": "x"}))
        assert "there is no destination to follow up" in page
