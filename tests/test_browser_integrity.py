"""Issue 13 (integrity) in Debian's Chromium: a provider amends a mark; the attendance lead sees the day page show it
changed (and the absence alert corrected) and opens the mark's history; axe on each page. Fixtures as in
tests/test_browser.py (a live server over the test database)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from playwright.sync_api import expect

from tests.test_browser import PROVIDER, SCHOOL, _last_school_day, check_page, fill_sign_in, sign_in_with_code, sign_out

pytestmark = pytest.mark.browser

WHY = "Arrived at 9:40 after a bus delay; the register had already been sent"


def test_a_provider_amends_a_mark_and_the_attendance_lead_sees_it_changed(world, new_page, app, mailbox):
    from shared.extensions import db
    from shared.models import Placement, ProviderStatus
    from shared.notifications import deliver_outbox
    from shared.services.attendance.marks import MarkEntry, record_mark

    day = _last_school_day(date.today())
    school = world.school(SCHOOL)
    world.term(school, start=day - timedelta(days=60), end=day + timedelta(days=60), name="This term")
    provider = world.provider(school, PROVIDER, ProviderStatus.APPROVED, provider_type="unregistered_ap")
    pupil = world.pupil(
        school,
        first_name="Jayden",
        last_name="Walsh",
        social_worker_name="Sol Worker",
        social_worker_email="social.worker@demo-la.example",
    )
    placement = world.placement(school, provider, pupil, start=day - timedelta(days=14))
    staff = world.user(provider, ["provider_staff"])
    attendance_lead = world.user(school, ["attendance_lead"])
    with app.app_context():
        row = db.session.get(Placement, placement)
        at = datetime.combine(day, time(9, 20), tzinfo=UTC)
        record_mark(row, day, "AM", MarkEntry.parse("absent", reason="unexplained"), by=None, now=at)
        deliver_outbox()
        db.session.remove()
    mailbox.clear()

    # The provider corrects the morning: the pupil was there after all.
    page = new_page()
    page.goto("/sign-in")
    fill_sign_in(page, staff.email, staff.password)
    page.goto(f"/portal/attendance?day={day.isoformat()}")
    # The register: a sent mark changes under "Change", with the reason for the change.
    page.get_by_text("Change Jayden Walsh, AM").click()
    page.get_by_label("Mark (Jayden Walsh, AM)", exact=True).select_option("Present")
    page.get_by_label("Reason for the change (Jayden Walsh, AM)", exact=True).fill(WHY)
    page.get_by_role("button", name="Save the register").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Register saved: 1 mark changed")
    sign_out(page)

    # The attendance lead sees the mark changed and the alert corrected, and reads the history.
    sign_in_with_code(page, attendance_lead)
    page.goto(f"/school/attendance?day={day.isoformat()}")
    main = page.locator("main")
    expect(main).to_contain_text("Changed")
    expect(main).to_contain_text("Corrected")
    check_page(page, "integrity-attendance-day-changed")
    page.get_by_role("link", name="See the changes to Jayden Walsh's AM mark").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Changes to the AM mark on")
    table = page.locator("table")
    expect(table).to_contain_text("Absent: unexplained (N)")
    expect(table).to_contain_text("Present (B)")
    expect(table).to_contain_text(WHY)
    expect(table).to_contain_text(f"Test provider_staff, {PROVIDER}, through the day page")
    check_page(page, "integrity-mark-history")

    with app.app_context():
        deliver_outbox()
        db.session.remove()
    (message,) = mailbox.to("social.worker@demo-la.example")
    assert "Jayden Walsh is now recorded as present." in mailbox.body(message)


def test_the_headteacher_confirms_before_agreeing_over_the_registration_warning(world, new_page, app):
    from decimal import Decimal

    from shared.extensions import db
    from shared.models import HeadteacherDecision, Placement, ProviderStatus
    from shared.roles import HEADTEACHER

    school = world.school(SCHOOL)
    provider = world.provider(school, PROVIDER, ProviderStatus.APPROVED, provider_type="unregistered_ap")
    world.placement(school, provider, world.pupil(school, looked_after=True), hours_per_week=Decimal("25"))
    pending = world.placement(
        school,
        provider,
        world.pupil(school, first_name="Jayden", last_name="Walsh"),
        status="planned",
        hours_per_week=Decimal("25"),
    )
    with app.app_context():
        db.session.get(Placement, pending).headteacher_decision = HeadteacherDecision.PENDING
        db.session.commit()
        db.session.remove()
    head = world.user(school, [HEADTEACHER])
    page = new_page()
    sign_in_with_code(page, head)
    page.goto(f"/school/placements/{pending}/decision")
    expect(page.locator("main")).to_contain_text("to a pupil with an EHC plan or who is looked after")
    check_page(page, "integrity-decision-with-warning")
    page.get_by_label("Agree the placement").check()
    page.get_by_role("button", name="Record decision").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Confirm that you have checked the registration")
    check_page(page, "integrity-decision-with-warning-errors")
    page.get_by_label("Agree the placement").check()
    page.get_by_label("I have checked the registration and the placement can go ahead").check()
    page.get_by_label("Why the placement can go ahead").fill("Registered with DfE on 1 September, URN 123456.")
    page.get_by_label("Why the placement can start before the risk assessment is signed").fill("Signed next week.")
    page.get_by_role("button", name="Record decision").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Placement agreed")
