"""The provider's register in Debian's Chromium (issue 13): a provider manager marks several pupils for both
sessions with one Save, with JavaScript and without it, and axe finds no WCAG 2.2 AA violations on the register.

The live server runs on the test database, as in tests/test_browser.py (whose page checks are used here); the day
marked is the last school day before today, so the marks are for a day that has happened whatever the time."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from shared.roles import PROVIDER_MANAGER
from tests.test_browser import PROVIDER, SCHOOL, _last_school_day, check_page, fill_sign_in

pytestmark = pytest.mark.browser


PUPILS = [("Amara", "Okafor"), ("Ben", "Late"), ("Cara", "Ill"), ("Dev", "Patel")]


def _register_world(world, day: date):
    """A provider with four pupils placed every weekday, and its manager."""
    from shared.models import ProviderStatus

    school = world.school(SCHOOL)
    world.term(school, start=day - timedelta(days=60), end=day + timedelta(days=60), name="This term")
    provider = world.provider(school, PROVIDER, ProviderStatus.APPROVED)
    placements = {
        first: world.placement(
            school, provider, world.pupil(school, first_name=first, last_name=last), start=day - timedelta(days=14)
        )
        for first, last in PUPILS
    }
    return placements, world.user(provider, [PROVIDER_MANAGER])


def _mark_the_register(page, day: date) -> None:
    """Ben late by 20 minutes in the morning, Cara absent ill all day, everyone else present by 'mark all'."""
    page.get_by_label("Mark (Ben Late, AM)", exact=True).select_option("late")
    page.get_by_label("Minutes late (Ben Late, AM)", exact=True).fill("20")
    for session in ("AM", "PM"):
        page.get_by_label(f"Mark (Cara Ill, {session})", exact=True).select_option("Absent: illness")
    page.get_by_label("Morning (AM): everyone not yet marked is present").check()
    page.get_by_label("Afternoon (PM): everyone not yet marked is present").check()


def _marks(app) -> dict:
    from sqlalchemy import select

    from shared.extensions import db
    from shared.models import AttendanceMark

    with app.app_context():
        return {
            (m.placement_id, m.session): (m.kind, m.late_minutes, m.reason)
            for m in db.session.scalars(select(AttendanceMark))
        }


def test_a_provider_manager_marks_the_register_for_both_sessions_with_one_save(world, new_page, app):
    day = _last_school_day(date.today())
    placements, manager = _register_world(world, day)
    page = new_page()
    page.goto("/sign-in")
    fill_sign_in(page, manager.email, manager.password)
    page.goto(f"/portal/attendance?day={day.isoformat()}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Attendance register")
    for first, last in PUPILS:
        expect(page.get_by_role("row", name=re.compile(f"^{first} {last}"))).to_be_visible()
    check_page(page, "register", school=SCHOOL)

    # A late mark without its minutes: nothing is saved, and the summary links to the box to fill in.
    page.get_by_label("Mark (Ben Late, AM)", exact=True).select_option("late")
    page.get_by_label("Morning (AM): everyone not yet marked is present").check()
    page.get_by_role("button", name="Save the register").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Ben Late, AM: Enter how many minutes late")
    check_page(page, "register-error", school=SCHOOL)
    assert _marks(app) == {}

    _mark_the_register(page, day)
    page.get_by_role("button", name="Save the register").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Register saved: 8 marks saved")
    ben = page.get_by_role("row", name=re.compile("^Ben Late"))
    expect(ben).to_contain_text("Late (20 minutes)")
    expect(page.get_by_role("row", name=re.compile("^Cara Ill"))).to_contain_text("Absent: illness")
    expect(page.get_by_role("row", name=re.compile("^Amara Okafor"))).to_contain_text("Present")
    expect(page.get_by_text("Mark all not yet marked as present")).to_have_count(0)
    check_page(page, "register-saved", school=SCHOOL)

    marks = _marks(app)
    assert len(marks) == 8
    assert marks[(placements["Ben"], "AM")] == ("late", 20, None)
    assert marks[(placements["Ben"], "PM")] == ("present", None, None)
    assert marks[(placements["Cara"], "AM")] == marks[(placements["Cara"], "PM")] == ("absent", None, "illness")
    assert marks[(placements["Dev"], "PM")] == ("present", None, None)


def test_the_register_works_without_javascript(world, chromium, live_server, app):
    day = _last_school_day(date.today())
    placements, manager = _register_world(world, day)
    context = chromium.browser().new_context(base_url=live_server.url, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto("/sign-in")
        fill_sign_in(page, manager.email, manager.password)
        page.goto(f"/portal/attendance?day={day.isoformat()}")
        _mark_the_register(page, day)
        with page.expect_request(lambda request: request.method == "POST") as posted:
            page.get_by_role("button", name="Save the register").click()
        assert "x-requested-with" not in posted.value.headers  # an ordinary form submission
        expect(page.locator(".govuk-notification-banner")).to_contain_text("Register saved: 8 marks saved")
        # A change to a sent mark opens under "Change" (a <details>, which works without JavaScript).
        page.get_by_text("Change Amara Okafor, AM").click()
        page.get_by_label("Mark (Amara Okafor, AM)", exact=True).select_option("Absent: unexplained")
        page.get_by_role("button", name="Save the register").click()
        expect(page.locator(".govuk-error-summary")).to_contain_text("give the reason for the change")
        page.get_by_label("Reason for the change (Amara Okafor, AM)", exact=True).fill("Left at 9:10 without saying")
        page.get_by_role("button", name="Save the register").click()
        expect(page.locator(".govuk-notification-banner")).to_contain_text("Register saved: 1 mark changed")
        assert _marks(app)[(placements["Amara"], "AM")] == ("absent", None, "unexplained")
    finally:
        context.close()


def test_the_earlier_absences_list_and_the_visits_links_are_accessible(world, new_page, app):
    """The attendance lead's list of earlier absences still coded N, reached from "Needs your attention", and the
    Visits page's links to the visit form: axe on each."""
    from shared.models import Placement
    from shared.roles import AP_LEAD
    from shared.services.attendance.marks import MarkEntry, record_mark
    from tests.test_browser import sign_in_with_code

    day = _last_school_day(date.today())
    placements, _ = _register_world(world, day)
    with app.app_context():
        from shared.extensions import db

        for first in ("Ben", "Cara"):
            placement = db.session.get(Placement, placements[first])
            record_mark(placement, day, "AM", MarkEntry.parse("absent", reason="unexplained"), by=None)
        school = placement.school_id
    lead = world.user(school, [AP_LEAD, "attendance_lead"])
    page = new_page()
    sign_in_with_code(page, lead)
    page.get_by_role("link", name=re.compile("2 earlier absences still coded N")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Earlier absences still coded N")
    expect(page.locator("main table")).to_contain_text("Ben Late")
    expect(page.locator("main table")).to_contain_text("Cara Ill")
    check_page(page, "earlier-absences-to-decide", school=SCHOOL)
    page.get_by_role("link", name=re.compile("^Decide on Ben Late's AM session")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Decide on an absence")

    page.goto("/school/visits")
    check_page(page, "visits-with-record-links", school=SCHOOL)
    page.get_by_role("link", name=f"Record a visit to {PROVIDER}").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("visit")
    check_page(page, "record-visit", school=SCHOOL)
