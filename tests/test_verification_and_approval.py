"""The school's side of onboarding: the verification queue, verify and reject (by the right role, with the type's
checklist and dates), the state machine, expiry, and the AP lead's approval with its checklist snapshot."""

from datetime import date, timedelta

import pytest

from shared.evidence_catalogue import BY_CODE, ProviderType, required_evidence
from shared.extensions import db
from shared.models import (
    ApprovalDecision,
    AuditEvent,
    DocumentStatus,
    EvidenceDocument,
    KcsieConfirmation,
    Notification,
    ProviderProfile,
    ProviderStatus,
    User,
)
from shared.services.errors import RuleBroken
from shared.services.evidence import documents as evidence
from tests.support.client import Browser, html
from tests.support.world import link_of


@pytest.fixture
def school_and_provider(world, app):
    school = world.school("Demo School")
    provider = world.provider(school, "Hill Farm Learning")
    with app.app_context():
        profile = db.session.query(ProviderProfile).filter_by(organisation_id=provider).one()
        profile.provider_type = ProviderType.UNREGISTERED_AP.value
        profile.setting_type = "Farm"
        profile.address_line_1, profile.town, profile.postcode = "Hill Farm", "Exampleton", "EX1 1AA"
        profile.manager_name, profile.manager_phone = "Morgan", "01632 960 001"
        profile.dsl_name, profile.dsl_phone, profile.dsl_training_date = "Dee", "01632 960 002", date(2025, 9, 1)
        db.session.commit()
    world.site(provider)
    return school, provider


def _signed_in(world, app, org, roles):
    browser = Browser(app.test_client())
    person = world.user(org, roles)
    browser.sign_in(person)
    browser.person = person
    return browser


def _verify_all(world, app, provider, school):
    """Every required document uploaded and verified, staff listed and the confirmation signed."""
    with app.app_context():
        verifier = db.session.get(User, world.user(school, ["ap_lead", "dsl"]).id)
        for kind in required_evidence(ProviderType.UNREGISTERED_AP):
            document = db.session.get(EvidenceDocument, world.document_row(provider, kind.code))
            evidence.verify(
                document,
                evidence.Verification(
                    checklist=dict.fromkeys(kind.checklist, True),
                    issue_date=date.today() - timedelta(days=30),
                    review_date=date.today() - timedelta(days=30),
                    expiry_date=date.today() + timedelta(days=300),
                ),
                by=verifier,
                roles=frozenset({"ap_lead", "dsl"}),
            )
    world.staff_member(provider)
    with app.app_context():
        manager = db.session.query(User).first()
        db.session.add(
            KcsieConfirmation(
                organisation_id=provider,
                school_id=school,
                signed_by_id=manager.id,
                typed_name="Morgan",
                signer_role="Manager",
                statement_version="2026-1",
                statement_text="...",
            )
        )
        db.session.commit()


def test_queue_lists_awaiting_documents_oldest_first_and_filters(world, app, school_and_provider):
    school, provider = school_and_provider
    other = world.provider(world.school("Other School"), "Elsewhere Tuition")
    world.document_row(provider, "behaviour_policy")
    world.document_row(provider, "curriculum_offer")
    world.document_row(other, "behaviour_policy")
    lead = _signed_in(world, app, school, ["ap_lead"])
    page = html(lead.get("/school/verification"))
    assert page.index("Behaviour policy") < page.index("Curriculum offer")
    assert "Elsewhere Tuition" not in page
    filtered = html(lead.get("/school/verification?type=curriculum_offer"))
    assert "Curriculum offer" in filtered and "Behaviour policy</a>" not in filtered
    assert lead.get("/school/verification?provider=not-a-uuid").status_code == 200


def test_only_a_dsl_verifies_the_safeguarding_policy(world, app, school_and_provider):
    school, provider = school_and_provider
    document = world.document_row(provider, "safeguarding_policy")
    lead = _signed_in(world, app, school, ["ap_lead"])
    page = html(lead.get(f"/school/verification/{document}"))
    assert "Only Designated safeguarding lead" in page and "Verify document" not in page
    kind = BY_CODE["safeguarding_policy"]
    response = lead.submit(
        f"/school/verification/{document}",
        {
            "verify-checklist": list(kind.checklist),
            "verify-review_date": ["1", "9", str(date.today().year)],
        },
        post_url=f"/school/verification/{document}/verify",
    )
    assert "Only the Designated safeguarding lead" in html(response)
    dsl = _signed_in(world, app, school, ["dsl"])
    reviewed = date.today() - timedelta(days=10)
    response = dsl.submit(
        f"/school/verification/{document}",
        {
            "verify-checklist": list(kind.checklist),
            "verify-review_date": [str(reviewed.day), str(reviewed.month), str(reviewed.year)],
        },
        post_url=f"/school/verification/{document}/verify",
    )
    assert response.status_code == 302
    with app.app_context():
        row = db.session.get(EvidenceDocument, document)
        assert row.status == DocumentStatus.VERIFIED and row.review_date == reviewed
        assert row.expiry_date == reviewed.replace(year=reviewed.year + 1)  # reviewed yearly
        event = db.session.query(AuditEvent).filter_by(action="evidence.transition").one()
        assert event.details["new"] == "verified" and event.actor_user_id == dsl.person.id


def test_checklist_and_dates_are_required_and_stale_documents_refused(world, app, school_and_provider):
    school, provider = school_and_provider
    document = world.document_row(provider, "public_liability_insurance")
    lead = _signed_in(world, app, school, ["ap_lead"])
    kind = BY_CODE["public_liability_insurance"]
    url = f"/school/verification/{document}"
    half = lead.submit(url, {"verify-checklist": list(kind.checklist[:1])}, post_url=url + "/verify")
    assert "Work through the checklist before verifying" in html(half)
    undated = lead.submit(url, {"verify-checklist": list(kind.checklist)}, post_url=url + "/verify")
    assert "Enter the expiry date shown on the document" in html(undated)
    past = date.today() - timedelta(days=1)
    stale = lead.submit(
        url,
        {
            "verify-checklist": list(kind.checklist),
            "verify-expiry_date": [str(past.day), str(past.month), str(past.year)],
        },
        post_url=url + "/verify",
    )
    assert "already out of date" in html(stale)
    with app.app_context():
        assert db.session.get(EvidenceDocument, document).status == DocumentStatus.AWAITING_REVIEW


def test_reject_with_a_reason_the_provider_sees(world, app, school_and_provider):
    school, provider = school_and_provider
    document = world.document_row(provider, "behaviour_policy")
    lead = _signed_in(world, app, school, ["ap_lead"])
    url = f"/school/verification/{document}"
    empty = lead.submit(url, {"reject-reason": ""}, post_url=url + "/reject")
    assert "Say why the document is rejected" in html(empty)
    done = lead.submit(
        url, {"reject-reason": "This is the 2019 policy: upload the current one."}, post_url=url + "/reject"
    )
    assert done.status_code == 302
    with app.app_context():
        row = db.session.get(EvidenceDocument, document)
        assert row.status == DocumentStatus.REJECTED and "2019 policy" in row.rejection_reason
        with pytest.raises(RuleBroken, match="cannot become verified"):
            evidence.transition(row, DocumentStatus.VERIFIED, by=None, why="test")


def test_another_schools_document_is_a_404(world, app, school_and_provider):
    school, _provider = school_and_provider
    other = world.provider(world.school("Other School"), "Elsewhere Tuition")
    theirs = world.document_row(other, "behaviour_policy")
    lead = _signed_in(world, app, school, ["ap_lead"])
    assert lead.get(f"/school/verification/{theirs}").status_code == 404
    assert lead.post(f"/school/verification/{theirs}/reject", {"reject-reason": "x"}).status_code == 404
    assert lead.get(f"/school/providers/{other}").status_code == 404


def test_daily_expiry_marks_lapsed_documents(world, app, school_and_provider):
    _school, provider = school_and_provider
    document = world.document_row(provider, "public_liability_insurance", status="verified")
    with app.app_context():
        row = db.session.get(EvidenceDocument, document)
        row.expiry_date = date.today()
        db.session.commit()
        assert len(evidence.expire_lapsed()) == 1
        assert db.session.get(EvidenceDocument, document).status == DocumentStatus.EXPIRED


def test_submit_approve_and_the_checklist_snapshot(world, app, school_and_provider, mailbox):
    school, provider = school_and_provider
    manager = _signed_in(world, app, provider, ["provider_manager"])
    early = manager.submit("/portal/onboarding/submit", {})
    assert "Finish these first" in html(early)
    lead_person = world.user(school, ["ap_lead"])
    _verify_all(world, app, provider, school)
    assert manager.submit("/portal/onboarding/submit", {}).status_code == 302
    with app.app_context():
        assert link_of(provider, school).status == ProviderStatus.SUBMITTED
        assert db.session.query(Notification).filter_by(user_id=lead_person.id).count() == 1
    lead = Browser(app.test_client())
    lead.sign_in(lead_person)
    page = html(lead.get(f"/school/providers/{provider}"))
    assert "Approval checklist" in page and "Record your decision" in page
    no_notes = lead.submit(
        f"/school/providers/{provider}",
        {"decision": "approve", "notes": ""},
        post_url=f"/school/providers/{provider}/decision",
    )
    assert "Write your notes" in html(no_notes)
    approved = lead.submit(
        f"/school/providers/{provider}",
        {"decision": "approve", "notes": "Visited 3 Nov."},
        post_url=f"/school/providers/{provider}/decision",
    )
    assert approved.status_code == 302
    with app.app_context():
        profile = db.session.query(ProviderProfile).filter_by(organisation_id=provider).one()
        assert link_of(profile.organisation_id).status == ProviderStatus.APPROVED
        decision = db.session.query(ApprovalDecision).one()
        assert decision.decision == "approved" and all(item["done"] for item in decision.checklist)
        assert len(decision.checklist) == 3 + len(required_evidence(ProviderType.UNREGISTERED_AP)) + 4
    assert "approved your organisation" in html(manager.get("/portal/onboarding"))


def test_approval_refused_while_anything_is_missing_and_return_with_requests(world, app, school_and_provider):
    school, provider = school_and_provider
    with app.app_context():
        profile = db.session.query(ProviderProfile).filter_by(organisation_id=provider).one()
        link_of(profile.organisation_id).status = ProviderStatus.SUBMITTED
        db.session.commit()
    lead = _signed_in(world, app, school, ["ap_lead"])
    url = f"/school/providers/{provider}"
    refused = lead.submit(url, {"decision": "approve", "notes": "Looks fine"}, post_url=url + "/decision")
    assert "Every item on the checklist must be done before approval" in html(refused)
    returned = lead.submit(
        url, {"decision": "return", "notes": "Please upload your insurance."}, post_url=url + "/decision"
    )
    assert returned.status_code == 302
    manager = _signed_in(world, app, provider, ["provider_manager"])
    page = html(manager.get("/portal/onboarding"))
    assert "Demo School returned your onboarding" in page and "Please upload your insurance." in page
