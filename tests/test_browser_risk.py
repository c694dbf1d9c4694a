"""Issue 15, the joint risk assessment in Chromium: the school DSL writes it, the provider's DSL adds the provider's
measures and signs, the school DSL signs. axe finds no WCAG 2.2 AA violations on each new page."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from shared.models import ProviderStatus
from tests.test_browser import PROVIDER, SCHOOL, check_page, sign_in_with_code, sign_out

pytestmark = pytest.mark.browser


def test_the_school_dsl_writes_the_provider_dsl_adds_and_signs_and_the_school_dsl_signs(world, new_page, app):
    school = world.school(SCHOOL)
    provider = world.provider(school, PROVIDER, ProviderStatus.APPROVED)
    pupil = world.pupil(school, first_name="Jayden", last_name="Walsh")
    placement = world.placement(school, provider, pupil)
    dsl = world.user(school, ["dsl"], mfa=True)
    provider_dsl = world.user(provider, ["provider_dsl"], mfa=True)

    page = new_page()
    sign_in_with_code(page, dsl)
    page.goto(f"/school/placements/{placement}")
    page.get_by_role("link", name="Joint risk assessment").click()
    expect(page.locator("main")).to_contain_text("The school has not written the risk assessment yet")
    check_page(page, "risk-assessment-empty")
    page.get_by_role("link", name="Write the risk assessment").click()
    check_page(page, "risk-assessment-edit")
    page.get_by_label("Exploitation (criminal, sexual, county lines): the risk as assessed").fill(
        "Seen with older youths near the station"
    )
    page.get_by_label("Exploitation (criminal, sexual, county lines): the measures agreed").fill(
        "Collected by taxi, never walks alone"
    )
    page.get_by_label("Who may collect the pupil: the measures agreed").fill("Only his grandmother")
    page.get_by_role("button", name="Save the risk assessment").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Risk assessment saved")
    expect(page.locator("main")).to_contain_text("Only his grandmother")
    check_page(page, "risk-assessment-written")
    sign_out(page)

    sign_in_with_code(page, provider_dsl)
    page.goto(f"/portal/pupils/{placement}")
    page.get_by_role("link", name="Read, add to and sign the risk assessment").click()
    expect(page.locator("main")).to_contain_text("Seen with older youths near the station")
    check_page(page, "portal-risk-assessment")
    page.get_by_role("link", name="Add or change your measures").click()
    check_page(page, "portal-risk-assessment-edit")
    page.get_by_label("Exploitation (criminal, sexual, county lines): your measures").fill("Staff walk him to the taxi")
    page.get_by_role("button", name="Save your measures").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Your measures are saved")
    page.get_by_role("button", name="Sign the risk assessment").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Type your full name to sign")
    check_page(page, "portal-risk-assessment-sign-error")
    page.get_by_label("Type your full name to sign").fill("Pat Provider")
    page.get_by_role("button", name="Sign the risk assessment").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("You have signed the risk assessment")
    expect(page.locator("main")).to_contain_text("Pat Provider")
    sign_out(page)

    sign_in_with_code(page, dsl, code_offset=1)
    page.goto(f"/school/placements/{placement}/joint-risk-assessment")
    expect(page.locator("main")).to_contain_text("Staff walk him to the taxi")
    page.get_by_label("Type your full name to sign").fill("Dee Esel")
    page.get_by_role("button", name="Sign the risk assessment").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("You have signed the risk assessment")
    expect(page.locator("main")).to_contain_text("Dee Esel")
    expect(page.locator("main")).to_contain_text("Pat Provider")
    expect(page.locator("main")).not_to_contain_text("Not signed")
    check_page(page, "risk-assessment-signed")
