"""In Debian's Chromium: sign in on both sides as a person would, and axe-core finds no WCAG 2.2 AA violations.

The app runs on a live server over the test database, so what `world` creates is there to sign in with. Each page
checked also has to have its CSS (so axe's colour-contrast check means something) and no Content Security Policy
errors on the console. Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from shared.evidence_catalogue import DateKind, ProviderType, required_evidence
from shared.roles import AP_LEAD, DSL, HEADTEACHER, PROVIDER_MANAGER
from tests.support.chromium import (
    describe_violations,
    run_axe,
    screenshot,
)
from tests.support.files import DOCX_TYPE, image_bytes, ooxml_bytes, pdf_bytes

pytestmark = pytest.mark.browser

SCHOOL = "Riverside Community School"
PROVIDER = "Northside Learning Centre"


def _textarea(element_html: str) -> bool:
    """Chromium's resize handle makes axe call a textarea's background "partially obscured", so axe leaves its
    contrast undecided, empty or filled. Its text and background are GOV.UK Frontend's input colours, which axe
    does decide on every text input of the same pages."""
    return element_html.startswith("<textarea")


def _chart_text(element_html: str) -> bool:
    """axe leaves the contrast of any SVG <text> undecided: looking for its background it meets the <svg>, a
    graphic it cannot see into. The bar charts' words (shared.charts) are the only SVG text on the pages, in two
    fixed colours on white that test_governors_report checks (at least 7:1)."""
    return element_html.startswith("<text ")


def check_page(page, name: str, *, school: str = SCHOOL) -> None:
    """The page as loaded: its CSS applied, our header (no crown), no CSP errors, no axe violations."""
    page.wait_for_load_state("load")
    shot = screenshot(page, name)
    styles = page.evaluate(
        """() => {
          const header = document.querySelector('.govuk-generic-header');
          const style = header && getComputedStyle(header);
          return {
            header: !!header,
            headerBackground: style && style.backgroundColor,
            headingFont: getComputedStyle(document.querySelector('h1')).fontFamily,
            jsEnabled: document.body.classList.contains('govuk-frontend-supported'),
          };
        }"""
    )
    assert styles["header"], f"{name}: no header on the page"
    assert styles["headerBackground"] not in ("rgba(0, 0, 0, 0)", "transparent"), (
        f"{name}: the header has no background colour, so app.css did not load (run `make assets`)"
    )
    assert "system-ui" in styles["headingFont"], f"{name}: heading font is {styles['headingFont']!r}, not app.css's"
    assert styles["jsEnabled"], f"{name}: the GOV.UK Frontend JavaScript did not mark the page as supported"

    # This is the school's service, not a GOV.UK one: its name in the header and no crown anywhere. On the portal the
    # header carries the provider's own name (a provider works with several schools), never the school's.
    header = page.locator(".govuk-generic-header__homepage-link")
    if "/portal" in page.url:
        assert school not in header.inner_text() and header.inner_text().strip() not in ("", "AP Portal"), (
            f"{name}: the portal header shows {header.inner_text()!r}, not the provider's own name"
        )
    else:
        expect(page.locator(".govuk-generic-header")).to_contain_text(school)
    crown = page.locator(".govuk-header__logotype, .govuk-logo-dot, svg[class*='crown'], [class*='govuk-header__logo']")
    assert crown.count() == 0, f"{name}: the GOV.UK crown or logotype is on the page"
    assert "GOV.UK" not in page.inner_text("body"), f"{name}: the page says GOV.UK"

    assert not page.watcher.csp_errors(), f"{name}: Content Security Policy errors: {page.watcher.csp_errors()}"
    assert not page.watcher.page_errors, f"{name}: JavaScript errors: {page.watcher.page_errors}"

    # The whole page in the viewport, so axe can see the background behind every element (it leaves colour
    # contrast undecided for an element cut by the viewport's edge).
    height = page.evaluate("() => document.documentElement.scrollHeight")
    page.set_viewport_size({"width": 1024, "height": max(768, height)})
    axe = run_axe(page)
    page.set_viewport_size({"width": 1024, "height": 768})
    assert not axe.violations, describe_violations(f"{name} ({page.url}, screenshot {shot})", axe.violations)
    # With the CSS applied, axe can judge every text's contrast: none left undecided.
    assert "color-contrast" in axe.passes, f"{name}: axe did not check colour contrast"
    undecided = [
        {**r, "nodes": [n for n in r["nodes"] if not _textarea(n["html"]) and not _chart_text(n["html"])]}
        for r in axe.incomplete
        if r["id"] == "color-contrast"
    ]
    undecided = [r for r in undecided if r["nodes"]]
    assert not undecided, describe_violations(name, undecided, what="colour contrast(s) it could not decide")
    page.watcher.clear()


def test_axe_finds_violations_when_there_are_some(new_page):
    """The check is not vacuous: axe, injected as in the tests below, reports a bad page's faults."""
    page = new_page()
    page.set_content(
        '<!DOCTYPE html><html lang="en"><head><title>Bad page</title></head><body><main>'
        '<p style="color:#bbbbbb;background:#ffffff">Pale grey text</p><img src="data:,"></main></body></html>'
    )
    axe = run_axe(page)
    found = {v["id"] for v in axe.violations}
    assert {"color-contrast", "image-alt"} <= found, describe_violations("the bad page", axe.violations)
    assert "Pale grey text" in describe_violations("the bad page", axe.violations)


def fill_sign_in(page, email: str, password: str) -> None:
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()


def sign_out(page) -> None:
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/sign-in$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in to AP Portal")
    expect(page.get_by_text("You have signed out.")).to_be_visible()


def test_sign_in_page_and_its_error_summary_are_accessible(world, new_page):
    page = new_page()
    school = world.school(SCHOOL)
    head = world.user(school, [HEADTEACHER])
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/sign-in$"))
    expect(page).to_have_title(f"Sign in – AP Portal – {SCHOOL}")
    # GOV.UK Frontend's JavaScript ran under the CSP: it reveals the password input's Show button.
    expect(page.get_by_role("button", name="Show password")).to_be_visible()
    check_page(page, "sign-in")

    fill_sign_in(page, head.email, "not the password at all")
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Enter a correct email address and password")
    expect(summary).to_be_focused()  # GOV.UK Frontend's JavaScript moves focus to the summary
    expect(page).to_have_title(re.compile(r"^Error: Sign in"))
    check_page(page, "sign-in-error")


def test_school_user_signs_in_with_a_security_code_and_signs_out(world, new_page):
    page = new_page()
    school = world.school(SCHOOL)
    head = world.user(school, [HEADTEACHER])
    page.goto("/sign-in")
    fill_sign_in(page, head.email, head.password)

    expect(page).to_have_url(re.compile(r"/sign-in/security-code$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Enter your security code")
    check_page(page, "security-code")
    page.get_by_label("Security code").fill(head.code())
    page.get_by_role("button", name="Continue").click()

    expect(page).to_have_url(re.compile(r"/school/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Needs your attention")
    expect(page.locator(".govuk-service-navigation")).to_contain_text("School admin")
    check_page(page, "school-home")

    sign_out(page)
    check_page(page, "signed-out")
    # Signed out for real: the school home sends us back to sign in.
    page.goto("/school/")
    expect(page).to_have_url(re.compile(r"/sign-in"))


def test_provider_manager_signs_in_and_sees_their_organisation(world, new_page):
    page = new_page()
    school = world.school(SCHOOL)
    provider = world.provider(school, PROVIDER)
    manager = world.user(provider, [PROVIDER_MANAGER])
    assert manager.totp_secret is None  # a provider manager signs in with a password alone
    page.goto("/sign-in")
    fill_sign_in(page, manager.email, manager.password)

    expect(page).to_have_url(re.compile(r"/portal/$"))
    main = page.locator("main")
    expect(main).to_contain_text(PROVIDER)
    expect(main).to_contain_text("Onboarding")
    expect(page.locator(".govuk-service-navigation")).to_contain_text("Provider portal")
    check_page(page, "provider-home")

    sign_out(page)


def sign_in_with_code(page, person, *, code_offset: int = 0) -> None:
    """code_offset=1 for a second sign-in within the same 30 seconds: a security code works only once."""
    page.goto("/sign-in")
    fill_sign_in(page, person.email, person.password)
    page.get_by_label("Security code").fill(person.code(code_offset))
    page.get_by_role("button", name="Continue").click()
    # Signed in once the code's page is left (a page.goto before then would race the sign-in's own response).
    page.wait_for_url(lambda url: "/sign-in" not in url and "/two-step" not in url)


def test_school_staff_and_provider_pages_are_accessible(world, new_page):
    """Beyond the pages the issue names: every other page of this issue on the school side, forms with errors too."""
    page = new_page()
    school = world.school(SCHOOL)
    world.provider(school, PROVIDER)
    admin = world.user(school, ["school_admin", "ap_lead"])
    sign_in_with_code(page, admin)
    expect(page).to_have_url(re.compile(r"/school/$"))
    for path, name in [
        ("/school/staff", "staff"),
        ("/school/staff/invite", "invite-staff"),
        (f"/school/staff/{admin.id}/roles", "staff-roles"),
        ("/school/providers", "providers"),
        ("/school/providers/invite", "invite-provider"),
        ("/account", "school-account"),
        ("/school/no-such-page", "school-404"),
    ]:
        page.goto(path)
        check_page(page, name)
    page.goto("/school/staff/invite")
    page.get_by_role("button", name="Send invitation").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter a name")
    check_page(page, "invite-staff-errors")


def test_provider_pages_and_mfa_set_up_are_accessible(world, new_page):
    page = new_page()
    school = world.school(SCHOOL)
    provider = world.provider(school, PROVIDER, provider_type="unregistered_ap")
    manager = world.user(provider, [PROVIDER_MANAGER])
    page.goto("/sign-in")
    fill_sign_in(page, manager.email, manager.password)
    expect(page).to_have_url(re.compile(r"/portal/$"))
    for path, name in [
        ("/portal/users", "provider-users"),
        ("/portal/users/invite", "provider-invite"),
        (f"/portal/users/{manager.id}", "provider-user"),
        ("/portal/onboarding", "onboarding-tasks"),
        ("/portal/onboarding/organisation", "onboarding-organisation"),
        ("/portal/onboarding/sites", "onboarding-sites"),
        ("/portal/onboarding/contacts", "onboarding-contacts"),
        ("/portal/onboarding/staff", "onboarding-staff"),
        (f"/portal/onboarding/staff/{world.staff_member(provider)}/status-check", "onboarding-status-check"),
        ("/portal/onboarding/confirmation", "onboarding-confirmation"),
        ("/portal/onboarding/documents", "onboarding-documents"),
        ("/portal/onboarding/documents/behaviour_policy", "onboarding-upload-document"),
    ]:
        page.goto(path)
        check_page(page, name)
    # Forms with their errors shown, and one filled in as a person would (no JavaScript needed for any of them).
    page.goto("/portal/onboarding/contacts")
    page.get_by_role("button", name="Save and continue").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter the manager's name")
    check_page(page, "onboarding-contacts-errors")
    page.goto("/portal/onboarding/organisation")
    page.get_by_label("Unregistered alternative provision").check()
    page.get_by_label("Type of setting").fill("Farm-based vocational provision")
    page.get_by_label("Address line 1").fill("Hill Farm")
    page.get_by_label("Town or city").fill("Exampleton")
    page.get_by_label("Postcode").fill("EX1 1AA")
    page.get_by_role("button", name="Save and continue").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Organisation details saved")
    check_page(page, "onboarding-tasks-after-details")
    upload_documents_in_the_browser(page)
    sign_out(page)

    dsl = world.user(provider, ["provider_dsl"], mfa=False)
    fill_sign_in(page, dsl.email, dsl.password)
    expect(page).to_have_url(re.compile(r"/two-step/set-up$"))
    expect(page.get_by_role("img", name=re.compile("QR code"))).to_be_visible()
    check_page(page, "mfa-set-up")


def choose_file(page, name: str, data: bytes, mime_type: str) -> None:
    page.get_by_label("Choose a file").set_input_files(files=[{"name": name, "mimeType": mime_type, "buffer": data}])


def upload_documents_in_the_browser(page) -> None:
    """Through the real form, with JavaScript: the file goes by XMLHttpRequest (the progress bar's path), a refusal
    comes back in place with its reason, and an accepted file lands on the documents page with the message."""
    page.goto("/portal/onboarding")
    page.get_by_role("link", name="Documents").click()
    expect(page).to_have_url(re.compile(r"/portal/onboarding/documents$"))
    page.get_by_role("link", name="Upload Behaviour policy").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Behaviour policy")

    choose_file(page, "Behaviour policy.pdf", image_bytes("PNG"), "application/pdf")
    with page.expect_request(lambda request: request.method == "POST") as posted:
        page.get_by_role("button", name="Upload file").click()
    assert posted.value.headers.get("x-requested-with") == "XMLHttpRequest", "the progress bar's request was not used"
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("The file's contents do not match its type")
    expect(summary).to_be_focused()
    expect(page).to_have_title(re.compile(r"^Error: Behaviour policy"))
    check_page(page, "onboarding-upload-document-error")

    choose_file(page, "Behaviour policy 2026.pdf", pdf_bytes(), "application/pdf")
    page.get_by_role("button", name="Upload file").click()
    expect(page).to_have_url(re.compile(r"/portal/onboarding/documents$"))
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Behaviour policy 2026.pdf uploaded")
    main = page.locator("main")
    expect(main).to_contain_text("Awaiting review")
    expect(main).to_contain_text("Not virus-scanned")
    expect(page.get_by_role("link", name="Behaviour policy 2026.pdf")).to_be_visible()
    check_page(page, "onboarding-documents-after-upload")


def test_the_upload_form_works_without_javascript(world, chromium, live_server):
    school = world.school(SCHOOL)
    provider = world.provider(school, PROVIDER, provider_type="tutor")
    manager = world.user(provider, [PROVIDER_MANAGER])
    context = chromium.browser().new_context(base_url=live_server.url, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto("/sign-in")
        fill_sign_in(page, manager.email, manager.password)
        page.goto("/portal/onboarding/documents/public_liability_insurance")
        choose_file(page, "Insurance.docx", ooxml_bytes("docx", extra={"word/vbaProject.bin": b"x"}), DOCX_TYPE)
        with page.expect_request(lambda request: request.method == "POST") as posted:
            page.get_by_role("button", name="Upload file").click()
        assert "x-requested-with" not in posted.value.headers  # an ordinary form submission
        expect(page.locator(".govuk-error-summary")).to_contain_text("This document contains macros")
        choose_file(page, "Insurance.docx", ooxml_bytes("docx"), DOCX_TYPE)
        page.get_by_role("button", name="Upload file").click()
        expect(page).to_have_url(re.compile(r"/portal/onboarding/documents$"))
        expect(page.locator(".govuk-notification-banner")).to_contain_text("Insurance.docx uploaded")
    finally:
        context.close()


# --- the whole onboarding journey -----------------------------------------------------------------------------------

# What an unregistered alternative provision must give the school, from the catalogue: every one is uploaded below.
UNREGISTERED_EVIDENCE = required_evidence(ProviderType.UNREGISTERED_AP)
# The DSL verifies the child protection policy (only a school DSL may) and rejects the risk assessment.
DSL_VERIFIES = "safeguarding_policy"
DSL_REJECTS = "risk_assessment"
REJECTION = "This risk assessment does not cover the workshop at Hill Farm. Upload one that covers every site."
# The date a reviewer enters for each kind of date, so that every verified document is in date.
DATE_FIELDS = {
    DateKind.REVIEW: ("Date the document was last reviewed", -30),
    DateKind.EXPIRY: ("Expiry date shown on the document", 365),
    DateKind.VALID_FOR: ("Date on the document (issue date)", -60),
}


def fill_date(page, legend: str, when: date) -> None:
    """A GOV.UK date input: the day, month and year boxes inside the fieldset its legend names."""
    group = page.get_by_role("group", name=legend)
    group.get_by_label("Day", exact=True).fill(str(when.day))
    group.get_by_label("Month", exact=True).fill(str(when.month))
    group.get_by_label("Year", exact=True).fill(str(when.year))


def banner(page):
    return page.locator(".govuk-notification-banner")


def task_status(page, title: str):
    item = page.locator(".govuk-task-list__item").filter(has=page.get_by_text(title, exact=True))
    return item.locator(".govuk-task-list__status")


def upload_file(page, kind_name: str, path, *, new_version: bool = False) -> None:
    """From the documents page: the kind's Upload link, choose the file, upload, back on the documents page."""
    link = f"Upload a new version of {kind_name}" if new_version else f"Upload {kind_name}"
    page.get_by_role("link", name=link, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(kind_name)
    page.get_by_label("Choose a file").set_input_files(path)
    page.get_by_role("button", name="Upload file").click()
    expect(page).to_have_url(re.compile(r"/portal/onboarding/documents$"))
    expect(banner(page)).to_contain_text(f"{kind_name}: {path.name} uploaded")


def verify_in_the_browser(page, kind, *, today: date, file_name: str | None = None, version: int = 1) -> None:
    """From the verification queue: open the document, tick its checklist, enter its date, verify."""
    page.get_by_role("link", name="Documents to verify").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Documents to verify")
    page.get_by_role("link", name=kind.name, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(kind.name)
    expect(page.locator(".govuk-caption-l")).to_have_text(PROVIDER)
    details = page.locator(".govuk-summary-list")
    expect(details).to_contain_text(file_name or f"{kind.name}.pdf")
    expect(details.locator(".govuk-summary-list__row", has_text="Version")).to_contain_text(str(version))
    for item in kind.checklist:
        page.get_by_label(item, exact=True).check()
    if kind.date_kind in DATE_FIELDS:
        legend, days = DATE_FIELDS[kind.date_kind]
        fill_date(page, legend, today + timedelta(days=days))
    page.get_by_role("button", name="Verify document").click()
    expect(page).to_have_url(re.compile(r"/school/verification$"))
    expect(banner(page)).to_contain_text(f"{kind.name} verified")


def test_onboarding_journey_from_sign_in_to_approval(world, new_page, tmp_path):
    """The issue's journey, as people do it in the browser: the provider manager fills the task list, uploads every
    document, signs the confirmation and submits; the school's DSL verifies the child protection policy and rejects
    the risk assessment; the AP lead verifies the rest; the provider uploads a new version, which the AP lead
    verifies; the AP lead approves and the provider's task list says so. axe checks each page on the way."""
    today = date.today()
    school = world.school(SCHOOL)
    provider_id = world.provider(school, PROVIDER)
    manager = world.user(provider_id, [PROVIDER_MANAGER])
    dsl = world.user(school, [DSL])
    ap_lead = world.user(school, [AP_LEAD])
    kinds = {kind.code: kind for kind in UNREGISTERED_EVIDENCE}
    files = {}
    for kind in UNREGISTERED_EVIDENCE:
        files[kind.code] = tmp_path / f"{kind.name}.pdf"
        files[kind.code].write_bytes(pdf_bytes())

    # --- the provider manager fills the task list ---
    provider = new_page()
    provider.goto("/sign-in")
    fill_sign_in(provider, manager.email, manager.password)
    expect(provider).to_have_url(re.compile(r"/portal/$"))
    provider.get_by_role("link", name="Onboarding").click()
    expect(provider.get_by_role("heading", level=1)).to_have_text("Tell the school about your organisation")
    expect(task_status(provider, "Documents")).to_have_text("Cannot start yet")
    check_page(provider, "journey-tasks")

    provider.get_by_role("link", name="Organisation details").click()
    expect(provider.get_by_role("heading", level=1)).to_have_text("Organisation details")
    check_page(provider, "journey-organisation")
    provider.get_by_label("Unregistered alternative provision").check()
    provider.get_by_label("Type of setting").fill("Farm-based vocational provision")
    provider.get_by_label("Address line 1").fill("Hill Farm")
    provider.get_by_label("Town or city").fill("Exampleton")
    provider.get_by_label("Postcode").fill("ex1 1aa")
    provider.get_by_role("button", name="Save and continue").click()
    expect(banner(provider)).to_contain_text("Organisation details saved")
    expect(task_status(provider, "Organisation details")).to_have_text("Completed")

    provider.get_by_role("link", name="Teaching sites").click()
    expect(provider.get_by_role("heading", level=1)).to_have_text("Teaching sites")
    provider.get_by_label("Site name").fill("Hill Farm workshop")
    provider.get_by_label("Address line 1").fill("Hill Farm")
    provider.get_by_label("Town or city").fill("Exampleton")
    provider.get_by_label("Postcode").fill("EX1 1AA")
    provider.get_by_label("What happens at this site").fill("Construction skills workshop, English and maths")
    provider.get_by_role("button", name="Add site").click()
    expect(banner(provider)).to_contain_text("Hill Farm workshop added")
    expect(provider.get_by_role("heading", name="Hill Farm workshop")).to_be_visible()
    check_page(provider, "journey-sites")
    provider.get_by_role("link", name="Back to your task list").click()
    expect(task_status(provider, "Teaching sites")).to_have_text("Completed")

    provider.get_by_role("link", name="Contacts").click()
    expect(provider.get_by_role("heading", level=1)).to_have_text("Contacts")
    provider.get_by_label("Manager's full name").fill("Morgan Manager")
    provider.get_by_label("Manager's email address").fill("morgan@northside.example")
    provider.get_by_label("Manager's phone number").fill("01632 960 001")
    provider.get_by_label("DSL's full name").fill("Dana Safeguard")
    provider.get_by_label("DSL's email address").fill("dana@northside.example")
    provider.get_by_label("DSL's phone number").fill("01632 960 002")
    trained = today - timedelta(days=200)
    fill_date(provider, "When did the DSL last complete safeguarding training?", trained)
    check_page(provider, "journey-contacts")
    provider.get_by_role("button", name="Save and continue").click()
    expect(banner(provider)).to_contain_text("Contacts saved")
    expect(task_status(provider, "Contacts")).to_have_text("Completed")

    # --- every required document, through the upload pages ---
    provider.get_by_role("link", name="Documents").click()
    expect(provider.get_by_role("heading", level=1)).to_have_text("Documents")
    upload_links = provider.get_by_role("link", name=re.compile(r"^Upload "))
    expect(upload_links).to_have_count(len(UNREGISTERED_EVIDENCE))
    check_page(provider, "journey-documents-empty")
    for index, kind in enumerate(UNREGISTERED_EVIDENCE):
        if index == 0:
            provider.get_by_role("link", name=f"Upload {kind.name}", exact=True).click()
            expect(provider.get_by_role("heading", level=1)).to_have_text(kind.name)
            check_page(provider, "journey-upload")
            provider.go_back()
        upload_file(provider, kind.name, files[kind.code])
    expect(provider.locator("main")).not_to_contain_text("Not uploaded")
    expect(provider.locator(".govuk-summary-list .govuk-tag", has_text="Awaiting review")).to_have_count(
        len(UNREGISTERED_EVIDENCE)
    )
    check_page(provider, "journey-documents-uploaded")
    provider.get_by_role("link", name="Back to your task list").click()
    expect(task_status(provider, "Documents")).to_have_text("Completed")

    # --- the staff list and the written confirmation ---
    expect(task_status(provider, "Written confirmation of staff checks")).to_have_text("Cannot start yet")
    provider.get_by_role("link", name="Staff list").click()
    expect(provider.get_by_role("heading", level=1)).to_have_text("Staff list")
    provider.get_by_label("Full name").fill("Sam Tutor")
    provider.get_by_label("Role", exact=True).fill("Workshop leader")
    provider.get_by_label("DBS certificate number").fill("001234567891")
    fill_date(provider, "Date the DBS certificate was issued", today - timedelta(days=400))
    provider.get_by_role("group", name="Will they work with the school's pupils?").get_by_label("Yes").check()
    fill_date(provider, "Date they started working for you", today - timedelta(days=400))
    provider.get_by_role("group", name="Is it an enhanced certificate").get_by_label("Yes").check()
    provider.get_by_role("group", name="Is the certificate on the DBS Update Service?").get_by_label("Yes").check()
    provider.get_by_label("Identity").check()
    provider.get_by_label("Right to work in the UK").check()
    provider.get_by_role("group", name="Prohibition from teaching check").get_by_label("Done").check()
    provider.get_by_role("button", name="Add to staff list").click()
    expect(banner(provider)).to_contain_text("Sam Tutor added")
    expect(provider.get_by_role("table")).to_contain_text("Workshop leader")
    check_page(provider, "journey-staff")

    provider.get_by_role("link", name="Sign the written confirmation").click()
    expect(provider.get_by_role("heading", level=1)).to_have_text("Written confirmation of staff checks")
    expect(provider.locator("main")).to_contain_text("It covers the 1 person on your staff list")
    check_page(provider, "journey-confirmation")
    provider.get_by_label("I confirm the statement above is true").check()
    provider.get_by_label("Your full name").fill("Morgan Manager")
    provider.get_by_label("Your role").fill("Centre manager")
    provider.get_by_role("button", name="Sign the confirmation").click()
    expect(banner(provider)).to_contain_text("Written confirmation signed")
    for title in ("Organisation details", "Teaching sites", "Contacts", "Documents", "Staff list"):
        expect(task_status(provider, title)).to_have_text("Completed")
    expect(task_status(provider, "Written confirmation of staff checks")).to_have_text("Completed")
    check_page(provider, "journey-tasks-complete")

    # --- submit for approval ---
    provider.get_by_role("link", name=f"Check your answers and submit them to {SCHOOL}").click()
    expect(provider.get_by_role("heading", level=1)).to_have_text("Check and submit for approval")
    expect(provider.get_by_role("table")).to_contain_text("Awaiting review")
    check_page(provider, "journey-submit")
    provider.get_by_role("button", name="Submit for approval").click()
    expect(banner(provider)).to_contain_text(f"Submitted to {SCHOOL}. Its AP lead has been told")
    expect(provider.locator("main")).to_contain_text(f"You have submitted your onboarding to {SCHOOL}.")

    # --- the school's DSL: verifies the child protection policy, rejects the risk assessment ---
    reviewer = new_page()
    sign_in_with_code(reviewer, dsl)
    expect(reviewer).to_have_url(re.compile(r"/school/$"))
    reviewer.get_by_role("link", name="Documents to verify").click()
    queue = reviewer.get_by_role("table")
    for kind in UNREGISTERED_EVIDENCE:
        expect(queue.get_by_role("link", name=kind.name, exact=True)).to_be_visible()
    expect(queue).to_contain_text(PROVIDER)
    check_page(reviewer, "journey-queue")

    policy = kinds[DSL_VERIFIES]
    reviewer.get_by_role("link", name=policy.name, exact=True).click()
    expect(reviewer.get_by_role("heading", level=1)).to_have_text(policy.name)
    reviewer.get_by_role("button", name="Verify document").click()
    summary = reviewer.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Work through the checklist before verifying")
    expect(summary).to_be_focused()
    expect(reviewer).to_have_title(re.compile(r"^Error: Verify"))
    check_page(reviewer, "journey-review-errors")
    for item in policy.checklist:
        reviewer.get_by_label(item, exact=True).check()
    legend, days = DATE_FIELDS[policy.date_kind]
    fill_date(reviewer, legend, today + timedelta(days=days))
    reviewer.get_by_role("button", name="Verify document").click()
    expect(banner(reviewer)).to_contain_text(f"{policy.name} verified")

    rejected = kinds[DSL_REJECTS]
    reviewer.get_by_role("link", name=rejected.name, exact=True).click()
    expect(reviewer.get_by_role("heading", level=1)).to_have_text(rejected.name)
    expect(reviewer.locator("main")).to_contain_text("can verify this type of document")  # the AP lead's to verify
    check_page(reviewer, "journey-review")
    reviewer.get_by_label("Why are you rejecting it?").fill(REJECTION)
    reviewer.get_by_role("button", name="Reject document").click()
    expect(banner(reviewer)).to_contain_text(f"{rejected.name} rejected. The provider can see your reason.")
    expect(reviewer.get_by_role("link", name=rejected.name, exact=True)).to_have_count(0)
    sign_out(reviewer)

    # --- the AP lead verifies the rest ---
    lead = new_page()
    sign_in_with_code(lead, ap_lead)
    expect(lead).to_have_url(re.compile(r"/school/$"))
    for kind in UNREGISTERED_EVIDENCE:
        if kind.code not in (DSL_VERIFIES, DSL_REJECTS):
            verify_in_the_browser(lead, kind, today=today)
    expect(lead.locator("main")).to_contain_text("Nothing is waiting to be verified.")

    lead.get_by_role("link", name="Providers").click()
    lead.get_by_role("link", name=PROVIDER).click()
    expect(lead.get_by_role("heading", level=1)).to_contain_text("Submitted")
    # What the provider typed, the DSL's training date from its three boxes included.
    details = lead.locator(".govuk-summary-list").first  # the organisation's details
    expect(details).to_contain_text("Unregistered alternative provision")
    expect(details).to_contain_text("Farm-based vocational provision")
    expect(details).to_contain_text("Hill Farm, Exampleton, EX1 1AA")
    expect(details).to_contain_text(f"Dana Safeguard, 01632 960 002, trained {trained.day} {trained:%B %Y}")
    checklist = lead.get_by_role("table", name="What approval needs")
    expect(checklist.get_by_role("row", name=re.compile(rejected.name))).to_contain_text("Rejected")
    check_page(lead, "journey-provider-before")

    # --- the provider sees the reason and uploads a new version ---
    provider.get_by_role("link", name="Onboarding").click()
    expect(task_status(provider, "Documents")).to_have_text("Incomplete")
    expect(provider.locator("main")).to_contain_text("1 needs a new version")
    provider.get_by_role("link", name="Documents").click()
    expect(provider.locator("main")).to_contain_text(f"The school said: {REJECTION}")
    expect(provider.locator(".govuk-summary-list .govuk-tag", has_text="Rejected")).to_have_count(1)
    check_page(provider, "journey-documents-rejected")
    second = tmp_path / "Risk assessment covering Hill Farm.pdf"
    second.write_bytes(pdf_bytes())
    upload_file(provider, rejected.name, second, new_version=True)
    expect(provider.locator("main")).not_to_contain_text(REJECTION)
    expect(provider.get_by_role("link", name=second.name)).to_be_visible()

    # --- the AP lead verifies it and approves the provider ---
    verify_in_the_browser(lead, rejected, today=today, file_name=second.name, version=2)

    lead.get_by_role("link", name="Providers").click()
    lead.get_by_role("link", name=PROVIDER).click()
    expect(lead.get_by_role("heading", level=1)).to_contain_text(PROVIDER)
    expect(checklist.get_by_role("row", name=re.compile(rejected.name))).to_contain_text("Verified until")
    expect(checklist).not_to_contain_text("Not yet")
    lead.get_by_label("Approve for placements").check()
    lead.get_by_label("Notes").fill("Every check done; site visit to Hill Farm on the placement start date.")
    lead.get_by_role("button", name="Record decision").click()
    expect(banner(lead)).to_contain_text(f"Decision recorded for {PROVIDER}")
    expect(lead.get_by_role("heading", level=1)).to_contain_text("Approved")
    expect(lead.get_by_role("heading", level=1)).not_to_contain_text("At risk")
    expect(lead.locator("main")).to_contain_text("Every check done; site visit to Hill Farm")
    check_page(lead, "journey-provider-approved")

    # --- the provider's task list says approved ---
    provider.get_by_role("link", name="Onboarding").click()
    expect(provider.locator("main")).to_contain_text(f"{SCHOOL} has approved your organisation.")
    for title in ("Documents", "Written confirmation of staff checks"):
        expect(task_status(provider, title)).to_have_text("Completed")
    check_page(provider, "journey-tasks-approved")


# --- issue 4: place a pupil, the provider reports an absence, the school acts the same day -------------------------


def _last_school_day(today: date) -> date:
    from shared.services.school_calendar.days import is_bank_holiday

    day = today - timedelta(days=1)
    while day.weekday() >= 5 or is_bank_holiday(day):
        day -= timedelta(days=1)
    return day


def test_a_placed_pupils_absence_reaches_the_attendance_lead_and_the_social_worker(world, new_page, app, mailbox):
    """The journey the placements issue names, in the browser: the school places a pupil, the provider marks an
    unexplained absence, the attendance lead sees the alert, and the social worker's e-mail is in the mail sink."""
    from shared.extensions import db
    from shared.models import ProviderStatus
    from shared.notifications import deliver_outbox

    day = _last_school_day(date.today())  # the provider enters a past school day's marks late
    school = world.school(SCHOOL)
    world.term(school, start=day - timedelta(days=60), end=day + timedelta(days=60), name="This term")
    provider = world.provider(school, PROVIDER, ProviderStatus.APPROVED, provider_type="unregistered_ap")
    world.site(provider, "Community centre")
    pupil = world.pupil(
        school,
        first_name="Jayden",
        last_name="Walsh",
        social_worker_name="Sol Worker",
        social_worker_email="social.worker@demo-la.example",
    )
    head = world.user(school, [AP_LEAD, HEADTEACHER])
    attendance_lead = world.user(school, ["attendance_lead"])
    staff = world.user(provider, ["provider_staff"])

    page = new_page()
    sign_in_with_code(page, head)
    page.goto(f"/school/pupils/{pupil}")
    check_page(page, "pupil")
    page.goto(f"/school/pupils/{pupil}/placements/new")
    check_page(page, "placement-choose-provider")
    page.get_by_label(PROVIDER).check()
    page.get_by_role("button", name="Continue").click()
    check_page(page, "placement-plan")
    page.get_by_role("button", name="Save plan and send for decision").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Choose the site or sites")
    check_page(page, "placement-plan-errors")
    page.get_by_label("Community centre").check()
    page.get_by_label("Arranged by the school (code B in the register)").check()
    page.get_by_label("At risk of permanent exclusion").check()
    fill_date(page, "Start date", day - timedelta(days=14))
    fill_date(page, "Maximum end date", day + timedelta(weeks=12))
    for weekday in ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday"):
        for session in ("AM", "PM"):
            page.get_by_label(f"{weekday} {session}", exact=True).check()
    page.get_by_label("Hours a week").fill("25")
    page.get_by_label("Why this placement").fill("A smaller setting to rebuild attendance.")
    page.get_by_label("Intended outcomes").fill("Attendance above 90%.")
    page.get_by_label("Review arrangements").fill("Every six weeks with parents.")
    page.get_by_label("Reintegration criteria").fill("A half-term above 90%.")
    page.get_by_label("6 weeks").check()
    page.get_by_role("button", name="Save plan and send for decision").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Jayden")
    check_page(page, "placement")
    page.get_by_role("link", name="Decide").click()
    check_page(page, "placement-decision")
    page.get_by_label("Agree the placement").check()
    page.get_by_label("Why the placement can start before the risk assessment is signed").fill("Signed next week.")
    page.get_by_role("button", name="Record decision").click()
    expect(page.locator("main")).to_contain_text("Active")
    sign_out(page)

    fill_sign_in(page, staff.email, staff.password)
    page.goto(f"/portal/attendance?day={day.isoformat()}")
    expect(page.locator("main")).to_contain_text("Jayden Walsh")
    check_page(page, "provider-attendance-day")
    page.get_by_label("Mark (Jayden Walsh, AM)", exact=True).select_option("Absent: unexplained")
    page.get_by_role("button", name="Save the register").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Register saved: 1 mark saved")
    check_page(page, "provider-attendance-after-mark")
    sign_out(page)

    sign_in_with_code(page, attendance_lead)
    page.goto(f"/school/attendance?day={day.isoformat()}")
    main = page.locator("main")
    expect(main).to_contain_text("Jayden Walsh")
    expect(main).to_contain_text("Absent")
    check_page(page, "attendance-lead-day")
    with app.app_context():
        sent, failed = deliver_outbox()
        assert failed == 0 and sent >= 3  # the social worker, the attendance lead, the provider chased
        db.session.remove()
    page.reload()
    expect(main).to_contain_text("Delivered")
    check_page(page, "attendance-lead-day-delivered")
    (message,) = mailbox.to("social.worker@demo-la.example")
    body = mailbox.body(message)
    assert "Jayden Walsh was absent from Northside Learning Centre (AM session" in body
    assert "no reason given (unexplained)" in body


def test_every_page_of_placements_attendance_incidents_and_reviews_is_accessible(world, new_page, app):
    """Beyond the journey: every page of the placements issue on both sides, with data on it, and forms with errors."""
    from shared.extensions import db
    from shared.models import Placement, ProviderStatus
    from shared.services.attendance.marks import MarkEntry, record_mark

    day = _last_school_day(date.today())
    school = world.school(SCHOOL)
    world.term(school, start=day - timedelta(days=60), end=day + timedelta(days=60), name="This term")
    provider = world.provider(school, PROVIDER, ProviderStatus.APPROVED, provider_type="unregistered_ap")
    world.site(provider, "Community centre")
    pupil = world.pupil(school, first_name="Jayden", last_name="Walsh", preferred_name="JJ")
    placement = world.placement(school, provider, pupil, start=day - timedelta(days=21))
    with app.app_context():
        row = db.session.get(Placement, placement)
        record_mark(row, day, "AM", MarkEntry.parse("late", 10), by=None)
        record_mark(row, day, "PM", MarkEntry.parse("absent", reason="illness"), by=None)
    incident = world.incident(placement)
    review = world.review(placement)
    visit = world.visit(provider)
    lead = world.user(school, [AP_LEAD, HEADTEACHER, "attendance_lead", "sendco"])
    page = new_page()
    sign_in_with_code(page, lead)
    for path, name in [
        ("/school/pupils", "pupils"),
        ("/school/pupils/new", "pupil-new"),
        ("/school/pupils/import", "pupils-import"),
        (f"/school/pupils/{pupil}/edit", "pupil-edit"),
        ("/school/placements", "placements"),
        (f"/school/placements/{placement}/summary", "placement-summary"),
        (f"/school/placements/{placement}/risk-assessment", "placement-risk-assessment"),
        (f"/school/placements/{placement}/end", "placement-end"),
        (f"/school/placements/{placement}/edit", "placement-edit"),
        ("/school/attendance", "attendance-today"),
        (f"/school/attendance/pupils/{pupil}", "attendance-heat-map"),
        ("/school/attendance/export", "attendance-export"),
        ("/school/attendance/percentages", "attendance-percentages"),
        ("/school/calendar", "school-calendar"),
        ("/school/incidents", "school-incidents"),
        (f"/school/incidents/{incident}", "school-incident"),
        ("/school/reviews", "reviews"),
        (f"/school/placements/{placement}/reviews/new", "review-new"),
        (f"/school/reviews/{review}", "review"),
        ("/school/visits", "visits"),
        (f"/school/visits/{visit}", "visit"),
        (f"/school/providers/{provider}/visits/new", "visit-new"),
        (f"/school/providers/{provider}/deadlines", "provider-deadlines"),
        (f"/school/providers/{provider}", "provider-with-placements"),
        (f"/school/providers/{provider}/agreement", "provider-agreement"),
        (f"/school/providers/{provider}/agreement/edit", "provider-agreement-edit"),
        ("/school/compliance", "compliance"),
        ("/school/", "school-home-with-tasks"),
        ("/school/reports", "reports"),
        ("/school/reports/inspection", "inspection-pack"),
        ("/school/reports/census", "census-form"),
    ]:
        page.goto(path)
        check_page(page, name)
    page.goto("/school/pupils/new")
    page.get_by_role("button", name=re.compile("Save|Add")).first.click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    check_page(page, "pupil-new-errors")
    sign_out(page)

    manager = world.user(provider, [PROVIDER_MANAGER])
    fill_sign_in(page, manager.email, manager.password)
    expect(page).to_have_url(re.compile(r"/portal/$"))
    for path, name in [
        ("/portal/pupils", "provider-pupils"),
        (f"/portal/pupils/{placement}", "provider-pupil"),
        (f"/portal/attendance?day={day.isoformat()}", "provider-attendance-marked-day"),
        (f"/portal/attendance/{placement}?day={day.isoformat()}&session=AM", "provider-mark-history"),
        (f"/portal/attendance/week?start={day.isoformat()}", "provider-attendance-week"),
        ("/portal/attendance/upload", "provider-attendance-upload"),
        ("/portal/incidents", "provider-incidents"),
        ("/portal/incidents/new", "provider-incident-new"),
        (f"/portal/incidents/{incident}", "provider-incident"),
        ("/portal/api-tokens", "provider-api-tokens"),
        ("/portal/", "provider-home-with-tasks"),
        ("/portal/agreement", "provider-own-agreement"),
    ]:
        page.goto(path)
        check_page(page, name)
    page.goto("/portal/incidents/new")
    page.get_by_role("button", name=re.compile("Send|Report|Save")).first.click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    check_page(page, "provider-incident-new-errors")


# --- issue 5: the safeguarding exchange between the two DSLs ---------------------------------------------------------


def test_a_concern_and_a_notice_pass_between_the_dsls_and_the_chronology_shows_both(world, new_page, app, mailbox):
    """The journey the safeguarding issue names: a provider DSL raises a concern; the school DSL is alerted,
    acknowledges and records a decision not to refer with its rationale; the school DSL shares an Operation
    Encompass notice; the provider DSL acknowledges it; the chronology shows all of it in order."""
    from shared.extensions import db
    from shared.models import ProviderStatus
    from shared.notifications import deliver_outbox

    today = date.today()
    school = world.school(SCHOOL)
    world.term(school, start=today - timedelta(days=60), end=today + timedelta(days=60), name="This term")
    provider = world.provider(school, PROVIDER, ProviderStatus.APPROVED, provider_type="unregistered_ap")
    pupil = world.pupil(school, first_name="Jayden", last_name="Walsh")
    world.placement(school, provider, pupil, start=today - timedelta(days=21))
    provider_dsl = world.user(provider, ["provider_dsl"])
    school_dsl = world.user(school, [DSL], email="dsl@riverside-school.example")

    page = new_page()
    sign_in_with_code(page, provider_dsl)
    page.goto("/portal/concerns/new")
    expect(page.locator(".govuk-warning-text")).to_contain_text("call 999")
    check_page(page, "concern-new")
    page.get_by_role("button", name="Send concern").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Choose the pupil")
    check_page(page, "concern-new-errors")
    page.get_by_label(re.compile("Jayden Walsh")).check()
    fill_date(page, "Date you saw or heard it", today - timedelta(days=1))
    page.get_by_label("Time", exact=True).fill("10:30")
    page.get_by_label("Where").fill("Workshop")
    page.get_by_label("Neglect").check()
    page.get_by_label("What did you see or hear?").fill("Came in hungry and without a coat for the third day.")
    page.get_by_label("The child's own words").fill("There was no food in the house.")
    page.get_by_label("What have you done so far?").fill("Gave breakfast and a spare coat.")
    page.get_by_role("button", name="Send concern").click()
    expect(page.locator("main")).not_to_contain_text("There is a problem")
    check_page(page, "concern-sent")
    page.goto("/portal/concerns")
    check_page(page, "provider-concerns")
    sign_out(page)

    with app.app_context():
        deliver_outbox()
        db.session.remove()
    (alert,) = mailbox.to(school_dsl.email)
    body = mailbox.body(alert)
    assert "hungry" not in body and "Jayden" not in body and "neglect" not in body.lower()

    sign_in_with_code(page, school_dsl)
    page.goto("/school/concerns")
    check_page(page, "school-concerns")
    page.get_by_role("link", name=re.compile("Jayden Walsh")).click()
    expect(page.locator("main")).to_contain_text("Came in hungry")
    check_page(page, "school-concern")
    page.get_by_role("button", name="Acknowledge").click()
    page.get_by_label("No referral").check()
    page.get_by_label("Reason for the decision").fill("Mum accepted Early Help last week; food bank referral made.")
    page.get_by_role("button", name="Record decision").click()
    expect(page.locator("main")).to_contain_text("Mum accepted Early Help last week")
    check_page(page, "school-concern-decided")

    page.goto(f"/school/notices/new?pupil={pupil}")
    check_page(page, "notice-new")
    page.get_by_label("Operation Encompass notice").check()
    page.get_by_label("Police reference").fill("OE/2026/4411")
    fill_date(page, "Date of the incident", today - timedelta(days=1))
    page.get_by_label("Time of the incident").fill("22:15")
    page.get_by_label("Where it happened").fill("The family home")
    page.get_by_label("Yes", exact=True).check()
    page.get_by_label("What the provider needs to know").fill("A disturbed night: offer a quiet space this morning.")
    page.get_by_role("button", name="Share notice").click()
    check_page(page, "notice-shared")
    page.goto("/school/notices")
    check_page(page, "school-notices")
    sign_out(page)

    sign_in_with_code(page, provider_dsl, code_offset=1)
    page.goto("/portal/notices")
    check_page(page, "provider-notices")
    page.get_by_role("link", name=re.compile(r"\d{4} at \d\d:\d\d")).first.click()
    expect(page.locator("main")).to_contain_text("A disturbed night")
    check_page(page, "provider-notice")
    page.get_by_role("button", name="I have read this notice").click()
    check_page(page, "provider-notice-acknowledged")
    sign_out(page)

    sign_in_with_code(page, school_dsl, code_offset=1)
    page.goto(f"/school/pupils/{pupil}/chronology")
    check_page(page, "chronology")
    rows = page.locator("main table tbody tr").all_inner_texts()
    text = "\n".join(rows)
    order = [
        text.find("Came in hungry"),
        text.find("Mum accepted Early Help"),
        text.find("A disturbed night"),
    ]
    assert all(position >= 0 for position in order), text
    assert order == sorted(order), text
    assert "acknowledged" in text.lower()
    page.goto("/school/safeguarding/access-log")
    expect(page.locator("main")).to_contain_text("Opened a notice")
    check_page(page, "safeguarding-access-log")
    for path, name in [
        ("/school/policies", "school-policies"),
        ("/school/policies/new", "school-policy-upload"),
        (f"/school/providers/{provider}/policy-review", "provider-policy-review"),
    ]:
        page.goto(path)
        check_page(page, name)
    sign_out(page)
    # A third sign-in of the same person would need a third time-step's code (only the current step and one either
    # side are accepted, each once): the provider's deputy DSL signs in instead.
    sign_in_with_code(page, world.user(provider, ["provider_dsl"]))
    page.goto("/portal/policies")
    expect(page.get_by_role("heading", level=1)).to_have_text("Child protection policies")
    check_page(page, "provider-policies")


# --- issue 6: the AP lead's task list, agreement breaches and compliance ---------------------------------------------


def test_the_ap_lead_works_through_their_task_list_and_closes_a_breach(world, new_page, app):
    from shared.models import ProviderStatus

    today = date.today()
    school = world.school(SCHOOL)
    term_start = today - timedelta(days=80)
    world.term(school, start=term_start, end=today + timedelta(days=40), name="This term")
    provider = world.provider(school, PROVIDER, ProviderStatus.APPROVED, provider_type="unregistered_ap")
    pupil = world.pupil(school, first_name="Jayden", last_name="Walsh")
    placement = world.placement(school, provider, pupil, start=term_start + timedelta(days=3))
    world.agreement(provider)
    breach = world.breach(
        provider,
        "incidents",
        period_start=term_start,
        period_end=today + timedelta(days=40),
        period_name="This term",
        summary="1 of 3 incidents reported in time",
    )
    lead = world.user(school, [AP_LEAD])
    page = new_page()
    sign_in_with_code(page, lead)
    expect(page).to_have_url(re.compile(r"/school/$"))
    tasks = page.locator("main li, main .govuk-summary-list__row, main tr")
    expect(page.locator("main")).to_contain_text("1 approved organisation is at risk")
    expect(page.locator("main")).to_contain_text("1 placement review is overdue")
    expect(page.locator("main")).to_contain_text("not had a visit from the school in the last 6 weeks")
    breach_task = "1 breach of a service level agreement needs you to record what you did"
    expect(page.locator("main")).to_contain_text(breach_task)
    # Most urgent first: the provider at risk (urgent) comes before the breach (today) and the visit (soon).
    listed = tasks.all_inner_texts()
    order = [next(i for i, t in enumerate(listed) if words in t) for words in ("at risk", "breach", "visit")]
    assert order == sorted(order), listed
    check_page(page, "ap-lead-task-list")

    page.get_by_role("link", name=re.compile(breach_task)).click()
    expect(page).to_have_url(re.compile(r"/school/compliance/breaches$"))
    expect(page.locator("main")).to_contain_text("To deal with (1)")
    check_page(page, "compliance-breaches")
    page.get_by_role("link", name=re.compile("Incidents reported in time")).click()
    expect(page).to_have_url(re.compile(f"/school/compliance/breaches/{breach}$"))
    check_page(page, "compliance-breach-resolve")
    page.get_by_role("button", name="Record and close the breach").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter what you did about the breach")
    check_page(page, "compliance-breach-resolve-errors")
    page.get_by_label("What you did about it").fill("Spoke to the manager: incident reports now go the same day.")
    page.get_by_role("button", name="Record and close the breach").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Breach closed")
    expect(page.locator("main")).to_contain_text("To deal with (0)")
    page.goto("/school/")
    expect(page.locator("main")).not_to_contain_text("breach of a service level agreement")

    for path, name in [
        ("/school/compliance", "compliance-all-providers"),
        (f"/school/compliance/providers/{provider}", "compliance-provider"),
        (f"/school/compliance/placements/{placement}", "compliance-placement"),
        (f"/school/placements/{placement}/agreement", "placement-agreement"),
        (f"/school/placements/{placement}/agreement/edit", "placement-agreement-edit"),
        (f"/school/providers/{provider}/agreement/signed-copy", "agreement-signed-copy-upload"),
    ]:
        page.goto(path)
        check_page(page, name)
    sign_out(page)

    manager = world.user(provider, [PROVIDER_MANAGER])
    fill_sign_in(page, manager.email, manager.password)
    expect(page).to_have_url(re.compile(r"/portal/$"))
    page.goto("/portal/compliance")
    expect(page.locator("h1")).to_have_text("How well you keep the agreement")
    check_page(page, "provider-compliance")


def test_the_headteacher_enters_the_ap_budget_and_a_governor_reads_the_report(world, new_page, app):
    from shared.models import ProviderStatus

    today = date.today()
    school = world.school(SCHOOL)
    provider = world.provider(school, PROVIDER, ProviderStatus.APPROVED, provider_type="unregistered_ap")
    for _ in range(6):  # enough pupils that some figures are shown, not suppressed
        world.placement(school, provider, start=today - timedelta(days=60), cost_pence=450_000, cost_period="placement")
    head = world.user(school, [HEADTEACHER])
    page = new_page()
    sign_in_with_code(page, head)
    expect(page.locator("main")).to_contain_text("No AP budget is recorded")
    page.get_by_role("link", name=re.compile("No AP budget is recorded")).click()
    expect(page).to_have_url(re.compile(r"/school/budget"))
    check_page(page, "ap-budget")
    page.get_by_label("Budget approved by the governors").fill("lots")
    page.get_by_role("button", name=re.compile("Save")).click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    check_page(page, "ap-budget-errors")
    page.get_by_label("Budget approved by the governors").fill("20,000")
    page.get_by_role("button", name=re.compile("Save")).click()
    expect(page.locator("main")).to_contain_text("£20,000")
    page.goto("/school/")
    expect(page.locator("main")).to_contain_text("£27,000: £7,000 over the £20,000 AP budget")
    page.goto("/school/reports/governors")
    expect(page.locator("h1")).to_have_text("Alternative provision: report to governors")
    check_page(page, "governors-report")
    sign_out(page)

    governor = world.user(school, ["governor"])
    if governor.totp_secret:
        sign_in_with_code(page, governor, code_offset=1)
    else:
        fill_sign_in(page, governor.email, governor.password)
    page.get_by_role("link", name="Governors' report").first.click()
    expect(page.locator("main")).to_contain_text("fewer than 5")
    check_page(page, "governors-report-for-a-governor")
    response = page.request.get("/school/reports/governors.pdf")
    assert response.status == 200 and response.body().startswith(b"%PDF")
