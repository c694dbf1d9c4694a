"""Issue 13 (integrity): when a provider amends a mark, the school sees it. The day page shows the mark changed and
links to its history (old mark, new mark, reason, who, when); the absence alert the old mark raised is marked
corrected and those the school told of the absence are told of the correction (the social worker with the minimum,
the attendance lead with no name); the chronology shows the correction; the MIS export keeps every amendment."""

import csv
import io
import re
from datetime import date

import pytest
from freezegun import freeze_time

from shared.extensions import db
from shared.models import AttendanceAlert, AuditEvent, Organisation, Placement, ProviderStatus
from shared.notifications import deliver_outbox
from shared.services.attendance import batch
from shared.services.attendance.marks import MarkEntry, record_mark
from shared.services.safeguarding.chronology import chronology
from tests.support.client import Browser, html
from tests.support.demo import DEMO_MOMENT, seed_demo

MONDAY = date(2026, 11, 30)
SOCIAL_WORKER = "social.worker@demo-la.example"
LEAD = "attendance@school.example"
MANAGER = "manager@northside.example"
WHY = "Arrived 9:40 after a dentist visit; the register was taken early"


@pytest.fixture
def setting(world, app):
    school = world.school("Demo Academy")
    with app.app_context():
        db.session.get(Organisation, school).phone = "0161 496 0000"
        db.session.commit()
    provider = world.provider(school, "Northside Learning", ProviderStatus.APPROVED)
    lead = world.user(school, ["attendance_lead"], email=LEAD)
    manager = world.user(provider, ["provider_manager"], email=MANAGER)
    pupil = world.pupil(
        school,
        first_name="Jayden",
        last_name="Walsh",
        upn="T999400126001",
        social_worker_name="Sam Worker",
        social_worker_email=SOCIAL_WORKER,
    )
    return {
        "school": school,
        "provider": provider,
        "lead": lead,
        "manager": manager,
        "placement": world.placement(school, provider, pupil),
        "pupil": pupil,
    }


def _mark(app, setting, entry, *, why=None, by=None):
    with app.app_context():
        placement = db.session.get(Placement, setting["placement"])
        return record_mark(placement, MONDAY, "AM", entry, by=by, why=why).mark.id


def _bodies(mailbox, address):
    return [mailbox.body(m) for m in mailbox.to(address)]


def _text(response) -> str:
    import html as html_text

    return re.sub(r"\s+", " ", html_text.unescape(re.sub(r"<[^>]+>", " ", html(response))))


def _absent_then_present(app, setting, mailbox):
    with freeze_time("2026-11-30 09:20:00"):
        mark_id = _mark(app, setting, MarkEntry.parse("absent", reason="unexplained"))
        with app.app_context():
            assert deliver_outbox() == (3, 0)  # social worker, attendance lead, provider manager
    mailbox.clear()
    with freeze_time("2026-11-30 10:05:00"), app.app_context():
        from shared.models import User

        manager = db.session.get(User, setting["manager"].id)
        placement = db.session.get(Placement, setting["placement"])
        record_mark(placement, MONDAY, "AM", MarkEntry.parse("present"), by=manager, why=WHY)
        assert deliver_outbox() == (2, 0)
    return mark_id


def test_the_people_told_of_an_absence_are_told_it_was_corrected(app, setting, mailbox):
    mark_id = _absent_then_present(app, setting, mailbox)
    (worker,) = _bodies(mailbox, SOCIAL_WORKER)
    assert "Hello Sam Worker" in worker
    assert "Correction: you were told that Jayden Walsh was absent from Northside Learning (AM session" in worker
    assert "Jayden Walsh is now recorded as present." in worker
    assert "Please call Demo Academy on 0161 496 0000" in worker
    assert "dentist" not in worker and "T999400126001" not in worker  # the provider's words stay in the app
    (lead,) = _bodies(mailbox, LEAD)
    assert "has corrected the mark of a pupil you were told was absent" in lead and "now recorded as present" in lead
    assert "Jayden" not in lead
    assert mailbox.to(MANAGER) == []  # the provider made the change
    with app.app_context():
        (alert,) = db.session.query(AttendanceAlert).all()
        assert alert.corrected_at is not None and alert.mark_id == mark_id
        assert db.session.query(AuditEvent).filter_by(action="attendance.alert_corrected").count() == 1


def test_the_day_page_shows_the_mark_changed_and_the_alert_corrected_and_the_history_opens(app, setting, mailbox):
    mark_id = _absent_then_present(app, setting, mailbox)
    with freeze_time("2026-11-30 10:30:00"):
        lead = Browser(app.test_client())
        lead.sign_in(setting["lead"])
        page = _text(lead.get("/school/attendance?day=2026-11-30"))
        assert "Changed" in page and "See the changes to Jayden Walsh's AM mark" in page
        assert "Absent: unexplained (corrected by the provider since) Corrected" in page
        assert f'href="/school/attendance/marks/{mark_id}"' in html(lead.get("/school/attendance?day=2026-11-30"))
        history = lead.get(f"/school/attendance/marks/{mark_id}")
    assert history.status_code == 200
    text = _text(history)
    assert "Changes to the AM mark on Monday 30 November 2026" in text
    assert "Absent: unexplained (N)" in text and "Present (B)" in text
    assert WHY in text
    assert "30 November 2026 at 10:05" in text
    assert "Test provider_manager, Northside Learning, through the day page" in text
    assert "The absence alert this mark raised is marked corrected" in text


def test_another_schools_mark_history_is_a_404(app, setting, world):
    other = world.school("Other School")
    stranger = world.placement(other, world.provider(other, "Elsewhere", ProviderStatus.APPROVED))
    mark = world.mark(stranger)
    lead = Browser(app.test_client())
    lead.sign_in(setting["lead"])
    assert lead.get(f"/school/attendance/marks/{mark}").status_code == 404


def test_the_chronology_shows_the_corrected_mark(app, setting, mailbox):
    _absent_then_present(app, setting, mailbox)
    with app.app_context():
        entries = chronology(setting["school"], setting["pupil"])
    kinds = [e.kind for e in entries]
    assert kinds == ["Absence alert", "Absence corrected"]
    corrected = entries[1]
    assert "from Absent: unexplained to Present" in corrected.summary and WHY in corrected.summary
    assert corrected.who == "Test provider_manager" and corrected.organisation == "Northside Learning"


def test_the_mis_export_keeps_every_amendment(app, setting, mailbox):
    _absent_then_present(app, setting, mailbox)
    with freeze_time("2026-11-30 11:00:00"):
        _mark(app, setting, MarkEntry.parse("late", 40), why="Checked the gate log: 40 minutes late")
        lead = Browser(app.test_client())
        lead.sign_in(setting["lead"])
        response = lead.get("/school/attendance/export?from=2026-11-30&to=2026-11-30")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[1][3] == "B"
    assert rows[1][6] == (
        "Late 40 minutes; "
        f"Amended 2026-11-30 10:05 by Test provider_manager from N (Absent: unexplained) to B (Present): {WHY}; "
        "Amended 2026-11-30 11:00 by the provider's system from B (Present) to B (Late (40 minutes)): "
        "Checked the gate log: 40 minutes late"
    )


def test_a_batch_amendment_corrects_the_alert_too(app, setting, mailbox):
    with freeze_time("2026-11-30 09:20:00"):
        _mark(app, setting, MarkEntry.parse("absent", reason="illness"))
        with app.app_context():
            deliver_outbox()
    mailbox.clear()
    with freeze_time("2026-11-30 10:05:00"), app.app_context():
        placement = db.session.get(Placement, setting["placement"])
        entry = batch.BatchEntry("cell", placement, MONDAY, "AM", MarkEntry.parse("late", 20), why=WHY)
        result = batch.save_marks([entry], by=None, source="grid")
        assert result.ok, result.problems
        assert deliver_outbox() == (1, 0)
        assert db.session.query(AttendanceAlert).one().corrected_at is not None
    (worker,) = _bodies(mailbox, SOCIAL_WORKER)
    assert "Jayden Walsh is now recorded as late (20 minutes)." in worker


def test_an_absence_amended_to_another_reason_is_still_an_absence(app, setting, mailbox):
    with freeze_time("2026-11-30 09:20:00"):
        _mark(app, setting, MarkEntry.parse("absent", reason="illness"))
        _mark(app, setting, MarkEntry.parse("absent", reason="medical_appointment"), why="It was the dentist")
        with app.app_context():
            assert db.session.query(AttendanceAlert).one().corrected_at is None
            assert deliver_outbox() == (1, 0)


def test_a_correction_put_back_to_absent_tells_the_social_worker_again(app, setting, mailbox):
    _absent_then_present(app, setting, mailbox)
    mailbox.clear()
    with freeze_time("2026-11-30 12:00:00"):
        _mark(app, setting, MarkEntry.parse("absent", reason="unexplained"), why="Wrong pupil ticked earlier")
        with app.app_context():
            assert db.session.query(AttendanceAlert).one().corrected_at is None
            deliver_outbox()
    (worker,) = _bodies(mailbox, SOCIAL_WORKER)
    assert "Jayden Walsh was absent from Northside Learning" in worker


@freeze_time(DEMO_MOMENT)
def test_the_demo_has_an_amended_mark_the_school_can_read(app):
    from shared.models import AttendanceAmendment

    runner = app.test_cli_runner()
    seed_demo(app)
    assert runner.invoke(None, ["seed-demo"], catch_exceptions=False).exit_code == 0  # still one
    with app.app_context():
        (amendment,) = db.session.query(AttendanceAmendment).all()
        assert amendment.mark.amended_at is not None and amendment.amended_by_id is not None
        assert db.session.get(Organisation, amendment.mark.provider_id).name == "Northside Learning Centre"


def test_the_schools_own_decision_on_an_absence_is_in_the_history_as_the_schools(app, setting, mailbox):
    from shared.models import AttendanceMark, User
    from shared.services.attendance import decisions

    with freeze_time("2026-11-30 09:20:00"):
        mark_id = _mark(app, setting, MarkEntry.parse("absent", reason="unexplained"))
    with freeze_time("2026-11-30 11:00:00"):
        with app.app_context():
            mark = db.session.get(AttendanceMark, mark_id)
            lead_user = db.session.get(User, setting["lead"].id)
            decisions.decide_absence(mark, "O", why="No word from home by 11:00", by=lead_user)
        lead = Browser(app.test_client())
        lead.sign_in(setting["lead"])
        text = _text(lead.get(f"/school/attendance/marks/{mark_id}"))
    assert "Test attendance_lead, Demo Academy, through the school's decision on the absence" in text
    assert "No word from home by 11:00" in text
