"""Safeguarding concerns, provider -> school: staff concerns go to their DSL first, a DSL's straight to the school;
the school's DSLs are told at once with nothing of the concern in the e-mail; unacknowledged concerns escalate once,
counting school hours only; the school DSL acknowledges, decides (with a reason, a decision not to refer included),
refers, shares back and closes; who may see what; content is ciphertext at rest; every opening is audited.
Frozen time: the school's clock is Europe/London (GMT in November and December)."""

import io
import re
from datetime import UTC, datetime

import pytest
from freezegun import freeze_time
from sqlalchemy import select, text

from shared.extensions import db
from shared.models import AuditEvent, Concern, ProviderStatus, SafeguardingFile
from shared.notifications import deliver_outbox
from shared.services.safeguarding.concerns import escalate_unacknowledged
from shared.uploads.pipeline import current_storage
from tests.support.client import html
from tests.support.files import pdf_bytes

NOW = "2026-11-30 11:00:00"  # a Monday in term, 11:00 at school
WHAT = "Said her stepdad hit her with a belt last night; red marks on her forearm."
WORDS = "He said if I tell anyone I'll be put in care."
WARNING = (
    "If a child is in immediate danger, call 999. If you think a child is at risk of harm, contact your local "
    "children&#39;s social care front door now, then record it here."
)


@pytest.fixture
def setting(world):
    school = world.school("Hillside Academy")
    provider = world.provider(school, "Northside Learning", ProviderStatus.APPROVED)
    pupil = world.pupil(school, first_name="Jayden", last_name="Marsh", preferred_name="Jay")
    placement = world.placement(school, provider, pupil)
    return {
        "school": school,
        "provider": provider,
        "placement": placement,
        "staff": world.user(provider, ["provider_staff"], email="staff@northside.example"),
        "provider_dsl": world.user(provider, ["provider_dsl"], email="dsl@northside.example"),
        "dsl": world.user(school, ["dsl"], email="dsl@hillside.example"),
        "deputy": world.user(school, ["dsl"], email="deputy.dsl@hillside.example"),
        "head": world.user(school, ["headteacher"], email="head@hillside.example"),
        "sendco": world.user(school, ["sendco"]),
    }


def _form(setting, **changes) -> dict:
    data = {
        "placement_id": str(setting["placement"]),
        "occurred_on": ["30", "11", "2026"],
        "occurred_time": "9:40am",
        "location": "Workshop",
        "category": "physical_abuse",
        "what_happened": WHAT,
        "childs_words": WORDS,
        "actions_taken": "Kept her with a mentor; told our DSL straight away.",
        "who_told": "Our DSL",
    }
    data.update(changes)
    return data


def _concerns(app) -> list[Concern]:
    with app.app_context():
        return db.session.scalars(select(Concern)).all()


def _deliver(app) -> None:
    with app.app_context():
        deliver_outbox()


def _assert_no_content(body: str) -> None:
    for secret in ("Physical abuse", "physical_abuse", "belt", "stepdad", "Jayden", "Marsh", "Jay ", "Workshop"):
        assert secret not in body, secret


@freeze_time(NOW)
def test_a_staff_concern_goes_to_their_dsl_first_and_the_school_sees_nothing_until_it_is_sent(
    app, setting, new_browser, mailbox
):
    staff = new_browser()
    staff.sign_in(setting["staff"])
    page = html(staff.get("/portal/concerns/new"))
    assert page.index(WARNING) < page.index("Which pupil is this about?")
    assert "Jay Marsh" in page and "Exploitation (CSE or CCE)" in page and "Missing from education" in page

    response = staff.submit("/portal/concerns/new", _form(setting))
    assert response.status_code == 302
    assert "Your concern has been sent to your DSL" in html(staff.get(response.location))
    [concern] = _concerns(app)
    assert concern.status == "raised" and concern.sent_at is None
    # Staff never see the list or the concern afterwards.
    assert staff.get("/portal/concerns").status_code == 403
    assert staff.get(f"/portal/concerns/{concern.id}").status_code == 403

    # The school sees nothing yet: not in the queue, and the page is not found.
    school = new_browser()
    school.sign_in(setting["dsl"])
    assert "There are no concerns" in html(school.get("/school/concerns"))
    assert school.get(f"/school/concerns/{concern.id}").status_code == 404

    # The provider's DSL is told, with nothing of the concern in the e-mail; the school is not told yet.
    _deliver(app)
    [note] = mailbox.to("dsl@northside.example")
    _assert_no_content(mailbox.body(note))
    assert f"/portal/concerns/{concern.id}" in mailbox.body(note)
    assert not mailbox.to("dsl@hillside.example")

    dsl = new_browser()
    dsl.sign_in(setting["provider_dsl"])
    listing = html(dsl.get("/portal/concerns"))
    assert "Jay Marsh" in listing and "Waiting for you to send it to the school" in listing
    detail = html(dsl.get(f"/portal/concerns/{concern.id}"))
    assert "red marks on her forearm" in detail and "put in care" in detail
    response = dsl.submit(
        f"/portal/concerns/{concern.id}",
        {"body": "Her older brother mentioned the same to a tutor in October."},
        post_url=f"/portal/concerns/{concern.id}/add",
    )
    assert response.status_code == 302
    response = dsl.submit(f"/portal/concerns/{concern.id}", {}, post_url=f"/portal/concerns/{concern.id}/send")
    assert response.status_code == 302
    page = html(dsl.get(response.location))
    assert "Sent to the school, not acknowledged yet" in page and "older brother" in page

    with app.app_context():
        sent = db.session.get(Concern, concern.id)
        assert sent.status == "sent" and sent.sent_at == datetime(2026, 11, 30, 11, 0, tzinfo=UTC)
        assert sent.sent_by_id == setting["provider_dsl"].id
    queue = html(school.get("/school/concerns"))
    assert "Jayden Marsh" in queue and "Northside Learning" in queue and "Not acknowledged" in queue
    assert "Physical abuse" not in queue and "belt" not in queue  # the list shows no category or text
    page = html(school.get(f"/school/concerns/{concern.id}"))
    assert "older brother" in page and "Added by the provider&#39;s DSL" in page
    _deliver(app)
    assert len(mailbox.to("dsl@hillside.example")) == 1 and len(mailbox.to("deputy.dsl@hillside.example")) == 1


@freeze_time(NOW)
def test_a_dsl_concern_goes_straight_to_the_school_and_the_e_mails_carry_nothing_of_it(
    app, setting, browser, new_browser, mailbox
):
    browser.sign_in(setting["provider_dsl"])
    document = pdf_bytes()
    response = browser.submit(
        "/portal/concerns/new", {**_form(setting), "attachment": (io.BytesIO(document), "body map.pdf")}
    )
    assert response.status_code == 302
    [concern] = _concerns(app)
    assert concern.status == "sent" and concern.sent_by_id == setting["provider_dsl"].id
    assert "The school&#39;s DSLs have been told" in html(browser.get(response.location))

    _deliver(app)
    for address in ("dsl@hillside.example", "deputy.dsl@hillside.example"):
        [message] = mailbox.to(address)
        body = mailbox.body(message)
        _assert_no_content(body)
        _assert_no_content(message["Subject"])
        assert "Northside Learning has sent a safeguarding concern" in body
        assert f"/school/concerns/{concern.id}" in body
    assert not mailbox.to("head@hillside.example")

    # At rest: the text is ciphertext in the database, the attachment ciphertext in storage.
    with app.app_context():
        ident = concern.id.hex if db.engine.dialect.name == "sqlite" else concern.id
        for column in ("what_happened", "childs_words", "category", "location"):
            raw = db.session.execute(text(f"SELECT {column} FROM concerns WHERE id = :id"), {"id": ident}).scalar_one()
            assert "belt" not in raw and "care" not in raw and "physical" not in raw and "Workshop" not in raw
        [row] = db.session.scalars(select(SafeguardingFile)).all()
        with current_storage().open(row.storage_key) as stream:
            stored = stream.read()
        assert stored != document and b"%PDF" not in stored
        file_url = f"/school/concerns/{concern.id}/files/{row.id}"

    school = new_browser()
    school.sign_in(setting["dsl"])
    assert "body map.pdf" in html(school.get(f"/school/concerns/{concern.id}"))
    download = school.get(file_url)
    assert download.status_code == 200 and download.data == document
    assert browser.get(f"/portal/concerns/{concern.id}/files/{row.id}").data == document


@freeze_time(NOW)
def test_the_form_explains_what_is_missing_and_refuses_a_pupil_not_placed_here(app, setting, world, browser):
    other_school = world.school("Elsewhere High")
    elsewhere = world.placement(other_school, world.provider(other_school, "Other AP"), world.pupil(other_school))
    browser.sign_in(setting["staff"])
    response = browser.submit("/portal/concerns/new", {})
    page = html(response)
    assert response.status_code == 200
    for message in ("Choose the pupil", "Enter the date", "Say where it happened", "Choose the kind of concern"):
        assert message in page
    response = browser.submit("/portal/concerns/new", _form(setting, placement_id=str(elsewhere)))
    assert response.status_code == 200 and "Choose a pupil placed with you" in html(response)
    response = browser.submit("/portal/concerns/new", _form(setting, what_happened="  "))
    assert response.status_code == 200 and "Say what you saw or heard" in html(response)
    assert _concerns(app) == []


def test_escalation_fires_once_after_thirty_minutes_of_school_hours(app, setting, world, mailbox):
    concern_id = world.concern(setting["placement"], sent_at=datetime(2026, 11, 30, 10, 0, tzinfo=UTC))
    with app.app_context():
        assert escalate_unacknowledged(datetime(2026, 11, 30, 10, 29, tzinfo=UTC)) == 0
        assert escalate_unacknowledged(datetime(2026, 11, 30, 10, 30, tzinfo=UTC)) == 1
        assert escalate_unacknowledged(datetime(2026, 11, 30, 10, 45, tzinfo=UTC)) == 0  # once only
        concern = db.session.get(Concern, concern_id)
        assert concern.escalated_at == datetime(2026, 11, 30, 10, 30, tzinfo=UTC)
        [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "concern.escalated")).all()
        assert event.details == {"minutes": 30} and event.object_id == str(concern_id)
        deliver_outbox()
    [to_head] = mailbox.to("head@hillside.example")
    assert "has not been acknowledged by a DSL within 30 minutes" in mailbox.body(to_head)
    _assert_no_content(mailbox.body(to_head))
    assert len(mailbox.to("dsl@hillside.example")) == 1


def test_escalation_waits_for_school_hours_over_a_weekend(app, setting, world):
    # Sent at 16:50 on Friday 4 December: 10 minutes that day, 20 on Monday morning.
    concern_id = world.concern(setting["placement"], sent_at=datetime(2026, 12, 4, 16, 50, tzinfo=UTC))
    with app.app_context():
        assert escalate_unacknowledged(datetime(2026, 12, 4, 17, 20, tzinfo=UTC)) == 0
        assert escalate_unacknowledged(datetime(2026, 12, 5, 12, 0, tzinfo=UTC)) == 0  # Saturday
        assert escalate_unacknowledged(datetime(2026, 12, 7, 8, 19, tzinfo=UTC)) == 0
        assert escalate_unacknowledged(datetime(2026, 12, 7, 8, 20, tzinfo=UTC)) == 1
        assert db.session.get(Concern, concern_id).escalated_at == datetime(2026, 12, 7, 8, 20, tzinfo=UTC)


def test_an_acknowledged_concern_does_not_escalate(app, setting, world):
    world.concern(
        setting["placement"],
        sent_at=datetime(2026, 11, 30, 10, 0, tzinfo=UTC),
        status="acknowledged",
        acknowledged_at=datetime(2026, 11, 30, 10, 5, tzinfo=UTC),
    )
    with app.app_context():
        assert escalate_unacknowledged(datetime(2026, 11, 30, 12, 0, tzinfo=UTC)) == 0


@freeze_time(NOW)
def test_the_school_dsl_acknowledges_decides_refers_shares_back_and_closes(app, setting, world, new_browser, mailbox):
    concern_id = world.concern(setting["placement"], what_happened=WHAT)
    url = f"/school/concerns/{concern_id}"
    school = new_browser()
    school.sign_in(setting["dsl"])
    assert "Acknowledge" in html(school.get(url))
    response = school.submit(url, {}, post_url=f"{url}/acknowledge")
    assert response.status_code == 302
    assert ": acknowledged by Test dsl" in html(school.get(url))

    # Closing needs a decision first.
    response = school.submit(url, {}, post_url=f"{url}/close")
    assert "Record a decision, with its reason, before closing the concern" in html(school.get(response.location))

    # A decision not to refer needs its reason.
    response = school.submit(url, {"decision": "no_referral", "body": " "}, post_url=f"{url}/decision")
    assert response.status_code == 200
    assert "Give the reason for this decision. A decision not to refer needs its reason too" in html(response)
    response = school.submit(
        url,
        {"decision": "no_referral", "body": "Marks consistent with the PE accident the school nurse saw."},
        post_url=f"{url}/decision",
    )
    assert response.status_code == 302
    # Each entry a minute after the one before, so their order is their times' (all at one frozen instant it would
    # be whatever order the database returns).
    with freeze_time("2026-11-30 11:01:00") as clock:
        response = school.submit(
            url, {"body": "Spoke to the school nurse, who saw the fall in PE."}, post_url=f"{url}/discussion"
        )
        assert response.status_code == 302
        clock.tick(60)
        # One way to refer: the decision "Refer" says who to, in the same step (issue 13).
        refer = {"decision": "refer", "reference": "EH/2026/77", "body": "Family agreed to Early Help support."}
        response = school.submit(url, refer, post_url=f"{url}/decision")
        assert response.status_code == 200 and "Choose who the referral was made to" in html(response)
        response = school.submit(url, {**refer, "referred_to": "early_help"}, post_url=f"{url}/decision")
        assert response.status_code == 302
        clock.tick(60)
        response = school.submit(url, {"outcome": "Assessment booked for 7 December."}, post_url=f"{url}/referral")
        assert response.status_code == 302
        response = school.submit(
            url,
            {"shared_text": "No referral: we are monitoring. Tell us of any new marks."},
            post_url=f"{url}/share-back",
        )
        assert response.status_code == 302
        response = school.submit(url, {}, post_url=f"{url}/close")
        page = html(school.get(response.location))
        assert "Concern closed" in page
        for words in (
            "No referral",
            "PE accident",
            "school nurse",
            "Early Help",
            "EH/2026/77",
            "Assessment booked for 7 December.",
            "closed by Test dsl",
        ):
            assert words in page, words
        # Closed: nothing more can be recorded.
        response = school.submit(url, {"body": "late note"}, post_url=f"{url}/discussion")
        assert "This concern is closed" in html(response)

        with app.app_context():
            concern = db.session.get(Concern, concern_id)
            assert concern.status == "closed" and concern.acknowledged_at and concern.closed_at
            assert [e.kind for e in concern.entries] == ["decision", "discussion", "decision", "referral"]
            actions = set(db.session.scalars(select(AuditEvent.action).where(AuditEvent.object_id == str(concern_id))))
            assert {
                "concern.acknowledged",
                "concern.entry_recorded",
                "concern.shared_back",
                "concern.closed",
            } <= actions
            deliver_outbox()

        # The provider DSL is told (without content) and sees the acknowledgement and the shared text, never the
        # school's own entries.
        [update] = mailbox.to("dsl@northside.example")
        assert "shared an update" in mailbox.body(update) and "monitoring" not in mailbox.body(update)
        provider = new_browser()
        provider.sign_in(setting["provider_dsl"])
        page = html(provider.get(f"/portal/concerns/{concern_id}"))
        assert "Tell us of any new marks" in page and "On 30 November 2026 at 11:00" in page
        assert "PE accident" not in page and "school nurse" not in page and "EH/2026/77" not in page


def test_a_stale_security_code_is_asked_for_again(app, setting, world, browser):
    concern_id = world.concern(setting["placement"])
    url = f"/school/concerns/{concern_id}"
    with freeze_time("2026-11-30 11:00:00") as clock:
        browser.sign_in(setting["dsl"])
        assert browser.get(url).status_code == 200
        clock.tick(16 * 60)
        response = browser.get(url)
        assert response.status_code == 302 and "/two-step/confirm" in response.location
        response = browser.submit(response.location, {"code": setting["dsl"].code()})
        assert response.status_code == 302 and response.location.endswith(url)
        assert "Came in hungry" in html(browser.get(url))


@freeze_time(NOW)
def test_every_opening_is_audited_and_listed_for_the_school_dsl(app, setting, world, new_browser):
    concern_id = world.concern(setting["placement"])
    provider = new_browser()
    provider.sign_in(setting["provider_dsl"])
    assert provider.get(f"/portal/concerns/{concern_id}").status_code == 200
    school = new_browser()
    school.sign_in(setting["deputy"])
    school.get(f"/school/concerns/{concern_id}")
    with app.app_context():
        events = db.session.scalars(
            select(AuditEvent).where(
                AuditEvent.action == "concern.opened",
                AuditEvent.object_type == "Concern",
                AuditEvent.object_id == str(concern_id),
            )
        ).all()
        assert {e.actor_user_id for e in events} == {setting["provider_dsl"].id, setting["deputy"].id}
        assert all(e.details == {} for e in events)
    page = html(school.get(f"/school/concerns/{concern_id}"))
    section = page[page.index("Who has opened this concern") :]
    assert "Test provider_dsl" in section and "Northside Learning" in section
    # The deputy opened it twice in the same minute: one opening (issue 13).
    assert len(re.findall(r"Test dsl", section)) == 1 and "Hillside Academy" in section


@freeze_time(NOW)
def test_the_headteacher_reads_only_escalated_concerns(app, setting, world, browser):
    quiet = world.concern(setting["placement"])
    escalated = world.concern(setting["placement"], escalated_at=datetime(2026, 11, 30, 10, 30, tzinfo=UTC))
    browser.sign_in(setting["head"])
    response = browser.get(f"/school/concerns/{quiet}")
    assert response.status_code == 302
    assert "Only the DSLs can open a concern until it is escalated to you" in html(browser.get(response.location))
    page = html(browser.get(f"/school/concerns/{escalated}"))
    assert "Came in hungry" in page and "Escalated" in page
    assert "Acknowledge" not in page and "Record a decision" not in page
    assert browser.post(f"/school/concerns/{escalated}/acknowledge").status_code == 403


@pytest.mark.parametrize(
    "referrer",
    [
        "http://localhost/%09/evil.example/phish",
        "http://localhost/%5Cevil.example/phish",
        "http://localhost//evil.example/phish",
        "https://evil.example/school/concerns",
    ],
)
def test_a_stale_code_on_a_form_never_goes_back_to_another_site(app, setting, world, browser, referrer):
    concern_id = world.concern(setting["placement"])
    url = f"/school/concerns/{concern_id}"
    with freeze_time("2026-11-30 11:00:00") as clock:
        browser.sign_in(setting["dsl"])
        assert browser.get(url).status_code == 200
        token = browser.token()
        clock.tick(16 * 60)
        response = browser.client.post(f"{url}/acknowledge", data={"csrf_token": token}, headers={"Referer": referrer})
        assert response.status_code == 302 and response.location.startswith("/two-step/confirm")
        response = browser.submit(response.location, {"code": setting["dsl"].code()})
        # The acknowledgement sent with the stale code is saved after it (a 307 posts it again), or the person goes
        # home: never to another site.
        assert response.status_code in (302, 307)
        assert response.location == f"{url}/acknowledge" or response.location in {"/", "/school/"}
        assert "evil.example" not in response.location and "\\" not in response.location


def test_a_note_typed_while_the_code_went_stale_is_kept_and_saved_after_it(app, setting, world, browser):
    """Issue 13: the DSL's typed discussion note is not lost when the security code is asked again. What was typed
    is kept server-side (ciphertext on the session record, never in the URL or the cookie) and saved once the code
    is given; the banner on the way is not a green "Success"."""
    concern_id = world.concern(setting["placement"])
    url = f"/school/concerns/{concern_id}"
    note = "Spoke to Jay's social worker, Ms Okafor: a home visit today at 4pm."
    with freeze_time("2026-11-30 11:00:00") as clock:
        browser.sign_in(setting["dsl"])
        assert browser.get(url).status_code == 200
        clock.tick(16 * 60)
        response = browser.post(f"{url}/discussion", {"body": note}, headers={"Referer": f"http://localhost{url}"})
        assert response.status_code == 302 and response.location.startswith("/two-step/confirm")
        assert "Okafor" not in response.location and "visit" not in response.location
        with app.app_context():
            kept = db.session.execute(text("SELECT pending_form FROM user_sessions WHERE pending_form IS NOT NULL"))
            [stored] = kept.scalars().all()
            assert "Okafor" not in stored and "discussion" not in stored
        page = html(browser.get(response.location))
        assert "What you wrote is kept and is saved as soon as you have" in page
        assert "Success" not in page and "Nothing was saved" not in page
        response = browser.submit(response.location, {"code": setting["dsl"].code()})
        assert response.status_code == 307 and response.location == f"{url}/discussion"
        assert "Okafor" not in browser.client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value
        response = browser.client.post(response.location, data={"csrf_token": browser.token(), "code": "000000"})
        assert response.status_code == 302 and response.location.endswith(url)
        page = html(browser.get(url))
        assert "Discussion recorded." in page and "Ms Okafor: a home visit today at 4pm" in page
        with app.app_context():
            assert db.session.execute(text("SELECT pending_form FROM user_sessions")).scalars().all() == [None]
        # Saved once: the same post again (a reload) is a plain post with no note, and nothing is added twice.
        response = browser.post(f"{url}/discussion", {})
        assert "Say what was discussed, and with whom" in html(response)
        assert html(browser.get(url)).count("Ms Okafor: a home visit") == 1


@freeze_time(NOW)
def test_a_referral_is_made_one_way_by_the_decision_to_refer(app, setting, world, browser):
    """Issue 13: a concern had both a "Refer" decision and a "Record a referral" form. Now the decision "Refer" says
    who to and the reference in one step; the only other referral form is for its outcome, once a referral is made;
    who it was referred to with another decision is refused rather than half-recorded."""
    concern_id = world.concern(setting["placement"])
    url = f"/school/concerns/{concern_id}"
    browser.sign_in(setting["dsl"])
    page = html(browser.get(url))
    assert "If you refer: who to" in page and "Record a referral" not in page and "Outcome of the referral" not in page
    response = browser.submit(
        url, {"decision": "monitor", "referred_to": "police", "body": "Watching."}, post_url=f"{url}/decision"
    )
    assert "Who it was referred to goes with a decision to refer: choose Refer, or leave it empty" in html(response)
    response = browser.submit(url, {"outcome": "Seen by social care"}, post_url=f"{url}/referral")
    assert "Record a decision to refer, saying who to, before its outcome" in html(response)
    response = browser.submit(
        url,
        {"decision": "refer", "referred_to": "social_care", "reference": "MASH-88", "body": "Marks and disclosure."},
        post_url=f"{url}/decision",
    )
    assert response.status_code == 302
    page = html(browser.get(url))
    assert "Decision recorded." in page and "Referred to: Children&#39;s social care" in page and "MASH-88" in page
    assert "Outcome of the referral" in page
    with app.app_context():
        [entry] = db.session.get(Concern, concern_id).entries
        assert (entry.kind, entry.decision, entry.referred_to, entry.reference) == (
            "decision",
            "refer",
            "social_care",
            "MASH-88",
        )


def test_a_kept_note_is_dropped_when_the_session_ends_or_after_an_hour(
    app, setting, world, browser, new_browser, monkeypatch
):
    """The note kept across the re-check lives only on the session record: signing out clears it, and a code given
    more than an hour later does not save it (it would carry the wrong time) and says so."""
    concern_id = world.concern(setting["placement"])
    url = f"/school/concerns/{concern_id}"

    def kept() -> list:
        with app.app_context():
            return db.session.execute(text("SELECT pending_form FROM user_sessions")).scalars().all()

    with freeze_time("2026-11-30 11:00:00") as clock:
        browser.sign_in(setting["dsl"])
        browser.get(url)
        clock.tick(16 * 60)
        browser.post(f"{url}/discussion", {"body": "First note."})
        assert any(kept())
        browser.post("/sign-out")
        assert not any(kept())

        monkeypatch.setitem(app.config, "SCHOOL_IDLE_MINUTES", 120)  # as the portal's sessions last longer
        deputy = new_browser()
        deputy.sign_in(setting["deputy"])
        deputy.get(url)
        clock.tick(16 * 60)
        response = deputy.post(f"{url}/discussion", {"body": "Second note."})
        clock.tick(61 * 60)
        response = deputy.submit(response.location, {"code": setting["deputy"].code()})
        assert response.status_code == 302 and not any(kept())
        page = html(deputy.get(response.location))
        assert "more than an hour ago, so it was not saved. Write it again." in page
        assert "Second note." not in page and "First note." not in page
