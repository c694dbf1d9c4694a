"""Issue 14, the local authority's directory, in Chromium: an LA officer searches the directory (a GET form, working
without JavaScript too), opens a provider, verifies a document its schools may rely on and records a QA visit; a
school's DSL sees the LA's visit and the one another school shared on the provider's page. axe finds no WCAG 2.2 AA
violations on each new page."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from shared.clock import today
from shared.models import ProviderStatus
from tests.test_browser import check_page, fill_date, sign_in_with_code, sign_out

pytestmark = pytest.mark.browser

LA = "Demo Borough Council"
HILLSIDE = "Hillside School"
RIVERSIDE = "Riverside Community School"
NORTHSIDE = "Northside Learning Centre"


def _area(world):
    la = world.local_authority(LA)
    hillside = world.school(HILLSIDE, local_authority_id=la)
    riverside = world.school(RIVERSIDE, local_authority_id=la)
    northside = world.provider(hillside, NORTHSIDE, ProviderStatus.APPROVED, provider_type="unregistered_ap")
    world.works_with(riverside, northside, ProviderStatus.APPROVED)
    world.provider(riverside, "Eastgate Tuition", ProviderStatus.SUBMITTED, provider_type="tutor")
    world.site(northside, "Workshop")  # in Exampleton, EX1 1AA: "English and maths"
    return la, hillside, riverside, northside


def test_an_la_officer_searches_verifies_and_records_a_visit_and_a_school_dsl_sees_it(world, new_page):
    la, hillside, riverside, northside = _area(world)
    document = world.document(northside, "behaviour_policy")
    world.visit(northside, school_id=hillside, shared=True, findings="Hillside's shared findings: calm workshop.")
    world.visit(northside, school_id=hillside, findings="Hillside's private notes.")
    officer = world.user(la, ["la_officer"])
    page = new_page()
    sign_in_with_code(page, officer)

    # The directory, from the menu; searched by area, type and what they offer.
    page.goto("/la/")
    page.get_by_role("link", name="Directory of providers").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Directory of providers")
    expect(page.locator("table")).to_contain_text(NORTHSIDE)
    expect(page.locator("table")).to_contain_text("Eastgate Tuition")
    check_page(page, "la-directory", school=LA)
    page.get_by_label("Area").fill("EX1")
    page.get_by_label("Type of provider").select_option(label="Unregistered alternative provision")
    page.get_by_label("What they offer").fill("maths")
    page.get_by_role("button", name="Search").click()
    expect(page).to_have_url(re.compile(r"/la/directory\?area=EX1&type=unregistered_ap&offer=maths"))
    expect(page.get_by_role("heading", name="1 provider found")).to_be_visible()
    row = page.locator("tbody tr", has_text=NORTHSIDE)
    expect(row).to_contain_text("0 of 8")
    expect(row).to_contain_text(f"{HILLSIDE}: Approved")
    expect(row).to_contain_text(f"{RIVERSIDE}: Approved")
    expect(page.locator("table")).not_to_contain_text("Eastgate Tuition")
    check_page(page, "la-directory-search", school=LA)
    page.get_by_label("What they offer").fill("knitting")
    page.get_by_role("button", name="Search").click()
    expect(page.locator("main")).to_contain_text("No provider your schools use matches")
    check_page(page, "la-directory-none-found", school=LA)

    # The provider's page: its evidence and who verified it, and the visits shared with the LA.
    page.goto("/la/directory")
    page.get_by_role("link", name=NORTHSIDE).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(NORTHSIDE)
    expect(page.locator("main")).to_contain_text("Hillside's shared findings")
    expect(page.locator("main")).not_to_contain_text("Hillside's private notes")
    check_page(page, "la-directory-provider", school=LA)

    # Verify the behaviour policy: the checklist first.
    page.get_by_role("link", name="Behaviour policy").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Behaviour policy")
    check_page(page, "la-evidence-review", school=LA)
    page.get_by_role("button", name="Verify document").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Work through the checklist before verifying")
    check_page(page, "la-evidence-review-errors", school=LA)
    page.get_by_label("Reviewed within the last 12 months").check()
    page.get_by_label("Covers use of reasonable force and how it is recorded").check()
    with world.app.app_context():
        reviewed = today() - timedelta(days=30)
    fill_date(page, "Date the document was last reviewed", reviewed)
    page.get_by_role("button", name="Verify document").click()
    expect(page).to_have_url(re.compile(rf"/la/directory/{northside}$"))
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Behaviour policy verified")
    evidence_row = page.locator("tr", has_text="Behaviour policy")
    expect(evidence_row).to_contain_text("Verified")
    expect(evidence_row).to_contain_text(LA)
    assert document  # the one verified

    # Record a QA visit.
    page.get_by_role("link", name="Record a visit").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Record a quality-assurance visit")
    check_page(page, "la-record-visit", school=LA)
    page.get_by_role("button", name="Record visit").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Write what you found")
    check_page(page, "la-record-visit-errors", school=LA)
    page.get_by_label("Findings").fill("Meets the national standards for non-school AP.")
    page.get_by_label("Actions").fill("Update the fire log by the end of term.")
    page.get_by_role("button", name="Record visit").click()
    expect(page).to_have_url(re.compile(rf"/la/directory/{northside}$"))
    expect(page.locator("main")).to_contain_text("Meets the national standards for non-school AP.")
    check_page(page, "la-directory-provider-visited", school=LA)
    sign_out(page)

    # Riverside's DSL sees the LA's visit and Hillside's shared one on the provider's page, not Hillside's private.
    dsl = world.user(riverside, ["dsl"])
    sign_in_with_code(page, dsl)
    page.goto(f"/school/providers/{northside}")
    shared = page.locator("main")
    expect(shared).to_contain_text("Visits shared by other schools and the LA")
    expect(shared).to_contain_text("Meets the national standards for non-school AP.")
    expect(shared).to_contain_text("Hillside's shared findings: calm workshop.")
    expect(shared).not_to_contain_text("Hillside's private notes.")
    check_page(page, "school-provider-shared-visits", school=RIVERSIDE)


def test_a_school_ap_lead_shares_a_visit_from_the_visit_form(world, new_page):
    la, hillside, riverside, northside = _area(world)
    lead = world.user(hillside, ["ap_lead"])
    page = new_page()
    sign_in_with_code(page, lead)
    page.goto(f"/school/providers/{northside}/visits/new")
    share = page.get_by_label("Share with the other schools using this provider and the local authority")
    expect(share).not_to_be_checked()
    check_page(page, "school-record-visit-share", school=HILLSIDE)
    page.get_by_label("Findings").fill("Good practical teaching in the workshop.")
    share.check()
    page.get_by_role("button", name="Record visit").click()
    expect(page.locator("main")).to_contain_text("With the other schools using this provider and the local authority")
    check_page(page, "school-visit-shared", school=HILLSIDE)


def test_the_directory_pages_through_many_providers(world, new_page):
    la, hillside, riverside, northside = _area(world)
    for n in range(30):
        world.provider(riverside if n % 2 else hillside, f"Provider {n:02}", provider_type="tutor")
    officer = world.user(la, ["la_officer"])
    page = new_page()
    sign_in_with_code(page, officer)
    page.goto("/la/directory?type=tutor")
    expect(page.locator("main")).to_contain_text("31 providers found")
    expect(page.locator("main")).to_contain_text("Showing 1 to 25, page 1 of 2.")
    check_page(page, "la-directory-paginated", school=LA)
    page.get_by_role("navigation", name="Pages of the directory").get_by_role("link", name="Next").click()
    expect(page).to_have_url(re.compile(r"/la/directory\?type=tutor&page=2$"))
    expect(page.locator("main")).to_contain_text("Showing 26 to 31, page 2 of 2.")
    expect(page.get_by_label("Type of provider")).to_have_value("tutor")
    check_page(page, "la-directory-page-2", school=LA)
