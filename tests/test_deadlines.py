"""The provider's agreed attendance deadlines, set by the AP lead: a mark after them is recorded as late."""

from datetime import date

from freezegun import freeze_time

from shared.extensions import db
from shared.models import AuditEvent, Placement, ProviderProfile, ProviderStatus
from shared.services.attendance.marks import MarkEntry, record_mark
from tests.support.client import html


def test_the_ap_lead_sets_the_deadlines_and_later_marks_are_late(world, app, browser):
    school = world.school()
    provider = world.provider(school, "Northside Learning", ProviderStatus.APPROVED)
    placement = world.placement(school, provider)
    browser.sign_in(world.user(school, ["ap_lead"]))
    page = f"/school/providers/{provider}/deadlines"
    assert "Morning 10:00, afternoon 14:00" in html(browser.get(f"/school/providers/{provider}"))

    refused = browser.submit(page, {"am": "half nine", "pm": "13:00"})
    assert "Enter a time like 10:00, using the 24-hour clock" in html(refused)
    refused = browser.submit(page, {"am": "07:00", "pm": "13:00"})
    assert "The morning deadline must be between 8:00 and 12:00" in html(refused)
    with app.app_context():
        assert db.session.query(ProviderProfile).filter_by(organisation_id=provider).one().am_marks_due.hour == 10

    saved = browser.submit(page, {"am": "09:30", "pm": "13:15"}, follow_redirects=True)
    assert "Attendance deadlines saved for Northside Learning" in html(saved)
    assert "Morning 09:30, afternoon 13:15" in html(saved)
    with app.app_context():
        assert db.session.query(AuditEvent).filter_by(action="provider.deadlines_saved").one().details == {
            "am": "09:30",
            "pm": "13:15",
        }
    with freeze_time("2026-11-30 09:40:00"), app.app_context():
        mark = record_mark(
            db.session.get(Placement, placement), date(2026, 11, 30), "AM", MarkEntry.parse("present"), by=None
        )
        assert mark.mark.submitted_late is True
