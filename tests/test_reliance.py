"""Verification once, trusted by many (issue 14): each school chooses whose verifications it relies on, its checklist
says whose each item rests on, and it verifies the rest itself; a second school asks a provider already on AP Portal,
which accepts in its existing account; the provider sees who can see its evidence."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
import sqlalchemy as sa
from freezegun import freeze_time

from shared.evidence_catalogue import BY_CODE
from shared.extensions import db
from shared.models import (
    AuditEvent,
    DocumentStatus,
    EvidenceDocument,
    EvidenceVerification,
    Organisation,
    ProviderProfile,
    ProviderStatus,
    SchoolProvider,
    User,
)
from tests.support.client import Browser, html
from tests.support.demo import DEMO_MOMENT, seed_demo
from tests.support.world import link_of

NEXT_YEAR = date.today().year + 1


@pytest.fixture
def schools(world):
    """Northside, used by Demo Academy and Hillside School (one local authority, one trust), and by Elmwood (another
    trust); each verifies evidence for itself unless it chooses otherwise."""
    la = world.local_authority("Demo Borough Council")
    demo = world.school("Demo Academy", local_authority_id=la, trust_name="Oak Trust")
    hillside = world.school("Hillside School", local_authority_id=la, trust_name="Oak Trust")
    elmwood = world.school("Elmwood School", local_authority_id=la, trust_name="Elm Trust")
    northside = world.provider(demo, "Northside Learning", ProviderStatus.SUBMITTED, provider_type="unregistered_ap")
    world.works_with(hillside, northside, ProviderStatus.SUBMITTED)
    world.works_with(elmwood, northside, ProviderStatus.SUBMITTED)
    return {"la": la, "demo": demo, "hillside": hillside, "elmwood": elmwood, "northside": northside}


def _signed_in(app, world, org, roles) -> Browser:
    browser = Browser(app.test_client())
    browser.sign_in(world.user(org, roles))
    return browser


def _verify(browser: Browser, document: uuid.UUID):
    kind = BY_CODE["public_liability_insurance"]
    url = f"/school/verification/{document}"
    return browser.submit(
        url,
        {"verify-checklist": list(kind.checklist), "verify-expiry_date": ["31", "7", str(NEXT_YEAR)]},
        post_url=url + "/verify",
    )


def _item(app, provider, school, name="Public liability insurance"):
    from shared.services.providers.approval import approval_checklist

    with app.app_context():
        return next(item for item in approval_checklist(link_of(provider, school)) if item.label == name)


def _deliver(app) -> None:
    from shared.notifications import deliver_outbox

    with app.app_context():
        deliver_outbox()


def _rely(app, school, **choices):
    with app.app_context():
        org = db.session.get(Organisation, school)
        for name, value in choices.items():
            setattr(org, name, value)
        db.session.commit()


# --- the service: whose verification each school's checklist rests on ------------------------------------------------


def test_a_school_that_does_not_rely_on_another_must_verify_itself(app, world, schools):
    northside = schools["northside"]
    document = world.document_row(northside, "public_liability_insurance")
    assert _verify(_signed_in(app, world, schools["demo"], ["ap_lead"]), document).status_code == 302

    demo_item = _item(app, northside, schools["demo"])
    assert demo_item.done and demo_item.detail == f"Verified until 31 July {NEXT_YEAR}, by your school"
    # Hillside relies only on itself (the default): it must check the document itself.
    hillside_item = _item(app, northside, schools["hillside"])
    assert not hillside_item.done
    assert hillside_item.detail == (
        "Needs your verification (checked by Demo Academy, which your school does not rely on)"
    )
    hillside = _signed_in(app, world, schools["hillside"], ["ap_lead"])
    queue = html(hillside.get("/school/verification"))
    assert f"/school/verification/{document}" in queue and "checked by Demo Academy" in queue
    # Demo Academy's queue no longer has it.
    assert f"/school/verification/{document}" not in html(
        _signed_in(app, world, schools["demo"], ["ap_lead"]).get("/school/verification")
    )

    # Verifying it there records Hillside's own verification without changing Demo Academy's.
    assert _verify(hillside, document).status_code == 302
    assert _item(app, northside, schools["hillside"]).detail == f"Verified until 31 July {NEXT_YEAR}, by your school"
    with app.app_context():
        decisions = db.session.scalars(
            sa.select(EvidenceVerification).where(EvidenceVerification.document_id == document)
        ).all()
        assert sorted((d.organisation.name, d.decision) for d in decisions) == [
            ("Demo Academy", "verified"),
            ("Hillside School", "verified"),
        ]
        assert db.session.get(EvidenceDocument, document).status == DocumentStatus.VERIFIED
    assert f"/school/verification/{document}" not in html(hillside.get("/school/verification"))


def test_reliance_choices_change_what_each_schools_checklist_says(app, world, schools):
    northside = schools["northside"]
    document = world.document_row(northside, "public_liability_insurance")
    _verify(_signed_in(app, world, schools["demo"], ["ap_lead"]), document)
    relied = f"Verified by Demo Academy (relied on) until 31 July {NEXT_YEAR}"

    # Schools of its trust: Hillside (Oak Trust) relies on Demo Academy (Oak Trust); Elmwood (Elm Trust) does not.
    _rely(app, schools["hillside"], relies_on_trust=True)
    _rely(app, schools["elmwood"], relies_on_trust=True)
    assert (_item(app, northside, schools["hillside"]).done, _item(app, northside, schools["hillside"]).detail) == (
        True,
        relied,
    )
    assert not _item(app, northside, schools["elmwood"]).done
    # Any school: Elmwood now rests on Demo Academy's verification too.
    _rely(app, schools["elmwood"], relies_on_any_school=True)
    assert _item(app, northside, schools["elmwood"]).detail == relied
    # Only its own again: back to needing its own verification.
    _rely(app, schools["hillside"], relies_on_trust=False)
    assert _item(app, northside, schools["hillside"]).detail.startswith("Needs your verification")


def test_a_school_relying_on_its_local_authority_rests_on_the_las_verification(app, world, schools):
    from shared.services.evidence import documents as evidence

    northside = schools["northside"]
    document = world.document_row(northside, "public_liability_insurance")
    officer = world.user(schools["la"], ["la_officer"])
    kind = BY_CODE["public_liability_insurance"]
    with app.app_context():
        row = db.session.get(EvidenceDocument, document)
        evidence.verify(
            row,
            evidence.Verification(checklist=dict.fromkeys(kind.checklist, True), expiry_date=date(NEXT_YEAR, 3, 31)),
            by=db.session.get(User, officer.id),
            roles=frozenset({"ap_lead"}),
        )
    assert _item(app, northside, schools["hillside"]).detail.startswith("Needs your verification (checked by Demo B")
    _rely(app, schools["hillside"], relies_on_la=True)
    item = _item(app, northside, schools["hillside"])
    assert item.done and item.detail == f"Verified by Demo Borough Council (relied on) until 31 March {NEXT_YEAR}"


def test_a_rejection_by_one_school_affects_only_that_school_and_the_provider_is_told(app, world, schools, mailbox):
    northside = schools["northside"]
    world.user(northside, ["provider_manager"], email="manager@northside.example")
    document = world.document_row(northside, "public_liability_insurance")
    _verify(_signed_in(app, world, schools["demo"], ["ap_lead"]), document)
    _rely(app, schools["hillside"], relies_on_trust=True)
    elmwood = _signed_in(app, world, schools["elmwood"], ["ap_lead"])
    url = f"/school/verification/{document}"
    response = elmwood.submit(url, {"reject-reason": "The insured sum is too low for us."}, post_url=url + "/reject")
    assert response.status_code == 302

    assert _item(app, northside, schools["elmwood"]).detail == "Rejected by your school"
    assert _item(app, northside, schools["demo"]).done and _item(app, northside, schools["hillside"]).done
    with app.app_context():
        assert db.session.get(EvidenceDocument, document).status == DocumentStatus.VERIFIED
    _deliver(app)
    [message] = mailbox.to("manager@northside.example")
    assert "Elmwood School rejected your public liability insurance" in message["Subject"]


def test_the_at_risk_count_follows_whose_verification_the_school_relies_on(app, world, schools):
    from shared.services.attention.ap_lead import ap_lead_tasks
    from shared.services.evidence.expiry import is_at_risk
    from shared.services.providers.approval import approval_checklist

    northside = schools["northside"]
    with app.app_context():
        for school in (schools["demo"], schools["hillside"]):
            link_of(northside, school).status = ProviderStatus.APPROVED
        db.session.commit()
    for evidence in ("public_liability_insurance", "behaviour_policy"):
        world.document_row(northside, evidence)
    with app.app_context():
        # The rest of the required evidence, verified by Demo Academy.
        lead = db.session.get(User, world.user(schools["demo"], ["ap_lead", "dsl"]).id)
        from shared.evidence_catalogue import ProviderType, required_evidence
        from shared.services.evidence import documents as evidence

        for kind in required_evidence(ProviderType.UNREGISTERED_AP):
            existing = db.session.scalar(
                sa.select(EvidenceDocument).where(
                    EvidenceDocument.organisation_id == northside, EvidenceDocument.evidence_type == kind.code
                )
            )
            if existing is None:
                existing = db.session.get(EvidenceDocument, world.document_row(northside, kind.code))
            evidence.verify(
                existing,
                evidence.Verification(
                    checklist=dict.fromkeys(kind.checklist, True),
                    issue_date=date.today(),
                    review_date=date.today(),
                    expiry_date=date(NEXT_YEAR, 7, 31),
                ),
                by=lead,
                roles=frozenset({"ap_lead", "dsl"}),
            )
        from datetime import datetime

        hillside_link = link_of(northside, schools["hillside"])
        assert is_at_risk(hillside_link)
        assert any(task.key == "ap.at_risk" for task in ap_lead_tasks(schools["hillside"], datetime.now()))
    _rely(app, schools["hillside"], relies_on_any_school=True)
    with app.app_context():
        hillside_link = link_of(northside, schools["hillside"])
        items = [i for i in approval_checklist(hillside_link) if i.key.startswith("document:")]
        assert all(i.done and "(relied on)" in i.detail for i in items)
        assert not any(
            task.key in ("ap.at_risk", "ap.verify") for task in ap_lead_tasks(schools["hillside"], datetime.now())
        )


# --- the settings page ------------------------------------------------------------------------------------------------


def test_the_headteacher_chooses_whose_verification_the_school_relies_on_audited(app, world, schools):
    head = _signed_in(app, world, schools["hillside"], ["headteacher"])
    page = html(head.get("/school/settings/verification"))
    assert "Until you choose otherwise, your school relies only on its own verification." in page
    assert "Your school relies only on its own verification." in page
    assert "Demo Borough Council (your local authority)" in page and "Schools of Oak Trust (your trust)" in page
    response = head.submit("/school/settings/verification", {"relies": ["relies_on_la", "relies_on_trust"]})
    assert response.status_code == 302
    after = html(head.get(response.location))
    assert "relies on its own verification and on that of Demo Borough Council and schools of Oak Trust" in after
    with app.app_context():
        school = db.session.get(Organisation, schools["hillside"])
        assert (school.relies_on_la, school.relies_on_trust, school.relies_on_any_school) == (True, True, False)
        [event] = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "school.reliance_changed"))
        assert event.details["new"]["relies_on_la"] is True and event.details["old"]["relies_on_la"] is False
    # A value that is not offered is refused in plain English.
    bad = head.submit("/school/settings/verification", {"relies": ["relies_on_everyone"]})
    assert "Select from the options shown" in html(bad)
    # The DSL cannot change it.
    dsl = _signed_in(app, world, schools["hillside"], ["dsl"])
    assert dsl.get("/school/settings/verification").status_code == 403


# --- a second school asks a provider already on AP Portal -------------------------------------------------------------


def _invite(lead: Browser, provider_name: str, email: str):
    data = {"provider_name": provider_name, "name": "Morgan Manager", "email": email}
    return lead.submit("/school/providers/invite", data)


def test_a_second_school_invites_an_existing_provider_no_second_account_and_no_reupload(app, world, mailbox):
    la = world.local_authority("Demo Borough Council")
    demo = world.school("Demo Academy", local_authority_id=la)
    hillside = world.school("Hillside School", local_authority_id=la)
    northside = world.provider(demo, "Northside Learning", ProviderStatus.APPROVED, provider_type="unregistered_ap")
    manager = world.user(northside, ["provider_manager"], email="manager@northside.example")
    document = world.document_row(northside, "public_liability_insurance", status="verified")
    lead = _signed_in(app, world, hillside, ["ap_lead"])

    fresh = _invite(lead, "Brand New Tuition", "someone@brand-new.example")
    known = _invite(lead, "Northside", "manager@northside.example")
    # The same answer either way: never whether an address has an account.
    assert fresh.status_code == known.status_code == 302 and fresh.location == known.location
    page = html(lead.get(known.location))
    assert "Northside has been invited. Their manager has been sent an e-mail." in page
    assert "Northside Learning" not in page  # the name Hillside typed, until Northside accepts
    rows = page.split("Providers the school works with", 1)[1]
    assert rows.count("Waiting for the provider's manager to accept") == 2
    assert f"/school/providers/{northside}" not in page
    # Nothing of Northside's is Hillside's to see yet.
    assert lead.get(f"/school/providers/{northside}").status_code == 404
    assert lead.get(f"/school/verification/{document}").status_code == 404
    with app.app_context():
        assert db.session.query(User).filter_by(email="manager@northside.example").count() == 1
        assert db.session.query(Organisation).filter_by(name="Northside").count() == 0
        assert db.session.query(ProviderProfile).filter_by(organisation_id=northside).count() == 1

    # Northside's managers are told, naming the school, with a link to their existing account.
    _deliver(app)
    [message] = mailbox.to("manager@northside.example")
    assert "Hillside School has asked to work with you" in message["Subject"]
    assert "no new account" in mailbox.body(message) and "/invitations/" not in mailbox.body(message)
    portal = Browser(app.test_client())
    portal.sign_in(manager)
    documents = html(portal.get("/portal/onboarding/documents"))
    assert "Seen by:</strong> Demo Academy, Demo Borough Council" in documents
    assert "1 school is asking to work with you" in documents
    home = html(portal.get("/portal/"))
    assert "Hillside School is asking to work with you" in home
    assert portal.get(f"/portal/onboarding?school={hillside}").status_code == 404  # not until it accepts
    asking = html(portal.get("/portal/schools/asking"))
    assert "Hillside School" in asking
    accepted = portal.submit("/portal/schools/asking", {}, post_url=f"/portal/schools/asking/{hillside}/accept")
    assert accepted.status_code == 302
    assert "You now work with Hillside School" in html(portal.get(accepted.location))
    assert "Seen by:</strong> Demo Academy, Demo Borough Council, Hillside School" in html(
        portal.get("/portal/onboarding/documents")
    )
    with app.app_context():
        link = link_of(northside, hillside)
        assert (link.status, link.invited_name) == (ProviderStatus.ONBOARDING, None)
        assert db.session.query(EvidenceDocument).filter_by(organisation_id=northside).count() == 1  # no re-upload
        assert db.session.scalar(
            sa.select(sa.func.count()).select_from(AuditEvent).where(AuditEvent.action == "provider.request_accepted")
        )
    # Hillside now sees Northside's own name and its evidence, and verifies it for itself.
    providers = html(lead.get("/school/providers"))
    assert f'href="/school/providers/{northside}">Northside Learning</a>' in providers
    assert "Public liability insurance" in html(lead.get(f"/school/providers/{northside}"))


def test_a_provider_declines_a_schools_request_and_another_providers_request_is_a_404(app, world, mailbox):
    demo = world.school("Demo Academy")
    hillside = world.school("Hillside School")
    northside = world.provider(demo, "Northside Learning")
    other = world.provider(demo, "Other Provider")
    world.asks(hillside, other)
    manager = _signed_in(app, world, northside, ["provider_manager"])
    assert "No school is waiting for your answer." in html(manager.get("/portal/schools/asking"))
    assert manager.post(f"/portal/schools/asking/{hillside}/accept").status_code == 404
    world.asks(hillside, northside, "Northside")
    declined = manager.submit("/portal/schools/asking", {}, post_url=f"/portal/schools/asking/{hillside}/decline")
    assert "You declined Hillside School" in html(manager.get(declined.location))
    with app.app_context():
        assert (
            db.session.scalar(
                sa.select(SchoolProvider).where(
                    SchoolProvider.school_id == hillside, SchoolProvider.provider_id == northside
                )
            )
            is None
        )
        assert link_of(other, hillside).is_request  # another provider's request is untouched


# --- the migration ----------------------------------------------------------------------------------------------------


def test_the_migration_fills_each_organisations_decision_from_reviewed_documents(tmp_path, smtp_server, database_url):
    from flask_migrate import downgrade, upgrade

    from tests.support import database, legacy
    from tests.support.app import make_app

    scratch = make_app(database.scratch_url(database_url, tmp_path), smtp_server[0].port, tmp_path)
    with scratch.app_context():
        upgrade(revision="0015_evidence")
        hillside = legacy.school("Hillside School")
        northside = legacy.provider(hillside, "Northside", status="approved", provider_type="unregistered_ap")
        upgrade(revision="0016_many_schools")
        columns = ("id", "organisation_id", "reviewed_by_organisation_id")
        table = sa.table(
            "evidence_documents",
            *(sa.column(c, sa.Uuid()) for c in columns),
            *(sa.column(c) for c in ("evidence_type", "version", "status", "storage_key", "display_name")),
            *(sa.column(c) for c in ("content_type", "size_bytes", "sha256", "virus_scanned", "rejection_reason")),
            sa.column("checklist", sa.JSON()),
            sa.column("uploaded_at", sa.DateTime(timezone=True)),
        )
        ids = {}
        from datetime import UTC, datetime

        for status, reviewer, reason in (
            ("verified", hillside, None),
            ("rejected", hillside, "Out of date"),
            ("awaiting_review", None, None),
        ):
            ids[status] = uuid.uuid4()
            db.session.execute(
                table.insert().values(
                    id=ids[status],
                    organisation_id=northside,
                    reviewed_by_organisation_id=reviewer,
                    evidence_type=f"type_{status}",
                    version=1,
                    status=status,
                    storage_key=f"k/{status}",
                    display_name="x.pdf",
                    content_type="application/pdf",
                    size_bytes=1,
                    sha256="0" * 64,
                    virus_scanned=True,
                    rejection_reason=reason,
                    checklist={"Checked": True},
                    uploaded_at=datetime(2026, 10, 1, tzinfo=UTC),
                )
            )
        db.session.commit()
        db.session.close()
        upgrade(revision="0017_reliance")
        rows = db.session.execute(
            sa.text("SELECT document_id, organisation_id, decision, reason FROM evidence_verifications")
        ).all()
        found = {str(uuid.UUID(str(d))): (str(uuid.UUID(str(o))), decision, reason) for d, o, decision, reason in rows}
        assert found == {
            str(ids["verified"]): (str(hillside), "verified", None),
            str(ids["rejected"]): (str(hillside), "rejected", "Out of date"),
        }
        db.session.close()
        downgrade(revision="0017_la_side")
        assert "evidence_verifications" not in sa.inspect(db.engine).get_table_names()
        db.session.close()


def test_the_provider_reads_the_schools_checklist_in_its_own_words(app, world, schools):
    northside = schools["northside"]
    document = world.document_row(northside, "public_liability_insurance")
    _verify(_signed_in(app, world, schools["demo"], ["ap_lead"]), document)
    manager = _signed_in(app, world, northside, ["provider_manager"])
    for_hillside = html(manager.get(f"/portal/onboarding/submit?school={schools['hillside']}"))
    assert "Needs your verification" not in for_hillside and "your school" not in for_hillside
    assert "Awaiting review" in for_hillside


def test_the_provider_page_list_and_queue_read_a_fixed_number_of_queries_however_many_verify(app, world, schools):
    from sqlalchemy import event

    from shared.services.evidence import reliance

    northside = schools["northside"]
    hillside = _signed_in(app, world, schools["hillside"], ["ap_lead"])
    pages = [f"/school/providers/{northside}", "/school/providers", "/school/verification"]

    def count(url: str) -> int:
        statements = []

        def listen(*_args):
            statements.append(1)

        with app.app_context():
            engine = db.engine
        event.listen(engine, "before_cursor_execute", listen)
        try:
            assert hillside.get(url).status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", listen)
        return len(statements)

    documents = {
        code: world.document_row(northside, code) for code in ("public_liability_insurance", "behaviour_policy")
    }
    documents["risk_assessment"] = world.document_row(northside, "risk_assessment")

    def decide_by(school_name: str, evidence_types: list[str]) -> None:
        school = world.school(school_name)
        world.works_with(school, northside, ProviderStatus.SUBMITTED)
        person = world.user(school, ["ap_lead"])
        with app.app_context():
            for code in evidence_types:
                document = db.session.get(EvidenceDocument, documents[code])
                reliance.record_decision(
                    document, db.session.get(Organisation, school), "verified", by=db.session.get(User, person.id)
                )
                document.status = DocumentStatus.VERIFIED
            db.session.commit()

    decide_by("First Verifier", ["public_liability_insurance"])
    [count(url) for url in pages]  # warm up (first requests load templates and the like)
    few = [count(url) for url in pages]
    for n in range(4):
        decide_by(f"Verifier {n}", ["public_liability_insurance", "behaviour_policy", "risk_assessment"])
    many = [count(url) for url in pages]
    assert many == few


def test_a_new_manager_joining_does_not_answer_a_schools_request(app, world, mailbox):
    demo = world.school("Demo Academy")
    hillside = world.school("Hillside School")
    northside = world.provider(demo, "Northside Learning")
    world.asks(hillside, northside, "Northside")
    manager = _signed_in(app, world, northside, ["provider_manager"])
    manager.submit(
        "/portal/users/invite", {"name": "New Manager", "email": "new@northside.example", "roles": ["provider_manager"]}
    )
    url = mailbox.link_in_last("new@northside.example")
    path = url[url.index("/invitations/") :]
    joined = Browser(app.test_client()).submit(path, {"password": "plum tractor seaside lantern"})
    assert joined.status_code == 302
    with app.app_context():
        assert link_of(northside, hillside).is_request


def test_reopening_a_version_others_verified_withdraws_only_the_schools_own_trust(app, world, schools):
    northside = schools["northside"]
    document = world.document_row(northside, "public_liability_insurance")
    demo = _signed_in(app, world, schools["demo"], ["ap_lead"])
    hillside = _signed_in(app, world, schools["hillside"], ["ap_lead"])
    _verify(demo, document)
    _verify(hillside, document)
    history = f"/school/providers/{northside}/evidence/public_liability_insurance"
    reopened = hillside.submit(
        history,
        {"reason": "Our insurer says the policy was cancelled."},
        post_url=f"/school/verification/{document}/reopen",
    )
    assert reopened.status_code == 302
    assert _item(app, northside, schools["hillside"]).detail == "Reopened by your school: it needs your verification"
    assert _item(app, northside, schools["demo"]).done  # Demo Academy's verification stands
    with app.app_context():
        assert db.session.get(EvidenceDocument, document).status == DocumentStatus.VERIFIED
    assert f"/school/verification/{document}" in html(hillside.get("/school/verification"))
    # Checking it again puts Hillside's own verification back.
    assert _verify(hillside, document).status_code == 302
    assert _item(app, northside, schools["hillside"]).detail == f"Verified until 31 July {NEXT_YEAR}, by your school"
    # A school relying on them may reopen it for itself: only its own trust goes.
    _rely(app, schools["elmwood"], relies_on_any_school=True)
    elmwood = _signed_in(app, world, schools["elmwood"], ["ap_lead"])
    assert "Reopen document" in html(elmwood.get(history))
    elmwood.submit(
        history, {"reason": "We want to see it ourselves."}, post_url=f"/school/verification/{document}/reopen"
    )
    assert not _item(app, northside, schools["elmwood"]).done
    assert _item(app, northside, schools["demo"]).done and _item(app, northside, schools["hillside"]).done


@freeze_time(DEMO_MOMENT)
def test_the_demo_hillside_rests_on_demo_academys_verification(app):
    from shared.services.providers.approval import approval_checklist

    seed_demo(app)
    with app.app_context():
        hillside = db.session.scalar(sa.select(Organisation).where(Organisation.name == "Hillside School"))
        northside = db.session.scalar(sa.select(Organisation).where(Organisation.name.like("Northside%")))
        documents = [i for i in approval_checklist(link_of(northside.id, hillside.id)) if i.key.startswith("document:")]
        assert documents and all(i.done and "Demo Academy (relied on)" in i.detail for i in documents), documents
