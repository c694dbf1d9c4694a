"""Issue 13, "the school must see what it is trusting": every version of an evidence item with who uploaded,
verified, rejected or reopened it and why; the AP lead reopening a verified item; file sizes as people read them;
several files to one version (each through the whole pipeline); and who verifies what (the child protection policy
is the DSL's, not in the AP lead's queue or count)."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest

from shared.display import file_size
from shared.evidence_catalogue import BY_CODE
from shared.extensions import db
from shared.models import DocumentStatus, EvidenceDocument, EvidenceEvent, EvidenceFile, Organisation, User
from shared.roles import AP_LEAD, DSL, HEADTEACHER
from shared.services.attention.school import school_tasks
from shared.services.evidence import documents as evidence
from shared.uploads.reasons import Reason
from tests.support.client import Browser, html
from tests.support.files import image_bytes, pdf_bytes
from tests.support.world import link_of
from tests.test_upload_pipeline import EICAR, Provider, dedicated_app, events, png_with_text  # noqa: F401 (a fixture)

REGISTRATION = "registration"
REGISTRATION_URL = f"/portal/onboarding/documents/{REGISTRATION}"


def _registered(provider: Provider) -> Provider:
    """The provider as a registered school, which has to give its registration evidence (two documents)."""
    with provider.app.app_context():
        profile = db.session.get(Organisation, provider.id).provider_profile
        profile.provider_type, profile.urn = "registered_school", "123456"
        db.session.commit()
    return provider


def _post_files(provider: Provider, files: list[tuple[bytes, str]], code: str = REGISTRATION):
    return provider.browser.client.post(
        f"/portal/onboarding/documents/{code}",
        data={"csrf_token": provider.browser.token(), "file": [(io.BytesIO(data), name) for data, name in files]},
        content_type="multipart/form-data",
    )


def _school_person(provider: Provider, roles: list[str]) -> Browser:
    browser = Browser(provider.app.test_client())
    person = provider.world.user(provider.school_id, roles)
    browser.sign_in(person)
    browser.person = person
    return browser


def _linked(name: str, size: int) -> str:
    """A file's download link as the pages show it, with its size."""
    return f'{name}<span class="govuk-visually-hidden"> (download)</span></a> ({file_size(size)})'


def _stored_object_count(provider: Provider) -> int:
    return len(provider.stored_files())


@pytest.fixture
def provider(app) -> Provider:
    return _registered(Provider(app))


# --- sizes ----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("size", "text"),
    [(0, "0 bytes"), (1, "1 byte"), (812, "812 bytes"), (1024, "1 KB"), (1234, "1.2 KB"), (3_565_158, "3.4 MB")],
)
def test_file_sizes_read_as_people_read_them(size, text):
    assert file_size(size) == text


# --- several files to one version --------------------------------------------------------------------------------


def test_two_files_are_one_version_each_stored_and_sized_right_on_the_review_page(provider):
    certificate, report = pdf_bytes(), pdf_bytes() + b"%" + b"x" * 3000 + b"\n"
    response = _post_files(provider, [(certificate, "Registration certificate.pdf"), (report, "Ofsted report.pdf")])
    assert response.status_code == 302
    listing = html(provider.browser.get("/portal/onboarding/documents"))
    assert "Registration certificate.pdf and Ofsted report.pdf uploaded" in listing
    (document,) = provider.documents()
    with provider.app.app_context():
        (extra,) = db.session.query(EvidenceFile).filter_by(document_id=document.id).all()
        assert (extra.position, extra.display_name, extra.size_bytes) == (2, "Ofsted report.pdf", len(report))
        extra_id = extra.id
    assert _stored_object_count(provider) == 2
    assert f"/portal/documents/{document.id}/files/{extra_id}/download" in listing

    ap_lead = _school_person(provider, [AP_LEAD])
    page = html(ap_lead.get(f"/school/verification/{document.id}"))
    assert "0 KB" not in page
    assert _linked("Registration certificate.pdf", len(certificate)) in page
    assert _linked("Ofsted report.pdf", len(report)) in page
    downloaded = ap_lead.get(f"/school/documents/{document.id}/files/{extra_id}/download")
    assert downloaded.status_code == 200 and downloaded.data == report
    # The provider's own second file downloads too; another school cannot reach it.
    assert provider.browser.get(f"/portal/documents/{document.id}/files/{extra_id}/download").data == report
    other_school = provider.world.school("Other School")
    stranger = Browser(provider.app.test_client())
    stranger.sign_in(provider.world.user(other_school, [AP_LEAD]))
    assert stranger.get(f"/school/documents/{document.id}/files/{extra_id}/download").status_code == 404


def test_a_bad_second_file_leaves_no_row_and_no_stored_object_of_either(provider):
    response = _post_files(provider, [(pdf_bytes(), "Certificate.pdf"), (image_bytes("PNG"), "Report.pdf")])
    assert response.status_code == 200
    assert Reason.CONTENT_MISMATCH.message.replace("'", "&#39;") in html(response)
    provider.assert_nothing_left()


def test_more_files_than_one_version_holds_are_refused(provider):
    response = _post_files(provider, [(pdf_bytes(), f"Part {n}.pdf") for n in range(6)])
    assert response.status_code == 200
    assert "Upload 5 files or fewer for one document" in html(response)
    provider.assert_nothing_left()


def test_a_virus_in_the_second_file_is_refused_by_clamd_and_the_first_is_removed(dedicated_app, clamd):  # noqa: F811
    scanning = dedicated_app(CLAMD_SOCKET=str(clamd.socket_path))
    provider = _registered(Provider(scanning))
    response = _post_files(provider, [(pdf_bytes(), "Certificate.pdf"), (png_with_text(EICAR), "Report.png")])
    assert response.status_code == 200
    assert "contains a virus or other harmful content" in html(response)
    provider.assert_nothing_left()
    (refused,) = events(scanning, "evidence.refused")
    assert refused.details == {"evidence_type": REGISTRATION, "reason": "virus_found"}


# --- the history: every version, who and why --------------------------------------------------------------------


def test_after_a_rejection_the_second_version_shows_the_first_and_why_with_who(provider):
    provider.upload(pdf_bytes(), "Certificate 2019.pdf", code=REGISTRATION)
    ap_lead = _school_person(provider, [AP_LEAD])
    (first,) = provider.documents()
    response = ap_lead.post(
        f"/school/verification/{first.id}/reject", {"reject-reason": "This is the 2019 report: upload the 2025 one"}
    )
    assert response.status_code == 302
    _post_files(provider, [(pdf_bytes(), "Certificate.pdf"), (pdf_bytes(), "Ofsted report 2025.pdf")])
    _, second = provider.documents()

    page = html(ap_lead.get(f"/school/verification/{second.id}"))
    assert "Every version" in page
    assert "Version 1" in page and "Certificate 2019.pdf" in page
    assert "This is the 2019 report: upload the 2025 one" in page
    assert "Rejected" in page and "Test ap_lead" in page  # who rejected it
    assert "Uploaded" in page and "Test provider_manager" in page  # who uploaded each
    assert "Ofsted report 2025.pdf" in page

    history = html(ap_lead.get(f"/school/providers/{provider.id}/evidence/{REGISTRATION}"))
    assert history.index("Version 2") < history.index("Version 1")  # newest first
    assert "This is the 2019 report: upload the 2025 one" in history
    assert "Replaced" in history  # version 1 was replaced by version 2
    # The provider page links to each item's history.
    assert f"/school/providers/{provider.id}/evidence/{REGISTRATION}" in html(
        ap_lead.get(f"/school/providers/{provider.id}")
    )


def _verified(provider: Provider, code: str = REGISTRATION) -> EvidenceDocument:
    document = provider.upload(pdf_bytes(), "Certificate.pdf", code=code)
    with provider.app.app_context():
        row = db.session.get(EvidenceDocument, document.id)
        verifier = db.session.get(User, provider.world.user(provider.school_id, [AP_LEAD, DSL]).id)
        kind = BY_CODE[code]
        evidence.verify(
            row,
            evidence.Verification(
                checklist=dict.fromkeys(kind.checklist, True),
                issue_date=date.today() - timedelta(days=30),
                review_date=date.today() - timedelta(days=30),
                expiry_date=date.today() + timedelta(days=300),
            ),
            by=verifier,
            roles=frozenset({AP_LEAD, DSL}),
        )
    return document


def test_the_ap_lead_reopens_a_verified_item_with_a_reason_and_it_is_checked_again(provider):
    document = _verified(provider)
    ap_lead = _school_person(provider, [AP_LEAD])
    history_url = f"/school/providers/{provider.id}/evidence/{REGISTRATION}"
    page = html(ap_lead.get(history_url))
    assert "Verified" in page and "Reopen document" in page

    missing = ap_lead.post(f"/school/verification/{document.id}/reopen", {"reason": "  "})
    assert missing.status_code == 200 and "Say why you are reopening it" in html(missing)
    assert provider.documents()[0].status == DocumentStatus.VERIFIED

    response = ap_lead.post(
        f"/school/verification/{document.id}/reopen", {"reason": "Ofsted published a new report on 1 December"}
    )
    assert response.status_code == 302 and response.location.endswith(history_url)
    page = html(ap_lead.get(history_url))
    assert "reopened. It is waiting to be checked again." in page
    assert "Reopened" in page and "Ofsted published a new report on 1 December" in page and "Test ap_lead" in page
    assert "Awaiting review" in page and "Reopen document" not in page
    (row,) = provider.documents()
    assert row.status == DocumentStatus.AWAITING_REVIEW
    # Back in the AP lead's queue, and the transition is audited.
    assert f"/school/verification/{document.id}" in html(ap_lead.get("/school/verification"))
    assert ("verified", "awaiting_review") in [
        (e.details["old"], e.details["new"]) for e in events(provider.app, "evidence.transition")
    ]
    # The provider sees it is waiting again.
    assert "Awaiting review" in html(provider.browser.get("/portal/onboarding/documents"))


def test_only_school_reviewers_reopen_and_only_a_verified_item(provider):
    document = _verified(provider)
    head = _school_person(provider, [HEADTEACHER])
    assert "Reopen document" not in html(head.get(f"/school/providers/{provider.id}/evidence/{REGISTRATION}"))
    assert head.post(f"/school/verification/{document.id}/reopen", {"reason": "x"}).status_code == 403
    with provider.app.app_context():
        row = db.session.get(EvidenceDocument, document.id)
        person = db.session.get(User, provider.world.user(provider.school_id, [AP_LEAD]).id)
        evidence.reopen(row, "first", by=person, roles=frozenset({AP_LEAD}))
        with pytest.raises(evidence.RuleBroken, match="Only a verified document"):
            evidence.reopen(row, "again", by=person, roles=frozenset({AP_LEAD}))
        reasons = [e.reason for e in db.session.query(EvidenceEvent).filter_by(document_id=row.id)]
        assert "first" in reasons and "again" not in reasons


# --- who verifies what -------------------------------------------------------------------------------------------


def test_the_child_protection_policy_is_the_dsls_not_in_the_ap_leads_queue_or_count(provider):
    policy = provider.upload(pdf_bytes(), "Child protection policy.pdf", code="safeguarding_policy")
    behaviour = provider.upload(pdf_bytes(), "Behaviour policy.pdf", code="behaviour_policy")
    ap_lead = _school_person(provider, [AP_LEAD])
    dsl = _school_person(provider, [DSL])

    queue = html(ap_lead.get("/school/verification"))
    assert f"/school/verification/{behaviour.id}" in queue and f"/school/verification/{policy.id}" not in queue
    # The DSL's queue has the policy, and the rest too: a DSL may reject any document that worries them.
    dsl_queue = html(dsl.get("/school/verification"))
    assert f"/school/verification/{policy.id}" in dsl_queue and f"/school/verification/{behaviour.id}" in dsl_queue

    with provider.app.app_context():
        ap_tasks = {t.key: t.text for t in school_tasks(provider.school_id, [AP_LEAD])}
        dsl_tasks = {t.key: t.text for t in school_tasks(provider.school_id, [DSL])}
    assert ap_tasks["ap.verify"].startswith("1 piece of evidence is waiting")
    assert dsl_tasks["dsl.verify"].startswith("1 piece of evidence is waiting for a DSL")
    assert "ap.verify" not in dsl_tasks and "dsl.verify" not in ap_tasks
    assert "1 piece of evidence is waiting for a DSL to check" in html(dsl.get("/school/"))


# --- the migration -------------------------------------------------------------------------------------------------


def test_the_migration_writes_the_history_of_documents_from_before_it_and_downgrades(
    tmp_path, smtp_server, database_url
):
    """0015_evidence on rows from 0014: each document's upload, and its review (who, when, the rejection's reason),
    become its history; downgrade removes the new tables."""
    import uuid
    from datetime import UTC, datetime

    import sqlalchemy as sa
    from flask_migrate import downgrade, upgrade

    from tests.support import database, legacy
    from tests.support.app import make_app

    scratch = make_app(database.scratch_url(database_url, tmp_path), smtp_server[0].port, tmp_path)
    with scratch.app_context():
        upgrade(revision="0014")
        school = legacy.school("Old School")
        provider = legacy.provider(school, provider_type="unregistered_ap")
        manager_id, lead_id = legacy.user(provider, ["provider_manager"]), legacy.user(school, [AP_LEAD])
        documents = sa.table(
            "evidence_documents",
            *(sa.column(c, sa.Uuid()) for c in ("id", "organisation_id", "uploaded_by_id", "reviewed_by_id")),
            *(sa.column(c) for c in ("evidence_type", "version", "status", "storage_key", "display_name")),
            *(sa.column(c) for c in ("content_type", "size_bytes", "sha256", "virus_scanned", "checklist")),
            *(sa.column(c, sa.DateTime(timezone=True)) for c in ("uploaded_at", "reviewed_at")),
            sa.column("rejection_reason"),
        )
        uploaded, reviewed = datetime(2026, 9, 1, 9, 0, tzinfo=UTC), datetime(2026, 9, 2, 10, 0, tzinfo=UTC)
        rejected, verified, waiting = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        for document_id, code, version, status, reviewer, reason in (
            (rejected, "behaviour_policy", 1, "superseded", lead_id, "Out of date"),
            (waiting, "behaviour_policy", 2, "awaiting_review", None, None),
            (verified, "risk_assessment", 1, "verified", lead_id, None),
        ):
            db.session.execute(
                documents.insert().values(
                    id=document_id,
                    organisation_id=provider,
                    uploaded_by_id=manager_id,
                    reviewed_by_id=reviewer,
                    evidence_type=code,
                    version=version,
                    status=status,
                    storage_key=f"{provider}/{uuid.uuid4()}",
                    display_name="Policy.pdf",
                    content_type="application/pdf",
                    size_bytes=1234,
                    sha256="0" * 64,
                    virus_scanned=True,
                    checklist="{}",
                    uploaded_at=uploaded,
                    reviewed_at=reviewed if reviewer else None,
                    rejection_reason=reason,
                )
            )
        db.session.commit()
        db.session.close()

        upgrade()
        history = {
            document_id: [
                (e.action, e.actor_id, e.reason, e.happened_at)
                for e in db.session.query(EvidenceEvent)
                .filter_by(document_id=document_id)
                .order_by(EvidenceEvent.happened_at, EvidenceEvent.sequence)
            ]
            for document_id in (rejected, verified, waiting)
        }
        assert history[rejected] == [
            ("uploaded", manager_id, None, uploaded),
            ("rejected", lead_id, "Out of date", reviewed),
        ]
        assert history[verified] == [("uploaded", manager_id, None, uploaded), ("verified", lead_id, None, reviewed)]
        assert history[waiting] == [("uploaded", manager_id, None, uploaded)]
        db.session.close()

        downgrade(revision="0014")
        tables = sa.inspect(db.engine).get_table_names()
        assert "evidence_events" not in tables and "evidence_files" not in tables
        assert db.session.execute(sa.text("SELECT count(*) FROM evidence_documents")).scalar() == 3
        db.session.close()


def test_a_reopened_child_protection_policy_goes_back_to_the_dsl_and_stops_counting_for_approval(provider):
    """Reopening only takes trust away, so the AP lead may reopen even the DSL's policy: it returns to the DSL's
    queue and count, and the approval checklist no longer counts it as done."""
    from shared.models import ProviderProfile
    from shared.services.providers.approval import approval_checklist

    policy = _verified(provider, "safeguarding_policy")
    ap_lead = _school_person(provider, [AP_LEAD])
    response = ap_lead.post(f"/school/verification/{policy.id}/reopen", {"reason": "Names a DSL who has left"})
    assert response.status_code == 302
    with provider.app.app_context():
        dsl_tasks = {t.key: t.text for t in school_tasks(provider.school_id, [DSL])}
        assert dsl_tasks["dsl.verify"].startswith("1 piece of evidence is waiting for a DSL")
        assert "ap.verify" not in {t.key for t in school_tasks(provider.school_id, [AP_LEAD])}
        profile = db.session.query(ProviderProfile).filter_by(organisation_id=provider.id).one()
        (item,) = [
            i
            for i in approval_checklist(link_of(profile.organisation_id))
            if i.label == BY_CODE["safeguarding_policy"].name
        ]
        assert (item.done, item.detail) == (False, "Awaiting review")
    # A DSL may reopen the type a DSL verifies; no one may reopen what is not verified.
    dsl = _school_person(provider, [DSL])
    assert "Reopen document" not in html(dsl.get(f"/school/providers/{provider.id}/evidence/safeguarding_policy"))


def test_a_dsl_reopens_only_what_a_dsl_verifies(provider):
    behaviour = _verified(provider, "behaviour_policy")
    certificate = _verified(provider, "dsl_training_certificate")
    with provider.app.app_context():
        person = db.session.get(User, provider.world.user(provider.school_id, [DSL]).id)
        behaviour_row = db.session.get(EvidenceDocument, behaviour.id)
        certificate_row = db.session.get(EvidenceDocument, certificate.id)
        assert not evidence.may_reopen(behaviour_row, frozenset({DSL}))
        with pytest.raises(evidence.RuleBroken, match="Only the AP lead or whoever may verify"):
            evidence.reopen(behaviour_row, "worried", by=person, roles=frozenset({DSL}))
        assert evidence.may_reopen(certificate_row, frozenset({DSL}))
        evidence.reopen(certificate_row, "The certificate names someone else", by=person, roles=frozenset({DSL}))
        assert certificate_row.status == DocumentStatus.AWAITING_REVIEW


def test_storage_reconcile_counts_a_versions_second_file_as_referenced(provider, app):
    _post_files(provider, [(pdf_bytes(), "Certificate.pdf"), (pdf_bytes(), "Report.pdf")])
    report = app.test_cli_runner().invoke(args=["storage-reconcile", "--remove", "--older-than", "0"])
    assert report.exit_code == 0, report.output
    assert "2 objects, 2 rows: 0 orphan objects" in report.output
    assert _stored_object_count(provider) == 2
