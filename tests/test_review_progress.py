"""Progress at the review (issue 15): the school's review form shows the baseline, the targets and the progress
reports written since the last review; "adjust" takes the AP lead on to set the new targets; the provider reads a
report it sent again."""

import uuid
from datetime import date

import pytest
from freezegun import freeze_time

from shared.extensions import db
from shared.models import Placement, ProgressPhoto, ProviderStatus, User
from shared.roles import AP_LEAD, PROVIDER_DSL, PROVIDER_MANAGER, PROVIDER_STAFF
from shared.services.placements import progress
from shared.services.placements.progress import TargetProgress
from shared.services.school_calendar.half_terms import half_terms
from tests.support.client import html
from tests.test_early_warning import _autumn
from tests.test_progress import _signed_in

NOW = "2026-12-14 10:00:00"  # a Monday in the last week of the autumn term's second half
OUTCOMES = "Reading age up a year\nAttend 90% of sessions"


@pytest.fixture
def school(world, app):
    school = world.school("Demo School")
    _autumn(app, school)
    return school


@pytest.fixture
def provider(world, school):
    return world.provider(school, "Hill Farm Learning", ProviderStatus.APPROVED)


@pytest.fixture
def placement(world, school, provider):
    pupil = world.pupil(school, first_name="Jamie", last_name="Smith")
    return world.placement(school, provider, pupil, intended_outcomes=OUTCOMES)


def _baseline(app, world, placement, provider) -> None:
    writer = world.user(provider, [PROVIDER_STAFF])
    with app.app_context():
        progress.record_baseline(
            db.session.get(Placement, placement),
            {
                "english": "Reads at age 9",
                "maths": "Secure in times tables",
                "engagement": "Refuses written work",
                "attendance": "52% at school",
                "pupil_voice": "I hate school",
            },
            by=db.session.get(User, writer.id),
        )


def _second_half_report(app, world, placement, provider, school, when: str) -> uuid.UUID:
    """The second half's report, written at `when`, with its own words."""
    writer = world.user(provider, [PROVIDER_STAFF])
    with freeze_time(when), app.app_context():
        p = db.session.get(Placement, placement)
        return progress.write_report(
            p,
            half_terms(school)[1],
            [TargetProgress(t, "met", f"Second half: {t}") for t in progress.targets_of(p)],
            units_achieved="Entry 3 reading unit",
            pupil_voice="I got my first certificate",
            by=db.session.get(User, writer.id),
        ).id


def _first_half_report(app, world, placement) -> ProgressPhoto:
    """The first half's report (with one photo, work.png), written on 20 October."""
    with freeze_time("2026-10-20 12:00:00"):
        photo_id = world.progress_photo(placement, pupil_voice="I like the workshop")
    with app.app_context():
        photo = db.session.get(ProgressPhoto, photo_id)
        db.session.expunge(photo)
        return photo


# --- the reports since the last review ------------------------------------------------------------------------------


def test_the_reports_since_the_last_review_or_since_the_start(app, world, school, provider, placement, statements):  # noqa: F811
    first = _first_half_report(app, world, placement)
    second = _second_half_report(app, world, placement, provider, school, "2026-12-11 12:00:00")
    with app.app_context():
        statements.clear()
        found = progress.reports_since_review(placement, None)
        assert len(statements) == 2  # the reports, then all their photos
        assert [(s.report.period_name, [p.display_name for p in s.photos]) for s in found] == [
            ("Autumn term, first half", ["work.png"]),
            ("Autumn term, second half", []),
        ]
        assert found[0].report.id == first.report_id and found[1].report.id == second
        # A review held on 20 October: the report written that day was before it (the figures start the day after).
        assert [s.report.id for s in progress.reports_since_review(placement, date(2026, 10, 20))] == [second]
        assert [s.report.id for s in progress.reports_since_review(placement, date(2026, 10, 19))] == [
            first.report_id,
            second,
        ]
        statements.clear()
        assert progress.reports_since_review(placement, date(2026, 12, 11)) == []
        assert len(statements) == 1  # no photos to look for


def test_the_review_form_shows_the_baseline_targets_and_the_reports_since_the_last_review(
    app, world, school, provider, placement, new_browser
):
    _baseline(app, world, placement, provider)
    photo = _first_half_report(app, world, placement)
    lead = world.user(school, [AP_LEAD])
    url = f"/school/placements/{placement}/reviews/new"
    with freeze_time(NOW):
        page = html(_signed_in(new_browser, lead).get(url))
    assert "Progress since the placement started" in page
    for words in ("Reads at age 9", "Secure in times tables", "Refuses written work", "52% at school", "I hate school"):
        assert words in page, words
    assert "<li>Reading age up a year</li>" in page and "<li>Attend 90% of sessions</li>" in page
    assert "Autumn term, first half" in page
    assert '<strong class="govuk-tag govuk-tag--grey">Making progress</strong> Steady' in page  # a tag, not its code
    assert "I like the workshop" in page and "Attendance (from the marks)" in page
    assert f'href="/school/placements/{placement}/progress-photos/{photo.id}"' in page
    assert page.index("Reads at age 9") < page.index('name="held_on')  # above the form

    # After a review held on 2 November, only the report written since.
    world.review(placement, held_on=date(2026, 11, 2), next_review_on=date(2026, 12, 14))
    with freeze_time(NOW):
        page = html(_signed_in(new_browser, lead).get(url))
    assert "Progress since the last review" in page and "No progress report since the last review." in page
    assert "I like the workshop" not in page and "Reads at age 9" in page
    _second_half_report(app, world, placement, provider, school, "2026-12-11 12:00:00")
    with freeze_time(NOW):
        page = html(_signed_in(new_browser, lead).get(url))
    assert "Autumn term, second half" in page and "I got my first certificate" in page and "Met" in page
    assert "Second half: Reading age up a year" in page and "Entry 3 reading unit" in page
    assert "Autumn term, first half" not in page


def test_without_a_baseline_or_reports_the_form_says_so(app, world, school, placement, new_browser):
    with freeze_time(NOW):
        page = html(
            _signed_in(new_browser, world.user(school, [AP_LEAD])).get(f"/school/placements/{placement}/reviews/new")
        )
    assert "The provider has not recorded the baseline." in page and "No progress report yet." in page


# --- adjust: on to the new targets ----------------------------------------------------------------------------------


def test_adjust_takes_the_ap_lead_on_to_set_the_new_targets(app, world, school, placement, new_browser):
    lead = world.user(school, [AP_LEAD])
    url = f"/school/placements/{placement}/reviews/new"
    form = {
        "held_on": ["14", "12", "2026"],
        "school_attendees": "J Patel (AP lead)",
        "provider_attendees": "S Tutor",
        "parents_attendees": "Mrs Smith",
        "pupil_attendee": "Attended",
        "attendance_notes": "Better since October.",
        "behaviour": "Settled.",
        "academic_progress": "Reading is improving.",
        "wellbeing": "Calmer.",
        "pupil_voice": "I want harder reading.",
        "outcome": "adjust",
        "changes": "New targets for reading and for attendance.",
        "next_review_on": ["25", "1", "2027"],
    }
    with freeze_time(NOW):
        browser = _signed_in(new_browser, lead)
        response = browser.submit(url, form)
        assert response.status_code == 302
        assert response.location.endswith(f"/school/placements/{placement}/targets")
        page = html(browser.get(response.location))
        assert "Review recorded. Now set the new targets agreed at the review." in page
        assert "Targets for the placement" in page and "Reading age up a year" in page
        response = browser.submit(response.location, {"targets": "Reading age up 18 months\nAttend 95%"})
        assert response.status_code == 302
    with app.app_context():
        assert progress.targets_of(db.session.get(Placement, placement)) == ["Reading age up 18 months", "Attend 95%"]
    # Continue still goes to the review recorded.
    with freeze_time(NOW):
        response = browser.submit(url, {**form, "outcome": "continue", "changes": ""})
    assert response.status_code == 302 and "/school/reviews/" in response.location


# --- the provider reads a report it sent ----------------------------------------------------------------------------


def test_the_provider_reads_a_report_it_sent_again(app, world, school, provider, placement, new_browser):
    photo = _first_half_report(app, world, placement)
    manager = world.user(provider, [PROVIDER_MANAGER])
    url = f"/portal/pupils/{placement}/progress-reports/{photo.report_id}"
    with freeze_time(NOW):
        browser = _signed_in(new_browser, manager)
        pupil_page = html(browser.get(f"/portal/pupils/{placement}"))
        assert f'href="{url}"' in pupil_page
        page = html(browser.get(url))
    assert "Progress report for Autumn term, first half" in page
    assert "Reading age up a year" in page and "&lt;strong" not in page
    assert '<strong class="govuk-tag govuk-tag--grey">Making progress</strong> Steady' in page
    assert "I like the workshop" in page and "work.png" in page
    assert "progress-photos" not in page and "<form" not in page.split('id="main-content"')[1]  # read-only, no download

    # A report of another of the provider's placements, through this placement: not found.
    other = world.placement(school, provider, world.pupil(school, first_name="Kai", last_name="Other"))
    other_photo = _first_half_report(app, world, other)
    with freeze_time(NOW):
        assert browser.get(f"/portal/pupils/{placement}/progress-reports/{other_photo.report_id}").status_code == 404
        assert browser.get(f"/portal/pupils/{other}/progress-reports/{other_photo.report_id}").status_code == 200
    # Another provider's manager: not found.
    elsewhere = world.provider(school, "Elsewhere Learning", ProviderStatus.APPROVED)
    with freeze_time(NOW):
        stranger = _signed_in(new_browser, world.user(elsewhere, [PROVIDER_MANAGER]))
        assert stranger.get(url).status_code == 404
    # The provider's DSL does not write or read the reports.
    with freeze_time(NOW):
        dsl = _signed_in(new_browser, world.user(provider, [PROVIDER_DSL]))
        assert dsl.get(url).status_code == 403


def test_an_unknown_report_is_not_found(app, world, provider, placement, new_browser):
    with freeze_time(NOW):
        browser = _signed_in(new_browser, world.user(provider, [PROVIDER_STAFF]))
        missing = "00000000-0000-4000-8000-000000000000"
        assert browser.get(f"/portal/pupils/{placement}/progress-reports/{missing}").status_code == 404
