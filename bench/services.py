"""Processes the upload benchmarks start beside gunicorn, each on this machine only and stopped by its own id:
one gunicorn worker serving an app, S3 (moto's server, `python -m moto.server`) and a virus scanner (clamd, when
installed, configured as tests/support/services.py does but with limits above the benchmark's file size).
"""

from __future__ import annotations

import http.client
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import boto3

from bench.errors import BenchError
from bench.server import HOST, READY_TIMEOUT_SECONDS, STOP_TIMEOUT_SECONDS, Server, free_port
from shared.config import PROJECT_ROOT
from shared.scanning import Scanner

# A sync worker is killed by its master when one request takes longer than this; 200 MB through the app takes
# seconds, so the default (30 s) would only matter on a machine so busy that the figure is meaningless anyway.
WORKER_TIMEOUT_SECONDS = 120

REGION = "eu-west-2"
BUCKET = "ap-portal-bench-uploads"
# Dummy credentials for moto; a developer's real AWS profile is never read.
AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_EC2_METADATA_DISABLED": "true",
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
}

EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
CLAMD_READY_SECONDS = 30


def stop_process(process: subprocess.Popen) -> None:
    """TERM the process; KILL its process group (which we created) if it lingers."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(STOP_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(STOP_TIMEOUT_SECONDS)


class OneWorkerServer(Server):
    """`gunicorn -w 1 --timeout 120` on `app_spec`, otherwise started, checked and stopped as bench.server does.

    One worker, so that the worker whose memory is read is the one that handles every upload."""

    def __init__(self, name: str, app_spec: str, env: dict[str, str], log_dir: Path) -> None:
        super().__init__(name, app_spec, env, log_dir, workers=1, options=("--timeout", str(WORKER_TIMEOUT_SECONDS)))


class Moto:
    """moto's S3 server in a process of its own, with one empty bucket."""

    def __init__(self, log_dir: Path) -> None:
        self.port = free_port()
        self.endpoint = f"http://{HOST}:{self.port}"
        self.log_path = log_dir / "moto.log"
        self.client = boto3.session.Session(
            aws_access_key_id=AWS_ENV["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=AWS_ENV["AWS_SECRET_ACCESS_KEY"],
            region_name=REGION,
        ).client("s3", endpoint_url=self.endpoint)
        env = {**os.environ, **AWS_ENV}
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "moto.server", "-H", HOST, "-p", str(self.port)],
                cwd=PROJECT_ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def app_env(self) -> dict[str, str]:
        """What the app and the bare endpoint need to store in the bucket."""
        return {**AWS_ENV, "S3_BUCKET": BUCKET, "S3_ENDPOINT_URL": self.endpoint, "S3_REGION": REGION}

    def start(self) -> None:
        """Wait until the server answers, then create the bucket."""
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        while True:
            if self.process.poll() is not None:
                raise BenchError(f"moto exited with {self.process.returncode}:\n{self.log_tail()}")
            conn = http.client.HTTPConnection(HOST, self.port, timeout=2)
            try:
                conn.request("GET", "/moto-api/")
                conn.getresponse().read()
                break
            except (OSError, http.client.HTTPException):
                if time.monotonic() > deadline:
                    raise BenchError(f"moto not ready after {READY_TIMEOUT_SECONDS} s:\n{self.log_tail()}") from None
                time.sleep(0.1)
            finally:
                conn.close()
        self.client.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})

    def object_sizes(self) -> list[int]:
        """The sizes of the objects in the bucket (one page is plenty: it is emptied after every upload)."""
        return [item["Size"] for item in self.client.list_objects_v2(Bucket=BUCKET).get("Contents", [])]

    def empty(self) -> None:
        """Delete every object, so that moto (which keeps them in memory) does not grow over the run."""
        for item in self.client.list_objects_v2(Bucket=BUCKET).get("Contents", []):
            self.client.delete_object(Bucket=BUCKET, Key=item["Key"])

    def stop(self) -> None:
        stop_process(self.process)

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


def clamd_binary() -> str | None:
    return shutil.which("clamd") or next((p for p in ("/usr/sbin/clamd",) if Path(p).exists()), None)


class Clamd:
    """A clamd on a Unix socket with one test signature (EICAR), no signature download, and limits above
    `max_size` so that a file of that size is scanned whole: StreamMaxLength (else refused), MaxFileSize and
    MaxScanSize (else ClamAV skips the rest and still answers OK). Its cache of clean files is off, because the
    benchmark scans the same bytes several times, where real uploads differ."""

    def __init__(self, binary: str, folder: Path, *, max_size: str) -> None:
        folder.mkdir(mode=0o700)
        self.folder = folder
        self.socket_path = folder / "clamd.sock"
        database = folder / "db"
        database.mkdir()
        (database / "test.ndb").write_text(f"APPortal.Bench.EICAR:0:*:{EICAR.hex()}\n")
        (folder / "clamd.conf").write_text(
            "\n".join(
                [
                    "Foreground yes",
                    f"LocalSocket {self.socket_path}",
                    "LocalSocketMode 600",
                    f"DatabaseDirectory {database}",
                    f"TemporaryDirectory {folder}",
                    f"LogFile {folder / 'clamd.log'}",
                    f"PidFile {folder / 'clamd.pid'}",
                    f"StreamMaxLength {max_size}",
                    f"MaxFileSize {max_size}",
                    f"MaxScanSize {max_size}",
                    "ScanArchive yes",
                    "Bytecode no",
                    "DisableCache yes",
                    "MaxThreads 2",
                    "SelfCheck 0",
                    "",
                ]
            )
        )
        with (folder / "clamd.out").open("wb") as out:
            self.process = subprocess.Popen(
                [binary, "-c", str(folder / "clamd.conf")],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=out,
                start_new_session=True,
            )

    def scanner(self, *, timeout: float) -> Scanner:
        return Scanner(socket_path=str(self.socket_path), timeout=timeout)

    def wait_until_ready(self) -> None:
        scanner = self.scanner(timeout=2)
        deadline = time.monotonic() + CLAMD_READY_SECONDS
        while not scanner.is_available():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise BenchError(f"clamd did not answer PING within {CLAMD_READY_SECONDS} s:\n{self.log()}")
            time.sleep(0.05)

    def stop(self) -> None:
        stop_process(self.process)

    def log(self) -> str:
        paths = (self.folder / "clamd.log", self.folder / "clamd.out")
        return "\n".join(p.read_text(errors="replace") for p in paths if p.exists())[-3000:]
