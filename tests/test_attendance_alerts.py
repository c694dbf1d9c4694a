"""The child must not be missing for long: absence e-mails to the social worker and welfare officer (the minimum,
only for the right pupils), the attendance lead told of unauthorised absences and of unmarked sessions, the
provider chased, and every message delivered through the outbox even when the mail server was down."""

from datetime import date

import pytest
from freezegun import freeze_time
from sqlalchemy import select

from shared.extensions import db
from shared.models import AttendanceAlert, Notification, Organisation, Placement, ProviderStatus
from shared.notifications import deliver_outbox
from shared.services.attendance.alerts import chase_unmarked, deliveries
from shared.services.attendance.marks import MarkEntry, record_mark

MONDAY = date(2026, 11, 30)
SOCIAL_WORKER = "social.worker@demo-la.example"
WELFARE_OFFICER = "welfare.officer@demo-la.example"


@pytest.fixture
def setting(world, app):
    school = world.school("Demo Academy")
    with app.app_context():
        db.session.get(Organisation, school).phone = "0161 496 0000"
        db.session.commit()
    provider = world.provider(school, "Northside Learning", ProviderStatus.APPROVED)
    lead = world.user(school, ["attendance_lead"], email="attendance@school.example")
    manager = world.user(provider, ["provider_manager"], email="manager@northside.example")
    with_worker = world.pupil(
        school,
        first_name="Jayden",
        last_name="Walsh",
        upn="T999400126001",
        social_worker_name="Sam Worker",
        social_worker_email=SOCIAL_WORKER,
        child_protection="child_protection_plan",
        other_agencies="CAMHS (waiting list)",
        send_status="ehcp",
    )
    with_welfare = world.pupil(
        school,
        first_name="Mia",
        last_name="Jones",
        welfare_officer_name="Wes Officer",
        welfare_officer_email=WELFARE_OFFICER,
    )
    plain = world.pupil(school, first_name="Leo", last_name="Brown")
    return {
        "school": school,
        "provider": provider,
        "lead": lead,
        "manager": manager,
        "worker": world.placement(school, provider, with_worker),
        "welfare": world.placement(school, provider, with_welfare),
        "plain": world.placement(school, provider, plain),
    }


def _mark(app, placement_id, entry, session="AM", day=MONDAY, **kwargs):
    with app.app_context():
        placement = db.session.get(Placement, placement_id)
        return record_mark(placement, day, session, entry, by=None, **kwargs).mark.id


def _bodies(mailbox, address):
    return [mailbox.body(m) for m in mailbox.to(address)]


@freeze_time("2026-11-30 09:20:00")
def test_the_social_worker_gets_the_minimum_at_once_and_only_for_their_pupil(app, setting, mailbox):
    _mark(app, setting["worker"], MarkEntry.parse("absent", reason="illness"))
    _mark(app, setting["plain"], MarkEntry.parse("absent", reason="illness"))
    _mark(app, setting["welfare"], MarkEntry.parse("present"))
    with app.app_context():
        assert deliver_outbox() == (1, 0)
    (body,) = _bodies(mailbox, SOCIAL_WORKER)
    assert "Jayden Walsh was absent from Northside Learning (AM session, Monday 30 November 2026)" in body
    assert "Reason given by the provider: illness." in body
    assert "Please call Demo Academy on 0161 496 0000 and ask for Test attendance_lead (attendance)." in body
    for never in ("T999400126001", "protection", "CAMHS", "EHC", "2012"):  # UPN, CP plan, agencies, SEND, birth year
        assert never not in body
    assert mailbox.to(WELFARE_OFFICER) == []  # Mia was present
    # Illness is an authorised absence: the attendance lead is not interrupted, nobody chases the provider.
    assert mailbox.to("attendance@school.example") == [] and mailbox.to("manager@northside.example") == []


@freeze_time("2026-11-30 09:20:00")
def test_an_unexplained_absence_tells_the_attendance_lead_the_welfare_officer_and_chases_the_provider(
    app, setting, mailbox
):
    _mark(app, setting["welfare"], MarkEntry.parse("absent", reason="unexplained"))
    with app.app_context():
        assert deliver_outbox() == (3, 0)
        (notice,) = db.session.scalars(select(Notification).where(Notification.user_id == setting["lead"].id))
        assert notice.text.startswith("Mia Jones absent from Northside Learning (AM session, Monday 30 November 2026)")
        assert notice.link == "/school/attendance?day=2026-11-30"
    (welfare,) = _bodies(mailbox, WELFARE_OFFICER)
    assert "Mia Jones was absent" in welfare and "no reason given (unexplained)" in welfare
    (lead,) = _bodies(mailbox, "attendance@school.example")
    assert "absent without an accepted reason" in lead and "Mia" not in lead  # the e-mail names nobody
    (chase,) = _bodies(mailbox, "manager@northside.example")
    assert "update the mark with the reason" in chase and "Mia" not in chase


@freeze_time("2026-11-30 09:20:00")
def test_one_alert_per_session_however_often_the_mark_changes(app, setting, mailbox):
    _mark(app, setting["worker"], MarkEntry.parse("present"))
    _mark(app, setting["worker"], MarkEntry.parse("absent", reason="illness"), why="Sent home ill at 9:10")
    _mark(app, setting["worker"], MarkEntry.parse("absent", reason="medical_appointment"), why="It was the dentist")
    with app.app_context():
        assert db.session.query(AttendanceAlert).count() == 1
        assert deliver_outbox() == (1, 0)
    assert len(mailbox.to(SOCIAL_WORKER)) == 1


def test_with_the_mail_server_down_the_alert_is_delivered_when_it_comes_back(
    app, setting, mailbox, database_url, tmp_path
):
    from tests.support.app import make_app

    with freeze_time("2026-11-30 09:20:00") as clock:
        _mark(app, setting["worker"], MarkEntry.parse("absent", reason="illness"))
        no_mail = make_app(database_url, 1, tmp_path)  # nothing listens on port 1
        with no_mail.app_context():
            assert deliver_outbox() == (0, 1)
            alert = db.session.scalars(select(AttendanceAlert)).one()
            ((to, sent_at, attempts, error),) = deliveries([alert.id])[alert.id]
            assert (to, sent_at, attempts) == (SOCIAL_WORKER, None, 1) and error
        assert mailbox.to(SOCIAL_WORKER) == []
        clock.tick(61)  # the first retry is a minute later
        with app.app_context():
            assert deliver_outbox() == (1, 0)
            ((_, sent_at, attempts, error),) = deliveries([alert.id])[alert.id]
            assert sent_at is not None and attempts == 2 and error is None
    assert len(mailbox.to(SOCIAL_WORKER)) == 1


def test_an_unmarked_session_is_chased_fifteen_minutes_after_its_deadline_once(app, setting, mailbox):
    with freeze_time("2026-11-30 10:14:00"), app.app_context(), app.test_request_context():
        _mark(app, setting["plain"], MarkEntry.parse("present"))
        _mark(app, setting["welfare"], MarkEntry.parse("present"))
        assert chase_unmarked() == 0  # 10:00 deadline + 15 minutes not reached
    with freeze_time("2026-11-30 10:15:00"), app.app_context(), app.test_request_context():
        assert chase_unmarked() == 1  # only Jayden is unmarked
        assert chase_unmarked() == 0  # never twice
        alert = db.session.scalars(select(AttendanceAlert)).one()
        assert (alert.kind, alert.session, alert.resolved_at) == ("unmarked", "AM", None)
        assert deliver_outbox() == (2, 0)
    (lead,) = _bodies(mailbox, "attendance@school.example")
    assert "Attendance has not been marked for 1 pupil placed by Demo Academy. Where is the child?" in lead
    assert "- Northside Learning: 1 pupil, AM session, Monday 30 November 2026" in lead
    (chase,) = _bodies(mailbox, "manager@northside.example")
    assert "attendance is overdue" in chase.lower()
    with freeze_time("2026-11-30 10:40:00"):
        _mark(app, setting["worker"], MarkEntry.parse("present"))
    with app.app_context():
        alert = db.session.scalars(select(AttendanceAlert)).one()
        assert alert.resolved_at is not None and alert.mark_id is not None
    with freeze_time("2026-11-30 14:15:00"), app.app_context(), app.test_request_context():
        assert chase_unmarked() == 3  # nobody marked PM


def test_the_worker_task_chases_with_one_email_per_person_listing_every_unmarked_session(app, setting, mailbox):
    from shared import tasks

    tasks.use_app(app)
    with freeze_time("2026-11-30 10:20:00"):
        assert tasks.chase_unmarked_task.call_local() == 3
        with app.app_context():
            assert deliver_outbox() == (2, 0)
    # Three pupils unmarked: one e-mail each for the attendance lead and the provider's manager, not three.
    (lead,) = _bodies(mailbox, "attendance@school.example")
    assert "Attendance has not been marked for 3 pupils placed by Demo Academy. Where are they?" in lead
    assert "- Northside Learning: 3 pupils, AM session, Monday 30 November 2026" in lead
    assert "Jayden" not in lead and "Walsh" not in lead  # e-mails name no pupil
    (chase,) = _bodies(mailbox, "manager@northside.example")
    assert "Attendance is overdue for 3 pupils. Please mark it now; the school has been told." in chase
    assert "- AM session, Monday 30 November 2026: 3 pupils from Demo Academy" in chase
    with app.app_context():
        # Each of the three alerts shows both e-mails as its delivery; each person has an item per pupil in the app.
        alerts = db.session.scalars(select(AttendanceAlert)).all()
        delivered = deliveries([alert.id for alert in alerts])
        assert {alert.id: sorted(to for to, sent_at, _, _ in delivered[alert.id] if sent_at) for alert in alerts} == {
            alert.id: ["attendance@school.example", "manager@northside.example"] for alert in alerts
        }
        assert db.session.query(Notification).filter_by(user_id=setting["lead"].id).count() == 3
    with freeze_time("2026-11-30 10:21:00"), app.app_context(), app.test_request_context():
        assert chase_unmarked() == 0  # the next run finds nothing new: nobody is e-mailed again
        assert deliver_outbox() == (0, 0)


@freeze_time("2026-11-28 10:30:00")  # a Saturday: nothing expected, nothing chased
def test_no_session_is_chased_at_the_weekend(app, setting):
    with app.app_context(), app.test_request_context():
        assert chase_unmarked() == 0


@freeze_time("2026-11-30 09:20:00")
def test_an_unexplained_absence_under_dual_registration_still_tells_the_attendance_lead(app, world, mailbox):
    school = world.school()
    provider = world.provider(school, "Hillside PRU", ProviderStatus.APPROVED)
    world.user(school, ["attendance_lead"], email="lead@dual.example")
    placement = world.placement(school, provider, legal_basis="dual_registration")
    with app.app_context():
        mark = record_mark(
            db.session.get(Placement, placement),
            MONDAY,
            "AM",
            MarkEntry.parse("absent", reason="other", reason_text="Left the site"),
            by=None,
        ).mark
        assert mark.code == "D"  # the other school keeps the register
        assert deliver_outbox()[0] >= 1
    (body,) = _bodies(mailbox, "lead@dual.example")
    assert "absent without an accepted reason" in body
