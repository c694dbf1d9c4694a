"""In Debian's Chromium (issue 13, "the school must see what it is trusting"): a provider uploads its registration
evidence, the AP lead rejects it with a reason, the provider uploads a second version of two files, the AP lead sees
both versions with who did what and why and the files' real sizes, verifies it, then reopens it with a reason.
axe-core finds no WCAG 2.2 AA violations on each new or changed page (tests/test_browser.py's check_page)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from shared.display import file_size
from shared.extensions import db
from shared.models import Organisation
from shared.roles import AP_LEAD, PROVIDER_MANAGER
from tests.support.files import pdf_bytes
from tests.test_browser import check_page, fill_sign_in, sign_in_with_code

pytestmark = pytest.mark.browser

SCHOOL = "Riverside Community School"
PROVIDER = "Northside Learning Centre"
ITEM = "Registration evidence and latest Ofsted report"
REASON = "This is the 2019 report: upload the latest one, published in 2025"
REOPEN_REASON = "Ofsted published a new report on 1 December: check it again"


def _choose_files(page, files: list[tuple[str, bytes]]) -> None:
    page.get_by_label("Choose a file").set_input_files(
        files=[{"name": name, "mimeType": "application/pdf", "buffer": data} for name, data in files]
    )


def test_the_ap_lead_sees_every_version_with_who_and_why_verifies_then_reopens(world, app, new_page):
    school = world.school(SCHOOL)
    provider = world.provider(school, PROVIDER, provider_type="registered_school")
    with app.app_context():
        profile = db.session.get(Organisation, provider).provider_profile
        profile.urn = "123456"
        db.session.commit()
    manager = world.user(provider, [PROVIDER_MANAGER])
    ap_lead = world.user(school, [AP_LEAD])
    old_report = pdf_bytes()
    certificate, new_report = pdf_bytes(), pdf_bytes() + b"%" + b"x" * 5000 + b"\n"

    # The provider uploads version 1.
    portal = new_page()
    portal.goto("/sign-in")
    fill_sign_in(portal, manager.email, manager.password)
    expect(portal).to_have_url(re.compile(r"/portal/$"))
    portal.goto("/portal/onboarding/documents")
    portal.get_by_role("link", name=f"Upload {ITEM}").click()
    _choose_files(portal, [("Ofsted report 2019.pdf", old_report)])
    portal.get_by_role("button", name="Upload file").click()
    expect(portal.locator(".govuk-notification-banner")).to_contain_text("Ofsted report 2019.pdf uploaded")

    # The AP lead rejects it with a reason.
    school_page = new_page()
    sign_in_with_code(school_page, ap_lead)
    expect(school_page).to_have_url(re.compile(r"/school/$"))
    school_page.goto("/school/verification")
    school_page.get_by_role("link", name=ITEM).click()
    expect(school_page.locator("main")).to_contain_text(
        f"Ofsted report 2019.pdf (download) ({file_size(len(old_report))})"
    )
    school_page.get_by_label("Why are you rejecting it?").fill(REASON)
    school_page.get_by_role("button", name="Reject document").click()
    expect(school_page.locator(".govuk-notification-banner")).to_contain_text("rejected")

    # The provider reads why, and uploads version 2: the certificate and the latest report, two files at once.
    portal.goto("/portal/onboarding/documents")
    expect(portal.locator("main")).to_contain_text(f"The school said: {REASON}")
    portal.get_by_role("link", name=f"Upload a new version of {ITEM}").click()
    expect(portal.locator("main")).to_contain_text("You can choose up to 5 files")
    check_page(portal, "evidence-upload-after-rejection", school=SCHOOL)
    _choose_files(portal, [("Registration certificate.pdf", certificate), ("Ofsted report 2025.pdf", new_report)])
    portal.get_by_role("button", name="Upload file").click()
    expect(portal.locator(".govuk-notification-banner")).to_contain_text(
        "Registration certificate.pdf and Ofsted report 2025.pdf uploaded"
    )
    main = portal.locator("main")
    expect(main).to_contain_text(f"Ofsted report 2025.pdf (download) ({file_size(len(new_report))})")
    check_page(portal, "evidence-documents-two-files", school=SCHOOL)

    # The AP lead sees both versions: what was rejected, by whom and why, and the new files with their real sizes.
    school_page.goto("/school/verification")
    school_page.get_by_role("link", name=ITEM).click()
    review = school_page.locator("main")
    expect(review).to_contain_text(f"Registration certificate.pdf (download) ({file_size(len(certificate))})")
    expect(review).to_contain_text(f"Ofsted report 2025.pdf (download) ({file_size(len(new_report))})")
    expect(review).not_to_contain_text("0 KB")
    expect(review).to_contain_text("Every version")
    version_1 = school_page.locator(".app-evidence-version", has_text="Version 1")
    expect(version_1).to_contain_text("Ofsted report 2019.pdf")
    expect(version_1).to_contain_text("Rejected")
    expect(version_1).to_contain_text(REASON)
    expect(version_1).to_contain_text("Test ap_lead")  # who rejected it
    expect(version_1).to_contain_text("Test provider_manager")  # who uploaded it
    check_page(school_page, "evidence-review-with-history")

    # Verifies version 2.
    for box in school_page.locator("input[name='verify-checklist']").all():
        box.check()
    school_page.get_by_role("button", name="Verify document").click()
    expect(school_page.locator(".govuk-notification-banner")).to_contain_text(f"{ITEM} verified")

    # Then, from the provider's page, opens the item's history and reopens it: first without a reason.
    school_page.goto("/school/providers")
    school_page.get_by_role("link", name=PROVIDER).first.click()
    check_page(school_page, "provider-page-with-evidence")
    school_page.get_by_role("link", name=re.compile(f"^{ITEM}.*every version$")).click()
    expect(school_page.get_by_role("heading", level=1)).to_have_text(ITEM)
    expect(school_page.locator("main")).to_contain_text("Verified")
    check_page(school_page, "evidence-history")
    school_page.get_by_role("button", name="Reopen document").click()
    expect(school_page.locator(".govuk-error-summary")).to_contain_text("Say why you are reopening it")
    check_page(school_page, "evidence-history-reopen-error")
    school_page.get_by_label("Why are you reopening it?").fill(REOPEN_REASON)
    school_page.get_by_role("button", name="Reopen document").click()
    expect(school_page.locator(".govuk-notification-banner")).to_contain_text("reopened")
    version_2 = school_page.locator(".app-evidence-version", has_text="Version 2")
    expect(version_2).to_contain_text("Verified")
    expect(version_2).to_contain_text("Reopened")
    expect(version_2).to_contain_text(REOPEN_REASON)
    expect(school_page.locator("main")).to_contain_text("Awaiting review")
    check_page(school_page, "evidence-history-reopened")
