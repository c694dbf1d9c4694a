"""One deployment on more than one machine (issue 14, "Outgrowing one machine"): two web servers and two workers, each
a real process of its own, against one PostgreSQL database and one Redis, with a real mail server.

- `gunicorn wsgi:app` twice and `flask worker` twice (what `make run` starts), all with the same environment: the
  database (this module's own PostgreSQL database on TEST_DATABASE_URL's server, whichever database the rest of the
  suite runs on), Redis at 127.0.0.1:6379 (a database of this module's own, claimed for the run: REDIS_URL, so the
  huey queue and the sign-in throttle), S3 (moto's server, a bucket of this module's own), SECRET_KEY (sessions,
  CSRF, and the development keyring derived from it), and aiosmtpd as the mail server (tests/support/mail.py).
- Nothing is shared between the processes except through PostgreSQL, Redis and S3: no sticky sessions, and each web
  server has an UPLOAD_FOLDER of its own (no shared disk).

What must hold: a session made on one server works on the other and signing out on either ends it on both; the
sign-in throttle counts across both servers as it counts on one; a file uploaded to one server downloads from the
other; every e-mail is sent exactly once with both workers running, whichever worker picks up which task (absence
alerts handed over on commit from both servers, outbox rows swept by both workers at once, and concern escalations
run by both workers at once).
"""

from __future__ import annotations

import os
import re
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import boto3
import pytest
import redis
import requests
from flask_migrate import upgrade
from huey import RedisHuey
from limits import parse
from sqlalchemy import func, make_url, select

from shared import tasks
from shared.extensions import db
from shared.models import AuditEvent, Concern, Organisation, OutboxEmail, ProviderStatus
from shared.notifications import queue_email
from shared.roles import AP_LEAD, DSL, HEADTEACHER, PROVIDER_MANAGER
from shared.services.school_calendar.days import is_bank_holiday
from tests.support import database
from tests.support.app import make_app
from tests.support.client import csrf_from
from tests.support.files import pdf_bytes
from tests.support.processes import (
    WebServer,
    Worker,
    claim_redis_database,
    environment,
    release_redis_database,
)
from tests.support.services import AWS_TEST_ENV, REGION
from tests.support.world import World

COOKIE = "ap_portal_session"
WRONG_PASSWORD_TEXT = "Enter a correct email address and password"
MAIL_WAIT_SECONDS = 20  # the longest the e-mails are waited for (they come in about a second)


@dataclass
class Deployment:
    app: object  # the app in this process, only to write what the tests need into the shared database
    servers: list[WebServer]
    workers: list[Worker]
    redis_url: str
    bucket: object  # the S3 bucket (boto3), to see what is in it
    upload_folders: list[Path]  # each process's UPLOAD_FOLDER

    def logs(self) -> str:
        return "\n".join(f"--- {p.name} ---\n{p.log_tail()}" for p in [*self.servers, *self.workers])


@pytest.fixture
def deployment(smtp_server, moto_endpoint, tmp_path_factory):
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        pytest.skip("the scale-out test needs PostgreSQL: set TEST_DATABASE_URL")
    parsed = make_url(url.replace("postgresql://", "postgresql+psycopg://", 1))
    name = f"{parsed.database}_scale_out" + (f"_{database.worker_id()}" if database.worker_id() else "")
    database_url = parsed.set(database=name).render_as_string(hide_password=False)
    database.prepare(database_url)
    controller, _ = smtp_server
    folder = tmp_path_factory.mktemp("scale-out")
    app = make_app(database_url, controller.port, folder)
    bucket = boto3.resource("s3", region_name=REGION, endpoint_url=moto_endpoint).Bucket(
        f"scale-out-{uuid.uuid4().hex[:12]}"
    )
    bucket.create(CreateBucketConfiguration={"LocationConstraint": REGION})
    try:
        redis_url = claim_redis_database()
    except redis.ConnectionError:
        pytest.fail("Redis is not running at 127.0.0.1:6379: start it (make test expects it, as CI does)")
    env = environment(
        {
            **AWS_TEST_ENV,
            "APP_ENV": "test",
            "SECRET_KEY": app.config["SECRET_KEY"],
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "S3_BUCKET": bucket.name,
            "S3_REGION": REGION,
            "S3_ENDPOINT_URL": moto_endpoint,
            "MAIL_BACKEND": "smtp",
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": str(controller.port),
            "BASE_URL": "http://localhost",
            "INSTANCE_PATH": str(folder / "instance"),
            "SIGN_IN_ACCOUNT_LIMIT": app.config["SIGN_IN_ACCOUNT_LIMIT"],
            "LOG_LEVEL": "WARNING",
        }
    )
    # Each process with a folder of its own for local files: nothing may land there (uploads go to S3).
    uploads = {process: folder / f"{process}-uploads" for process in ("web-1", "web-2", "worker-1", "worker-2")}
    servers: list[WebServer] = []
    workers: list[Worker] = []
    running = Deployment(app, servers, workers, redis_url, bucket, list(uploads.values()))
    try:
        for process in ("web-1", "web-2"):
            servers.append(WebServer(process, {**env, "UPLOAD_FOLDER": str(uploads[process])}, folder))
        for process in ("worker-1", "worker-2"):
            workers.append(Worker(process, {**env, "UPLOAD_FOLDER": str(uploads[process])}, folder))
        with app.app_context():  # while they start
            upgrade()
        for started in [*servers, *workers]:
            started.wait_until_ready()
        yield running
    finally:
        for started in [*workers, *servers]:
            started.stop()
        print(running.logs())
        release_redis_database(redis_url)
        bucket.objects.all().delete()
        bucket.delete()
        with app.app_context():
            db.engine.dispose()


# --- a browser over HTTP ----------------------------------------------------------------------------------------------


class HttpBrowser:
    """A person's browser: one cookie jar, whichever server answers (cookies are not tied to a port). Redirects are
    not followed, so each answer is seen as it was given."""

    def __init__(self, cookie: str | None = None) -> None:
        self.http = requests.Session()
        if cookie is not None:
            self.http.cookies.set(COOKIE, cookie, domain="127.0.0.1", path="/")

    def get(self, server: WebServer, path: str) -> requests.Response:
        return self.http.get(server.url + path, allow_redirects=False, timeout=30)

    def submit(
        self, server: WebServer, path: str, data: dict, *, page_from: WebServer | None = None, page: str | None = None
    ) -> requests.Response:
        """Open the page (`page`, else `path`; on `page_from`, else the same server) and send its form to `path` on
        `server` with the page's CSRF token."""
        token = csrf_from(self.get(page_from or server, page or path).text)
        return self.http.post(server.url + path, data={**data, "csrf_token": token}, allow_redirects=False, timeout=30)

    def cookie(self) -> str | None:
        return self.http.cookies.get(COOKIE)


def _signed_in(response: requests.Response) -> bool:
    return response.status_code == 200 and "Sign out" in response.text


def _sent_to_sign_in(response: requests.Response) -> bool:
    return response.status_code == 302 and "/sign-in" in response.headers["Location"]


# --- 1. sessions ------------------------------------------------------------------------------------------------------


def a_session_made_on_one_server_works_on_the_other_and_signing_out_on_either_ends_it(deployment):
    world = World(deployment.app)
    school = world.school("Hillside School")
    lead = world.user(school, [AP_LEAD])
    one, two = deployment.servers
    browser = HttpBrowser()

    # The password on server 1, the security code on server 2 (the page with the form came from server 1 too).
    response = browser.submit(one, "/sign-in", {"email": lead.email, "password": lead.password})
    assert response.status_code == 302 and response.headers["Location"].endswith("/sign-in/security-code")
    response = browser.submit(two, "/sign-in/security-code", {"code": lead.code()}, page_from=one)
    assert response.status_code == 302 and response.headers["Location"].endswith("/school/")

    cookie = browser.cookie()
    assert cookie
    assert _signed_in(browser.get(one, "/school/"))
    assert _signed_in(browser.get(two, "/school/"))
    copied = HttpBrowser(cookie)  # the same cookie, sent by another client, to each server
    assert _signed_in(copied.get(one, "/school/"))
    assert _signed_in(copied.get(two, "/school/"))

    # Signed out on server 2 with the form of a page from server 1: the session has ended everywhere.
    response = browser.submit(two, "/sign-out", {}, page_from=one, page="/school/")
    assert _sent_to_sign_in(response)
    assert "You have signed out" in browser.get(one, "/sign-in").text
    assert _sent_to_sign_in(copied.get(one, "/school/"))  # the old cookie, on the server that did not sign out
    assert _sent_to_sign_in(copied.get(two, "/school/"))
    assert _sent_to_sign_in(browser.get(one, "/school/"))


# --- 2. the sign-in throttle ------------------------------------------------------------------------------------------


def _guesses(browser: HttpBrowser, servers: list[WebServer], email: str, count: int) -> list[int]:
    """`count` wrong passwords for `email`, the n-th sent to servers[n % len(servers)]: each answer's status."""
    answers = []
    for n in range(count):
        response = browser.submit(servers[n % len(servers)], "/sign-in", {"email": email, "password": f"guess {n}"})
        if response.status_code == 200:
            assert WRONG_PASSWORD_TEXT in response.text
        answers.append(response.status_code)
    return answers


def wrong_passwords_alternated_between_the_servers_are_refused_at_the_same_limit_as_on_one(deployment):
    limit = parse(deployment.app.config["SIGN_IN_ACCOUNT_LIMIT"]).amount  # production's: 10 per 5 minutes
    world = World(deployment.app)
    school = world.school("Hillside School")
    alternated, on_one = world.user(school, [AP_LEAD]), world.user(school, [AP_LEAD])
    one, two = deployment.servers

    across_both = _guesses(HttpBrowser(), [one, two], alternated.email, limit + 1)
    only_one = _guesses(HttpBrowser(), [one], on_one.email, limit + 1)

    assert across_both == only_one == [200] * limit + [429]
    for server in (one, two):  # and now even the right password is refused, on either server
        right = {"email": alternated.email, "password": alternated.password}
        response = HttpBrowser().submit(server, "/sign-in", right)
        assert response.status_code == 429
        assert "Too many attempts" in response.text
        assert int(response.headers["Retry-After"]) > 0


# --- 3. files in S3 ---------------------------------------------------------------------------------------------------


def a_file_uploaded_to_one_server_downloads_from_the_other(deployment):
    world = World(deployment.app)
    provider = world.provider(world.school(), "Northside Learning", provider_type="unregistered_ap")
    with deployment.app.app_context():  # the organisation details are complete, so the documents task can start
        profile = db.session.get(Organisation, provider).provider_profile
        profile.address_line_1, profile.town, profile.postcode = "Hill Farm", "Exampleton", "EX1 1AA"
        db.session.commit()
    manager = world.user(provider, [PROVIDER_MANAGER])
    one, two = deployment.servers
    browser = HttpBrowser()
    response = browser.submit(one, "/sign-in", {"email": manager.email, "password": manager.password})
    if manager.totp_secret:
        assert response.headers["Location"].endswith("/sign-in/security-code")
        response = browser.submit(one, "/sign-in/security-code", {"code": manager.code()})
    assert response.status_code == 302 and response.headers["Location"].endswith("/portal/")

    data = pdf_bytes()
    upload = "/portal/onboarding/documents/behaviour_policy"
    token = csrf_from(browser.get(one, upload).text)
    response = browser.http.post(
        one.url + upload,
        data={"csrf_token": token},
        files={"file": ("Behaviour policy 2026.pdf", data, "application/pdf")},
        allow_redirects=False,
        timeout=30,
    )
    assert response.status_code == 302, response.text[:2000]

    listing = browser.get(two, "/portal/onboarding/documents").text
    (path,) = set(re.findall(r'href="(/portal/documents/[0-9a-f-]+/download)"', listing))
    download = browser.get(two, path)
    assert download.status_code == 200
    assert download.content == data
    assert [obj.key.split("/")[0] for obj in deployment.bucket.objects.all()] == [str(provider)]
    # Nothing on any process's disk.
    assert [p for folder in deployment.upload_folders for p in folder.rglob("*") if p.is_file()] == []


# --- 4. every e-mail once ---------------------------------------------------------------------------------------------

ABSENCES = 12  # pupils marked absent through the API, alternately on each server: one e-mail each
OUTBOX_ROWS = 30  # e-mails already waiting in the outbox
CONCERNS = 4  # concerns past their escalation time, one per school: one e-mail each, to the school's head and DSL
RUNS_EACH = 8  # how many times each job is handed to the workers at once (both workers run 4 threads)


def _last_school_day() -> date:
    """The last weekday before today that is not a bank holiday (school-local)."""
    day = datetime.now(ZoneInfo("Europe/London")).date() - timedelta(days=1)
    while day.weekday() >= 5 or is_bank_holiday(day):
        day -= timedelta(days=1)
    return day


def _hand_to_workers(redis_url: str, task, times: int) -> None:
    """Put `times` runs of `task` on the workers' queue in Redis at once, as the web servers and the workers'
    schedulers do (the message is built by this process's huey, which knows the same tasks)."""
    queue = RedisHuey("ap-portal", url=redis_url)
    for _ in range(times):
        queue.storage.enqueue(tasks.huey.serialize_task(task.s()), 0)


def _mark_absent(server: WebServer, token: str, placement_id, day: date) -> None:
    mark = {"placement_id": str(placement_id), "date": day.isoformat(), "session": "AM", "mark": "absent"}
    response = requests.post(
        f"{server.url}/api/v1/marks",
        json={"marks": [{**mark, "reason": "illness"}]},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    assert response.json()["results"][0]["status"] == "created"


def _wait_for(mailbox, addresses: set[str]) -> None:
    """Until every address has had an e-mail, or MAIL_WAIT_SECONDS."""
    deadline = time.monotonic() + MAIL_WAIT_SECONDS
    while time.monotonic() < deadline and not addresses <= {m["To"] for m in mailbox.messages}:
        time.sleep(0.1)


def every_email_is_sent_exactly_once_with_two_workers(deployment, mailbox):
    app = deployment.app
    world = World(app)
    day = _last_school_day()

    # Absences: each pupil's social worker is e-mailed, handed to the workers by the commit on either server.
    school = world.school("Demo Academy")
    world.term(school, start=day - timedelta(days=28), end=day)  # ends before today: no session is chased today
    provider = world.provider(school, "Northside Learning", ProviderStatus.APPROVED)
    _, token = world.api_token(provider)
    social_workers = [f"social.worker.{n}@demo-la.example" for n in range(ABSENCES)]
    placements = [
        world.placement(
            school,
            provider,
            world.pupil(school, first_name=f"Pupil{n}", social_worker_email=address),
            start=day - timedelta(days=21),
        )
        for n, address in enumerate(social_workers)
    ]

    # Concerns nobody acknowledged, each at a school of its own with one headteacher who is also its DSL.
    heads = []
    sent_at = datetime.combine(day, datetime.min.time(), tzinfo=UTC) + timedelta(hours=9)
    for n in range(CONCERNS):
        other = world.school(f"School {n}")
        their_provider = world.provider(other, f"Provider {n}", ProviderStatus.APPROVED)
        placed = world.placement(other, their_provider, with_term=False)
        heads.append(world.user(other, [HEADTEACHER, DSL]).email)
        world.concern(placed, sent_at=sent_at)

    # The outbox: e-mails already waiting (queued here, where nothing hands them over).
    parents = [f"parent.{n}@example.test" for n in range(OUTBOX_ROWS)]
    with app.app_context():
        for address in parents:
            queue_email(address, "Your evidence expires soon", "Routine")
        db.session.commit()
    mailbox.clear()

    for n, placement in enumerate(placements):
        _mark_absent(deployment.servers[n % 2], token, placement, day)
    _hand_to_workers(deployment.redis_url, tasks.send_outbox_task, RUNS_EACH)
    _hand_to_workers(deployment.redis_url, tasks.escalate_concerns_task, RUNS_EACH)

    expected = set(social_workers) | set(heads) | set(parents)
    _wait_for(mailbox, expected)
    for worker in deployment.workers:  # let each finish what it is running: nothing can arrive after this
        worker.stop_when_idle()

    received = Counter(m["To"] for m in mailbox.messages)
    print(f"e-mails expected {len(expected)}, received {sum(received.values())}, to {len(received)} addresses")
    assert set(received) == expected, deployment.logs()
    assert sum(received.values()) == len(expected) == ABSENCES + CONCERNS + OUTBOX_ROWS
    assert [address for address, count in received.items() if count > 1] == []
    with app.app_context():
        rows = db.session.scalars(select(OutboxEmail)).all()
        assert len(rows) == len(expected)
        assert all(row.sent_at is not None and row.attempts == 1 for row in rows)
        escalations = db.session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "concern.escalated")
        )
        assert escalations == CONCERNS
        assert db.session.scalar(select(func.count()).select_from(Concern).where(Concern.escalated_at.is_(None))) == 0
    for address in social_workers:
        (message,) = [m for m in mailbox.messages if m["To"] == address]
        assert re.search(r"Pupil\d+ Example was absent from Northside Learning", mailbox.body(message))


# --- the test ---------------------------------------------------------------------------------------------------------


def test_two_web_servers_and_two_workers_share_sessions_throttling_files_and_send_each_email_once(deployment, mailbox):
    """One test, so that the four processes start once whichever pytest-xdist worker runs it (the steps run in this
    order; the last stops the workers)."""
    a_session_made_on_one_server_works_on_the_other_and_signing_out_on_either_ends_it(deployment)
    wrong_passwords_alternated_between_the_servers_are_refused_at_the_same_limit_as_on_one(deployment)
    a_file_uploaded_to_one_server_downloads_from_the_other(deployment)
    every_email_is_sent_exactly_once_with_two_workers(deployment, mailbox)
