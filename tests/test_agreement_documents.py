"""The signed copy of a service level agreement: uploaded by the AP lead through the shared upload pipeline, every
upload kept and the newest shown as the signed copy, downloaded by the school's agreement readers and by the
provider, audited both ways; another organisation's copy is a 404; and every bad upload explained, leaving no row,
no stored object and no audit event behind."""

from __future__ import annotations

import io
import uuid
from datetime import date, timedelta
from html import unescape
from pathlib import Path

import pytest
from freezegun import freeze_time
from PIL import Image
from PIL.PngImagePlugin import PngInfo

from shared import roles
from shared.extensions import db
from shared.models import AgreementDocument, AuditEvent, Organisation, ProviderStatus, ServiceAgreement, User
from shared.services.agreements import terms as agreements
from shared.services.errors import RuleBroken
from shared.storage import content_disposition
from shared.uploads.reasons import Reason, UploadRefused
from tests.support.app import make_app
from tests.support.client import Browser, html
from tests.support.files import HTML_PAGE, image_bytes, pdf_bytes
from tests.support.services import EICAR
from tests.support.world import World

NOW = "2026-11-30 12:00:00"


class Setting:
    """A school with an approved provider (and another one), the school's AP lead signed in on `browser`."""

    def __init__(self, app, *, with_agreement: bool = True) -> None:
        self.app = app
        self.world = World(app)
        self.school = self.world.school()
        self.provider = self.world.provider(self.school, "Northside Learning", ProviderStatus.APPROVED)
        self.other = self.world.provider(self.school, "Southside Skills", ProviderStatus.APPROVED)
        self.agreement = self.world.agreement(self.provider) if with_agreement else None
        self.lead = self.world.user(self.school, [roles.AP_LEAD])
        self.browser = Browser(app.test_client())
        self.browser.sign_in(self.lead)
        self.page_url = f"/school/providers/{self.provider}/agreement"
        self.upload_url = f"{self.page_url}/signed-copy"

    def post(self, data: bytes | None, filename: str = "Signed SLA.pdf", signed_on=("", "", "")):
        form = {"signed_on": list(signed_on)}
        if data is not None:
            form["file"] = (io.BytesIO(data), filename)
        return self.browser.submit(self.upload_url, form, content_type="multipart/form-data")

    def signed_in(self, org, role) -> Browser:
        browser = Browser(self.app.test_client())
        browser.sign_in(self.world.user(org, [role]))
        return browser

    def documents(self) -> list[AgreementDocument]:
        with self.app.app_context():
            rows = db.session.query(AgreementDocument).order_by(AgreementDocument.uploaded_at).all()
            db.session.expunge_all()
            return rows

    def stored_files(self) -> list[Path]:
        folder = Path(self.app.config["UPLOAD_FOLDER"])
        return sorted(path for path in folder.rglob("*") if path.is_file()) if folder.exists() else []

    def assert_nothing_left(self) -> None:
        assert self.documents() == []
        assert self.stored_files() == []
        assert events(self.app, "agreement.document_uploaded") == []


def events(app, action: str) -> list[AuditEvent]:
    with app.app_context():
        rows = db.session.query(AuditEvent).filter_by(action=action).order_by(AuditEvent.seq).all()
        db.session.expunge_all()
        return rows


def png_with_text(text: bytes) -> bytes:
    """A real PNG carrying `text` in a comment (the EICAR string, for the scanner to find)."""
    info = PngInfo()
    info.add_text("Comment", text.decode("latin-1"))
    out = io.BytesIO()
    Image.new("RGB", (32, 32), (30, 120, 200)).save(out, "PNG", pnginfo=info)
    return out.getvalue()


def download_checks(response, data: bytes, display_name: str) -> None:
    assert response.status_code == 200
    assert response.get_data() == data
    assert response.headers["Content-Disposition"] == content_disposition(display_name)
    assert response.headers["Content-Disposition"].startswith("attachment; ")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"


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


# --- uploading and downloading ----------------------------------------------------------------------------------------


def test_the_ap_lead_uploads_the_signed_copy_and_every_upload_is_kept(app):
    with freeze_time(NOW) as frozen:
        setting = Setting(app)
        page = html(setting.browser.get(setting.page_url))
        assert "No signed copy has been uploaded yet" in page and "Upload the signed copy" in page
        first = pdf_bytes()
        response = setting.post(first, "Signed SLA 2026.pdf", signed_on=("15", "9", "2026"))
        assert response.status_code == 302 and response.location.endswith(setting.page_url)
        assert "Signed copy of the agreement with Northside Learning uploaded" in html(
            setting.browser.get(setting.page_url)
        )

        (document,) = setting.documents()
        assert (document.signed_on, document.display_name, document.size_bytes) == (
            date(2026, 9, 15),
            "Signed SLA 2026.pdf",
            len(first),
        )
        assert (document.provider_id, document.school_id) == (setting.provider, setting.school)
        assert str(document.agreement_id) == str(setting.agreement) and document.uploaded_by_id == setting.lead.id
        assert document.content_type == "application/pdf" and not document.virus_scanned  # no scanner configured
        # Stored under a random key in the school's folder, never the person's file name.
        (stored,) = setting.stored_files()
        assert document.storage_key.startswith(f"{setting.school}/") and "Signed" not in document.storage_key
        assert stored.read_bytes() == first
        (uploaded,) = events(setting.app, "agreement.document_uploaded")
        assert uploaded.details == {"size_bytes": len(first), "virus_scanned": False}
        assert uploaded.object_id == str(document.id) and uploaded.organisation_id == setting.school

        page = html(setting.browser.get(setting.page_url))
        assert "Download the signed copy (Signed SLA 2026.pdf)" in page and "Signed 15 September 2026" in page
        assert "Upload a new signed copy" in page and "earlier cop" not in page

        # A second upload, with no date signed, becomes the signed copy; the first is kept for the record.
        frozen.tick(timedelta(minutes=2))
        second = image_bytes("PNG")
        upload_page = html(setting.browser.get(setting.upload_url))
        assert "The current one is Signed SLA 2026.pdf" in upload_page
        assert setting.post(second, "Scan of signed SLA.png").status_code == 302
        older, newer = setting.documents()
        assert (older.id, newer.display_name, newer.signed_on) == (document.id, "Scan of signed SLA.png", None)
        with setting.app.app_context():
            assert [d.id for d in agreements.signed_copies(setting.provider, school_id=setting.school)] == [
                newer.id,
                older.id,
            ]
        page = html(setting.browser.get(setting.page_url))
        assert "Download the signed copy (Scan of signed SLA.png)" in page and "Date signed not given" in page
        assert "1 earlier copy kept for the record" in page and "Signed SLA 2026.pdf" in page
        assert len(setting.stored_files()) == 2


@freeze_time(NOW)
def test_the_schools_readers_and_the_provider_download_it_audited(app):
    setting = Setting(app)
    data = pdf_bytes()
    assert setting.post(data, "Signed SLA.pdf").status_code == 302
    (document,) = setting.documents()
    school_url = f"{setting.page_url}/signed-copy/{document.id}"
    portal_url = f"/portal/agreement/signed-copy/{document.id}"

    download_checks(setting.browser.get(school_url), data, "Signed SLA.pdf")
    for role in (roles.HEADTEACHER, roles.SLT, roles.DSL):
        reader = setting.signed_in(setting.school, role)
        assert school_url in html(reader.get(setting.page_url))
        assert "Upload a new signed copy" not in reader.last_html
        download_checks(reader.get(school_url), data, "Signed SLA.pdf")
        assert reader.get(setting.upload_url).status_code == 403
    for role in (roles.SENDCO, roles.ATTENDANCE_LEAD):
        assert setting.signed_in(setting.school, role).get(school_url).status_code == 403

    for role in (roles.PROVIDER_MANAGER, roles.PROVIDER_DSL):
        provider_person = setting.signed_in(setting.provider, role)
        page = html(provider_person.get("/portal/agreement"))
        assert "Download the signed copy (Signed SLA.pdf)" in page and portal_url in page
        download_checks(provider_person.get(portal_url), data, "Signed SLA.pdf")
    assert setting.signed_in(setting.provider, roles.PROVIDER_STAFF).get(portal_url).status_code == 403

    downloads = events(setting.app, "agreement.document_downloaded")
    assert len(downloads) == 6 and {e.object_id for e in downloads} == {str(document.id)}
    assert [e.organisation_id for e in downloads] == [setting.school] * 4 + [setting.provider] * 2
    assert all(e.details == {} for e in downloads)


@freeze_time(NOW)
def test_another_organisations_signed_copy_is_a_404(app):
    setting = Setting(app)
    document = setting.world.agreement_document(setting.provider)
    school_url = f"{setting.page_url}/signed-copy/{document}"
    # The other provider of the same school: its own page does not offer it, and the link is a 404.
    other = setting.signed_in(setting.other, roles.PROVIDER_MANAGER)
    assert "Download the signed copy" not in html(other.get("/portal/agreement"))
    assert other.get(f"/portal/agreement/signed-copy/{document}").status_code == 404
    assert other.get(f"/portal/agreement/signed-copy/{uuid.uuid4()}").status_code == 404
    # The school, asking for it under the wrong provider.
    assert setting.browser.get(f"/school/providers/{setting.other}/agreement/signed-copy/{document}").status_code == 404
    # Another school: neither under this provider nor under one of its own.
    other_school = setting.world.school("Other School")
    their_provider = setting.world.provider(other_school, "Their Provider", ProviderStatus.APPROVED)
    stranger = setting.signed_in(other_school, roles.AP_LEAD)
    assert stranger.get(school_url).status_code == 404
    assert stranger.get(f"/school/providers/{their_provider}/agreement/signed-copy/{document}").status_code == 404
    assert stranger.get(f"{setting.upload_url}").status_code == 404
    assert events(setting.app, "agreement.document_downloaded") == []


@freeze_time(NOW)
def test_without_an_agreement_there_is_nothing_to_upload_against(app):
    setting = Setting(app, with_agreement=False)
    page = html(setting.browser.get(setting.page_url))
    assert "No agreement has been recorded" in page and "Upload the signed copy" not in page
    response = setting.browser.get(setting.upload_url)
    assert response.status_code == 302 and response.location.endswith(setting.page_url)
    message = "Record the agreement with Northside Learning before uploading its signed copy"
    assert message in html(setting.browser.get(setting.page_url))
    response = setting.browser.post(
        setting.upload_url, {"file": (io.BytesIO(pdf_bytes()), "Signed.pdf")}, content_type="multipart/form-data"
    )
    assert response.status_code == 302
    setting.assert_nothing_left()


# --- bad uploads leave nothing behind ---------------------------------------------------------------------------------


@freeze_time(NOW)
@pytest.mark.parametrize(
    ("data", "filename", "signed_on", "message"),
    [
        pytest.param(None, None, ("", "", ""), "Select a file", id="no-file"),
        pytest.param(b"", "Signed.pdf", ("", "", ""), Reason.EMPTY.message, id="empty"),
        pytest.param(
            b"MZ\x90\x00 a program", "Signed.exe", ("", "", ""), Reason.EXTENSION_NOT_ALLOWED.message, id="exe"
        ),
        pytest.param(HTML_PAGE, "Signed.pdf", ("", "", ""), Reason.CONTENT_MISMATCH.message, id="html-as-pdf"),
        pytest.param(image_bytes("PNG"), "Signed.pdf", ("", "", ""), Reason.CONTENT_MISMATCH.message, id="png-as-pdf"),
        pytest.param(
            pdf_bytes(), "Signed.pdf", ("31", "2", "2026"), "Enter a real date, like 27 3 2025", id="bad-date"
        ),
        pytest.param(
            pdf_bytes(),
            "Signed.pdf",
            ("1", "12", "2026"),
            "The date it was signed must be today or in the past",
            id="future",
        ),
    ],
)
def test_bad_uploads_are_explained_and_leave_nothing(app, data, filename, signed_on, message):
    setting = Setting(app)
    response = setting.post(data, filename, signed_on=signed_on)
    assert response.status_code == 200
    page = unescape(html(response))
    assert "There is a problem" in page and message in page
    setting.assert_nothing_left()


@freeze_time(NOW)
def test_the_date_signed_may_be_today(app):
    setting = Setting(app)
    assert setting.post(pdf_bytes(), signed_on=("30", "11", "2026")).status_code == 302
    assert setting.documents()[0].signed_on == date(2026, 11, 30)


def test_a_file_over_the_size_limit_is_refused_and_leaves_nothing(dedicated_app):
    data = pdf_bytes()
    small = Setting(dedicated_app(MAX_CONTENT_LENGTH=len(data)))
    with small.app.app_context():
        agreement = db.session.get(ServiceAgreement, small.agreement)
        with pytest.raises(UploadRefused) as caught:
            agreements.store_signed_copy(
                agreement,
                io.BytesIO(data + b"\n"),
                "Signed.pdf",
                signed_on=None,
                by=db.session.get(User, small.lead.id),
            )
        assert caught.value.reason == Reason.TOO_LARGE
    small.assert_nothing_left()
    # Through the page the request is over the limit before the view runs: the friendly 413 page.
    response = small.post(data + b"\n", "Signed.pdf")
    assert response.status_code == 413 and "The file is too large" in html(response)
    small.assert_nothing_left()


def test_a_virus_is_found_by_the_real_clamd_and_leaves_nothing(dedicated_app, clamd):
    scanning = Setting(dedicated_app(CLAMD_SOCKET=str(clamd.socket_path)))
    response = scanning.post(png_with_text(EICAR), "Signed scan.png")
    assert response.status_code == 200
    assert Reason.VIRUS_FOUND.message in html(response)
    scanning.assert_nothing_left()
    # A clean file through the same scanner is kept, marked scanned, and the page says nothing of scanning.
    assert scanning.post(pdf_bytes(), "Signed.pdf").status_code == 302
    (document,) = scanning.documents()
    assert document.virus_scanned
    assert "Not virus-scanned" not in html(scanning.browser.get(scanning.page_url))
    assert events(scanning.app, "agreement.document_uploaded")[0].details["virus_scanned"] is True


@freeze_time(NOW)
def test_the_service_refuses_a_future_date_before_reading_the_file(app):
    setting = Setting(app)
    with setting.app.app_context():
        agreement = db.session.get(ServiceAgreement, setting.agreement)
        stream = io.BytesIO(pdf_bytes())
        with pytest.raises(RuleBroken) as caught:
            agreements.store_signed_copy(
                agreement, stream, "Signed.pdf", signed_on=date(2026, 12, 1), by=db.session.get(User, setting.lead.id)
            )
        assert caught.value.field == "signed_on" and stream.tell() == 0
        assert db.session.get(Organisation, setting.school) is not None
    setting.assert_nothing_left()
