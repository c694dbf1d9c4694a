"""upload_200mb_{local,s3}_{extra_rss_mib,time_ratio}: a 200 MB PDF uploaded through the app, next to the floor.

For each storage backend (local files, then S3 on moto's server), two gunicorn servers with one sync worker each
(`--timeout 120`), the same environment (MAX_UPLOAD_MB raised to 250 for this run) and the same multipart body:

- the app (`wsgi:app`): a provider manager (manager@northside.example, signed in with the demo password) posts the
  file to the upload form, POST /portal/onboarding/documents/safeguarding_policy (field `file`, with the form's
  CSRF token), which runs the whole pipeline (stages 1-5 checks, store, rows, commit) and answers 302;
- the floor (bench/bare_upload.py): a bare Flask endpoint that receives the same body and stores the file with
  `FileStorage.save` (local) or boto3's `upload_fileobj` with boto3's default transfer configuration (S3).

No virus scanner is configured for these servers (CLAMD_* unset, as in `make run`), so stage 6 is skipped and the
documents are stored marked "not virus-scanned": clamd's own time (a separate process, several seconds for 200 MB)
would otherwise dominate a ratio meant for the app's code. Stage 6 is timed on its own instead, as
`upload_200mb_scan_seconds`, against a clamd started for the run with limits above 200 MB (when clamd is installed).
The scanner streams in 64 KiB pieces, so it adds nothing to the worker's memory.

Each measured upload goes to a fresh worker: the worker is stopped by its id (its master starts another), takes a
1 MiB upload (imports and clients made once per worker), and its resident size then is the baseline. A long-lived
worker would not do: what one upload leaves behind (garbage awaiting Python's cycle collector, memory the allocator
keeps) makes the next one's growth look smaller than it is, or the worker's size grow from round to round.
Memory: the worker's peak resident size during the upload (VmHWM, reset beforehand through /proc/PID/clear_refs)
minus the baseline, the largest over the rounds; its resident size just after is printed too ("after"). Time: from
opening the connection to the end of the answer, ROUNDS rounds in ABBA order, medians. Every upload is checked to
have stored exactly one object of the right size, which is then deleted (moto keeps objects in memory).
"""

from __future__ import annotations

import os
import signal
import statistics
import sys
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from bench.browser import Browser
from bench.errors import BenchError
from bench.metrics import Metric
from bench.pdf_file import write_pdf
from bench.proc_memory import MIB, PeakWatch, children, only_child, status_bytes
from bench.server import READY_TIMEOUT_SECONDS, Server
from bench.services import Clamd, Moto, OneWorkerServer, clamd_binary
from bench.targets import at_most
from bench.upload_client import Answer, form_token, post_file, sign_in_with_password
from bench.workspace import Workspace
from shared.config import DEFAULT_DEMO_PASSWORD
from shared.uploads.checks import check_upload
from shared.uploads.reasons import UploadRefused

FILE_BYTES = 200 * MIB  # "MB" as MAX_UPLOAD_MB counts them
WARM_UP_BYTES = MIB
MAX_UPLOAD_MB = 250
ROUNDS = 5
SCAN_ROUNDS = 3
SCAN_TIMEOUT_SECONDS = 120
TARGET_EXTRA_MIB = 40
TARGET_TIME_RATIO = 1.5

PROVIDER = "Northside Learning Centre"
PROVIDER_TYPE = "unregistered_ap"  # the demo data leaves it unset, and without one there is no upload page
MANAGER_EMAIL = "manager@northside.example"
HOME = "/portal/"
EVIDENCE_CODE = "safeguarding_policy"
UPLOAD_PATH = f"/portal/onboarding/documents/{EVIDENCE_CODE}"
UPLOADED_REDIRECT = "/portal/onboarding/documents"
FILENAME = "safeguarding-policy.pdf"
APP_READY_PATH = "/healthz"
BARE_READY_PATH = "/"

# Settings from the caller's shell that would change the storage, the scanner or the size limit.
DROPPED_VARIABLES = ("MAX_UPLOAD_MB", "S3_BUCKET", "S3_ENDPOINT_URL", "S3_REGION", "CLAMD_SOCKET", "CLAMD_HOST")


def run(workspace: Workspace) -> list[Metric]:
    database = workspace.database()
    _give_provider_a_type(database.url)
    big = write_pdf(workspace.dir / "upload-200mb.pdf", FILE_BYTES)
    small = write_pdf(workspace.dir / "upload-warm-up.pdf", WARM_UP_BYTES)
    try:
        _check_accepted(big)
        env = _env(workspace)
        uploads = Path(env["UPLOAD_FOLDER"])
        metrics = _measure_backend(
            "local", workspace, env, big, small, stored_sizes=lambda: _file_sizes(uploads), empty=_emptier(uploads)
        )
        with ExitStack() as stack:
            moto = Moto(workspace.dir)
            stack.callback(moto.stop)
            moto.start()
            metrics += _measure_backend(
                "s3", workspace, {**env, **moto.app_env()}, big, small, stored_sizes=moto.object_sizes, empty=moto.empty
            )
        metrics += _measure_scan(workspace, big)
    finally:
        big.unlink(missing_ok=True)
        small.unlink(missing_ok=True)
    return metrics


def _give_provider_a_type(url: str) -> None:
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.begin() as conn:
            updated = conn.execute(
                text(
                    "UPDATE provider_profiles SET provider_type = :type "
                    "WHERE organisation_id IN (SELECT id FROM organisations WHERE name = :name)"
                ),
                {"type": PROVIDER_TYPE, "name": PROVIDER},
            ).rowcount
    finally:
        engine.dispose()
    if updated != 1:
        raise BenchError(f"expected one provider profile for {PROVIDER!r}, updated {updated}")


def _check_accepted(path: Path) -> None:
    """Stages 1-5 in this process first, so that a refusal is reported as such rather than as a slow page."""
    try:
        with path.open("rb") as stream, check_upload(stream, FILENAME, max_bytes=MAX_UPLOAD_MB * MIB) as checked:
            if checked.size != FILE_BYTES:
                raise BenchError(f"the checks measured {checked.size} bytes, not {FILE_BYTES}")
    except UploadRefused as refusal:
        raise BenchError(f"the {FILE_BYTES // MIB} MiB test PDF is refused by the checks: {refusal}") from refusal


def _env(workspace: Workspace) -> dict[str, str]:
    env = {
        name: value
        for name, value in workspace.env().items()
        if name not in DROPPED_VARIABLES and not name.startswith(("AWS_", "CLAMD_"))
    }
    env["MAX_UPLOAD_MB"] = str(MAX_UPLOAD_MB)
    return env


def _file_sizes(folder: Path) -> list[int]:
    return [path.stat().st_size for path in folder.rglob("*") if path.is_file()] if folder.exists() else []


def _emptier(folder: Path) -> Callable[[], None]:
    def empty() -> None:
        for path in folder.rglob("*"):
            if path.is_file():
                path.unlink()

    return empty


# --- one backend: the app and the floor, alternately -------------------------------------------------------------


@dataclass
class Endpoint:
    name: str
    server: Server
    ready_path: str
    upload: Callable[[Path], Answer]  # posts the file and checks the answer
    seconds: list[float] = field(default_factory=list)
    peaks: list[int] = field(default_factory=list)  # resident bytes at the peak of each upload, over the baseline
    afters: list[int] = field(default_factory=list)  # resident bytes just after each upload, over the baseline

    def last_round(self) -> str:
        return (
            f"{self.name} {self.seconds[-1]:5.2f} s, peak {self.peaks[-1] / MIB:+6.1f} MiB, "
            f"after {self.afters[-1] / MIB:+6.1f} MiB"
        )


def _measure_backend(
    backend: str,
    workspace: Workspace,
    env: dict[str, str],
    big: Path,
    small: Path,
    *,
    stored_sizes: Callable[[], list[int]],
    empty: Callable[[], None],
) -> list[Metric]:
    with ExitStack() as stack:
        servers: list[Server] = []

        def serve(name: str, app_spec: str, ready_path: str) -> Server:
            server = OneWorkerServer(f"{name}-{backend}", app_spec, env, workspace.dir)
            servers.append(server)
            stack.callback(server.stop)
            server.wait_until_ready(ready_path)
            return server

        try:
            app = serve("upload-app", "wsgi:app", APP_READY_PATH)
            bare = serve("upload-bare", "bench.bare_upload:app", BARE_READY_PATH)
            app_endpoint, token = _app_endpoint(app)
            endpoints = [app_endpoint, _bare_endpoint(bare, token)]
            empty()
            for round_number in range(ROUNDS):
                order = endpoints if round_number % 2 == 0 else list(reversed(endpoints))
                for endpoint in order:
                    worker = _fresh_worker(endpoint)
                    _upload_once(endpoint, worker, small, stored_sizes, empty)  # the worker's warm-up
                    baseline = status_bytes(worker, "VmRSS")
                    seconds, peak, after = _upload_once(endpoint, worker, big, stored_sizes, empty)
                    endpoint.seconds.append(seconds)
                    endpoint.peaks.append(peak - baseline)
                    endpoint.afters.append(after - baseline)
                shown = ", ".join(endpoint.last_round() for endpoint in endpoints)
                print(f"  {backend} round {round_number + 1}/{ROUNDS}: {shown}", flush=True)
        except Exception:
            for server in servers:
                print(f"--- last lines of gunicorn ({server.name}) ---\n{server.log_tail()}", file=sys.stderr)
            raise
    app_figures, bare_figures = endpoints
    app_seconds = statistics.median(app_figures.seconds)
    bare_seconds = statistics.median(bare_figures.seconds)
    prefix = f"upload_200mb_{backend}"
    return [
        at_most(f"{prefix}_extra_rss_mib", round(max(app_figures.peaks) / MIB, 1), "MiB", TARGET_EXTRA_MIB),
        Metric.informational(f"{prefix}_bare_extra_rss_mib", round(max(bare_figures.peaks) / MIB, 1), "MiB"),
        at_most(f"{prefix}_time_ratio", round(app_seconds / bare_seconds, 3), "ratio", TARGET_TIME_RATIO),
        Metric.informational(f"{prefix}_seconds", round(app_seconds, 2), "s"),
        Metric.informational(f"{prefix}_bare_seconds", round(bare_seconds, 2), "s"),
    ]


def _fresh_worker(endpoint: Endpoint) -> int:
    """Stop the server's worker (by its id); return the id of the one its master starts instead, once it answers."""
    master = endpoint.server.process.pid
    old = only_child(master)
    os.kill(old, signal.SIGTERM)
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while (found := children(master)) == [old] or len(found) != 1:
        if endpoint.server.process.poll() is not None or time.monotonic() > deadline:
            raise BenchError(f"no new worker for {endpoint.server.name}:\n{endpoint.server.log_tail()}")
        time.sleep(0.05)
    endpoint.server.wait_until_ready(endpoint.ready_path)
    return found[0]


def _app_endpoint(server: Server) -> tuple[Endpoint, str]:
    """The app's upload form, signed in; with the form's CSRF token (bound to the session, with no time limit)."""
    browser = sign_in_with_password(
        server.port,
        email=MANAGER_EMAIL,
        password=os.environ.get("DEMO_PASSWORD", DEFAULT_DEMO_PASSWORD),  # what seed-demo used
        home=HOME,
        marker=PROVIDER,
    )
    token = form_token(browser, UPLOAD_PATH)

    def upload(path: Path) -> Answer:
        answer = _post(server, UPLOAD_PATH, {"csrf_token": token}, path, browser)
        if answer.status != 302 or answer.location != UPLOADED_REDIRECT:
            raise BenchError(
                f"the app did not accept the upload: HTTP {answer.status} to {answer.location}: "
                f"{_error_summary(answer.body)}"
            )
        return answer

    return Endpoint("app", server, APP_READY_PATH, upload), token


def _bare_endpoint(server: Server, token: str) -> Endpoint:
    def upload(path: Path) -> Answer:
        # The same fields as the app's form, so both receive the same body (the token is ignored here).
        answer = _post(server, "/upload", {"csrf_token": token}, path, None)
        if answer.status != 200 or answer.body != b"saved":
            raise BenchError(f"the bare endpoint failed: HTTP {answer.status}: {answer.body[:300]!r}")
        return answer

    return Endpoint("bare", server, BARE_READY_PATH, upload)


def _post(server: Server, path: str, fields: dict[str, str], file_path: Path, browser: Browser | None) -> Answer:
    return post_file(
        server.port,
        path,
        fields=fields,
        file_field="file",
        file_path=file_path,
        filename=FILENAME,
        content_type="application/pdf",
        browser=browser,
    )


def _error_summary(body: bytes) -> str:
    text_body = body.decode("utf-8", errors="replace")
    start = text_body.find("govuk-error-message")
    return text_body[start : start + 300] if start >= 0 else text_body[:300]


def _upload_once(
    endpoint: Endpoint, worker: int, path: Path, stored_sizes: Callable[[], list[int]], empty: Callable[[], None]
) -> tuple[float, int, int]:
    """One upload: its time, the worker's peak resident bytes during it and its resident bytes just after; exactly
    one object of the file's size must have been stored."""
    with PeakWatch(worker) as watch:
        answer = endpoint.upload(path)
    after = status_bytes(worker, "VmRSS")
    if only_child(endpoint.server.process.pid) != worker:
        raise BenchError(f"the {endpoint.name} worker was replaced during the upload:\n{endpoint.server.log_tail()}")
    sizes = stored_sizes()
    if sizes != [path.stat().st_size]:
        raise BenchError(f"after one upload to {endpoint.name}, stored object sizes are {sizes}")
    empty()
    return answer.seconds, watch.peak, after


# --- stage 6 on its own -------------------------------------------------------------------------------------------


def _measure_scan(workspace: Workspace, path: Path) -> list[Metric]:
    """The time clamd takes to scan the file through the app's scanner client (informational)."""
    binary = clamd_binary()
    if binary is None:
        print("  clamd is not installed: no scan figure (Debian: apt-get install clamav-daemon)", flush=True)
        return []
    clamd = Clamd(binary, workspace.dir / "clamd", max_size=f"{MAX_UPLOAD_MB + 10}M")
    try:
        clamd.wait_until_ready()
        scanner = clamd.scanner(timeout=SCAN_TIMEOUT_SECONDS)
        times = []
        for _ in range(SCAN_ROUNDS):
            with path.open("rb") as stream:
                started = time.perf_counter()
                result = scanner.scan(stream)
                times.append(time.perf_counter() - started)
            if not result.clean:
                raise BenchError(f"clamd found {result.signature} in the test PDF")
    except Exception:
        print(f"--- clamd log ---\n{clamd.log()}", file=sys.stderr)
        raise
    finally:
        clamd.stop()
    print(f"  scan (clamd, {SCAN_ROUNDS} rounds): {', '.join(f'{t:.2f} s' for t in times)}", flush=True)
    return [Metric.informational("upload_200mb_scan_seconds", round(statistics.median(times), 2), "s")]
