"""In Debian's Chromium (issue 15, progress at the review): the AP lead opens the review form of a placement with a
baseline and a progress report and reads them above the form; the provider's manager opens the report it sent from
the pupil's page. axe-core finds no WCAG 2.2 AA violations (tests/test_browser.py's check_page).

The live server runs on the real clock, so the school's term is placed around today."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from shared.extensions import db
from shared.models import Placement, ProgressPhoto, ProviderStatus, User
from shared.roles import AP_LEAD, PROVIDER_MANAGER, PROVIDER_STAFF
from shared.services.placements import progress
from tests.test_browser import check_page, sign_in_with_code

pytestmark = pytest.mark.browser

SCHOOL = "Riverside Community School"
PROVIDER = "Northside Learning Centre"


def test_the_ap_lead_reads_progress_at_the_review_and_the_provider_reads_its_report(world, app, new_page):
    today = date.today()
    school = world.school(SCHOOL)
    world.term(school, start=today - timedelta(days=70), end=today + timedelta(days=100), name="This term")
    provider = world.provider(school, PROVIDER, ProviderStatus.APPROVED)
    pupil = world.pupil(school, first_name="Jayden", last_name="Walsh")
    placement = world.placement(
        school, provider, pupil, start=today - timedelta(days=60), intended_outcomes="Read at age 12\nAttend 90%"
    )
    writer = world.user(provider, [PROVIDER_STAFF])
    with app.app_context():
        progress.record_baseline(
            db.session.get(Placement, placement),
            {
                "english": "Reads at age 9",
                "maths": "Secure in times tables",
                "engagement": "Refuses written work",
                "attendance": "52% at school",
                "pupil_voice": "School is boring",
            },
            by=db.session.get(User, writer.id),
        )
    photo_id = world.progress_photo(placement, pupil_voice="I made a bird box")
    with app.app_context():
        report_id = db.session.get(ProgressPhoto, photo_id).report_id

    lead = world.user(school, [AP_LEAD], mfa=True)
    page = new_page()
    sign_in_with_code(page, lead)
    page.goto(f"/school/placements/{placement}/reviews/new")
    main = page.locator("main")
    expect(page.get_by_role("heading", name="Progress since the placement started")).to_be_visible()
    expect(main).to_contain_text("Reads at age 9")
    expect(main).to_contain_text("Read at age 12")
    expect(page.get_by_role("heading", name="This term")).to_be_visible()
    expect(main.locator("strong.govuk-tag", has_text="Making progress").first).to_be_visible()
    expect(main).not_to_contain_text("<strong")
    expect(main).to_contain_text("I made a bird box")
    expect(page.get_by_role("link", name="Download photo 1 of the pupil's work for This term")).to_be_visible()
    check_page(page, "review-form-progress", school=SCHOOL)

    manager = world.user(provider, [PROVIDER_MANAGER], mfa=True)
    page = new_page()
    sign_in_with_code(page, manager)
    page.goto(f"/portal/pupils/{placement}")
    page.get_by_role("link", name="This term progress report").click()
    expect(page).to_have_url(re.compile(rf"/portal/pupils/{placement}/progress-reports/{report_id}$"))
    main = page.locator("main")
    expect(page.get_by_role("heading", name="Progress report for This term")).to_be_visible()
    expect(main).to_contain_text("Read at age 12")
    expect(main).to_contain_text("I made a bird box")
    expect(main.locator("strong.govuk-tag", has_text="Making progress").first).to_be_visible()
    expect(main).to_contain_text("work.png")
    check_page(page, "provider-sent-progress-report", school=SCHOOL)
