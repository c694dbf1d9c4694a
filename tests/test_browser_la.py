"""Issue 14, the local authority's side, in Chromium: the headteacher agrees a placement, and the LA officer signs in
with a security code and sees it on the placements page with the date the school told the LA, the DfE's intended
limits on unregistered provision, and the providers page with the registration line counted across schools. axe
finds no WCAG 2.2 AA violations on /la/, /la/placements and /la/providers."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from shared.extensions import db
from shared.models import Placement, ProviderStatus
from shared.roles import HEADTEACHER, LA_OFFICER
from tests.test_browser import check_page, sign_in_with_code, sign_out

pytestmark = pytest.mark.browser

LA = "Demo Borough Council"


def _day(day: date) -> str:
    return day.strftime("%-d %B %Y")


def test_a_placement_agreed_by_the_headteacher_reaches_the_local_authority(world, new_page, app):
    today = date.today()
    la = world.local_authority(LA)
    hillside = world.school("Hillside School", local_authority_id=la)
    riverside = world.school("Riverside School", local_authority_id=la)
    northside = world.provider(hillside, "Northside Learning", ProviderStatus.APPROVED, provider_type="unregistered_ap")
    eastgate = world.provider(riverside, "Eastgate Tutors", ProviderStatus.APPROVED, provider_type="tutor")
    # Riverside: five pupils full time at Eastgate, so Eastgate is over the registration line.
    for _ in range(5):
        world.placement(riverside, eastgate, start=today - timedelta(weeks=3), hours_per_week=Decimal("20"))
    # Hillside: a pupil full time at Northside for 13 weeks (beyond the DfE's intended 12), agreed before AP Portal
    # told LAs; and a plan waiting for the headteacher.
    long_pupil = world.pupil(hillside, first_name="Ava", last_name="Archer", year_group="10")
    world.placement(hillside, northside, long_pupil, start=today - timedelta(weeks=13), hours_per_week=Decimal("25"))
    pupil = world.pupil(hillside, first_name="Jayden", last_name="Walsh", year_group="9")
    start = today + timedelta(days=14)
    pending = world.placement(
        hillside, northside, pupil, start=start, status="planned", hours_per_week=Decimal("12"), timetable=["mon_am"]
    )
    with app.app_context():
        db.session.get(Placement, pending).headteacher_decision = "pending"
        db.session.commit()
    head = world.user(hillside, [HEADTEACHER], mfa=True)
    officer = world.user(la, [LA_OFFICER])

    page = new_page()
    sign_in_with_code(page, head)
    page.goto(f"/school/placements/{pending}/decision")
    page.get_by_label("Agree the placement").check()
    page.get_by_label("Why the placement can start before the risk assessment is signed").fill("Signed next week.")
    page.get_by_role("button", name="Record decision").click()
    expect(page.locator("main")).to_contain_text("Placement agreed")
    sign_out(page)

    sign_in_with_code(page, officer)
    expect(page).to_have_url(re.compile(r"/la/$"))
    tasks = page.locator("#tasks")
    expect(tasks).to_contain_text("1 placement notified by schools in the last 14 days")
    expect(tasks).to_contain_text("1 placement at unregistered providers is beyond the DfE's intended limits")
    expect(tasks).to_contain_text(
        "1 provider your schools use is over the line where it must register as an independent school"
    )
    check_page(page, "la-home", school=LA)

    page.get_by_role("link", name="1 placement notified by schools in the last 14 days").click()
    expect(page).to_have_url(re.compile(r"/la/placements\?show=recent$"))
    rows = page.locator("tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Jayden Walsh")
    expect(rows.first).to_contain_text("Hillside School")
    expect(rows.first).to_contain_text(_day(today))  # the date the school told the LA
    expect(rows.first).to_contain_text("Part time")
    expect(rows.first).to_contain_text("Not started yet")

    # Every placement; then only Hillside's, with the GET form.
    page.get_by_label("Every placement").check()
    page.get_by_role("button", name="Show placements").click()
    expect(rows).to_have_count(7)
    page.get_by_label("School", exact=True).select_option(label="Hillside School")
    page.get_by_role("button", name="Show placements").click()
    expect(rows).to_have_count(2)
    ava = page.locator("tbody tr", has_text="Ava Archer")
    expect(ava).to_contain_text("Beyond the limit")
    expect(ava).to_contain_text("beyond the 12 weeks the DfE intends as the limit")
    expect(ava).to_contain_text("Agreed before AP Portal told the local authority")
    check_page(page, "la-placements", school=LA)

    page.get_by_role("link", name="Providers").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Providers")
    east = page.locator("tbody tr", has_text="Eastgate Tutors")
    expect(east).to_contain_text("Over the line")
    expect(east).to_contain_text("to 5 pupils, counting every school")
    expect(east).to_contain_text("Riverside School")
    north = page.locator("tbody tr", has_text="Northside Learning")
    expect(north).to_contain_text("Hillside School")
    expect(north).to_contain_text("Not reached")
    check_page(page, "la-providers", school=LA)
