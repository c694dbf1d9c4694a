"""The daily evidence job and the background worker's tasks: expiry, reminders at 60/30/7 days (each once),
"at risk" alerts to the AP lead for approved providers, and the outbox delivered by the worker's task."""

import re
from datetime import date, timedelta

import pytest

from shared.extensions import db
from shared.models import DocumentStatus, EvidenceDocument, Notification, OutboxEmail, ProviderProfile, ProviderStatus
from shared.services.evidence import expiry
from tests.support.world import link_of

TODAY = date(2026, 11, 28)


@pytest.fixture
def provider_with_insurance(world, app):
    school = world.school("Demo School")
    provider = world.provider(school, "Hill Farm Learning", status=ProviderStatus.APPROVED)
    with app.app_context():
        profile = db.session.query(ProviderProfile).filter_by(organisation_id=provider).one()
        profile.provider_type = "unregistered_ap"
        db.session.commit()
    manager = world.user(provider, ["provider_manager"])
    lead = world.user(school, ["ap_lead"])
    document = world.document_row(provider, "public_liability_insurance", status="verified")
    return {"provider": provider, "manager": manager, "lead": lead, "document": document}


def _expires_in(app, document_id, days):
    with app.app_context():
        db.session.get(EvidenceDocument, document_id).expiry_date = TODAY + timedelta(days=days)
        db.session.commit()


def _notes(app, user_id):
    with app.app_context():
        return [n.text for n in db.session.query(Notification).filter_by(user_id=user_id)]


def test_reminders_at_sixty_thirty_and_seven_days_each_sent_once(app, provider_with_insurance):
    setup = provider_with_insurance
    _expires_in(app, setup["document"], 45)
    with app.test_request_context():
        assert expiry.send_expiry_reminders(TODAY) == 1  # inside 60 days
        assert expiry.send_expiry_reminders(TODAY) == 0  # not again
        assert expiry.send_expiry_reminders(TODAY + timedelta(days=10)) == 0  # 35 days: still the 60-day band
        assert expiry.send_expiry_reminders(TODAY + timedelta(days=16)) == 1  # 29 days: the 30-day reminder
        assert expiry.send_expiry_reminders(TODAY + timedelta(days=40)) == 1  # 5 days: the 7-day reminder
        assert expiry.send_expiry_reminders(TODAY + timedelta(days=41)) == 0
    notes = _notes(app, setup["manager"].id)  # in no particular order: all three are sent within a second
    assert len(notes) == 3 and all("runs out on 12 January 2027" in note for note in notes)
    assert sorted(re.search(r"\((\d+) days\)", note).group(1) for note in notes) == ["29", "45", "5"]


def test_a_missed_run_sends_only_the_most_urgent_reminder(app, provider_with_insurance):
    setup = provider_with_insurance
    _expires_in(app, setup["document"], 6)
    with app.test_request_context():
        assert expiry.send_expiry_reminders(TODAY) == 1
        assert expiry.send_expiry_reminders(TODAY + timedelta(days=1)) == 0
    assert len(_notes(app, setup["manager"].id)) == 1


def test_lapse_expires_the_document_and_puts_an_approved_provider_at_risk(app, provider_with_insurance):
    setup = provider_with_insurance
    _expires_in(app, setup["document"], 0)
    with app.test_request_context():
        result = expiry.run_daily(TODAY)
    assert result == {"expired": 1, "at_risk_alerts": 1, "reminders": 0}
    with app.app_context():
        assert db.session.get(EvidenceDocument, setup["document"]).status == DocumentStatus.EXPIRED
        profile = db.session.query(ProviderProfile).filter_by(organisation_id=setup["provider"]).one()
        assert expiry.is_at_risk(link_of(profile.organisation_id), TODAY)
        assert db.session.query(OutboxEmail).filter_by(to_address=setup["lead"].email).count() == 1
    assert any("is at risk" in text for text in _notes(app, setup["lead"].id))


def test_the_workers_tasks_run_the_job_and_deliver_the_outbox(app, provider_with_insurance, mailbox):
    from shared import tasks

    setup = provider_with_insurance
    _expires_in(app, setup["document"], 0)
    tasks.use_app(app)
    tasks.huey.immediate = True
    try:
        assert tasks.daily_evidence_task.call_local()["expired"] == 1
        sent, failed = tasks.deliver_outbox_task.call_local()
    finally:
        tasks.huey.immediate = False
    assert (sent, failed) == (1, 0)
    [message] = mailbox.to(setup["lead"].email)
    assert "a provider is at risk" in message["Subject"]
    assert "public liability" in mailbox.body(message)  # what is waiting and where: no pupil data at all


def test_the_provider_page_shows_at_risk_and_its_history(app, world, provider_with_insurance):
    from tests.support.client import Browser, html

    setup = provider_with_insurance
    _expires_in(app, setup["document"], 0)
    with app.test_request_context():
        expiry.run_daily(TODAY)
    lead = Browser(app.test_client())
    lead.sign_in(setup["lead"])
    page = html(lead.get(f"/school/providers/{setup['provider']}"))
    assert "At risk" in page and "Decide whether to suspend placements" in page
    assert "evidence: transition" in page and "expired" in page
