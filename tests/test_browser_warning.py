"""In Debian's Chromium (issue 15, early warning): the DSL follows "placements show early warning signs" from their
list to the early warning page and sees each sign with its reason, the concern included; the AP lead sees the
same page without it. axe-core finds no WCAG 2.2 AA violations (tests/test_browser.py's check_page).

The live server runs on the real clock, so the marks and incidents are placed relative to today."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from playwright.sync_api import expect

from shared.models import ProviderStatus
from shared.roles import AP_LEAD, DSL
from tests.test_browser import check_page, sign_in_with_code
from tests.test_early_warning import _marks

pytestmark = pytest.mark.browser

SCHOOL = "Riverside Community School"
PROVIDER = "Northside Learning Centre"


def test_the_dsl_and_the_ap_lead_follow_their_lists_to_the_early_warning_page(world, app, new_page):
    today = date.today()
    this_monday = today - timedelta(days=today.weekday())
    now = datetime.now(UTC)
    school = world.school(SCHOOL)
    provider = world.provider(school, PROVIDER, ProviderStatus.APPROVED)
    falling = world.placement(school, provider, world.pupil(school, first_name="Jayden", last_name="Walsh"))
    for weeks_ago, attended in ((3, 10), (2, 7), (1, 4)):
        _marks(app, falling, this_monday - timedelta(weeks=weeks_ago), attended)
    for days_ago in (1, 2, 3):
        world.incident(falling, occurred_at=now - timedelta(days=days_ago))
    concerned = world.placement(school, provider, world.pupil(school, first_name="Maya", last_name="Patel"))
    world.concern(concerned, sent_at=now - timedelta(days=2), what_happened="Said she was scared to go home.")
    for placement in (falling, concerned):  # signed by both DSLs: no risk-assessment sign
        world.risk_assessment(placement, signed=True)

    dsl = world.user(school, [DSL])
    page = new_page()
    sign_in_with_code(page, dsl)
    task = "2 placements show early warning signs: see why"
    expect(page.locator("main")).to_contain_text(task)
    for name in ("Jayden", "Maya"):
        expect(page.locator("main")).not_to_contain_text(name)  # the home page names no one
    page.get_by_role("link", name=re.compile(task)).click()
    expect(page).to_have_url(re.compile(r"/school/placements/early-warning$"))
    main = page.locator("main")
    expect(page.get_by_role("heading", name=f"Jayden Walsh at {PROVIDER}")).to_be_visible()
    expect(main).to_contain_text("Attendance fell each week for 3 school weeks: 100% in the week of")
    expect(main).to_contain_text("40%")
    expect(main).to_contain_text("3 incidents in the last 14 days, up from 0 in the 14 days before.")
    expect(page.get_by_role("heading", name=f"Maya Patel at {PROVIDER}")).to_be_visible()
    expect(main).to_contain_text("A safeguarding concern was sent to the school in the last 14 days")
    expect(main).not_to_contain_text("scared")
    page.get_by_text("How these signs are decided").click()
    expect(main).to_contain_text("at least 10 percentage points below the first")
    check_page(page, "early-warning-dsl", school=SCHOOL)
    page.get_by_role("link", name="View placement of Jayden Walsh").click()
    expect(page).to_have_url(re.compile(rf"/school/placements/{falling}$"))

    lead = world.user(school, [AP_LEAD])
    page = new_page()
    sign_in_with_code(page, lead)
    task = "1 placement shows early warning signs: see why"
    expect(page.locator("main")).to_contain_text(task)
    page.get_by_role("link", name=re.compile(task)).click()
    main = page.locator("main")
    expect(page.get_by_role("heading", name=f"Jayden Walsh at {PROVIDER}")).to_be_visible()
    expect(main).not_to_contain_text("Maya")
    expect(main).not_to_contain_text("concern")
    check_page(page, "early-warning-ap-lead", school=SCHOOL)


def test_the_ap_lead_sees_what_changed_and_re_approves_a_provider(world, app, new_page, monkeypatch):
    from tests.test_reapproval import _all_done, _approved

    school = world.school(SCHOOL)
    provider = world.provider(school, PROVIDER, ProviderStatus.APPROVED)
    other = world.provider(school, "Riverside Studio", ProviderStatus.APPROVED)
    a_year_ago = datetime.now(UTC) - timedelta(days=370)
    _approved(world, school, provider, a_year_ago)
    _approved(world, school, other, a_year_ago - timedelta(days=30))
    world.staff_member(provider, "New Starter")
    world.incident(world.placement(school, provider), occurred_at=datetime.now(UTC) - timedelta(days=40))
    _all_done(monkeypatch)  # the live server runs in this process: the checklist as complete as approval needs

    lead = world.user(school, [AP_LEAD])
    page = new_page()
    sign_in_with_code(page, lead)
    task = "2 providers are due re-approval: approved 11 months ago or more"
    page.get_by_role("link", name=re.compile(task)).click()
    expect(page).to_have_url(re.compile(r"/school/providers/re-approval$"))
    expect(page.get_by_role("row").nth(1)).to_contain_text("Riverside Studio")  # longest since approval first
    check_page(page, "reapprovals-due", school=SCHOOL)
    page.get_by_role("link", name=re.compile(PROVIDER)).click()
    expect(page).to_have_url(re.compile(rf"/school/providers/{provider}/re-approval$"))
    main = page.locator("main")
    expect(main).to_contain_text("It is due re-approval.")
    expect(page.get_by_role("heading", name="What changed since that approval")).to_be_visible()
    expect(main).to_contain_text("Staff added")
    expect(main).not_to_contain_text("concern")
    check_page(page, "reapproval-provider", school=SCHOOL)

    page.get_by_role("button", name="Re-approve for another year").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Write notes for the record")
    check_page(page, "reapproval-provider-error", school=SCHOOL)
    page.get_by_label("Notes for the record").fill("Visited last month; staff list and evidence checked.")
    page.get_by_role("button", name="Re-approve for another year").click()
    expect(page).to_have_url(re.compile(rf"/school/providers/{provider}$"))
    expect(main).to_contain_text(f"{PROVIDER} is re-approved for another year")
    expect(main).to_contain_text("Visited last month; staff list and evidence checked.")
    page.goto("/school/")
    expect(page.locator("main")).to_contain_text("1 provider is due re-approval")
