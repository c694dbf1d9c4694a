"""The staff list, DBS Update Service status checks, the KCSIE written confirmation and the AP lead's alerts."""

import pytest

from shared.extensions import db
from shared.models import AuditEvent, KcsieConfirmation, Notification, OutboxEmail, StaffMember
from shared.notifications import deliver_outbox
from tests.support.client import Browser, html

NEW_PERSON = {
    "name": "Sam Tutor",
    "role": "Maths tutor",
    "dbs_certificate_number": "0012 3456 7891",
    "dbs_issue_date": ["10", "1", "2025"],
    "enhanced_with_barred_list": "yes",
    "update_service_subscribed": "yes",
    "checks": ["identity", "right_to_work"],
    "prohibition_check": "done",
    "works_with_pupils": "yes",
    "start_date": ["1", "9", "2024"],
}


@pytest.fixture
def setup(world, app):
    school = world.school("Demo School")
    provider = world.provider(school, "Hill Farm Learning")
    lead = world.user(school, ["ap_lead"])
    manager = Browser(app.test_client())
    manager.sign_in(world.user(provider, ["provider_manager"]))
    return {"school": school, "provider": provider, "lead": lead, "manager": manager}


def _sign(manager):
    return manager.submit(
        "/portal/onboarding/confirmation", {"agreed": ["yes"], "typed_name": "Morgan Manager", "signer_role": "Manager"}
    )


def test_add_staff_then_sign_the_confirmation(setup, app):
    manager = setup["manager"]
    refused = _sign(manager)
    assert "Add the staff who work with placed pupils before you sign" in html(refused)
    assert manager.submit("/portal/onboarding/staff", NEW_PERSON).status_code == 302
    page = html(manager.get("/portal/onboarding/staff"))
    assert "Sam Tutor" in page and "001234567891" in page and "does not cover this list yet" in page
    unticked = manager.submit(
        "/portal/onboarding/confirmation", {"typed_name": "Morgan Manager", "signer_role": "Manager"}
    )
    assert "Confirm that the statement is true" in html(unticked)
    assert _sign(manager).status_code == 302
    with app.app_context():
        confirmation = db.session.query(KcsieConfirmation).one()
        assert confirmation.lapsed_at is None and confirmation.statement_version == "2026-1"
        assert "enhanced DBS certificate" in confirmation.statement_text
    assert "Completed" in html(manager.get("/portal/onboarding"))


def test_a_change_to_the_staff_list_lapses_the_confirmation_and_tells_the_ap_lead(setup, app, mailbox):
    manager = setup["manager"]
    manager.submit("/portal/onboarding/staff", NEW_PERSON)
    _sign(manager)
    manager.submit(
        "/portal/onboarding/staff", {**NEW_PERSON, "name": "Nia New", "dbs_certificate_number": "001234567892"}
    )
    with app.app_context():
        confirmation = db.session.query(KcsieConfirmation).one()
        assert confirmation.lapsed_at is not None
        assert db.session.query(Notification).filter_by(user_id=setup["lead"].id).count() == 1
        assert db.session.query(AuditEvent).filter_by(action="kcsie.lapsed").count() == 1
        assert deliver_outbox() == (1, 0)
    [message] = mailbox.to(setup["lead"].email)
    body = mailbox.body(message)
    assert "has lapsed because its staff list changed" in body
    assert "Nia New" not in body  # the e-mail says what happened in general terms only


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"dbs_certificate_number": "12345"}, "A DBS certificate number is 12 digits"),
        ({"dbs_issue_date": ["1", "1", "2999"]}, "issue date must be today or in the past"),
        ({"dbs_issue_date": ["30", "2", "2025"]}, "Enter a real date"),
        ({"enhanced_with_barred_list": ""}, "Say whether it is an enhanced certificate"),
        ({"prohibition_check": "maybe"}, "Say whether a prohibition check was done"),
        ({"name": ""}, "Enter the person&#39;s full name"),
    ],
)
def test_staff_details_refused_with_a_reason(setup, app, changes, message):
    response = setup["manager"].submit("/portal/onboarding/staff", {**NEW_PERSON, **changes})
    assert response.status_code == 200 and message in html(response)
    with app.app_context():
        assert db.session.query(StaffMember).count() == 0


@pytest.mark.parametrize(
    ("certificate", "alerted", "text"),
    [
        ("001234567891", False, "clear, no new information"),
        ("001234567890", True, "new information about this person"),
        ("001234567899", True, "has information on it"),
        ("001234567898", True, "no match found"),
    ],
)
def test_status_check_alerts_the_ap_lead_unless_clear(setup, world, app, certificate, alerted, text):
    member = world.staff_member(setup["provider"], dbs=certificate)
    manager = setup["manager"]
    response = manager.submit(
        f"/portal/onboarding/staff/{member}/status-check", {"surname": "Tutor", "date_of_birth": ["2", "3", "1990"]}
    )
    assert response.status_code == 302
    assert text in html(manager.get("/portal/onboarding/staff"))
    with app.app_context():
        assert db.session.query(Notification).count() == (1 if alerted else 0)
        member_row = db.session.get(StaffMember, member)
        assert member_row.last_status_check_result is not None
        event = db.session.query(AuditEvent).filter_by(action="staff.status_checked").one()
        assert "Tutor" not in str(event.details) and "1990" not in str(event.details)  # never stored


def test_another_providers_staff_member_is_a_404(setup, world, app):
    other = world.provider(world.school("Other School"), "Other Provider")
    stranger = world.staff_member(other)
    manager = setup["manager"]
    assert manager.get(f"/portal/onboarding/staff/{stranger}/status-check").status_code == 404
    assert manager.post(f"/portal/onboarding/staff/{stranger}/remove").status_code == 404
    with app.app_context():
        assert db.session.get(StaffMember, stranger).removed_at is None


def test_outbox_retries_with_back_off_when_the_mail_server_is_down(setup, app, database_url, tmp_path):
    from tests.support.app import make_app

    manager = setup["manager"]
    manager.submit("/portal/onboarding/staff", NEW_PERSON)
    _sign(manager)
    manager.post(f"/portal/onboarding/staff/{_member_id(app)}/remove")
    no_mail = make_app(database_url, 1, tmp_path)
    with no_mail.app_context():
        assert deliver_outbox() == (0, 1)
        message = db.session.query(OutboxEmail).one()
        assert message.sent_at is None and message.attempts == 1 and message.next_attempt_at is not None
        assert deliver_outbox() == (0, 0)  # not due again yet


def _member_id(app):
    with app.app_context():
        return db.session.query(StaffMember).one().id
