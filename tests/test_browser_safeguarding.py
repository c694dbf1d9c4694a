"""Issue 13 ("Safeguarding without friction") in Debian's Chromium, with axe on each page changed: the school DSL's
discussion note typed while the security code went stale is kept across the re-check and saved after it; a referral
is one step of the decision; provider staff read and confirm the school's policy and the provider's DSL sees who
has; the chronology shows when a concern happened and when it was raised.

The app runs on a live server over the test database (tests/test_browser.py's fixtures and page check). The code
goes stale by moving the session record's last code 16 minutes back, not by waiting.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

import pytest
from playwright.sync_api import expect

from shared.roles import DSL
from tests.test_browser import PROVIDER, SCHOOL, check_page, fill_sign_in, sign_in_with_code, sign_out

pytestmark = pytest.mark.browser


def _code_goes_stale(app, person) -> None:
    """As if the person had given their security code 16 minutes ago (safeguarding pages want it within 15)."""
    from sqlalchemy import update

    from shared.extensions import db
    from shared.models import UserSession, utcnow

    with app.app_context():
        db.session.execute(
            update(UserSession)
            .where(UserSession.user_id == person.id, UserSession.ended_at.is_(None))
            .values(mfa_verified_at=utcnow() - timedelta(minutes=16))
        )
        db.session.commit()
        db.session.remove()


def test_the_dsls_note_is_kept_across_the_security_code_and_saved_after_it(world, new_page, app):
    from shared.models import ProviderStatus

    today = date.today()
    school = world.school(SCHOOL)
    provider = world.provider(school, PROVIDER, ProviderStatus.APPROVED, provider_type="unregistered_ap")
    pupil = world.pupil(school, first_name="Jayden", last_name="Walsh")
    placement = world.placement(school, provider, pupil, start=today - timedelta(days=21))
    yesterday = datetime.combine(today - timedelta(days=1), time(9, 30)).astimezone()
    concern = world.concern(
        placement,
        status="sent",
        occurred_at=yesterday,
        raised_at=yesterday + timedelta(hours=5),
        sent_at=yesterday + timedelta(hours=5),
    )
    school_dsl = world.user(school, [DSL], email="dsl@riverside-school.example")

    page = new_page()
    sign_in_with_code(page, school_dsl)
    page.goto(f"/school/concerns/{concern}")
    expect(page.locator("main")).to_contain_text("Came in hungry")
    expect(page.get_by_role("group", name="If you refer: who to")).to_be_visible()
    expect(page.locator("main")).not_to_contain_text("Record a referral")
    check_page(page, "concern-one-way-to-refer")

    # The DSL types a long note; meanwhile the code goes stale.
    note = "Spoke to the social worker, Ms Okafor: a home visit is booked for 4pm today."
    page.get_by_label("Record a discussion").fill(note)
    _code_goes_stale(app, school_dsl)
    page.get_by_role("button", name="Record discussion").click()
    expect(page).to_have_url(re.compile(r"/two-step/confirm"))
    assert "Okafor" not in page.url
    banner = page.locator(".govuk-notification-banner")
    expect(banner).to_contain_text("What you wrote is kept and is saved as soon as you have")
    expect(banner).to_contain_text("Important")
    expect(banner).not_to_contain_text("Success")
    check_page(page, "security-code-again-note-kept")
    page.get_by_label("Security code").fill(school_dsl.code(1))
    page.get_by_role("button", name="Continue").click()

    expect(page).to_have_url(re.compile(rf"/school/concerns/{concern}$"))
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Discussion recorded.")
    expect(page.locator("main")).to_contain_text("Ms Okafor: a home visit is booked for 4pm today.")
    check_page(page, "concern-note-saved-after-the-code")

    # A referral: the decision says who to, in one step; then its outcome can be recorded.
    page.get_by_label(re.compile(r"Refer \(to children")).check()
    page.get_by_role("group", name="If you refer: who to").get_by_label("Children's social care").check()
    page.get_by_label("Referral reference (optional)").fill("MASH-2291")
    page.get_by_label("Reason for the decision").fill("Disclosure and marks: threshold for a referral is met.")
    page.get_by_role("button", name="Record decision").click()
    expect(page.locator("main")).to_contain_text("Referred to: Children's social care")
    expect(page.get_by_label("Outcome of the referral")).to_be_visible()
    check_page(page, "concern-referred")

    # The chronology: the concern where it happened, with when it was raised.
    page.goto(f"/school/pupils/{pupil}/chronology")
    expect(page.locator("main table")).to_contain_text("Raised ")
    check_page(page, "chronology-both-times")
    sign_out(page)


def test_provider_staff_read_and_confirm_the_schools_policy_and_the_dsl_sees_who_has(world, new_page):
    from shared.models import ProviderStatus

    school = world.school(SCHOOL)
    provider = world.provider(school, PROVIDER, ProviderStatus.APPROVED, provider_type="unregistered_ap")
    world.school_policy(school)
    tutor = world.user(provider, ["provider_staff"], email="tutor@northside.example")
    provider_dsl = world.user(provider, ["provider_dsl"], email="dsl@northside.example")

    page = new_page()
    page.goto("/sign-in")
    fill_sign_in(page, tutor.email, tutor.password)  # provider staff have no security code to give
    page.goto("/portal/policies")
    expect(page.locator("main")).to_contain_text("I confirm that I have read version 1")
    check_page(page, "policy-staff-to-read")
    page.get_by_role("button", name="I have read it").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text(
        "You have confirmed that you have read version 1"
    )
    check_page(page, "policy-staff-read")
    sign_out(page)

    sign_in_with_code(page, provider_dsl)
    page.goto("/portal/policies")
    table = page.get_by_role("table", name="Who has read version 1")
    expect(table).to_contain_text("Test provider_staff")
    expect(table).to_contain_text("Not yet")
    check_page(page, "policy-dsl-sees-who-has-read")
