"""The attendance API for providers' own systems: tokens (hashed, revocable, only for approved providers), the
day's expected sessions (name and year group only), idempotent all-or-nothing bulk marks, conflicts, late entries
that still raise every alert, JSON errors, the OpenAPI document, the portal's tokens page and the CLI.
Frozen time throughout: 2026-11-30 is a Monday in term (the school's clock is Europe/London)."""

import hashlib
import uuid
from datetime import date

import pytest
from freezegun import freeze_time
from openapi_spec_validator import validate
from sqlalchemy import select, text

from shared.extensions import db
from shared.models import (
    ApiToken,
    AttendanceAlert,
    AttendanceMark,
    AuditEvent,
    OutboxEmail,
    ProviderProfile,
    ProviderStatus,
)
from shared.services.attendance.alerts import deliveries
from tests.support.client import Browser, html
from tests.support.world import link_of

MONDAY = date(2026, 11, 30)
UPN = "T999400126001"
SOCIAL_WORKER = "social.worker@demo-la.example"


@pytest.fixture
def setting(world):
    school = world.school("Demo Academy")
    provider = world.provider(school, "Northside Learning", ProviderStatus.APPROVED)
    other = world.provider(school, "Riverside Tuition", ProviderStatus.APPROVED)
    pupil = world.pupil(
        school,
        upn=UPN,
        first_name="Jayden",
        last_name="Walsh",
        preferred_name="Jay",
        year_group="10",
        social_worker_name="Sam Worker",
        social_worker_email=SOCIAL_WORKER,
        other_agencies="CAMHS (waiting list)",
    )
    token_id, token = world.api_token(provider)
    return {
        "school": school,
        "provider": provider,
        "other": other,
        "placement": world.placement(school, provider, pupil),
        "other_placement": world.placement(school, other),
        "token_id": token_id,
        "token": token,
    }


def _auth(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def _post(client, token, marks):
    return client.post("/api/v1/marks", json={"marks": marks}, headers=_auth(token))


def _item(placement, day=MONDAY, session="AM", mark="present", **extra):
    return {"placement_id": str(placement), "date": day.isoformat(), "session": session, "mark": mark, **extra}


def _marks(app) -> list[AttendanceMark]:
    with app.app_context():
        return list(db.session.scalars(select(AttendanceMark).order_by(AttendanceMark.day, AttendanceMark.session)))


# --- tokens -----------------------------------------------------------------------------------------------------------


@freeze_time("2026-11-30 09:00:00")
def test_a_missing_wrong_or_revoked_token_is_refused_and_a_working_one_answers(app, setting):
    client = app.test_client()
    missing = client.get("/api/v1/sessions")
    assert missing.status_code == 401 and missing.json["error"]["code"] == "unauthorised"
    assert "Authorization header" in missing.json["error"]["message"]
    assert missing.headers["WWW-Authenticate"].startswith("Bearer")
    assert client.get("/api/v1/sessions", headers={"Authorization": setting["token"]}).status_code == 401  # no scheme
    wrong = client.get("/api/v1/sessions", headers=_auth("app_" + "x" * 43))
    assert wrong.status_code == 401 and "not valid" in wrong.json["error"]["message"]
    assert client.get("/api/v1/sessions", headers=_auth(setting["token"])).status_code == 200
    with app.app_context():
        db.session.get(ApiToken, setting["token_id"]).revoked_at = db.func.now()
        db.session.commit()
    revoked = client.get("/api/v1/sessions", headers=_auth(setting["token"]))
    assert revoked.status_code == 401 and "revoked" in revoked.json["error"]["message"]
    assert revoked.mimetype == "application/json"


@freeze_time("2026-11-30 09:00:00")
def test_a_provider_that_is_no_longer_approved_cannot_use_its_tokens(app, setting):
    client = app.test_client()
    with app.app_context():
        profile = db.session.scalar(select(ProviderProfile).filter_by(organisation_id=setting["provider"]))
        link_of(profile.organisation_id).status = ProviderStatus.SUSPENDED
        db.session.commit()
    response = _post(client, setting["token"], [_item(setting["placement"])])
    assert response.status_code == 401 and "not be approved" in response.json["error"]["message"]
    assert _marks(app) == []


@freeze_time("2026-11-30 09:00:00")
def test_a_session_cookie_without_a_token_gets_nothing_and_no_cookie_is_set(app, world, setting):
    manager = world.user(setting["provider"], ["provider_manager"])
    browser = Browser(app.test_client())
    browser.sign_in(manager)
    assert browser.get("/portal/").status_code == 200  # signed in on the portal
    assert browser.client.get("/api/v1/sessions").status_code == 401
    # No CSRF token is needed (a cross-site page cannot send the Authorization header), but a cookie is not enough.
    response = browser.client.post("/api/v1/marks", json={"marks": [_item(setting["placement"])]})
    assert response.status_code == 401 and _marks(app) == []
    answered = app.test_client().get("/api/v1/sessions", headers=_auth(setting["token"]))
    assert answered.status_code == 200 and "Set-Cookie" not in answered.headers
    assert answered.headers["Cache-Control"] == "no-store"


def test_each_token_is_rate_limited(app, setting, monkeypatch):
    # Real time, not frozen: the limiter's store expires its windows by the real clock, so a frozen day earlier
    # than today looked like a window that had already ended (this test began failing once today passed it).
    monkeypatch.setitem(app.config, "API_RATE_LIMIT", "3 per minute")
    client = app.test_client()
    statuses = [client.get("/api/v1/sessions", headers=_auth(setting["token"])).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    refused = client.get("/api/v1/sessions", headers=_auth(setting["token"]))
    assert refused.json["error"]["code"] == "too_many_requests" and int(refused.headers["Retry-After"]) >= 1


@freeze_time("2026-11-30 09:00:00")
def test_the_token_is_stored_only_as_its_hash_and_last_use_is_noted(app, setting):
    with app.app_context():
        for table in ("api_tokens", "audit_events"):
            rows = db.session.execute(text(f"SELECT * FROM {table}")).all()  # noqa: S608 - fixed table names
            assert setting["token"] not in repr(rows)
        row = db.session.get(ApiToken, setting["token_id"])
        assert row.token_hash == hashlib.sha256(setting["token"].encode()).hexdigest()
        assert row.prefix == setting["token"][:12] and row.last_used_at is None
    app.test_client().get("/api/v1/sessions", headers=_auth(setting["token"]))
    with app.app_context():
        assert db.session.get(ApiToken, setting["token_id"]).last_used_at is not None


# --- sessions ---------------------------------------------------------------------------------------------------------


@freeze_time("2026-11-30 09:00:00")
def test_the_days_sessions_give_only_name_and_year_group(app, setting):
    client = app.test_client()
    response = client.get("/api/v1/sessions?date=2026-11-30", headers=_auth(setting["token"]))
    assert response.status_code == 200
    sessions = response.json["sessions"]
    assert [(s["session"], s["pupil"]) for s in sessions] == [
        ("AM", {"name": "Jay Walsh", "year_group": "10"}),
        ("PM", {"name": "Jay Walsh", "year_group": "10"}),
    ]  # the other provider's pupil is not there
    assert sessions[0]["placement_id"] == str(setting["placement"]) and sessions[0]["mark"] is None
    assert sessions[0]["deadline"] == "2026-11-30T10:00:00+00:00" and sessions[1]["deadline"].startswith(
        "2026-11-30T14"
    )
    body = response.get_data(as_text=True)
    for private in (UPN, "Jayden", SOCIAL_WORKER, "CAMHS", "2012"):
        assert private not in body
    # Today by default, and a mark shows once it is there.
    _post(client, setting["token"], [_item(setting["placement"])])
    today = client.get("/api/v1/sessions", headers=_auth(setting["token"])).json
    assert today["date"] == "2026-11-30" and today["sessions"][0]["mark"]["code"] == "B"
    assert UPN not in client.get("/api/v1/marks", headers=_auth(setting["token"])).get_data(as_text=True)
    bad = client.get("/api/v1/sessions?date=30/11/2026", headers=_auth(setting["token"]))
    assert bad.status_code == 422 and bad.json["error"]["errors"][0]["field"] == "date"


# --- posting marks ----------------------------------------------------------------------------------------------------


@freeze_time("2026-11-30 09:30:00")
def test_the_same_marks_posted_twice_give_one_mark_each(app, setting):
    client = app.test_client()
    payload = [
        _item(setting["placement"], session="AM"),
        _item(setting["placement"], day=date(2026, 11, 27), session="PM", mark="late", late_minutes=10),
    ]
    first = _post(client, setting["token"], payload)
    assert first.status_code == 200, first.json
    assert [(r["index"], r["status"], r["code"]) for r in first.json["results"]] == [
        (0, "created", "B"),
        (1, "created", "B"),
    ]
    second = _post(client, setting["token"], payload)
    assert [r["status"] for r in second.json["results"]] == ["unchanged", "unchanged"]
    marks = _marks(app)
    assert len(marks) == 2 and {m.source for m in marks} == {"api"} and marks[0].recorded_by_id is None


@freeze_time("2026-11-30 09:30:00")
def test_a_different_mark_without_a_reason_is_a_conflict_and_nothing_changes(app, setting):
    client = app.test_client()
    _post(client, setting["token"], [_item(setting["placement"])])
    conflict = _post(
        client,
        setting["token"],
        [
            _item(setting["placement"], session="PM"),  # fine on its own, but all or nothing
            _item(setting["placement"], mark="absent", reason="illness"),
        ],
    )
    assert conflict.status_code == 409
    error = conflict.json["error"]
    assert error["code"] == "conflict" and "Nothing was saved" in error["message"]
    (item,) = error["conflicts"]
    assert item["index"] == 1 and item["existing"]["mark"] == "present" and item["existing"]["code"] == "B"
    assert "already marked present" in item["message"] and "reason for the amendment" in item["message"]
    assert [(m.session, m.code) for m in _marks(app)] == [("AM", "B")]
    amended = _post(
        client,
        setting["token"],
        [_item(setting["placement"], mark="absent", reason="illness", amendment_reason="Went home at 9:15")],
    )
    assert amended.json["results"][0]["status"] == "amended" and amended.json["results"][0]["code"] == "I"
    assert [(m.session, m.code) for m in _marks(app)] == [("AM", "I")]


@freeze_time("2026-11-30 09:30:00")
def test_any_invalid_item_saves_nothing_and_every_problem_is_listed(app, setting):
    response = _post(
        app.test_client(),
        setting["token"],
        [
            _item(setting["placement"], session="AM"),  # valid
            _item(setting["placement"], session="PM", mark="absent"),  # no reason
            _item(setting["placement"], day=date(2026, 12, 1)),  # tomorrow
            _item(setting["placement"], day=date(2026, 11, 28)),  # a Saturday
            {"placement_id": "nope", "date": "2026-11-30", "session": "AM", "mark": "present"},
            _item(setting["placement"], session="XX"),
            _item(setting["placement"], mark="late", late_minutes="ten"),
        ],
    )
    assert response.status_code == 422
    error = response.json["error"]
    assert error["code"] == "invalid" and "Nothing was saved" in error["message"]
    problems = {(e["index"], e["field"]) for e in error["errors"]}
    assert {(1, "reason"), (4, "placement_id"), (5, "session"), (6, "late_minutes")} <= problems
    messages = " ".join(e["message"] for e in error["errors"])
    assert "reason for the absence" in messages and "must be AM or PM" in messages
    assert _marks(app) == []
    # The items that parse but break a rule are found too, still with nothing saved.
    later = _post(
        app.test_client(),
        setting["token"],
        [
            _item(setting["placement"]),
            _item(setting["placement"], day=date(2026, 12, 1)),
            _item(setting["placement"], day=date(2026, 11, 28)),
        ],
    )
    assert later.status_code == 422
    assert [(e["index"], e["field"]) for e in later.json["error"]["errors"]] == [(1, "date"), (2, "session")]
    assert "has not happened yet" in later.json["error"]["errors"][0]["message"]
    assert _marks(app) == []


@freeze_time("2026-11-30 09:30:00")
def test_another_providers_placement_is_unknown_and_gets_no_mark(app, setting):
    response = _post(app.test_client(), setting["token"], [_item(setting["other_placement"])])
    assert response.status_code == 422
    assert response.json["error"]["errors"] == [
        {"index": 0, "field": "placement_id", "message": "There is no placement with this id at your provision"}
    ]
    same = _post(app.test_client(), setting["token"], [_item(uuid.uuid4())])
    assert same.json["error"]["errors"] == response.json["error"]["errors"]  # indistinguishable from a made-up id
    assert _marks(app) == []


@freeze_time("2026-11-30 09:30:00")
def test_badly_formed_requests_get_plain_json_answers(app, setting):
    client = app.test_client()
    for body in ("not json", '{"marks": []}', '{"marks": "x"}', "[]"):
        response = client.post(
            "/api/v1/marks", data=body, content_type="application/json", headers=_auth(setting["token"])
        )
        assert response.status_code == 422 and response.json["error"]["errors"][0]["field"] == "marks"
    too_many = _post(client, setting["token"], [_item(setting["placement"])] * 501)
    assert too_many.status_code == 422 and "at most 500" in too_many.json["error"]["message"]
    twice = _post(client, setting["token"], [_item(setting["placement"]), _item(setting["placement"])])
    assert twice.status_code == 422 and "also item 0" in twice.json["error"]["errors"][0]["message"]
    big = client.post(
        "/api/v1/marks", data="x" * (1024 * 1024 + 1), content_type="application/json", headers=_auth(setting["token"])
    )
    assert big.status_code == 413 and big.json["error"]["code"] == "too_large"
    assert client.delete("/api/v1/marks", headers=_auth(setting["token"])).json["error"]["code"] == "method_not_allowed"
    assert client.get("/api/v1/nothing-here").json["error"]["code"] == "not_found"
    assert _marks(app) == []


@freeze_time("2026-12-02 15:00:00")  # Wednesday afternoon, marking Monday's absence
def test_a_past_day_entered_late_is_recorded_late_and_raises_the_absence_alert(app, setting):
    response = _post(
        app.test_client(), setting["token"], [_item(setting["placement"], mark="absent", reason="unexplained")]
    )
    assert response.status_code == 200, response.json
    (result,) = response.json["results"]
    assert result["status"] == "created" and result["code"] == "N" and result["submitted_late"] is True
    with app.app_context():
        (alert,) = db.session.scalars(select(AttendanceAlert)).all()
        assert (alert.kind, alert.day, alert.session) == ("absence", MONDAY, "AM")
        to_worker = db.session.scalars(select(OutboxEmail).where(OutboxEmail.to_address == SOCIAL_WORKER)).all()
        assert len(to_worker) == 1
        assert SOCIAL_WORKER in [to for to, *_ in deliveries([alert.id])[alert.id]]  # the alert shows this e-mail
        assert UPN not in to_worker[0].body and "CAMHS" not in to_worker[0].body
        marked = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "attendance.marked"))
        assert marked.details["source"] == "api" and marked.actor_user_id is None


@freeze_time("2026-11-30 09:30:00")
def test_marks_in_a_range_are_read_back_and_the_range_is_limited(app, setting):
    client = app.test_client()
    _post(
        client,
        setting["token"],
        [
            _item(setting["placement"], day=date(2026, 11, 27)),
            _item(setting["placement"], session="PM", mark="absent", reason="illness"),
        ],
    )
    response = client.get("/api/v1/marks?from=2026-11-23&to=2026-11-30", headers=_auth(setting["token"]))
    assert response.status_code == 200
    assert [(m["date"], m["session"], m["code"]) for m in response.json["marks"]] == [
        ("2026-11-27", "AM", "B"),
        ("2026-11-30", "PM", "I"),
    ]
    assert response.json["marks"][0]["pupil"] == {"name": "Jay Walsh", "year_group": "10"}
    too_long = client.get("/api/v1/marks?from=2026-10-01&to=2026-11-30", headers=_auth(setting["token"]))
    assert too_long.status_code == 422 and "31 days" in too_long.json["error"]["message"]
    assert client.get("/api/v1/marks?from=2026-11-30&to=2026-11-01", headers=_auth(setting["token"])).status_code == 422


def test_another_provider_reads_none_of_these_marks(app, world, setting):
    _, other_token = world.api_token(setting["other"])
    with freeze_time("2026-11-30 09:30:00"):
        _post(app.test_client(), setting["token"], [_item(setting["placement"])])
        theirs = app.test_client().get("/api/v1/marks?from=2026-11-30", headers=_auth(other_token)).json
        sessions = app.test_client().get("/api/v1/sessions", headers=_auth(other_token)).json["sessions"]
    assert theirs["marks"] == []
    assert {s["placement_id"] for s in sessions} == {str(setting["other_placement"])}


# --- the OpenAPI document ---------------------------------------------------------------------------------------------


def test_the_openapi_document_is_valid_public_and_covers_every_api_route(app):
    response = app.test_client().get("/api/v1/openapi.json")
    assert response.status_code == 200 and "Set-Cookie" not in response.headers
    spec = response.json
    validate(spec)  # raises on an invalid OpenAPI document
    assert spec["components"]["securitySchemes"]["bearerToken"] == {
        "type": "http",
        "scheme": "bearer",
        "description": spec["components"]["securitySchemes"]["bearerToken"]["description"],
    }
    routes = {
        (rule.rule.removeprefix("/api/v1"), method.lower())
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1/")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    documented = {(path, method) for path, operations in spec["paths"].items() for method in operations}
    assert routes and routes == documented


# --- the portal page --------------------------------------------------------------------------------------------------


@freeze_time("2026-11-30 09:00:00")
def test_the_manager_creates_a_token_sees_it_once_and_revoking_it_stops_it_at_once(app, world, setting):
    manager = world.user(setting["provider"], ["provider_manager"])
    browser = Browser(app.test_client())
    browser.sign_in(manager)
    empty = browser.submit("/portal/api-tokens", {"name": "  "})
    assert empty.status_code == 200 and "Enter what the token is for" in html(empty)
    created = browser.submit("/portal/api-tokens", {"name": "Our MIS"})
    assert created.status_code == 200
    page = html(created)
    assert "Copy the token now" in page and "will not be shown again" in page
    token = page.split('<code id="api-token">')[1].split("</code>")[0]
    assert token.startswith("app_") and len(token) > 40
    assert app.test_client().get("/api/v1/sessions", headers=_auth(token)).status_code == 200
    listing = html(browser.get("/portal/api-tokens"))
    assert "Our MIS" in listing and token[:12] in listing and token not in listing
    with app.app_context():
        row = db.session.scalar(select(ApiToken).where(ApiToken.prefix == token[:12]))
        assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
        assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "api_token.created")) is not None
    revoked = browser.post(f"/portal/api-tokens/{row.id}/revoke", follow_redirects=True)
    assert "revoked" in html(revoked) and "Revoked" in html(revoked)
    refused = app.test_client().get("/api/v1/sessions", headers=_auth(token))
    assert refused.status_code == 401
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "api_token.revoked"))
        assert event.actor_user_id == manager.id and event.object_id == str(row.id)


def test_another_providers_token_cannot_be_revoked_and_other_roles_cannot_see_the_page(app, world, setting):
    other_token_id, other_token = world.api_token(setting["other"])
    browser = Browser(app.test_client())
    browser.sign_in(world.user(setting["provider"], ["provider_manager"]))
    assert browser.post(f"/portal/api-tokens/{other_token_id}/revoke").status_code == 404
    assert "Our MIS" in html(browser.get("/portal/api-tokens"))  # its own token (world.api_token's name) only
    with app.app_context():
        assert db.session.get(ApiToken, other_token_id).revoked_at is None
    staff = Browser(app.test_client())
    staff.sign_in(world.user(setting["provider"], ["provider_staff"]))
    assert staff.get("/portal/api-tokens").status_code == 403
    with freeze_time("2026-11-30 09:00:00"):
        assert app.test_client().get("/api/v1/sessions", headers=_auth(other_token)).status_code == 200


# --- the command line -------------------------------------------------------------------------------------------------


@freeze_time("2026-11-30 09:00:00")
def test_the_cli_prints_a_token_that_works_and_refuses_other_accounts(app, world, setting):
    manager = world.user(setting["provider"], ["provider_manager"], email="manager@northside.example")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["api-token", "create", manager.email, "--name", "Northside MIS"])
    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]
    assert token.startswith("app_") and "not shown again" in result.output
    assert app.test_client().get("/api/v1/sessions", headers=_auth(token)).status_code == 200

    school_user = world.user(setting["school"], ["attendance_lead"])
    refused = runner.invoke(args=["api-token", "create", school_user.email])
    assert refused.exit_code != 0 and "not a provider's" in refused.output
    unknown = runner.invoke(args=["api-token", "create", "nobody@example.com"])
    assert unknown.exit_code != 0 and "No account" in unknown.output
    with app.app_context():
        from shared.models import User

        db.session.get(User, manager.id).active = False
        db.session.commit()
    inactive = runner.invoke(args=["api-token", "create", manager.email])
    assert inactive.exit_code != 0 and "deactivated" in inactive.output

    revoked = runner.invoke(args=["api-token", "revoke", token[:12]])
    assert revoked.exit_code == 0 and "Revoked" in revoked.output
    assert app.test_client().get("/api/v1/sessions", headers=_auth(token)).status_code == 401
    again = runner.invoke(args=["api-token", "revoke", token[:12]])
    assert again.exit_code != 0 and "already revoked" in again.output


@freeze_time("2026-11-30 15:30:00")
def test_sessions_marked_by_someone_else_at_the_same_moment_twice_are_named_in_a_409(app, setting, clashing):
    client = app.test_client()
    _post(client, setting["token"], [_item(setting["placement"])])
    clashing(2)
    response = _post(client, setting["token"], [_item(setting["placement"], session="PM"), _item(setting["placement"])])
    assert response.status_code == 409
    error = response.json["error"]
    assert error["code"] == "conflict" and "being marked by someone else" in error["message"]
    (item,) = error["conflicts"]
    assert (item["index"], item["session"], item["existing"]["code"]) == (1, "AM", "B")
    assert "by someone else at the same moment" in item["message"]
    assert [m.session for m in _marks(app)] == ["AM"]
    clashing(1)  # once only: the batch is run again and goes through
    response = _post(client, setting["token"], [_item(setting["placement"], session="PM"), _item(setting["placement"])])
    assert [r["status"] for r in response.json["results"]] == ["created", "unchanged"]


# --- two of them at once ----------------------------------------------------------------------------------------------


@freeze_time("2026-11-30 09:00:00")
def test_two_batches_with_the_same_new_sessions_at_once_never_give_a_500_or_a_second_mark(app, setting, world):
    """Two systems (or one retrying) post the same new marks at the same moment: each answers 200 (created or
    unchanged) or a 409 naming the sessions, never a 500, and each session has one mark. Real threads, each with its
    own connection; repeated, because a clash needs both batches to look before either inserts."""
    import threading

    school, provider = setting["school"], setting["provider"]
    placements = [setting["placement"], *(world.placement(school, provider) for _ in range(3))]
    days = [date(2026, 11, d) for d in (23, 24, 25, 26, 27)]
    for trial, day in enumerate(days):
        payload = [_item(p, day=day, session=s) for p in placements for s in ("AM", "PM")]
        barrier = threading.Barrier(2)
        answers: list[tuple[int, dict]] = []
        errors: list[str] = []

        def post(payload=payload, barrier=barrier, answers=answers, errors=errors) -> None:
            client = app.test_client()
            try:
                barrier.wait(timeout=10)
                response = _post(client, setting["token"], payload)
                answers.append((response.status_code, response.get_json() or {}))
            except Exception as exc:  # noqa: BLE001 - collected and asserted below
                errors.append(repr(exc))

        threads = [threading.Thread(target=post) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert not errors, errors
        statuses = sorted(status for status, _ in answers)
        assert all(status in (200, 409) for status in statuses), (trial, answers)
        assert 200 in statuses, (trial, answers)
        with app.app_context():
            count = db.session.scalar(
                select(db.func.count()).select_from(AttendanceMark).where(AttendanceMark.day == day)
            )
        assert count == len(payload), (trial, count)


@freeze_time("2026-11-30 09:00:00")
def test_two_amendments_of_one_mark_at_once_each_record_the_value_they_replaced(app, setting):
    """Two amendments of the same mark at the same moment are applied one after the other: the second records the
    first's value as the one it replaced, and the mark ends as the second's. Real threads; several trials."""
    import threading

    from shared.models import AttendanceAmendment

    client = app.test_client()
    days = [date(2026, 11, d) for d in (23, 24, 25, 26, 27)]
    _post(client, setting["token"], [_item(setting["placement"], day=day) for day in days])
    changes = [
        {"mark": "late", "late_minutes": 10, "amendment_reason": "Came in at 9:10"},
        {"mark": "absent", "reason": "illness", "amendment_reason": "Went home ill"},
    ]
    for day in days:
        barrier = threading.Barrier(2)
        answers: list[tuple[int, dict]] = []

        def amend(change: dict, barrier=barrier, answers=answers, day=day) -> None:
            own = app.test_client()
            barrier.wait(timeout=10)
            response = _post(own, setting["token"], [_item(setting["placement"], day=day, **change)])
            answers.append((response.status_code, response.get_json() or {}))

        threads = [threading.Thread(target=amend, args=(change,)) for change in changes]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert sorted(status for status, _ in answers) == [200, 200], answers
        assert all(body["results"][0]["status"] == "amended" for _, body in answers), answers
        with app.app_context():
            mark = db.session.scalar(
                select(AttendanceMark).where(AttendanceMark.day == day, AttendanceMark.session == "AM")
            )
            amendments = list(
                db.session.scalars(select(AttendanceAmendment).where(AttendanceAmendment.mark_id == mark.id))
            )
            assert len(amendments) == 2
            first = next(a for a in amendments if a.old_value["kind"] == "present")
            second = next(a for a in amendments if a is not first)
            assert second.old_value == first.new_value, (day, first.old_value, first.new_value, second.old_value)
            assert mark.kind == second.new_value["kind"] and mark.code == second.new_value["code"]


@freeze_time("2026-11-30 09:00:00")
def test_the_day_page_and_the_api_marking_one_session_at_once_never_give_a_500(app, setting, world):
    """A member of staff marks a session on the day page while the provider's system sends the same session: neither
    answers 500 (no deadlock between the mark's lock and the audit chain's), and the session has one mark."""
    import threading

    staff = world.user(setting["provider"], ["provider_staff"])
    page = Browser(app.test_client())
    page.sign_in(staff)
    placement = setting["placement"]
    for day in [date(2026, 11, d) for d in (23, 24, 25, 26, 27)]:
        url = f"/portal/attendance?day={day.isoformat()}"
        page.get(url)
        form = {"mark_for": f"{placement}/AM", f"m-{placement.hex[:12]}-am-kind": "present", "csrf_token": page.token()}
        barrier = threading.Barrier(2)
        statuses: dict[str, int] = {}

        def by_page(url=url, form=form, barrier=barrier, statuses=statuses) -> None:
            barrier.wait(timeout=10)
            statuses["page"] = page.client.post(url, data=form).status_code

        def by_api(day=day, barrier=barrier, statuses=statuses) -> None:
            client = app.test_client()
            barrier.wait(timeout=10)
            statuses["api"] = _post(client, setting["token"], [_item(placement, day=day)]).status_code

        threads = [threading.Thread(target=by_page), threading.Thread(target=by_api)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert statuses.get("page") in (200, 302) and statuses.get("api") in (200, 409), (day, statuses)
        with app.app_context():
            count = db.session.scalar(
                select(db.func.count()).select_from(AttendanceMark).where(AttendanceMark.day == day)
            )
        assert count == 1, (day, count)
