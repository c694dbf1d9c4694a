"""Placement reviews (due dates, due/overdue flags, figures filled in from the marks and incidents, the outcome; cease
ends the placement) and the AP lead's site visits. Frozen time (the school's clock is Europe/London)."""

import re
from datetime import UTC, date, datetime

import pytest
from freezegun import freeze_time
from sqlalchemy import select

from shared.extensions import db
from shared.models import AuditEvent, Placement, PlacementReview, PlacementStatus, ProviderStatus, SiteVisit
from shared.services.attendance.marks import MarkEntry, record_mark
from shared.services.placements import reviews
from tests.support.client import html

NOW = "2026-11-30 15:00:00"  # Monday 30 November 2026, in term
TODAY = date(2026, 11, 30)


@pytest.fixture
def setting(world):
    school = world.school("Hillside Academy")
    provider = world.provider(school, "Northside Learning", ProviderStatus.APPROVED)
    return {
        "school": school,
        "provider": provider,
        "site": world.site(provider, "Workshop site"),
        "ap_lead": world.user(school, ["ap_lead"]),
        "sendco": world.user(school, ["sendco"]),
        "headteacher": world.user(school, ["headteacher"]),
    }


def _pupil(world, setting, first_name: str, **placement_fields):
    pupil = world.pupil(setting["school"], first_name=first_name, last_name="Marsh")
    return world.placement(setting["school"], setting["provider"], pupil, **placement_fields)


def test_reviews_fall_due_every_interval_from_the_start_then_on_the_date_the_last_review_set(app, world, setting):
    overdue = _pupil(world, setting, "Olly", start=date(2026, 9, 7))  # due 19 October
    due = _pupil(world, setting, "Dee", start=date(2026, 10, 26))  # due 7 December: within 7 days
    later = _pupil(world, setting, "Lou", start=date(2026, 11, 16))  # due 28 December
    eight_weekly = _pupil(world, setting, "Ezra", start=date(2026, 9, 7), review_interval_weeks=8)  # 2 November
    reviewed = _pupil(world, setting, "Rae", start=date(2026, 9, 7))
    world.review(reviewed, held_on=date(2026, 10, 19), next_review_on=date(2026, 12, 3))
    _pupil(world, setting, "Ended", start=date(2026, 9, 7), status="ended")  # not running: not listed
    with app.app_context():
        rows = {r.placement.id: r for r in reviews.due_reviews(setting["school"], TODAY)}
        assert set(rows) == {overdue, due, later, eight_weekly, reviewed}
        assert (rows[overdue].due_on, rows[overdue].state) == (date(2026, 10, 19), reviews.ReviewState.OVERDUE)
        assert (rows[due].due_on, rows[due].state) == (date(2026, 12, 7), reviews.ReviewState.DUE)
        assert (rows[later].due_on, rows[later].state) == (date(2026, 12, 28), reviews.ReviewState.SCHEDULED)
        assert rows[eight_weekly].due_on == date(2026, 11, 2)
        assert (rows[reviewed].due_on, rows[reviewed].state) == (date(2026, 12, 3), reviews.ReviewState.DUE)
        placement = db.session.get(Placement, overdue)
        assert reviews.next_review_due(placement, None) == date(2026, 10, 19)
        assert reviews.state_of(date(2026, 12, 7), TODAY) == reviews.ReviewState.DUE
        assert reviews.state_of(date(2026, 12, 8), TODAY) == reviews.ReviewState.SCHEDULED
        assert reviews.state_of(date(2026, 11, 29), TODAY) == reviews.ReviewState.OVERDUE


@freeze_time(NOW)
def test_the_reviews_page_flags_due_and_overdue(app, browser, world, setting):
    _pupil(world, setting, "Olly", start=date(2026, 9, 7))
    _pupil(world, setting, "Dee", start=date(2026, 10, 26))
    browser.sign_in(setting["headteacher"])
    page = html(browser.get("/school/reviews"))
    assert "Olly Marsh" in page and "Dee Marsh" in page
    assert "19 October 2026" in page and "7 December 2026" in page
    assert page.index("Olly Marsh") < page.index("Dee Marsh")  # soonest first
    olly_row, dee_row = page.split("Olly Marsh")[1].split("Dee Marsh")
    assert "Overdue" in olly_row and "govuk-tag--red" in olly_row
    assert "Due" in dee_row and "Overdue" not in dee_row
    assert "Record a review" not in page  # the AP lead's and SENDCO's job


def _marks(app, placement_id):
    """Four marked sessions in the placement's first week: three attended, one absent (illness): 75%."""
    with freeze_time("2026-11-24 16:00:00"), app.app_context():
        placement = db.session.get(Placement, placement_id)
        for day, session, entry in (
            (date(2026, 11, 23), "AM", MarkEntry.parse("present")),
            (date(2026, 11, 23), "PM", MarkEntry.parse("late", 10)),
            (date(2026, 11, 24), "AM", MarkEntry.parse("present")),
            (date(2026, 11, 24), "PM", MarkEntry.parse("absent", reason="illness")),
        ):
            record_mark(placement, day, session, entry, by=None)


def _review_form(**changes) -> dict:
    data = {
        "held_on": ["30", "11", "2026"],
        "school_attendees": "J Patel (AP lead)",
        "provider_attendees": "S Tutor",
        "parents_attendees": "Mrs Marsh",
        "pupil_attendee": "Attended",
        "attendance_notes": "One day off ill.",
        "behaviour": "Settled after the first day.",
        "academic_progress": "Working towards a level 1 in construction.",
        "wellbeing": "Says he feels calmer.",
        "pupil_voice": "I like the workshop.",
        "outcome": "continue",
        "next_review_on": ["11", "1", "2027"],
    }
    data.update(changes)
    return data


@freeze_time(NOW)
def test_recording_a_review_fills_in_attendance_and_incidents_from_the_data(app, browser, world, setting):
    placement = _pupil(world, setting, "Jayden", start=date(2026, 11, 23))
    _marks(app, placement)
    world.incident(placement, occurred_at=datetime(2026, 11, 24, 10, 0, tzinfo=UTC))
    world.incident(placement, occurred_at=datetime(2026, 12, 1, 10, 0, tzinfo=UTC))  # after the review date
    browser.sign_in(setting["sendco"])
    url = f"/school/placements/{placement}/reviews/new"
    page = html(browser.get(url))
    assert "75.0%" in page and "From 23 November 2026 to 30 November 2026" in page
    assert 'value="11"' in page and 'value="2027"' in page  # the next review defaults to 6 weeks on

    page = html(browser.submit(url, {}))
    for message in ("Enter the date the review was held", "Enter who attended from the school", "Choose the outcome"):
        assert message in page, message
    page = html(browser.submit(url, _review_form(outcome="adjust")))
    assert "Say what changes in the placement" in page
    page = html(browser.submit(url, _review_form(next_review_on=["30", "11", "2026"])))
    assert "The next review must be after the date this review was held" in page
    with app.app_context():
        assert db.session.scalars(select(PlacementReview)).all() == []

    response = browser.submit(url, _review_form(outcome="adjust", changes="Add Wednesday afternoons."))
    assert response.status_code == 302  # to the targets, to set the new ones (tests/test_review_progress.py)
    with app.app_context():
        (review,) = db.session.scalars(select(PlacementReview)).all()
    page = html(browser.get(f"/school/reviews/{review.id}"))
    assert "75.0%" in page and "Add Wednesday afternoons." in page
    with app.app_context():
        review = db.session.get(PlacementReview, review.id)
        assert (review.attendance_percent, review.incident_count) == (75.0, 1)
        assert review.due_on == date(2027, 1, 4) and review.next_review_on == date(2027, 1, 11)
        assert review.attendees["parents"] == "Mrs Marsh"
        placement_row = db.session.get(Placement, placement)
        assert placement_row.status == PlacementStatus.ACTIVE
        assert reviews.next_review_due(placement_row, review) == date(2027, 1, 11)
        # The next review's figures start the day after this one.
        assert reviews.figures(placement_row, review, date(2026, 12, 4)).start == date(2026, 12, 1)
        assert reviews.figures(placement_row, review, date(2026, 12, 4)).incident_count == 1
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "review.recorded"))
        assert event.details == {"outcome": "adjust"}
    assert "11 January 2027" in html(browser.get("/school/reviews"))


@freeze_time(NOW)
def test_cease_ends_the_placement_with_a_date_and_destination(app, browser, world, setting):
    placement = _pupil(world, setting, "Jayden", start=date(2026, 9, 7))
    browser.sign_in(setting["ap_lead"])
    url = f"/school/placements/{placement}/reviews/new"
    page = html(browser.submit(url, _review_form(outcome="cease", next_review_on=["", "", ""])))
    assert "Enter the date the placement ends" in page
    page = html(browser.submit(url, _review_form(outcome="cease", end_date=["4", "12", "2026"])))
    assert "Choose where the pupil goes when the placement ends" in page
    response = browser.submit(
        url,
        _review_form(
            outcome="cease", end_date=["4", "12", "2026"], destination="reintegrated", next_review_on=["", "", ""]
        ),
    )
    assert response.status_code == 302
    page = html(browser.get(response.location))
    assert "The placement has ended" in page and "Back at school full time (reintegrated)" in page
    with app.app_context():
        row = db.session.get(Placement, placement)
        assert row.status == PlacementStatus.ENDED
        assert (row.end_date, row.end_destination) == (date(2026, 12, 4), "reintegrated")
        (review,) = db.session.scalars(select(PlacementReview)).all()
        assert review.next_review_on is None and review.due_on == date(2026, 10, 19)
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "placement.ended"))
        assert event.details == {"destination": "reintegrated"}
    assert "Jayden Marsh" not in html(browser.get("/school/reviews"))
    assert "nothing to review" in html(browser.get(url))
    response = browser.post(url, _review_form())
    assert "Reviews are recorded for running placements only" in html(response)


@freeze_time(NOW)
def test_a_review_of_another_schools_placement_is_not_found(app, new_browser, world, setting):
    placement = _pupil(world, setting, "Jayden")
    review = world.review(placement)
    outsider = new_browser()
    outsider.sign_in(world.user(world.school("Elsewhere High"), ["ap_lead"]))
    assert outsider.get(f"/school/placements/{placement}/reviews/new").status_code == 404
    assert outsider.get(f"/school/reviews/{review}").status_code == 404
    assert "Jayden" not in html(outsider.get("/school/reviews"))


@freeze_time(NOW)
def test_the_ap_lead_records_a_site_visit(app, browser, new_browser, world, setting):
    placement = _pupil(world, setting, "Jayden")
    other_provider = world.provider(setting["school"], "Southside Skills", ProviderStatus.APPROVED)
    elsewhere = world.placement(setting["school"], other_provider)
    browser.sign_in(setting["ap_lead"])
    url = f"/school/providers/{setting['provider']}/visits/new"
    page = html(browser.get(url))
    assert "Jayden Marsh" in page and "Workshop site" in page

    page = html(browser.submit(url, {"visited_on": ["", "", ""]}))
    assert "Enter the date of the visit" in page and "Write what you found" in page
    data = {
        "visited_on": ["27", "11", "2026"],
        "site_id": str(setting["site"]),
        "placement_ids": [str(placement)],
        "findings": "Calm workshop, two tutors for five pupils.",
        "actions": "Send the updated fire risk assessment by 11 December.",
    }
    page = html(browser.submit(url, {**data, "placement_ids": [str(elsewhere)]}))
    assert "Select only pupils placed with this provider" in page
    page = html(browser.submit(url, {**data, "visited_on": ["1", "12", "2026"]}))
    assert "The date of the visit must be today or in the past" in page
    with app.app_context():
        assert db.session.scalars(select(SiteVisit)).all() == []

    response = browser.submit(url, data)
    assert response.status_code == 302
    page = html(browser.get(response.location))
    assert "Visit to Northside Learning recorded" in page
    assert "Calm workshop" in page and "Jayden Marsh" in page and "Workshop site" in page
    with app.app_context():
        (visit,) = db.session.scalars(select(SiteVisit)).all()
        assert visit.pupils_seen == [str(placement)] and visit.site_id == setting["site"]
        assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "visit.recorded")) is not None

    head = new_browser()
    head.sign_in(setting["headteacher"])
    page = html(head.get("/school/visits"))
    assert "27 November 2026" in page and "Northside Learning" in page
    assert head.get(url).status_code == 403
    outsider = new_browser()
    outsider.sign_in(world.user(world.school("Elsewhere High"), ["ap_lead"]))
    assert outsider.get(f"/school/visits/{visit.id}").status_code == 404
    assert outsider.get(url).status_code == 404


def test_the_next_review_is_within_the_placements_interval_and_half_termly(app, new_browser, world, setting):
    """Issue 13: a next review 16 weeks away was accepted. It must be within the placement's interval (6, 7 or 8
    weeks) and so at least half-termly; the form suggests the last school day within it."""
    six_weekly = _pupil(world, setting, "Jayden", start=date(2026, 9, 7))
    eight_weekly = _pupil(world, setting, "Ezra", start=date(2026, 9, 7), review_interval_weeks=8)
    with freeze_time(NOW):
        browser = new_browser()
        browser.sign_in(setting["sendco"])
        url = f"/school/placements/{six_weekly}/reviews/new"
        page = html(browser.submit(url, _review_form(next_review_on=["22", "3", "2027"])))  # 16 weeks on
        assert (
            "The next review must be on or before Monday 11 January 2027: this placement is reviewed every 6 weeks, "
            "and reviews are at least half-termly"
        ) in page
        page = html(browser.submit(url, _review_form(next_review_on=["12", "1", "2027"])))  # a day too late
        assert "must be on or before Monday 11 January 2027" in page
        with app.app_context():
            assert db.session.scalars(select(PlacementReview)).all() == []
        assert browser.submit(url, _review_form(next_review_on=["11", "1", "2027"])).status_code == 302
        eight = f"/school/placements/{eight_weekly}/reviews/new"
        page = html(browser.submit(eight, _review_form(next_review_on=["26", "1", "2027"])))
        assert "must be on or before Monday 25 January 2027: this placement is reviewed every 8 weeks" in page
        assert browser.submit(eight, _review_form(next_review_on=["25", "1", "2027"])).status_code == 302
    with app.app_context():
        placement = db.session.get(Placement, six_weekly)
        # Six weeks from Monday 16 November is Monday 28 December, a bank holiday, as is Friday 25 December.
        assert reviews.suggested_next_review(placement, date(2026, 11, 16)) == date(2026, 12, 24)
    # Opened on a Sunday, the form suggests the Friday before the Sunday six weeks on.
    with freeze_time("2026-12-06 10:00:00"):
        browser = new_browser()
        browser.sign_in(setting["sendco"])
        page = html(browser.get(f"/school/placements/{six_weekly}/reviews/new"))
    boxes = re.findall(r'id="next_review_on-(day|month|year)" name="next_review_on" type="text" value="(\d+)"', page)
    assert boxes == [("day", "15"), ("month", "01"), ("year", "2027")]  # Friday 15 January 2027


@freeze_time(NOW)
def test_the_visits_page_and_the_provider_page_link_to_the_visit_form(app, new_browser, world, setting):
    """Issue 13: the Visits page said to open a provider, but nothing linked to the form."""
    url = f"/school/providers/{setting['provider']}/visits/new"
    lead = new_browser()
    lead.sign_in(setting["ap_lead"])
    page = html(lead.get("/school/visits"))
    assert f'<a class="govuk-link" href="{url}">Record a visit to Northside Learning</a>' in page
    assert f'href="{url}"' in html(lead.get(f"/school/providers/{setting['provider']}"))
    assert "<title>Record a site visit" in html(lead.get(url))
    # The headteacher reads visits but does not record them: no link to a form they cannot open.
    head = new_browser()
    head.sign_in(setting["headteacher"])
    assert "Record a visit" not in html(head.get("/school/visits"))


def test_each_placements_latest_review_is_the_one_held_last(app, world, setting):
    """reviews.latest_reviews (and with_latest_reviews) rank in SQL: the review held last wins, whatever order they
    were recorded in, and on the same day the one recorded last."""
    several = _pupil(world, setting, "Sev", start=date(2026, 9, 7))
    one = _pupil(world, setting, "Uno", start=date(2026, 9, 7))
    never = _pupil(world, setting, "Nev", start=date(2026, 11, 2))  # not reviewed yet
    _pupil(world, setting, "Ended", start=date(2026, 9, 7), status="ended")  # not asked for
    world.review(several, held_on=date(2026, 11, 16), next_review_on=date(2027, 1, 11))  # recorded first, held last
    world.review(several, held_on=date(2026, 10, 19), next_review_on=date(2026, 12, 1))
    world.review(one, held_on=date(2026, 10, 19), next_review_on=date(2026, 12, 14))
    same_day_first = world.review(one, held_on=date(2026, 11, 2), next_review_on=date(2026, 12, 21))
    same_day_last = world.review(one, held_on=date(2026, 11, 2), next_review_on=date(2027, 1, 4))
    with app.app_context():
        db.session.get(PlacementReview, same_day_first).recorded_at = datetime(2026, 11, 2, 10, tzinfo=UTC)
        db.session.get(PlacementReview, same_day_last).recorded_at = datetime(2026, 11, 2, 15, tzinfo=UTC)
        db.session.commit()
        latest = reviews.latest_reviews([several, one])
        assert latest[several].held_on == date(2026, 11, 16)
        assert latest[several].next_review_on == date(2027, 1, 11)
        assert latest[one].id == same_day_last
        assert reviews.latest_reviews([]) == {}
        # with_latest_reviews: the same latest reviews, read with the placements in one query; None before the first.
        found = {
            placement.id: review
            for placement, review in reviews.with_latest_reviews(
                Placement.school_id == setting["school"], Placement.status == PlacementStatus.ACTIVE
            )
        }
        assert found == {several: latest[several], one: latest[one], never: None}
