"""Issue 13, small things, in Debian's Chromium with axe on each page changed: a new provider is led through
onboarding (home link, inviting the DSL, the policy task, the submit page's links), "Remove" asks first, every form
error shows at once, the 'file too large' page leads back, and at 390 px wide a table scrolls in its own box while
the page does not scroll sideways."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from shared.models import ProviderStatus
from shared.roles import AP_LEAD, PROVIDER_MANAGER
from tests.test_browser import check_page, fill_sign_in, sign_in_with_code

pytestmark = pytest.mark.browser

SCHOOL = "Riverside Community School"
PROVIDER = "Northside Learning Centre"
PHONE = {"width": 390, "height": 844}


def page_scrolls_sideways(page) -> bool:
    return page.evaluate(
        "() => document.documentElement.scrollWidth > document.documentElement.clientWidth"
        " || document.body.scrollWidth > document.documentElement.clientWidth"
    )


def wider_than_the_screen(page) -> list[str]:
    """What sticks out past the right edge (a table box's contents scroll inside it, so they do not count)."""
    return page.evaluate(
        """() => [...document.querySelectorAll('body *')]
          .filter(e => !e.closest('.app-table-scroll') || e.classList.contains('app-table-scroll'))
          .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
          .slice(0, 8)
          .map(e => e.tagName + '.' + e.className)"""
    )


def on_a_phone(page, name: str, *, wide: bool = True) -> None:
    """At 390 px wide the page does not scroll sideways; each table that is wider than its box scrolls inside it,
    and the box can be reached with the keyboard, is named, and shows its focus."""
    page.set_viewport_size(PHONE)
    assert not page_scrolls_sideways(page), f"{name}: sideways at 390 px: {wider_than_the_screen(page)}"
    boxes = page.locator(".app-table-scroll")
    assert boxes.count() >= 1, f"{name}: no table box on the page"
    for index in range(boxes.count()):
        box = boxes.nth(index)
        assert box.get_attribute("role") == "region" and box.get_attribute("tabindex") == "0"
        assert (box.get_attribute("aria-label") or "").endswith("(scrolls sideways)")
    box = page.locator(".app-table-scroll").first
    box.focus()
    outline = box.evaluate("(box) => getComputedStyle(box).outlineStyle + ' ' + getComputedStyle(box).outlineWidth")
    assert outline == "solid 3px", f"{name}: the focused table box shows no focus ({outline})"
    if wide:
        box_width = box.evaluate("(box) => [box.scrollWidth, box.clientWidth]")
        assert box_width[0] > box_width[1], f"{name}: the table fits at 390 px, so this page proves nothing"
        page.keyboard.press("ArrowRight")
        page.wait_for_function("(box) => box.scrollLeft > 0", arg=box.element_handle())
    page.set_viewport_size({"width": 1024, "height": 768})


def test_a_new_provider_manager_is_led_through_onboarding_and_remove_asks_first(app, world, new_page):
    page = new_page()
    school = world.school(SCHOOL)
    world.school_policy(school)
    provider = world.provider(school, PROVIDER)
    world.site(provider, "Main building")
    world.staff_member(provider, "Sam Tutor")
    world.staff_member(provider, "Alexandra Montgomery-Smith", dbs="001234567892")
    manager = world.user(provider, [PROVIDER_MANAGER])
    page.goto("/sign-in")
    fill_sign_in(page, manager.email, manager.password)
    expect(page).to_have_url(re.compile(r"/portal/$"))
    expect(page.locator("#dsl-missing")).to_contain_text("No one at your organisation has the designated")
    check_page(page, "small-provider-home")

    page.get_by_role("link", name="Tell the school about your organisation (your task list)").click()
    expect(page).to_have_url(re.compile(r"/portal/onboarding$"))
    expect(page.locator("main")).to_contain_text("Your DSL confirms the school's child protection policy")
    expect(page.get_by_role("link", name="Invite your designated safeguarding lead")).to_be_visible()
    check_page(page, "small-onboarding-tasks")

    # Every problem of the organisation's details at once.
    page.get_by_role("link", name="Organisation details").click()
    page.get_by_label("URN (if you have one)").fill("12345")
    page.get_by_label("Postcode").fill("NOT A CODE")
    page.get_by_role("button", name="Save and continue").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Select the type of provider")
    expect(summary).to_contain_text("Enter the first line of your address")
    expect(summary).to_contain_text("Enter a real postcode")
    check_page(page, "small-organisation-errors")

    # Removing someone from the staff list asks first; "No" keeps them.
    page.goto("/portal/onboarding/staff")
    check_page(page, "small-staff-list")
    on_a_phone(page, "small-staff-list")
    page.get_by_role("link", name="Remove Sam Tutor").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Are you sure you want to remove Sam Tutor?")
    check_page(page, "small-confirm-remove-staff")
    page.get_by_role("link", name="No, keep Sam Tutor").click()
    expect(page.locator("main")).to_contain_text("Sam Tutor")
    page.get_by_role("link", name="Remove Sam Tutor").click()
    page.get_by_role("button", name="Yes, remove Sam Tutor").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Sam Tutor removed from the staff list")

    page.goto("/portal/onboarding/sites")
    page.get_by_role("link", name="Remove Main building").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Are you sure you want to remove Main building?")
    check_page(page, "small-confirm-remove-site")
    page.get_by_role("button", name="Yes, remove Main building").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Main building removed")

    # The submit page links to each thing still missing.
    page.goto("/portal/onboarding/submit")
    expect(page.locator("#still-to-do")).to_contain_text("Teaching sites listed")
    check_page(page, "small-submit")
    page.locator("#still-to-do").get_by_role("link", name="Teaching sites listed").click()
    expect(page).to_have_url(re.compile(r"/portal/onboarding/sites$"))


def test_file_too_large_page_leads_back_to_the_form(app, world, new_page):
    page = new_page()
    school = world.school(SCHOOL)
    sendco = world.user(school, ["sendco"])
    sign_in_with_code(page, sendco)
    page.goto("/school/pupils/import")
    limit = app.config["MAX_CONTENT_LENGTH"]
    app.config["MAX_CONTENT_LENGTH"] = 4096
    try:
        page.get_by_label("Choose a CSV file").set_input_files(
            files=[{"name": "pupils.csv", "mimeType": "text/csv", "buffer": b"upn\n" + b"x" * 8192}]
        )
        page.get_by_role("button", name="Check and import").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("The file is too large")
    finally:
        app.config["MAX_CONTENT_LENGTH"] = limit
    check_page(page, "small-file-too-large")
    page.get_by_role("link", name="Go back to the form").click()
    expect(page).to_have_url(re.compile(r"/school/pupils/import$"))


def test_school_tables_scroll_in_their_box_on_a_phone(world, new_page):
    page = new_page()
    school = world.school(SCHOOL)
    for name in ("Northside Learning Centre", "Hill Farm Vocational Skills", "Riverside Tuition"):
        world.provider(school, name, ProviderStatus.APPROVED)
    lead = world.user(school, [AP_LEAD])
    sign_in_with_code(page, lead)
    for path, name, wide in (
        ("/school/providers", "small-providers", False),
        ("/school/compliance", "small-compliance", True),
    ):
        page.goto(path)
        check_page(page, name)
        on_a_phone(page, name, wide=wide)
