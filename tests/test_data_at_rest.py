"""Issue 12, data at rest: TOTP secrets, a pupil's child-protection status and the social worker's and welfare
officer's names and addresses are ciphertext in the database (read here straight from the rows), plain to the app,
re-encrypted by keys-rotate, and encrypted in place by the migration. On SQLite and PostgreSQL alike."""

import base64
import importlib.util
import io
import os
import uuid
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import text

from shared.crypto import FILE_MAGIC, CiphertextTampered, KeyRing, decrypt_bytes, decrypt_text, file_purpose
from shared.extensions import db
from shared.models import (
    ChildProtectionStatus,
    PlacementDocument,
    ProviderStatus,
    Pupil,
    User,
)
from shared.storage import LocalStorage, new_key
from shared.upn import make_upn
from tests.support import database, legacy
from tests.support.app import make_app
from tests.support.client import Browser, html
from tests.support.files import pdf_bytes
from tests.support.world import World

SECRET_NAME = "Sally Worker"
SECRET_EMAIL = "sally.worker@la.example"
WELFARE_NAME = "Wendy Officer"
WELFARE_EMAIL = "wendy.officer@la.example"
PUPIL_COLUMNS = {
    "child_protection": "child_protection_plan",
    "social_worker_name": SECRET_NAME,
    "social_worker_email": SECRET_EMAIL,
    "welfare_officer_name": WELFARE_NAME,
    "welfare_officer_email": WELFARE_EMAIL,
}


def _ident(row_id):
    return row_id.hex if db.engine.dialect.name == "sqlite" else row_id


def _raw(table: str, column: str, row_id) -> str | None:
    return db.session.execute(text(f"SELECT {column} FROM {table} WHERE id = :id"), {"id": _ident(row_id)}).scalar_one()


def _dev_key(app) -> str:
    key = KeyRing.from_config(None, secret_key=app.config["SECRET_KEY"]).keys["dev"]
    return "dev:" + base64.b64encode(key).decode()


@pytest.fixture
def school(world):
    return world.school()


@pytest.fixture
def pupil_id(world, school):
    return world.pupil(
        school,
        child_protection=ChildProtectionStatus.CHILD_PROTECTION_PLAN,
        social_worker_name=SECRET_NAME,
        social_worker_email=SECRET_EMAIL,
        welfare_officer_name=WELFARE_NAME,
        welfare_officer_email=WELFARE_EMAIL,
    )


def test_totp_secrets_are_ciphertext_in_the_database_and_sign_in_still_works(app, world, school):
    person = world.user(school, ["sendco"], mfa=True)
    with app.app_context():
        stored = _raw("users", "totp_secret", person.id)
        assert stored.startswith("sg1:dev:") and person.totp_secret not in stored
        assert decrypt_text(stored, "User.totp_secret") == person.totp_secret
        assert db.session.get(User, person.id).totp_secret == person.totp_secret
    browser = Browser(app.test_client())
    browser.sign_in(person)  # password, then the code from the (decrypted) secret
    assert browser.get("/school/pupils").status_code == 200


def test_a_pending_totp_secret_is_ciphertext_too(app, world, school):
    person = world.user(school, ["sendco"], mfa=False)
    with app.app_context():
        user = db.session.get(User, person.id)
        user.pending_totp_secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
        db.session.commit()
        stored = _raw("users", "pending_totp_secret", person.id)
        assert stored.startswith("sg1:") and "JBSWY3DP" not in stored
        # Under its own purpose, not the confirmed secret's (a value moved between the two would not open).
        assert decrypt_text(stored, "User.pending_totp_secret") == "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def test_child_protection_and_the_professionals_are_ciphertext_and_the_pupil_page_shows_them(
    app, world, school, pupil_id
):
    with app.app_context():
        for column, plain in PUPIL_COLUMNS.items():
            stored = _raw("pupils", column, pupil_id)
            assert stored.startswith("sg1:dev:") and plain not in stored and "@" not in stored, column
            assert decrypt_text(stored, f"Pupil.{column}") == plain
        db.session.expire_all()
        pupil = db.session.get(Pupil, pupil_id)
        assert pupil.child_protection is ChildProtectionStatus.CHILD_PROTECTION_PLAN
        assert (pupil.social_worker_email, pupil.welfare_officer_name) == (SECRET_EMAIL, WELFARE_NAME)
    browser = Browser(app.test_client())
    browser.sign_in(world.user(school, ["sendco"]))
    page = html(browser.get(f"/school/pupils/{pupil_id}"))
    assert "Child protection plan" in page and SECRET_NAME in page and SECRET_EMAIL in page


def test_keys_rotate_re_encrypts_the_new_columns(app, world, school, pupil_id, database_url, smtp_server, tmp_path):
    from shared.services.safeguarding.keys import key_usage, rotate

    person = world.user(school, ["sendco"], mfa=True)
    with app.app_context():
        before = {c: _raw("pupils", c, pupil_id) for c in PUPIL_COLUMNS}
        totp_before = _raw("users", "totp_secret", person.id)
    new = "new:" + base64.b64encode(os.urandom(32)).decode()
    during = make_app(database_url, smtp_server[0].port, tmp_path, SAFEGUARDING_KEYS=f"{_dev_key(app)},{new}")
    with during.app_context():
        result = rotate(batch=3)
        assert result.values >= 6 and result.left == {} and set(key_usage()) == {"new"}
        for column, plain in PUPIL_COLUMNS.items():
            stored = _raw("pupils", column, pupil_id)
            assert stored.startswith("sg1:new:") and stored != before[column]
            assert decrypt_text(stored, f"Pupil.{column}") == plain
        totp_after = _raw("users", "totp_secret", person.id)
        assert totp_after.startswith("sg1:new:") and totp_after != totp_before
    after = make_app(database_url, smtp_server[0].port, tmp_path, SAFEGUARDING_KEYS=new)  # the dev key is gone
    with after.app_context():
        pupil = db.session.get(Pupil, pupil_id)
        assert pupil.child_protection is ChildProtectionStatus.CHILD_PROTECTION_PLAN
        assert pupil.social_worker_name == SECRET_NAME
        assert db.session.get(User, person.id).totp_secret == person.totp_secret


def test_the_migration_encrypts_existing_rows_in_place_and_downgrade_restores_them(tmp_path, smtp_server, database_url):
    from flask_migrate import downgrade, upgrade

    scratch = make_app(database.scratch_url(database_url, tmp_path), smtp_server[0].port, tmp_path)
    with scratch.app_context():
        upgrade(revision="0011")
        school_id = legacy.school("Old School")
        user = User(email="old@school.example", name="Old")
        db.session.add(user)
        db.session.commit()
        user_id, pupil_id = user.id, uuid.uuid4()
        # Rows as they were before 0012: plaintext (written past the models, whose columns now encrypt).
        db.session.execute(
            text("UPDATE users SET totp_secret = 'JBSWY3DPEHPK3PXP' WHERE id = :id"), {"id": _ident(user_id)}
        )
        pupils = sa.table(
            "pupils",
            *(sa.column(c, sa.Uuid()) for c in ("id", "school_id")),
            *(sa.column(c) for c in ("upn", "first_name", "last_name", "date_of_birth", *PUPIL_COLUMNS)),
            *(sa.column(c) for c in ("send_status", "semh", "looked_after", "early_help", "created_at", "updated_at")),
        )
        now = datetime.now(UTC)
        db.session.execute(
            pupils.insert().values(
                id=pupil_id,
                school_id=school_id,
                upn=make_upn(),
                first_name="A",
                last_name="B",
                date_of_birth=date(2012, 1, 1),
                send_status="none",
                semh=False,
                looked_after=False,
                early_help=False,
                created_at=now,
                updated_at=now,
                **PUPIL_COLUMNS,
            )
        )
        db.session.commit()
        # A risk assessment's row from before 0013 (its object is left to keys-rotate: the test above).
        placement = legacy.placement(school_id, legacy.provider(school_id, status="approved"), pupil_id)
        document_id = uuid.uuid4()
        documents = sa.table(
            "placement_documents",
            *(sa.column(c, sa.Uuid()) for c in ("id", "placement_id", "school_id")),
            *(sa.column(c) for c in ("kind", "storage_key", "display_name", "content_type", "size_bytes", "sha256")),
            *(sa.column(c) for c in ("virus_scanned", "uploaded_at")),
        )
        db.session.execute(
            documents.insert().values(
                id=document_id,
                placement_id=placement,
                school_id=school_id,
                kind="risk_assessment",
                storage_key=new_key(school_id),
                display_name="Ava Blake risk assessment.pdf",
                content_type="application/pdf",
                size_bytes=10,
                sha256="0" * 64,
                virus_scanned=True,
                uploaded_at=now,
            )
        )
        db.session.commit()
        db.session.close()

        upgrade()
        name = _raw("placement_documents", "display_name", document_id)
        assert name.startswith("sg1:dev:") and "Ava" not in name
        assert _raw("placement_documents", "key_id", document_id) is None  # the object is not encrypted yet
        assert db.session.get(PlacementDocument, document_id).display_name == "Ava Blake risk assessment.pdf"
        assert _raw("users", "totp_secret", user_id).startswith("sg1:dev:")
        for column, plain in PUPIL_COLUMNS.items():
            stored = _raw("pupils", column, pupil_id)
            assert stored.startswith("sg1:dev:") and plain not in stored, column
        pupil = db.session.get(Pupil, pupil_id)
        assert pupil.child_protection is ChildProtectionStatus.CHILD_PROTECTION_PLAN
        assert pupil.welfare_officer_email == WELFARE_EMAIL
        assert db.session.get(User, user_id).totp_secret == "JBSWY3DPEHPK3PXP"
        db.session.close()

        downgrade(revision="0011")
        assert _raw("users", "totp_secret", user_id) == "JBSWY3DPEHPK3PXP"
        assert _raw("pupils", "social_worker_name", pupil_id) == SECRET_NAME
        assert _raw("placement_documents", "display_name", document_id) == "Ava Blake risk assessment.pdf"
        db.session.close()


def test_the_migration_refuses_to_run_without_the_apps_keyring(tmp_path, smtp_server):
    from alembic.migration import MigrationContext
    from flask_migrate import upgrade

    scratch = make_app(f"sqlite:///{tmp_path / 'scratch.sqlite'}", smtp_server[0].port, tmp_path)
    with scratch.app_context():
        upgrade(revision="0011")
        del scratch.extensions["keyring"]
        with pytest.raises(SystemExit):  # Flask-Migrate logs the error and exits
            upgrade()
        with db.engine.connect() as connection:
            assert MigrationContext.configure(connection).get_current_revision() == "0011"
        # What it says (Flask-Migrate logs it through Alembic's logging): run it with the app.
        spec = importlib.util.spec_from_file_location(
            "m0012", Path(__file__).parents[1] / "migrations/versions/0012_data_at_rest.py"
        )
        migration = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(migration)
        with pytest.raises(RuntimeError, match="encrypts existing rows with the app's keyring"):
            migration._require_keyring()


# --- every file about a pupil: a placement's risk assessment --------------------------------------------------------

RISK = b"%PDF-1.7\n% Ava: risk of absconding; known to children's services\n"


def _risk_upload(browser, placement_id, content: bytes, filename: str):
    browser.get(f"/school/placements/{placement_id}/risk-assessment")
    return browser.client.post(
        f"/school/placements/{placement_id}/risk-assessment",
        data={"csrf_token": browser.token(), "file": (io.BytesIO(content), filename)},
        content_type="multipart/form-data",
    )


@pytest.fixture
def placement_id(world, school):
    provider = world.provider(school, "Acorn Learning", ProviderStatus.APPROVED)
    return world.placement(school, provider)


@pytest.fixture
def dsl(world, school, app):
    browser = Browser(app.test_client())
    browser.sign_in(world.user(school, ["dsl"]))
    return browser


def test_a_risk_assessment_is_ciphertext_in_storage_and_plain_when_downloaded(app, dsl, placement_id):
    content = pdf_bytes()
    assert _risk_upload(dsl, placement_id, content, "Ava Blake risk assessment.pdf").status_code == 302
    with app.app_context():
        document = db.session.query(PlacementDocument).one()
        assert document.key_id == "dev" and document.display_name == "Ava Blake risk assessment.pdf"
        name = _raw("placement_documents", "display_name", document.id)
        assert name.startswith("sg1:dev:") and "Ava" not in name
        with LocalStorage(app.config["UPLOAD_FOLDER"]).open(document.storage_key) as stored:
            blob = stored.read()
        assert blob.startswith(FILE_MAGIC) and content not in blob and b"%PDF" not in blob
        # Bound to its own row: the same bytes under another row's purpose do not open.
        assert decrypt_bytes(blob, file_purpose(document.id, "PlacementDocument")) == content
        with pytest.raises(CiphertextTampered):
            decrypt_bytes(blob, file_purpose(uuid.uuid4(), "PlacementDocument"))
    download = dsl.get(f"/school/placements/{placement_id}/risk-assessment/download")
    assert download.status_code == 200 and download.get_data() == content
    assert "Ava Blake risk assessment.pdf" in download.headers["Content-Disposition"]


def test_keys_rotate_encrypts_a_risk_assessment_stored_before_encryption_and_re_encrypts_the_rest(
    app, dsl, school, placement_id, database_url, smtp_server, tmp_path
):
    from shared.services.safeguarding.keys import key_usage, rotate

    assert _risk_upload(dsl, placement_id, pdf_bytes(), "Encrypted.pdf").status_code == 302
    storage = LocalStorage(app.config["UPLOAD_FOLDER"])
    with app.app_context():
        encrypted_before = db.session.query(PlacementDocument).one()
        encrypted_id, encrypted_object = encrypted_before.id, encrypted_before.storage_key
        # A risk assessment stored before migration 0013: a plaintext object, no key.
        legacy = PlacementDocument(
            placement_id=placement_id,
            school_id=school,
            storage_key=new_key(school),
            key_id=None,
            display_name="Old risk assessment.pdf",
            content_type="application/pdf",
            size_bytes=len(RISK),
            sha256="0" * 64,
            virus_scanned=True,
        )
        storage.save(legacy.storage_key, io.BytesIO(RISK), content_type="application/pdf", download_name="x.pdf")
        db.session.add(legacy)
        db.session.commit()
        legacy_id, legacy_object = legacy.id, legacy.storage_key
        assert key_usage()["none"] == 1
    # Until keys-rotate runs, it downloads as it is (it is the newest, so the current one).
    assert dsl.get(f"/school/placements/{placement_id}/risk-assessment/download").get_data() == RISK

    new = "new:" + base64.b64encode(os.urandom(32)).decode()
    keys = f"{_dev_key(app)},{new}"
    during = make_app(
        database_url, smtp_server[0].port, tmp_path, SAFEGUARDING_KEYS=keys, UPLOAD_FOLDER=str(storage.root)
    )
    with during.app_context():
        result = rotate(batch=1)
        assert result.files == 2 and result.left == {} and set(key_usage()) == {"new"}
        for document_id, old_object in ((legacy_id, legacy_object), (encrypted_id, encrypted_object)):
            row = db.session.get(PlacementDocument, document_id)
            assert row.key_id == "new" and row.storage_key != old_object and not storage.exists(old_object)
            with storage.open(row.storage_key) as stored:
                blob = stored.read()
            assert blob.startswith(FILE_MAGIC) and b"%PDF" not in blob
        legacy_key = db.session.get(PlacementDocument, legacy_id).storage_key
        with storage.open(legacy_key) as stored:
            assert decrypt_bytes(stored.read(), file_purpose(legacy_id, "PlacementDocument")) == RISK


def test_downgrading_past_0013_refuses_while_a_stored_risk_assessment_is_encrypted(tmp_path, smtp_server):
    from alembic.migration import MigrationContext
    from flask_migrate import downgrade, upgrade

    scratch = make_app(f"sqlite:///{tmp_path / 'scratch.sqlite'}", smtp_server[0].port, tmp_path)
    with scratch.app_context():
        upgrade()
        school = World(scratch).school()
        db.session.add(
            PlacementDocument(
                placement_id=uuid.uuid4(),  # SQLite does not check it: only the row matters here
                school_id=school,
                storage_key=new_key(school),
                key_id="dev",
                display_name="Risk assessment.pdf",
                content_type="application/pdf",
                size_bytes=1,
                sha256="0" * 64,
            )
        )
        db.session.commit()
        db.session.close()
        with pytest.raises(SystemExit):  # Flask-Migrate logs the error and exits
            downgrade(revision="0012")
        with db.engine.connect() as connection:
            assert MigrationContext.configure(connection).get_current_revision() == "0013"
