"""Safeguarding notices, school DSL -> the provider's DSL: shared per provider where the pupil is placed, announced
without content, opened (audited) and acknowledged by the provider's DSL alone (a 404 for everyone else), hidden
after expiry, chased once before the next school day, and ciphertext at rest."""

import io
import re

import pytest
from freezegun import freeze_time
from sqlalchemy import select, text

from shared.extensions import db
from shared.models import AuditEvent, Notice, Notification, ProviderStatus, SafeguardingFile
from shared.notifications import deliver_outbox
from shared.services.safeguarding.notices import chase_unacknowledged
from shared.storage import LocalStorage
from tests.support.client import Browser
from tests.support.files import pdf_bytes

REFERENCE = "OE/2026/98765"
PROVIDER_TEXT = "Dad was arrested at home on Sunday night. Expect Jayden to be tired; offer the quiet room."
PLACE = "the family home"


@pytest.fixture
def setting(world, app):
    school = world.school("Demo Academy")
    north = world.provider(school, "Northside Learning", ProviderStatus.APPROVED)
    river = world.provider(school, "Riverside Tuition", ProviderStatus.APPROVED)
    ended = world.provider(school, "Closed Door Centre", ProviderStatus.APPROVED)
    pupil = world.pupil(school, first_name="Jayden", last_name="Walsh")
    other = world.pupil(school, first_name="Mia", last_name="Jones")
    return {
        "school": school,
        "north": north,
        "river": river,
        "pupil": pupil,
        "north_placement": world.placement(school, north, pupil),
        "river_placement": world.placement(school, river, pupil, timetable=["mon_am", "wed_am"]),
        "ended_placement": world.placement(school, ended, pupil, status="ended"),
        "other_placement": world.placement(school, north, other),
        "dsl": world.user(school, ["dsl"], email="dsl@school.example"),
        "head": world.user(school, ["headteacher"], email="head@school.example"),
        "north_dsl": world.user(north, ["provider_dsl"], email="dsl@northside.example"),
        "north_staff": world.user(north, ["provider_staff"], email="staff@northside.example"),
        "north_manager": world.user(north, ["provider_manager"], email="manager@northside.example"),
        "river_dsl": world.user(river, ["provider_dsl"], email="dsl@riverside.example"),
    }


def _signed_in(app, person) -> Browser:
    browser = Browser(app.test_client())
    browser.sign_in(person)
    return browser


def _encompass(setting, **changes) -> dict:
    data = {
        "kind": "operation_encompass",
        "police_reference": REFERENCE,
        "incident_on": ["29", "11", "2026"],
        "incident_time": "22:15",
        "incident_place": PLACE,
        "child_present": "yes",
        "provider_text": PROVIDER_TEXT,
        "provider_ids": [str(setting["north"]), str(setting["river"])],
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def _share(app, setting, **changes):
    browser = _signed_in(app, setting["dsl"])
    url = f"/school/notices/new?pupil={setting['pupil']}"
    return browser, browser.submit(url, _encompass(setting, **changes), content_type="multipart/form-data")


def _notices(app) -> dict:
    with app.app_context():
        return {n.provider_id: n.id for n in db.session.scalars(select(Notice))}


def _page(response) -> str:
    return response.get_data(as_text=True)


@freeze_time("2026-11-30 08:10:00")
def test_sharing_makes_one_notice_per_provider_and_tells_each_dsl_without_content(app, setting, mailbox):
    browser = _signed_in(app, setting["dsl"])
    form = _page(browser.get(f"/school/notices/new?pupil={setting['pupil']}"))
    assert "Northside Learning" in form and "Riverside Tuition" in form
    assert "Closed Door Centre" not in form  # an ended placement is no one to tell
    assert len(re.findall(r'name="provider_ids"[^>]*checked|checked[^>]*name="provider_ids"', form)) == 2
    assert "Jayden" not in re.search(r"<title>(.*?)</title>", form, re.S).group(1)

    response = browser.submit(
        f"/school/notices/new?pupil={setting['pupil']}", _encompass(setting), content_type="multipart/form-data"
    )
    assert response.status_code == 302
    rows = _notices(app)
    assert set(rows) == {setting["north"], setting["river"]}
    with app.app_context():
        assert deliver_outbox() == (2, 0)
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "notice.shared")).all()
        assert [e.details for e in events] == [{"kind": "operation_encompass"}] * 2
    for address in ("dsl@northside.example", "dsl@riverside.example"):
        (message,) = mailbox.to(address)
        body = mailbox.body(message) + message["Subject"]
        assert "A safeguarding notice from Demo Academy is waiting for you on AP Portal" in body
        for secret in (REFERENCE, "arrested", "Jayden", "Walsh", PLACE, "Encompass"):
            assert secret not in body
    assert mailbox.to("staff@northside.example") == [] and mailbox.to("manager@northside.example") == []

    listing = _page(browser.get("/school/notices"))
    assert "Jayden Walsh" in listing and "Northside Learning" in listing and "Riverside Tuition" in listing
    assert "Operation Encompass notice" in listing and listing.count("Not acknowledged") == 2


@freeze_time("2026-11-30 08:10:00")
def test_the_form_refuses_what_is_missing_and_lists_only_placed_pupils(app, setting):
    browser = _signed_in(app, setting["dsl"])
    chooser = _page(browser.get("/school/notices/new"))
    assert "Jayden Walsh" in chooser and "Mia Jones" in chooser
    page = _page(
        browser.submit(
            f"/school/notices/new?pupil={setting['pupil']}",
            _encompass(setting, police_reference="", provider_text="", provider_ids=[]),
            content_type="multipart/form-data",
        )
    )
    assert "Enter the police reference" in page or "Write what the provider needs to know" in page
    assert "Select at least one provider" in page
    page = _page(
        browser.submit(
            f"/school/notices/new?pupil={setting['pupil']}",
            _encompass(setting, police_reference=""),
            content_type="multipart/form-data",
        )
    )
    assert "Enter the police reference" in page
    page = _page(
        browser.submit(
            f"/school/notices/new?pupil={setting['pupil']}",
            _encompass(setting, attach="y"),
            content_type="multipart/form-data",
        )
    )
    assert "Select the document to attach" in page
    assert _notices(app) == {}


def test_provider_dsl_opens_and_acknowledges_and_the_school_sees_when(app, setting):
    with freeze_time("2026-11-30 08:10:00"):
        _share(app, setting)
    notice_id = _notices(app)[setting["north"]]
    with freeze_time("2026-11-30 09:05:00"):
        dsl = _signed_in(app, setting["north_dsl"])
        assert "Jayden Walsh" in _page(dsl.get("/portal/notices"))
        page = _page(dsl.get(f"/portal/notices/{notice_id}"))
        assert PROVIDER_TEXT in page and REFERENCE in page and PLACE in page and "Yes" in page
        assert dsl.post(f"/portal/notices/{notice_id}/acknowledge").status_code == 302
        assert "Acknowledged on 30 November 2026 at 09:05" in _page(dsl.get(f"/portal/notices/{notice_id}"))
    with app.app_context():
        actions = [
            e.action for e in db.session.scalars(select(AuditEvent).where(AuditEvent.object_id == str(notice_id)))
        ]
        # Opened twice within the same minute by the same person: one opening (issue 13).
        assert actions.count("notice.opened") == 1 and "notice.acknowledged" in actions
        told = db.session.scalars(select(Notification).where(Notification.user_id == setting["dsl"].id)).all()
        assert [n.text for n in told] == ["Northside Learning has acknowledged a safeguarding notice you shared"]
    with freeze_time("2026-11-30 09:10:00"):
        school = _signed_in(app, setting["dsl"])
        assert "30 November 2026 at 09:05" in _page(school.get("/school/notices"))
        detail = _page(school.get(f"/school/notices/{notice_id}"))
        assert "Acknowledged" in detail and "09:05" in detail and PROVIDER_TEXT in detail


@freeze_time("2026-11-30 08:10:00")
def test_only_the_providers_dsl_can_know_notices_exist(app, setting):
    _share(app, setting)
    north_notice = _notices(app)[setting["north"]]
    for who in ("north_staff", "north_manager"):
        browser = _signed_in(app, setting[who])
        for url in ("/portal/notices", f"/portal/notices/{north_notice}", f"/portal/notices/{north_notice}/file"):
            assert browser.get(url).status_code == 404, (who, url)
        assert browser.post(f"/portal/notices/{north_notice}/acknowledge").status_code == 404
        home = _page(browser.get("/portal/"))
        assert "/portal/notices" not in home and "notice" not in home.lower()
    # Provider B's DSL: A's notice is as if it did not exist.
    river = _signed_in(app, setting["river_dsl"])
    assert river.get(f"/portal/notices/{north_notice}").status_code == 404
    assert river.post(f"/portal/notices/{north_notice}/acknowledge").status_code == 404
    assert river.get(f"/portal/notices/{north_notice}/file").status_code == 404
    # A school user without the DSL role is refused outright.
    head = _signed_in(app, setting["head"])
    for url in ("/school/notices", "/school/notices/new", f"/school/notices/{north_notice}"):
        assert head.get(url).status_code == 403
    with app.app_context():
        assert db.session.get(Notice, north_notice).acknowledged_at is None


def test_an_expired_notice_shows_that_it_existed_but_nothing_of_it(app, setting):
    content = pdf_bytes()
    with freeze_time("2026-11-30 08:10:00"):
        _, response = _share(
            app,
            setting,
            attach="y",
            file=(io.BytesIO(content), "police-report.pdf"),
            expires_on=["1", "12", "2026"],
            provider_ids=[str(setting["north"])],
        )
        assert response.status_code == 302
        notice_id = _notices(app)[setting["north"]]
        dsl = _signed_in(app, setting["north_dsl"])
        assert PROVIDER_TEXT in _page(dsl.get(f"/portal/notices/{notice_id}"))
        download = dsl.get(f"/portal/notices/{notice_id}/file")
        assert download.status_code == 200 and download.data == content
        assert "attachment" in download.headers["Content-Disposition"]
    with freeze_time("2026-12-02 00:00:01"):  # 1 December was the last day it could be opened
        dsl = _signed_in(app, setting["north_dsl"])
        page = _page(dsl.get(f"/portal/notices/{notice_id}"))
        assert "This notice expired on 2 December 2026" in page
        for secret in (PROVIDER_TEXT, REFERENCE, PLACE, "police-report", "Operation Encompass"):
            assert secret not in page
        listing = _page(dsl.get("/portal/notices"))
        assert "Expired" in listing and "Operation Encompass" not in listing
        refused = dsl.get(f"/portal/notices/{notice_id}/file")
        assert refused.status_code == 302 and content not in refused.data
        assert dsl.post(f"/portal/notices/{notice_id}/acknowledge").status_code == 302
    with app.app_context():
        assert db.session.get(Notice, notice_id).acknowledged_at is None


def test_an_unacknowledged_notice_is_chased_once_before_the_next_school_day(app, setting, mailbox):
    # Shared on a school day before 16:00: chased at 16:00 that day.
    with freeze_time("2026-11-30 08:10:00"):
        _share(app, setting, provider_ids=[str(setting["north"])])
    # Shared after 16:00: chased at 07:30 on the next school day.
    with freeze_time("2026-11-30 17:30:00"):
        _share(app, setting, provider_ids=[str(setting["river"])])
    rows = _notices(app)
    with freeze_time("2026-11-30 15:59:00"), app.app_context(), app.test_request_context():
        assert chase_unacknowledged() == 0
        deliver_outbox()
    mailbox.clear()
    with freeze_time("2026-11-30 16:00:00"), app.app_context(), app.test_request_context():
        assert chase_unacknowledged() == 1
        assert chase_unacknowledged() == 0  # once
        assert db.session.get(Notice, rows[setting["north"]]).chased_at is not None
        assert db.session.get(Notice, rows[setting["river"]]).chased_at is None
        deliver_outbox()
    (chase,) = mailbox.to("dsl@northside.example")
    body = mailbox.body(chase)
    assert "still waiting for you" in body and REFERENCE not in body and "Jayden" not in body
    with freeze_time("2026-12-01 07:29:00"), app.app_context(), app.test_request_context():
        assert chase_unacknowledged() == 0
    with freeze_time("2026-12-01 07:30:00"), app.app_context(), app.test_request_context():
        assert chase_unacknowledged() == 1
        assert chase_unacknowledged() == 0
        told = db.session.scalars(select(Notification.text).where(Notification.user_id == setting["dsl"].id)).all()
        assert sorted(told) == [
            "A safeguarding notice you shared with Northside Learning has not been acknowledged yet",
            "A safeguarding notice you shared with Riverside Tuition has not been acknowledged yet",
        ]
        chased = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "notice.chased")).all()
        assert len(chased) == 2
    with freeze_time("2026-12-01 08:00:00"):
        listing = _page(_signed_in(app, setting["dsl"]).get("/school/notices"))
        assert listing.count("govuk-tag--red") == 2 and "chased" in listing


def test_notice_text_and_attachment_are_ciphertext_at_rest(app, setting):
    content = pdf_bytes()
    with freeze_time("2026-11-30 08:10:00"):
        _share(app, setting, attach="y", file=(io.BytesIO(content), "police-report.pdf"))
    with app.app_context():
        sqlite = db.engine.dialect.name == "sqlite"
        raw = db.session.execute(
            text("SELECT provider_text, police_reference, child_present, incident_details FROM notices")
        ).all()
        assert len(raw) == 2
        for provider_text, reference, present, details in raw:
            assert provider_text.startswith("sg1:") and "arrested" not in provider_text
            assert REFERENCE not in reference and present != "yes" and PLACE not in details
        files = db.session.scalars(select(SafeguardingFile)).all()
        assert len(files) == 2 and len({f.storage_key for f in files}) == 2
        storage = LocalStorage(app.config["UPLOAD_FOLDER"])
        for row in files:
            with storage.open(row.storage_key) as stored:
                blob = stored.read()
            assert blob != content and b"%PDF" not in blob
            name = db.session.execute(
                text("SELECT display_name FROM safeguarding_files WHERE id = :id"),
                {"id": row.id.hex if sqlite else row.id},
            ).scalar_one()
            assert "police-report" not in name
        assert {f.notice_id for f in files} == set(_notices(app).values())
    with freeze_time("2026-11-30 08:20:00"):
        school = _signed_in(app, setting["dsl"])
        notice_id = _notices(app)[setting["river"]]
        download = school.get(f"/school/notices/{notice_id}/file")
        assert download.status_code == 200 and download.data == content


def test_a_stale_security_code_asks_again(app, setting):
    with freeze_time("2026-11-30 08:10:00") as clock:
        school, _ = _share(app, setting)
        notice_id = _notices(app)[setting["north"]]
        dsl = _signed_in(app, setting["north_dsl"])
        assert dsl.get(f"/portal/notices/{notice_id}").status_code == 200
        clock.tick(16 * 60)
        for browser, url in ((dsl, f"/portal/notices/{notice_id}"), (school, f"/school/notices/{notice_id}")):
            response = browser.get(url)
            assert response.status_code == 302 and response.location.startswith("/two-step/confirm")
        response = dsl.post(f"/portal/notices/{notice_id}/acknowledge")
        assert response.status_code == 302 and "/two-step/confirm" in response.location
    with app.app_context():
        assert db.session.get(Notice, notice_id).acknowledged_at is None
