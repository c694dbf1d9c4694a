"""One provider, two schools, in Debian's Chromium (issue 14): a provider manager with pupils from Hillside School
and Riverside School marks the day's register in one Save; each school's attendance lead sees only its own pupil's
mark; axe finds no WCAG 2.2 AA violations on the portal's pages with two schools (home, register, pupils,
incidents).

The day marked is the last school day before today, so the marks are for a day that has happened whatever the
time (as in tests/test_browser_register.py)."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from shared.roles import ATTENDANCE_LEAD, PROVIDER_MANAGER
from tests.test_browser import _last_school_day, check_page, fill_sign_in, sign_in_with_code, sign_out

pytestmark = pytest.mark.browser

HILLSIDE, RIVERSIDE, PROVIDER = "Hillside School", "Riverside School", "Northside Learning"


def _two_schools(world, day: date):
    from shared.models import ProviderStatus

    hillside, riverside = world.school(HILLSIDE), world.school(RIVERSIDE)
    for school in (hillside, riverside):
        world.term(school, start=day - timedelta(days=60), end=day + timedelta(days=60), name="This term")
    provider = world.provider(hillside, PROVIDER, ProviderStatus.APPROVED)
    world.works_with(riverside, provider, ProviderStatus.APPROVED)
    start = day - timedelta(days=14)
    ava = world.placement(hillside, provider, world.pupil(hillside, first_name="Ava", last_name="Hill"), start=start)
    ben = world.placement(riverside, provider, world.pupil(riverside, first_name="Ben", last_name="River"), start=start)
    incident = world.incident(ben)
    return {
        "ava": ava,
        "ben": ben,
        "incident": incident,
        "manager": world.user(provider, [PROVIDER_MANAGER]),
        "hillside_lead": world.user(hillside, [ATTENDANCE_LEAD]),
        "riverside_lead": world.user(riverside, [ATTENDANCE_LEAD]),
    }


def _marks(app) -> dict:
    from sqlalchemy import select

    from shared.extensions import db
    from shared.models import AttendanceMark

    with app.app_context():
        return {(m.placement_id, m.session): (m.kind, m.school_id) for m in db.session.scalars(select(AttendanceMark))}


def test_a_provider_marks_both_schools_pupils_in_one_save_and_each_school_sees_only_its_own(world, new_page, app):
    from shared.extensions import db
    from shared.models import Placement

    day = _last_school_day(date.today())
    s = _two_schools(world, day)
    page = new_page()
    page.goto("/sign-in")
    fill_sign_in(page, s["manager"].email, s["manager"].password)
    expect(page.locator("main")).to_contain_text(HILLSIDE)
    expect(page.locator("main")).to_contain_text(RIVERSIDE)
    check_page(page, "provider-multi-home", school=HILLSIDE)

    page.goto("/portal/pupils")
    expect(page.get_by_role("row", name=re.compile("^Ava Hill"))).to_contain_text(HILLSIDE)
    expect(page.get_by_role("row", name=re.compile("^Ben River"))).to_contain_text(RIVERSIDE)
    check_page(page, "provider-multi-pupils", school=HILLSIDE)

    page.goto("/portal/incidents")
    expect(page.get_by_role("row", name=re.compile("Ben River"))).to_contain_text(RIVERSIDE)
    check_page(page, "provider-multi-incidents", school=HILLSIDE)

    page.goto(f"/portal/attendance?day={day.isoformat()}")
    expect(page.get_by_role("row", name=re.compile("^Ava Hill"))).to_contain_text(HILLSIDE)
    expect(page.get_by_role("row", name=re.compile("^Ben River"))).to_contain_text(RIVERSIDE)
    check_page(page, "provider-multi-register", school=HILLSIDE)
    # One Save: Ben absent ill in the morning, everyone else present in both sessions.
    page.get_by_label("Mark (Ben River, AM)", exact=True).select_option("Absent: illness")
    page.get_by_label("Morning (AM): everyone not yet marked is present").check()
    page.get_by_label("Afternoon (PM): everyone not yet marked is present").check()
    page.get_by_role("button", name="Save the register").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Register saved: 4 marks saved")
    check_page(page, "provider-multi-register-saved", school=HILLSIDE)

    with app.app_context():
        hillside_id = db.session.get(Placement, s["ava"]).school_id
        riverside_id = db.session.get(Placement, s["ben"]).school_id
        db.session.remove()
    assert _marks(app) == {
        (s["ava"], "AM"): ("present", hillside_id),
        (s["ava"], "PM"): ("present", hillside_id),
        (s["ben"], "AM"): ("absent", riverside_id),
        (s["ben"], "PM"): ("present", riverside_id),
    }
    sign_out(page)

    # Each school's attendance lead sees its own pupil's marks, and nothing of the other school's pupil.
    for lead, own, other, school in (
        (s["hillside_lead"], "Ava Hill", "Ben River", HILLSIDE),
        (s["riverside_lead"], "Ben River", "Ava Hill", RIVERSIDE),
    ):
        sign_in_with_code(page, lead)
        page.goto(f"/school/attendance?day={day.isoformat()}")
        main = page.locator("main")
        expect(main).to_contain_text(own)
        expect(main).not_to_contain_text(other)
        if own == "Ben River":
            expect(main).to_contain_text("Absent")
        check_page(page, f"provider-multi-{school.split()[0].lower()}-attendance", school=school)
        sign_out(page)
