"""Issue 15, progress the school can see, in Chromium: the provider records where the pupil starts, follows its list
to the half-term progress report and sends it with a photo of the pupil's work; the school's AP lead reads both on
the placement page and downloads the photo. axe finds no WCAG 2.2 AA violations on each new page.

The live server runs on the real clock, so the school's term is placed around today."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from PIL import Image
from playwright.sync_api import expect

from shared.clock import today
from shared.extensions import db
from shared.models import ProviderStatus, SchoolTerm
from shared.roles import AP_LEAD, PROVIDER_MANAGER
from tests.test_browser import PROVIDER, SCHOOL, check_page, sign_in_with_code, sign_out

pytestmark = pytest.mark.browser


def _jpeg_with_gps() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "Canon"
    exif.get_ifd(0x8825).update({1: "N", 2: (51.0, 30.0, 12.5), 3: "W", 4: (0.0, 7.0, 39.0)})
    out = io.BytesIO()
    Image.new("RGB", (60, 40), (10, 200, 30)).save(out, format="JPEG", exif=exif)
    return out.getvalue()


def test_the_provider_records_the_baseline_and_a_report_with_a_photo_and_the_ap_lead_reads_it(world, app, new_page):
    with app.app_context():
        now = today()
    school = world.school(SCHOOL)
    with app.app_context():
        db.session.add(
            SchoolTerm(
                school_id=school,
                name="This term",
                start_date=now - timedelta(days=70),
                end_date=now + timedelta(days=40),
                half_term_starts=now - timedelta(days=30),
                half_term_ends=now - timedelta(days=26),
            )
        )
        db.session.commit()
    provider = world.provider(school, PROVIDER, ProviderStatus.APPROVED)
    pupil = world.pupil(school, first_name="Jayden", last_name="Walsh")
    placement = world.placement(
        school,
        provider,
        pupil,
        start=now - timedelta(days=66),
        intended_outcomes="Read a chapter book on his own\nAttend 9 in 10 sessions",
    )
    manager = world.user(provider, [PROVIDER_MANAGER], mfa=True)
    lead = world.user(school, [AP_LEAD], mfa=True)

    page = new_page()
    sign_in_with_code(page, manager)
    page.goto(f"/portal/pupils/{placement}")
    page.get_by_role("link", name="Record the baseline").click()
    check_page(page, "progress-baseline")
    page.get_by_label("English").fill("Reads at about age 9")
    page.get_by_label("Maths").fill("Secure on times tables")
    page.get_by_label("Engagement").fill("Refuses group work")
    page.get_by_role("button", name="Save the baseline").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter where the pupil starts in attendance")
    check_page(page, "progress-baseline-error")
    page.get_by_label("Attendance").fill("55% at school last term")
    page.get_by_label("What the pupil says").fill("School is boring")
    page.get_by_role("button", name="Save the baseline").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Baseline saved")

    page.goto("/portal/")
    page.get_by_role("link", name="Write Jayden Walsh's progress report for This term, first half: late").click()
    expect(page.locator("main")).to_contain_text("Read a chapter book on his own")
    check_page(page, "progress-report")
    page.get_by_role("group", name="Target 1: how much progress").get_by_label("Met").check()
    page.get_by_label("Target 1: what the pupil did").fill("Finished his first chapter book")
    page.get_by_role("group", name="Target 2: how much progress").get_by_label("Little progress").check()
    page.get_by_label("Target 2: what the pupil did").fill("Missed most Mondays")
    page.get_by_label("Accreditation units achieved").fill("Entry 3 reading")
    page.get_by_label("What the pupil says").fill("I like the workshop")
    page.get_by_label("Photo 1").set_input_files(
        files=[{"name": "stool.jpg", "mimeType": "image/jpeg", "buffer": _jpeg_with_gps()}]
    )
    page.get_by_role("button", name="Send the report to the school").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text(
        "Progress report for This term, first half sent to the school"
    )
    sign_out(page)

    sign_in_with_code(page, lead)
    page.goto(f"/school/placements/{placement}")
    main = page.locator("main")
    for words in (
        "Reads at about age 9",
        "School is boring",
        "This term, first half",
        "Finished his first chapter book",
        "Little progress",
        "Entry 3 reading",
        "I like the workshop",
    ):
        expect(main).to_contain_text(words)
    check_page(page, "placement-progress")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download photo 1").click()
    saved = download.value.path()
    with open(saved, "rb") as photo:
        content = photo.read()
    assert content.startswith(b"\xff\xd8") and b"Canon" not in content
    page.get_by_role("link", name="Change the targets").click()
    check_page(page, "placement-targets")
    page.get_by_label("Targets").fill("Read a chapter book on his own\nAttend 9 in 10 sessions\nJoin a club")
    page.get_by_role("button", name="Save the targets").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Targets saved")
    expect(main).to_contain_text("Join a club")
