"""Issue 13, the staff list, in Chromium: the AP lead opens a provider, reads its staff list as a single central
record, sees a flag and accepts it with a reason; the provider sees the flag and a DBS status check's new
information as a warning. axe finds no WCAG 2.2 AA violations on the new and changed pages."""

from __future__ import annotations

import re
from datetime import date

import pytest
from playwright.sync_api import expect

from shared.roles import AP_LEAD, PROVIDER_MANAGER
from tests.test_browser import PROVIDER, SCHOOL, check_page, sign_in_with_code

pytestmark = pytest.mark.browser


def test_ap_lead_reads_the_staff_list_sees_a_flag_and_accepts_it_with_a_reason(world, new_page):
    page = new_page()
    school = world.school(SCHOOL)
    provider = world.provider(school, PROVIDER)
    world.staff_member(provider, "Sam Tutor", start_date=date(2024, 9, 2))
    world.staff_member(provider, "Jo Volunteer", dbs="001234567840", right_to_work_checked=False)
    lead = world.user(school, [AP_LEAD])
    sign_in_with_code(page, lead)
    expect(page).to_have_url(re.compile(r"/school/$"))
    tasks = page.locator(".govuk-task-list")
    expect(tasks).to_contain_text("1 weak check on providers' staff lists needs your decision")

    # The provider's page leads to the staff list; the list is a single central record.
    page.goto("/school/providers")
    expect(page.locator("table")).to_contain_text("Staff flags")
    check_page(page, "school-providers-flagged")
    page.get_by_role("link", name=PROVIDER).click()
    expect(page.locator("body")).to_contain_text("1 open flag")
    check_page(page, "school-provider-flagged")
    page.get_by_role("link", name="See the staff list and the checks made").click()
    expect(page).to_have_url(re.compile(rf"/school/providers/{provider}/staff$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Staff list")
    card = page.locator(".govuk-summary-card", has_text="Sam Tutor")
    expect(card).to_contain_text("Number ending 7891, issued 10 January 2025")
    expect(card).to_contain_text("2 September 2024")
    expect(page.locator("body")).not_to_contain_text("001234567891")
    flagged = page.locator(".govuk-summary-card", has_text="Jo Volunteer")
    expect(flagged).to_contain_text("No right-to-work check")
    expect(page.locator(".govuk-warning-text")).to_contain_text("1 weak check is flagged below")
    check_page(page, "school-provider-staff")

    # Decide on the flag: the reason is required, then it is accepted and on the record.
    flagged.get_by_role("link", name="Decide").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Decide on a flag")
    check_page(page, "school-staff-flag-decision")
    page.get_by_role("button", name="Record your decision").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Choose what you have done")
    check_page(page, "school-staff-flag-decision-errors")
    page.get_by_label("I accept it: they may work with our pupils").check()
    page.get_by_label("Your reason").fill("Passport and share code seen on our visit of 2 December.")
    page.get_by_role("button", name="Record your decision").click()
    expect(page).to_have_url(re.compile(rf"/school/providers/{provider}/staff$"))
    banner = page.locator(".govuk-notification-banner")
    expect(banner).to_contain_text("Your decision on Jo Volunteer's flag is accepted")
    expect(flagged).to_contain_text("Accepted by Test ap_lead")
    expect(flagged).to_contain_text("Passport and share code seen on our visit of 2 December.")
    expect(page.locator(".govuk-warning-text")).to_have_count(0)
    check_page(page, "school-provider-staff-accepted")


def test_provider_sees_its_flags_and_new_information_as_a_warning(world, new_page):
    page = new_page()
    school = world.school(SCHOOL)
    provider = world.provider(school, PROVIDER)
    member = world.staff_member(provider, "Jo Volunteer", dbs="001234567840")
    manager = world.user(provider, [PROVIDER_MANAGER], mfa=True)
    sign_in_with_code(page, manager)
    page.goto(f"/portal/onboarding/staff/{member}/status-check")
    page.get_by_label("Certificate holder's current surname").fill("Volunteer")
    page.get_by_label("Day").fill("2")
    page.get_by_label("Month").fill("3")
    page.get_by_label("Year").fill("1990")
    page.get_by_role("button", name="Run status check").click()
    banner = page.locator(".govuk-notification-banner")
    expect(banner).to_contain_text("Warning")
    expect(banner).not_to_contain_text("Success")
    expect(banner).to_contain_text("the DBS has new information about this person")
    expect(page.locator("table")).to_contain_text("The DBS Update Service has new information about this person")
    expect(page.locator(".govuk-warning-text")).to_contain_text("1 check is flagged below")
    check_page(page, "portal-staff-flagged", school=SCHOOL)
