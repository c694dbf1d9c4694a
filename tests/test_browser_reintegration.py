"""In Debian's Chromium (issue 15, reintegration): the AP lead records a review that chooses a phased return to
school, writes the reintegration plan week by week, and follows its link to the follow-up; the provider's manager
sees the phased weeks on the pupil's page. axe-core finds no WCAG 2.2 AA violations on each page
(tests/test_browser.py's check_page).

The live server runs on the real clock: the plan starts on the Monday after today, as the form suggests."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from shared.models import ProviderStatus
from shared.roles import AP_LEAD, PROVIDER_MANAGER
from tests.test_browser import PROVIDER, SCHOOL, check_page, sign_in_with_code

pytestmark = pytest.mark.browser


def _date(page, name: str, day: date) -> None:
    boxes = page.locator(f"input[name={name}]")
    for index, value in enumerate((day.day, day.month, day.year)):
        boxes.nth(index).fill(str(value))


def test_a_review_chooses_a_phased_return_and_the_plan_is_written_week_by_week(world, app, new_page):
    today = date.today()
    monday = today - timedelta(days=today.weekday()) + timedelta(weeks=1)
    school = world.school(SCHOOL)
    provider = world.provider(school, PROVIDER, ProviderStatus.APPROVED)
    pupil = world.pupil(school, first_name="Jayden", last_name="Walsh")
    placement = world.placement(
        school,
        provider,
        pupil,
        start=today - timedelta(weeks=14),
        timetable=["mon_am", "mon_pm", "tue_am", "tue_pm", "wed_am", "wed_pm", "thu_am", "thu_pm"],
    )
    lead = world.user(school, [AP_LEAD], mfa=True)
    manager = world.user(provider, [PROVIDER_MANAGER], mfa=True)

    page = new_page()
    sign_in_with_code(page, lead)
    page.goto(f"/school/placements/{placement}/reviews/new")
    check_page(page, "review-form-with-phased-return")
    _date(page, "held_on", today)
    page.get_by_label("School staff").fill("J Patel (AP lead)")
    page.get_by_label("Attendance", exact=True).fill("Attending every session.")
    page.get_by_label("Behaviour").fill("No incidents this half-term.")
    page.get_by_label("Academic progress").fill("Reading at age.")
    page.get_by_label("Wellbeing").fill("Ready to go back.")
    page.get_by_label("Start a phased return to school").check()
    for box in page.locator("input[name=next_review_on]").all():
        box.fill("")
    page.get_by_role("button", name="Record review").click()

    main = page.locator("main")
    expect(main).to_contain_text("Review recorded. Now write the reintegration plan")
    expect(page.get_by_role("heading", name="Write the reintegration plan")).to_be_visible()
    check_page(page, "reintegration-plan-write")

    # Three weeks, not the draft's four (a GET form: works without JavaScript too).
    page.get_by_label("How many weeks the phased return lasts").select_option("3")
    page.get_by_role("button", name="Show the weeks").click()
    expect(page.locator("select[id^=w3_]")).to_have_count(10)
    expect(page.locator("select[id^=w4_]")).to_have_count(0)

    page.get_by_role("button", name="Save the reintegration plan").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter who supports the pupil at school")
    check_page(page, "reintegration-plan-errors")
    page.get_by_label("Who supports the pupil at school").fill("Ms Okafor (pastoral lead) meets him each morning")
    page.get_by_label("Who supports from the provider").fill("S Tutor visits school in week 2")
    first = monday.strftime("%-d %B")
    # The draft hands the provider's sessions back a few a week; keep Monday morning at the provider in week 1.
    page.get_by_label(f"Week 1 ({first}), Monday AM").select_option("provider")
    page.get_by_label(f"Week 3 ({(monday + timedelta(weeks=2)).strftime('%-d %B')}), Friday PM").select_option("none")
    page.get_by_role("button", name="Save the reintegration plan").click()

    expect(main).to_contain_text("Reintegration plan saved")
    last_day = monday + timedelta(weeks=2, days=4)
    expect(main).to_contain_text(f"{last_day.strftime('%-d %B %Y')}: back at school full time")
    table = page.get_by_role("table", name=re.compile("Where the pupil is each session, week by week"))
    expect(table.get_by_role("row").nth(1)).to_contain_text("Provider")
    check_page(page, "reintegration-plan-saved")

    follow_up = (last_day + timedelta(weeks=6)).strftime("%-d %B %Y")
    page.get_by_role("link", name=f"Due {follow_up}").click()
    expect(main).to_contain_text("Start a phased return to school")
    expect(main).to_contain_text("Destination: Back at school full time (reintegrated)")
    page.get_by_role("link", name="Read the reintegration plan").click()
    expect(page.get_by_role("heading", name="Reintegration plan")).to_be_visible()
    page.goto(f"/school/placements/{placement}")
    page.get_by_role("link", name="Read the reintegration plan").click()
    expect(main).to_contain_text("Ms Okafor (pastoral lead)")

    provider_page = new_page()
    sign_in_with_code(provider_page, manager)
    provider_page.goto(f"/portal/pupils/{placement}")
    expect(provider_page.locator("main")).to_contain_text("Phased return to school")
    expect(provider_page.locator("main")).to_contain_text("S Tutor visits school in week 2")
    check_page(provider_page, "portal-pupil-phased-return")
