"""Issue 15, providers measured against the national standards, in Chromium: the provider manager self-assesses,
linking a document already in its vault; the school's AP lead sees the self-assessment on the provider's page with a
link to the evidence, and records a site visit with a judgement per standard, strengths and a dated action. axe finds
no WCAG 2.2 AA violations on each new page."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from shared.clock import today
from shared.models import ProviderStatus
from tests.test_browser import check_page, fill_date, fill_sign_in, sign_in_with_code, sign_out

pytestmark = pytest.mark.browser

HILLSIDE = "Hillside School"
NORTHSIDE = "Northside Learning Centre"


def test_a_provider_self_assesses_with_vault_evidence_and_the_ap_lead_sees_it_and_records_a_qa_visit(world, new_page):
    la = world.local_authority("Demo Borough Council")
    hillside = world.school(HILLSIDE, local_authority_id=la)
    northside = world.provider(hillside, NORTHSIDE, ProviderStatus.APPROVED, provider_type="unregistered_ap")
    world.site(northside, "Workshop")
    world.document(northside, "safeguarding_policy", display_name="Northside safeguarding policy 2026.pdf")
    manager = world.user(northside, ["provider_manager"])
    page = new_page()
    page.goto("/sign-in")
    fill_sign_in(page, manager.email, manager.password)  # a provider manager signs in with a password alone
    expect(page).to_have_url(re.compile(r"/portal/$"))

    # The provider manager self-assesses from the home page.
    page.goto("/portal/")
    page.get_by_role("link", name="Your self-assessment against the national standards").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Self-assessment against the national standards")
    check_page(page, "portal-self-assessment", school=HILLSIDE)
    page.get_by_role("button", name="Submit self-assessment").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Select how far you meet safeguarding and wellbeing")
    check_page(page, "portal-self-assessment-errors", school=HILLSIDE)
    answers = {
        "safeguarding and wellbeing": ("Met", "Every member of staff is on our single central record."),
        "health and safety": ("Partly met", "Fire drills are termly; site risk assessments are being redone."),
        "admissions, support and guidance": ("Met", "Each pupil has an induction and a learning plan."),
        "quality of education": ("Not yet met", "We are adding careers guidance."),
    }
    for name, (judgement, explanation) in answers.items():
        page.get_by_role("group", name=f"How far do you meet {name}?").get_by_label(judgement, exact=True).check()
        page.get_by_label(f"Explain your judgement for {name}").fill(explanation)
    page.get_by_role("group", name="Evidence in your documents for safeguarding and wellbeing").get_by_label(
        "Child protection and safeguarding policy: Northside safeguarding policy 2026.pdf"
    ).check()
    page.get_by_role("button", name="Submit self-assessment").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Self-assessment submitted")
    expect(page.locator("main")).to_contain_text("Version 1, submitted on")
    check_page(page, "portal-self-assessment-submitted", school=HILLSIDE)
    sign_out(page)

    # The school's AP lead sees it on the provider's page, with the evidence linked.
    lead = world.user(hillside, ["ap_lead"])
    sign_in_with_code(page, lead)
    page.goto(f"/school/providers/{northside}")
    main = page.locator("main")
    expect(main).to_contain_text("Self-assessment against the national standards")
    expect(main).to_contain_text("Every member of staff is on our single central record.")
    expect(main).to_contain_text("Not yet met")
    expect(page.get_by_role("link", name=re.compile("Northside safeguarding policy 2026.pdf"))).to_have_attribute(
        "href", re.compile(r"/school/documents/[0-9a-f-]+/download$")
    )
    check_page(page, "school-provider-self-assessment", school=HILLSIDE)

    # And records a site visit against the standards.
    page.get_by_role("link", name=re.compile("Record a site visit")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Record a site visit")
    check_page(page, "school-record-visit-standards", school=HILLSIDE)
    page.get_by_label("Findings").fill("Calm workshop, good relationships.")
    page.get_by_role("group", name="Health and safety").get_by_label("Partly met", exact=True).check()
    page.get_by_role("group", name="Quality of education").get_by_label("Not yet met", exact=True).check()
    page.get_by_label("Strengths").fill("Staff know every pupil well.")
    page.get_by_label("Action 1", exact=True).fill("Send the termly fire drill log")
    page.get_by_role("button", name="Record visit").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter the date action 1 is due by")
    check_page(page, "school-record-visit-standards-errors", school=HILLSIDE)
    with world.app.app_context():
        due = today() + timedelta(days=14)
    fill_date(page, "Action 1: due by", due)
    page.get_by_role("button", name="Record visit").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text(f"Visit to {NORTHSIDE} recorded")
    standards = page.locator("main")
    expect(standards).to_contain_text("Against the national standards")
    expect(standards).to_contain_text("Partly met")
    expect(standards).to_contain_text("Staff know every pupil well.")
    expect(standards).to_contain_text(f"Action due by {due.strftime('%-d %B %Y')}")
    check_page(page, "school-visit-standards", school=HILLSIDE)
