"""In Chromium, the figures of issue 13: a provider's manager sees on its home page that it is red, follows the link
to its compliance page (told the school sees these figures too, without the notices), its DSL sees the notices row
and "the same figures", and the school's inspection pack says in words what is missing. axe on each page."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from shared.extensions import db
from shared.models import ApprovalDecision, ProviderStatus
from shared.roles import HEADTEACHER, PROVIDER_DSL, PROVIDER_MANAGER
from tests.test_browser import PROVIDER, SCHOOL, check_page, fill_sign_in, sign_in_with_code, sign_out

pytestmark = pytest.mark.browser


def _red_provider(world):
    """Approved at the start of a term around today, with no evidence verified and no written confirmation: red."""
    school = world.school(SCHOOL)
    provider = world.provider(school, PROVIDER, ProviderStatus.APPROVED, provider_type="unregistered_ap")
    today = datetime.now(UTC).date()
    world.term(school, start=today - timedelta(days=20), end=today + timedelta(days=40), name="This term")
    with world.app.app_context():
        db.session.add(
            ApprovalDecision(
                organisation_id=provider,
                school_id=school,
                decision="approved",
                notes="All checked",
                checklist=[],
                decided_by_id=world._someone(school),
                decided_at=datetime.combine(today - timedelta(days=20), datetime.min.time(), tzinfo=UTC),
            )
        )
        db.session.commit()
    return school, provider


def test_a_red_provider_sees_it_on_its_home_and_each_reader_is_told_what_the_school_sees(world, new_page):
    school, provider = _red_provider(world)
    manager = world.user(provider, [PROVIDER_MANAGER])
    page = new_page()
    page.goto("/sign-in")
    fill_sign_in(page, manager.email, manager.password)
    expect(page).to_have_url(re.compile(r"/portal/$"))
    standing = page.locator("#agreement-standing")
    expect(standing).to_contain_text("Red")
    expect(standing).to_contain_text("Not meeting the agreement this half-term")
    expect(standing).to_contain_text("Evidence in date (red)")
    expect(standing).to_contain_text(f"{SCHOOL} sees these figures too.")
    check_page(page, "figures-provider-home-red", school=SCHOOL)

    page.get_by_role("link", name="See how well you keep the agreement").click()
    expect(page).to_have_url(re.compile(r"/portal/compliance$"))
    main = page.locator("main")
    expect(main).to_contain_text(f"{SCHOOL} sees these figures too.")
    expect(main).not_to_contain_text("otices")
    check_page(page, "figures-provider-compliance-manager", school=SCHOOL)
    sign_out(page)

    dsl = world.user(provider, [PROVIDER_DSL])
    page.goto("/sign-in")
    fill_sign_in(page, dsl.email, dsl.password)
    if "/security-code" in page.url:  # a provider DSL may be asked for a code
        page.get_by_label("Security code").fill(dsl.code())
        page.get_by_role("button", name="Continue").click()
    page.goto("/portal/compliance")
    main = page.locator("main")
    expect(main).to_contain_text("Notices acknowledged in time")
    expect(main).to_contain_text(f"{SCHOOL} sees the same figures.")
    check_page(page, "figures-provider-compliance-dsl", school=SCHOOL)


def test_the_inspection_pack_says_what_is_missing_in_words(world, new_page):
    school = world.school(SCHOOL)
    world.provider(school, PROVIDER, ProviderStatus.APPROVED, provider_type="unregistered_ap")
    head = world.user(school, [HEADTEACHER])
    page = new_page()
    sign_in_with_code(page, head)
    page.goto("/school/reports/inspection")
    main = page.locator("main")
    expect(main).to_contain_text("No approval recorded")
    expect(main).to_contain_text("No site visit recorded")
    expect(main).to_contain_text("No current confirmation signed")
    expect(main).not_to_contain_text("None")
    check_page(page, "figures-inspection-pack", school=SCHOOL)
