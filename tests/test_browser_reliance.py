"""In Debian's Chromium (issue 14, "verification once, trusted by many"): Hillside's headteacher chooses to rely on
the verifications of the schools of its trust; Demo Academy's AP lead verifies Northside's insurance; Hillside's AP
lead sees its checklist resting on Demo Academy's verification; a third school invites Northside with its manager's
address and Northside's manager accepts it in the existing account. axe-core finds no WCAG 2.2 AA violations on the
new pages (tests/test_browser.py's check_page)."""

from __future__ import annotations

import re
from datetime import date

import pytest
from playwright.sync_api import expect

from shared.models import ProviderStatus
from shared.roles import AP_LEAD, HEADTEACHER, PROVIDER_MANAGER
from tests.test_browser import check_page, fill_sign_in, sign_in_with_code

pytestmark = pytest.mark.browser

NEXT_YEAR = date.today().year + 1


def test_hillside_relies_on_demo_academys_verification_and_the_provider_accepts_a_school(world, app, new_page):
    la = world.local_authority("Demo Borough Council")
    demo = world.school("Demo Academy", local_authority_id=la, trust_name="Oak Trust")
    hillside = world.school("Hillside School", local_authority_id=la, trust_name="Oak Trust")
    lakeside = world.school("Lakeside High", local_authority_id=la)
    northside = world.provider(demo, "Northside Learning", ProviderStatus.SUBMITTED, provider_type="unregistered_ap")
    world.works_with(hillside, northside, ProviderStatus.SUBMITTED)
    document = world.document_row(northside, "public_liability_insurance")
    manager = world.user(northside, [PROVIDER_MANAGER], email="manager@northside.example")

    # Hillside's headteacher: rely on the schools of its trust (the page says the default is its own only).
    head = new_page()
    sign_in_with_code(head, world.user(hillside, [HEADTEACHER]))
    head.goto("/school/settings/verification")
    expect(head.locator("main")).to_contain_text("Until you choose otherwise, your school relies only on its own")
    check_page(head, "reliance-settings", school="Hillside School")
    head.get_by_label("Schools of Oak Trust (your trust)").check()
    head.get_by_role("button", name="Save").click()
    expect(head.locator(".govuk-notification-banner")).to_contain_text("schools of Oak Trust")

    # Demo Academy's AP lead verifies the insurance.
    demo_lead = new_page()
    sign_in_with_code(demo_lead, world.user(demo, [AP_LEAD]))
    demo_lead.goto(f"/school/verification/{document}")
    for box in demo_lead.locator("input[name='verify-checklist']").all():
        box.check()
    demo_lead.locator("#verify-expiry_date-day").fill("31")
    demo_lead.locator("#verify-expiry_date-month").fill("7")
    demo_lead.locator("#verify-expiry_date-year").fill(str(NEXT_YEAR))
    demo_lead.get_by_role("button", name="Verify document").click()
    expect(demo_lead.locator(".govuk-notification-banner")).to_contain_text("verified")

    # Hillside's AP lead sees the checklist resting on Demo Academy's verification, and nothing left to verify.
    hillside_lead = new_page()
    sign_in_with_code(hillside_lead, world.user(hillside, [AP_LEAD]))
    hillside_lead.goto(f"/school/providers/{northside}")
    row = hillside_lead.get_by_role("row", name=re.compile("Public liability insurance"))
    expect(row).to_contain_text(f"Verified by Demo Academy (relied on) until 31 July {NEXT_YEAR}")
    hillside_lead.goto("/school/verification")
    expect(hillside_lead.locator("main")).to_contain_text("Nothing is waiting to be verified.")

    # Lakeside invites Northside with its manager's address: same message as for anyone.
    lakeside_lead = new_page()
    sign_in_with_code(lakeside_lead, world.user(lakeside, [AP_LEAD]))
    lakeside_lead.goto("/school/providers/invite")
    lakeside_lead.get_by_label("Provider's name").fill("Northside")
    lakeside_lead.get_by_label("Provider manager's full name").fill("Morgan Manager")
    lakeside_lead.get_by_label("Provider manager's email address").fill("manager@northside.example")
    lakeside_lead.get_by_role("button", name="Invite provider").click()
    expect(lakeside_lead.locator(".govuk-notification-banner")).to_contain_text(
        "Northside has been invited. Their manager has been sent an e-mail."
    )
    expect(lakeside_lead.locator("main")).to_contain_text("Waiting for the provider's manager to accept")

    # Northside's manager accepts in the existing account, and sees who can see its evidence.
    portal = new_page()
    portal.goto("/sign-in")
    fill_sign_in(portal, manager.email, manager.password)
    expect(portal).to_have_url(re.compile(r"/portal/$"))
    portal.goto("/portal/onboarding/documents")
    expect(portal.locator("#seen-by")).to_contain_text("Seen by: Demo Academy, Demo Borough Council, Hillside School")
    check_page(portal, "documents-seen-by", school="Lakeside High")
    portal.get_by_role("link", name="1 school is asking to work with you").click()
    expect(portal.locator("main")).to_contain_text("Lakeside High")
    check_page(portal, "schools-asking", school="Lakeside High")
    portal.get_by_role("button", name="Accept Lakeside High").click()
    expect(portal.locator(".govuk-notification-banner")).to_contain_text("You now work with Lakeside High")
    portal.goto("/portal/onboarding/documents")
    expect(portal.locator("#seen-by")).to_contain_text("Hillside School, Lakeside High")

    # Lakeside now sees Northside by its own name; its insurance needs Lakeside's own verification.
    lakeside_lead.goto("/school/providers")
    lakeside_lead.get_by_role("link", name="Northside Learning").click()
    row = lakeside_lead.get_by_role("row", name=re.compile("Public liability insurance"))
    expect(row).to_contain_text("Needs your verification (checked by Demo Academy")
