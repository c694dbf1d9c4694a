"""In Debian's Chromium (issue 15, review outcomes): the AP lead records a review that ends a placement with the
pupil's destination; the destination follow-up, six weeks after the end, is on their list, and they record it.
axe-core finds no WCAG 2.2 AA violations (tests/test_browser.py's check_page).

The live server runs on the real clock, so the placement ended (as the review records) six weeks before today."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from shared.models import ProviderStatus
from shared.roles import AP_LEAD
from tests.test_browser import check_page, sign_in_with_code

pytestmark = pytest.mark.browser

SCHOOL = "Riverside Community School"
PROVIDER = "Northside Learning Centre"


def _date(page, name: str, day: date) -> None:
    boxes = page.locator(f"input[name={name}]")
    for index, value in enumerate((day.day, day.month, day.year)):
        boxes.nth(index).fill(str(value))


def test_a_review_ends_the_placement_and_the_destination_follow_up_appears(world, app, new_page):
    today = date.today()
    ended = today - timedelta(weeks=6)
    school = world.school(SCHOOL)
    provider = world.provider(school, PROVIDER, ProviderStatus.APPROVED)
    pupil = world.pupil(school, first_name="Jayden", last_name="Walsh")
    placement = world.placement(school, provider, pupil, start=today - timedelta(weeks=14))
    lead = world.user(school, [AP_LEAD])

    page = new_page()
    sign_in_with_code(page, lead)
    page.goto(f"/school/placements/{placement}/reviews/new")
    _date(page, "held_on", today)
    page.get_by_label("School staff").fill("J Patel (AP lead)")
    page.get_by_label("Attendance", exact=True).fill("Attended well until the end.")
    page.get_by_label("Behaviour").fill("Settled.")
    page.get_by_label("Academic progress").fill("Level 1 in construction achieved.")
    page.get_by_label("Wellbeing").fill("Calmer.")
    page.get_by_label("End the placement").check()
    _date(page, "end_date", ended)
    page.get_by_label("College, employment or training").check()
    for box in page.locator("input[name=next_review_on]").all():
        box.fill("")
    page.get_by_role("button", name="Record review").click()

    main = page.locator("main")
    expect(main).to_contain_text("The placement has ended.")
    expect(main).to_contain_text("Destination: College, employment or training")
    expect(page.get_by_role("heading", name="Following up the destination")).to_be_visible()
    check_page(page, "review-ended-follow-up-due", school=SCHOOL)

    page.goto("/school/")
    task = "Follow up 1 pupil's destination: their placement ended 6 weeks ago or more"
    expect(main).to_contain_text(task)
    expect(main).not_to_contain_text("Jayden")  # the home page names no one
    page.get_by_role("link", name=re.compile(re.escape(task))).click()
    expect(page.get_by_text(f"Jayden Walsh at {PROVIDER}")).to_be_visible()
    page.get_by_role("button", name="Record the follow-up").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Write what you found")
    check_page(page, "review-follow-up-errors", school=SCHOOL)
    page.get_by_label("What you found").fill("At college on a construction course, attending well.")
    page.get_by_role("button", name="Record the follow-up").click()
    expect(main).to_contain_text("Follow-up recorded.")
    expect(main).to_contain_text("At college on a construction course, attending well.")
    page.goto("/school/")
    expect(main).not_to_contain_text("Follow up 1 pupil")
