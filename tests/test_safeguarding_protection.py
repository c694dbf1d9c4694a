"""Safeguarding content is ciphertext at rest (database and storage), bound to its purpose, readable across a key
rotation that leaves nothing under the old key; the audit log's hash chain names the first changed, removed or
inserted event. On SQLite and PostgreSQL alike."""

import base64
import io
import os
from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from shared import audit
from shared.crypto import CiphertextTampered, KeyRing, decrypt_bytes, encrypt_bytes
from shared.extensions import db
from shared.models import AuditEvent, Concern, Organisation, Placement, ProviderStatus, SafeguardingFile
from shared.storage import LocalStorage, new_key
from tests.support.app import make_app

SECRET = "She said he hits her when he has been drinking"


def _key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


@pytest.fixture
def placed(world):
    school = world.school()
    provider = world.provider(school, "Northside Learning", ProviderStatus.APPROVED)
    placement = world.placement(school, provider)
    dsl = world.user(provider, ["provider_dsl"])
    return placement, dsl


def _concern(placement_id, user_id, what=SECRET) -> Concern:
    placement = db.session.get(Placement, placement_id)
    concern = Concern(
        school_id=placement.school_id,
        provider_id=placement.provider_id,
        placement_id=placement.id,
        pupil_id=placement.pupil_id,
        status="sent",
        occurred_at=datetime(2026, 11, 30, 10, 0, tzinfo=UTC),
        location="Workshop",
        category="domestic_abuse",
        what_happened=what,
        childs_words='"He shouts at mum"',
        actions_taken="Told the DSL",
        raised_by_id=user_id,
    )
    db.session.add(concern)
    db.session.commit()
    return concern


def _raw(column: str, concern_id) -> str:
    return db.session.execute(
        text(f"SELECT {column} FROM concerns WHERE id = :id"), {"id": concern_id.hex if _sqlite() else concern_id}
    ).scalar_one()


def _sqlite() -> bool:
    return db.engine.dialect.name == "sqlite"


def test_concern_text_is_ciphertext_in_the_database_and_plain_to_the_app(app, placed):
    placement, dsl = placed
    with app.app_context():
        concern_id = _concern(placement, dsl.id).id
        stored = _raw("what_happened", concern_id)
        assert stored.startswith("sg1:dev:") and SECRET not in stored and "hits" not in stored
        assert "domestic" not in _raw("category", concern_id)
        db.session.expire_all()
        assert db.session.get(Concern, concern_id).what_happened == SECRET


def test_a_tampered_or_moved_ciphertext_is_detected(app, placed):
    placement, dsl = placed
    with app.app_context():
        concern_id = _concern(placement, dsl.id).id
        stored = _raw("what_happened", concern_id)
        prefix, kid, nonce, body = stored.split(":")
        flipped = base64.b64decode(body)
        flipped = bytes([flipped[0] ^ 1]) + flipped[1:]
        tampered = ":".join([prefix, kid, nonce, base64.b64encode(flipped).decode()])
        ident = concern_id.hex if _sqlite() else concern_id
        db.session.execute(text("UPDATE concerns SET what_happened = :v WHERE id = :id"), {"v": tampered, "id": ident})
        db.session.commit()
        db.session.expire_all()
        with pytest.raises(CiphertextTampered):
            db.session.get(Concern, concern_id).what_happened  # noqa: B018 - reading is the test
        db.session.rollback()
        # A genuine ciphertext moved to another column fails too: each is bound to its purpose.
        moved = _raw("location", concern_id)
        db.session.execute(text("UPDATE concerns SET what_happened = :v WHERE id = :id"), {"v": moved, "id": ident})
        db.session.commit()
        db.session.expire_all()
        with pytest.raises(CiphertextTampered):
            db.session.get(Concern, concern_id).what_happened  # noqa: B018


def test_files_are_ciphertext_in_storage_and_bound_to_their_row(app):
    with app.app_context():
        blob = encrypt_bytes(b"%PDF-1.7 police report", "SafeguardingFile:one")
        assert b"police report" not in blob
        assert decrypt_bytes(blob, "SafeguardingFile:one") == b"%PDF-1.7 police report"
        with pytest.raises(CiphertextTampered):
            decrypt_bytes(blob, "SafeguardingFile:two")


def test_key_rotation_keeps_everything_readable_and_leaves_nothing_under_the_old_key(
    app, placed, database_url, smtp_server, tmp_path
):
    from shared.services.safeguarding.keys import key_usage, rotate, row_purpose

    placement, dsl = placed
    smtp_port = smtp_server[0].port
    old, new = f"old:{_key()}", f"new:{_key()}"
    before = make_app(database_url, smtp_port, tmp_path, SAFEGUARDING_KEYS=old)
    with before.app_context():
        concern = _concern(placement, dsl.id)
        storage = LocalStorage(before.config["UPLOAD_FOLDER"])
        row = SafeguardingFile(
            concern_id=concern.id,
            school_id=concern.school_id,
            storage_key=new_key(concern.school_id),
            key_id="old",
            display_name="Photo of bruise.jpg",
            content_type="image/jpeg",
            size_bytes=9,
            uploaded_by_id=dsl.id,
        )
        db.session.add(row)
        db.session.flush()
        storage.save(
            row.storage_key,
            io.BytesIO(encrypt_bytes(b"JPEG data", row_purpose(row))),
            content_type="application/octet-stream",
            download_name="encrypted",
        )
        db.session.commit()
        concern_id, file_id, old_object = concern.id, row.id, row.storage_key
        assert _raw("what_happened", concern_id).startswith("sg1:old:")

    # The fixtures' users were made under the tests' development key (their TOTP secrets are encrypted too).
    dev = "dev:" + base64.b64encode(KeyRing.from_config(None, secret_key=app.config["SECRET_KEY"]).keys["dev"]).decode()
    during = make_app(database_url, smtp_port, tmp_path, SAFEGUARDING_KEYS=f"{dev},{old},{new}")
    with during.app_context():
        assert db.session.get(Concern, concern_id).what_happened == SECRET  # both keys read while rotating
        result = rotate(batch=2)
        assert result.values >= 5 and result.files == 1 and result.left == {}
        assert set(key_usage()) == {"new"}
        assert _raw("what_happened", concern_id).startswith("sg1:new:")

    after = make_app(database_url, smtp_port, tmp_path, SAFEGUARDING_KEYS=new)  # the old key is gone
    with after.app_context():
        concern = db.session.get(Concern, concern_id)
        assert (concern.what_happened, concern.childs_words) == (SECRET, '"He shouts at mum"')
        row = db.session.get(SafeguardingFile, file_id)
        assert row.display_name == "Photo of bruise.jpg" and row.key_id == "new" and row.storage_key != old_object
        storage = LocalStorage(after.config["UPLOAD_FOLDER"])
        with storage.open(row.storage_key) as stored:
            assert decrypt_bytes(stored.read(), row_purpose(row)) == b"JPEG data"
        assert not storage.exists(old_object)


def test_the_keys_rotate_command_says_what_it_did(app, placed):
    placement, dsl = placed
    with app.app_context():
        _concern(placement, dsl.id)
    result = app.test_cli_runner().invoke(None, ["keys-rotate"])
    assert result.exit_code == 0
    assert "Nothing is left under an older key" in result.output


def _events(app, count: int) -> None:
    with app.app_context():
        school = Organisation(kind="school", name="Chain School")
        db.session.add(school)
        db.session.flush()
        for n in range(count):
            audit.record("school.created", organisation=school, obj=school)
            if n % 2:
                db.session.commit()  # several transactions, several events each
        db.session.commit()


def test_the_audit_chain_verifies_and_names_the_first_changed_event(app):
    _events(app, 6)
    runner = app.test_cli_runner()
    intact = runner.invoke(None, ["audit-verify"])
    assert intact.exit_code == 0 and "The audit log is intact: 6 events checked" in intact.output
    with app.app_context():
        third = db.session.query(AuditEvent).filter_by(seq=3).one()
        db.session.execute(
            text("UPDATE audit_events SET action = 'sign_out' WHERE seq = 3"),
        )
        db.session.commit()
        assert third.id is not None
    broken = runner.invoke(None, ["audit-verify"])
    assert broken.exit_code != 0 and "broken at event 3: event 3 (sign_out) was changed" in broken.output


def test_a_removed_or_inserted_audit_event_is_detected(app):
    _events(app, 5)
    with app.app_context():
        db.session.execute(text("DELETE FROM audit_events WHERE seq = 2"))
        db.session.commit()
        result = audit.verify()
        assert (result.ok, result.broken_at, result.problem) == (False, 2, "event 2 is missing")
    with app.app_context():
        db.session.execute(text("DELETE FROM audit_events WHERE seq >= 3"))
        db.session.commit()
        result = audit.verify()  # the tail removed: the head still names event 5
        assert (result.ok, result.broken_at, result.problem) == (False, 2, "events after 1 are missing")


def test_events_written_by_concurrent_requests_still_form_one_chain(app, world):
    """Ordinary traffic: sign-ins audit in their own transactions; the chain has no gap and no fork."""
    from tests.support.client import Browser

    school = world.school()
    for role in ("dsl", "ap_lead", "sendco"):
        Browser(app.test_client()).sign_in(world.user(school, [role]))
    with app.app_context():
        result = audit.verify()
        assert result.ok and result.checked == db.session.query(AuditEvent).count()


def test_the_first_audit_events_written_at_once_start_one_chain(app, world):
    """An empty audit trail (a new installation): six failed sign-ins at the same moment each write the first event
    they see. Each gets the ordinary answer, and the events form one chain."""
    from tests.support.client import Browser, html, post_all_at_once

    lead = world.user(world.school(), ["ap_lead"])
    browsers = [Browser(app.test_client()) for _ in range(6)]
    responses = post_all_at_once(browsers, "/sign-in", {"email": lead.email, "password": "wrong password guess"})
    assert [r.status_code for r in responses] == [200] * 6
    assert all("Enter a correct email address and password" in html(r) for r in responses)
    with app.app_context():
        result = audit.verify()
        assert result.ok and result.checked == db.session.query(AuditEvent).count() == 6


def test_the_provider_pages_history_shows_safeguarding_events_to_dsls_only(app, world):
    from tests.support.client import Browser, html

    school = world.school("Hillside Academy")
    provider = world.provider(school, "Northside Learning", ProviderStatus.APPROVED)
    # A concern about this school's pupil, and one about another school's pupil at the same provider.
    concern = world.concern(world.placement(school, provider, world.pupil(school)))
    elsewhere = world.school("Elsewhere School")
    world.works_with(elsewhere, provider)
    other_concern = world.concern(world.placement(elsewhere, provider, world.pupil(elsewhere)))
    with app.app_context():
        from shared.models import Concern

        northside = db.session.get(Organisation, provider)
        audit.record("concern.raised", organisation=northside, obj=db.session.get(Concern, concern), route="dsl")
        audit.record("concern.sent", organisation=northside, obj=db.session.get(Concern, other_concern))
        audit.record("provider.site_added", organisation=northside, actor=None)
        db.session.commit()

    def history(roles):
        browser = Browser(app.test_client())
        browser.sign_in(world.user(school, roles))
        page = html(browser.get(f"/school/providers/{provider}"))
        return page.split("History", 1)[1]

    for roles in (["attendance_lead"], ["ap_lead"], ["headteacher"]):
        seen = history(roles)
        assert "provider: site added" in seen and "concern" not in seen, roles  # nothing says a concern exists
    seen = history(["dsl"])
    assert "concern: raised" in seen and "concern: sent" not in seen  # never another school's concern
