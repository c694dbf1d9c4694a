"""Storage backends against real services: local files in a temporary folder, and S3 served by moto's server
over HTTP (boto3 is not patched). The memory test runs both moto and the uploading client as separate processes,
so the figure is the client's alone."""

from __future__ import annotations

import io
import json
import os
import stat
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from urllib.parse import unquote

import boto3
import pytest
from werkzeug.http import parse_options_header

from shared.config import PROJECT_ROOT, Config
from shared.storage import (
    LocalStorage,
    ObjectNotFound,
    S3Storage,
    StorageError,
    check_key,
    content_disposition,
    new_key,
    storage_from_config,
)
from tests.support.services import AWS_TEST_ENV, REGION, free_port

MIB = 1024 * 1024
PDF = b"%PDF-1.7\n" + b"evidence of DBS checks " * 2000
BAD_KEYS = ["", "../escape", "org/../../escape", "/etc/passwd", "org//doc", "org/./doc", ".", "org\\doc", "org/doc\0"]


class FailingStream:
    """Gives `good_bytes` bytes, then fails the way a dropped upload does."""

    def __init__(self, good_bytes: int) -> None:
        self.remaining = good_bytes

    def read(self, size: int = -1) -> bytes:
        if self.remaining <= 0:
            raise OSError("the client went away mid-upload")
        size = self.remaining if size is None or size < 0 else min(size, self.remaining)
        self.remaining -= size
        return b"x" * size


# --- content_disposition ----------------------------------------------------------------------------------------


def test_content_disposition_of_an_ascii_name():
    value = content_disposition("DBS certificate.pdf")
    assert value == "attachment; filename=\"DBS certificate.pdf\"; filename*=UTF-8''DBS%20certificate.pdf"
    assert parse_options_header(value) == ("attachment", {"filename": "DBS certificate.pdf"})


def test_content_disposition_of_accents_and_emoji():
    value = content_disposition("Résumé Zoë 😀.pdf")
    assert value.isascii()
    assert 'filename="Resume Zoe .pdf"' in value  # the ASCII fallback for old clients
    assert "filename*=UTF-8''R%C3%A9sum%C3%A9%20Zo%C3%AB%20%F0%9F%98%80.pdf" in value
    assert unquote(value.split("UTF-8''")[1]) == "Résumé Zoë 😀.pdf"
    assert parse_options_header(value)[1]["filename"] == "Résumé Zoë 😀.pdf"


def test_content_disposition_escapes_quotes_semicolons_and_percent():
    value = content_disposition('risk "assessment"; final 100%.pdf')
    assert 'filename="risk _assessment__ final 100_.pdf"' in value
    assert "filename*=UTF-8''risk%20%22assessment%22%3B%20final%20100%25.pdf" in value
    # Still exactly one disposition and two parameters: nothing in the name breaks out.
    assert value.count(";") == 2
    assert parse_options_header(value) == ("attachment", {"filename": 'risk "assessment"; final 100%.pdf'})


def test_content_disposition_strips_line_breaks_and_spoofing_characters():
    value = content_disposition("report\r\nSet-Cookie: session=stolen.pdf")
    assert "\r" not in value and "\n" not in value
    assert parse_options_header(value)[1]["filename"] == "reportSet-Cookie: session=stolen.pdf"
    # A right-to-left override would display "invoice\u202efdp.exe" as "invoiceexe.pdf".
    assert parse_options_header(content_disposition("invoice\u202efdp.exe"))[1]["filename"] == "invoicefdp.exe"


def test_content_disposition_of_paths_and_empty_names():
    assert parse_options_header(content_disposition("../../etc/passwd"))[1]["filename"] == ".._.._etc_passwd"
    assert parse_options_header(content_disposition("C:\\Users\\me\\a.pdf"))[1]["filename"] == "C:_Users_me_a.pdf"
    assert parse_options_header(content_disposition("\r\n"))[1]["filename"] == "download"


# --- keys -------------------------------------------------------------------------------------------------------


def test_new_keys_are_random_and_scoped_to_the_organisation():
    organisation_id = uuid.uuid4()
    first, second = new_key(organisation_id), new_key(organisation_id)
    assert first != second
    prefix, document = first.split("/")
    assert prefix == str(organisation_id)
    assert uuid.UUID(document).version == 4
    assert check_key(first) == first


@pytest.mark.parametrize("key", BAD_KEYS)
def test_keys_that_could_leave_the_store_are_refused(key):
    with pytest.raises(ValueError, match="invalid storage key"):
        check_key(key)


# --- local files ------------------------------------------------------------------------------------------------


@pytest.fixture
def local(tmp_path) -> LocalStorage:
    return LocalStorage(tmp_path / "uploads")


def test_local_round_trip(local):
    key = new_key(uuid.uuid4())
    assert not local.exists(key)
    local.save(key, io.BytesIO(PDF), content_type="application/pdf", download_name="DBS.pdf")
    assert local.exists(key)
    with local.open(key) as stream:
        assert stream.read() == PDF
    assert list(local.keys()) == [key]

    local.delete(key)
    assert not local.exists(key)
    assert list(local.keys()) == []
    with pytest.raises(ObjectNotFound):
        local.open(key)
    local.delete(key)  # already gone: no error


def test_local_files_are_private_to_the_app(local):
    key = new_key(uuid.uuid4())
    local.save(key, io.BytesIO(PDF), content_type="application/pdf", download_name="DBS.pdf")
    path = local.root / key
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]  # no temporary file left behind
    assert path.read_bytes() == PDF  # stored under the random key, whatever the user called it


def test_local_keys_by_organisation_prefix(local):
    ours, theirs = uuid.uuid4(), uuid.uuid4()
    our_keys = sorted(new_key(ours) for _ in range(3))
    their_key = new_key(theirs)
    for key in [*our_keys, their_key]:
        local.save(key, io.BytesIO(b"x"), content_type="text/plain", download_name="x.txt")
    assert sorted(local.keys(f"{ours}/")) == our_keys
    assert sorted(local.keys()) == sorted([*our_keys, their_key])


def test_a_failed_local_write_leaves_nothing_behind(local):
    key = new_key(uuid.uuid4())
    with pytest.raises(OSError, match="went away"):
        local.save(key, FailingStream(3 * MIB), content_type="application/pdf", download_name="big.pdf")
    assert not local.exists(key)
    assert list((local.root / key).parent.iterdir()) == []  # neither the file nor its temporary file
    assert list(local.keys()) == []


def test_a_failed_overwrite_keeps_the_stored_object_whole(local):
    key = new_key(uuid.uuid4())
    local.save(key, io.BytesIO(PDF), content_type="application/pdf", download_name="DBS.pdf")
    with pytest.raises(OSError):
        local.save(key, FailingStream(2 * MIB), content_type="application/pdf", download_name="DBS.pdf")
    with local.open(key) as stream:
        assert stream.read() == PDF


def test_local_keys_cannot_leave_the_folder(local, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    for key in BAD_KEYS:
        with pytest.raises(ValueError):
            local.save(key, io.BytesIO(b"x"), content_type="text/plain", download_name="x.txt")
        with pytest.raises(ValueError):
            local.open(key)
        with pytest.raises(ValueError):
            local.delete(key)
    # A symlink planted inside the folder does not lead out of it either.
    local.root.mkdir(parents=True, exist_ok=True)
    (local.root / "org").symlink_to(outside)
    with pytest.raises(ValueError):
        local.save("org/doc", io.BytesIO(b"x"), content_type="text/plain", download_name="x.txt")
    assert list(outside.iterdir()) == []


def test_the_default_store_is_local_and_outside_the_static_folders(tmp_path):
    storage = storage_from_config(Config().as_dict())
    assert isinstance(storage, LocalStorage)
    statics = [
        path for package in ("shared", "portal", "school_admin") for path in (PROJECT_ROOT / package).rglob("static")
    ]
    assert statics  # shared/static at least: the check below looks somewhere
    for static in statics:
        assert not storage.root.is_relative_to(static.resolve())
    assert storage_from_config({"UPLOAD_FOLDER": str(tmp_path)}).root == tmp_path.resolve()


# --- S3 on moto's server ----------------------------------------------------------------------------------------


# The session-wide `moto_endpoint` (and `aws_test_credentials`) come from tests/support/services.py, through conftest.


@pytest.fixture
def s3(moto_endpoint) -> S3Storage:
    """A fresh private bucket per test."""
    storage = S3Storage(f"ap-portal-{uuid.uuid4().hex[:12]}", region=REGION, endpoint_url=moto_endpoint)
    storage.client.create_bucket(Bucket=storage.bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    return storage


def test_s3_objects_are_encrypted_typed_and_named_for_download(s3):
    key = new_key(uuid.uuid4())
    s3.save(key, io.BytesIO(PDF), content_type="application/pdf", download_name='Résumé; "final".pdf')
    head = s3.client.head_object(Bucket=s3.bucket, Key=key)
    assert head["ServerSideEncryption"] == "AES256"
    assert head["ContentType"] == "application/pdf"
    assert head["ContentDisposition"] == content_disposition('Résumé; "final".pdf')
    assert head["ContentLength"] == len(PDF)


def test_s3_objects_are_private(s3):
    key = new_key(uuid.uuid4())
    s3.save(key, io.BytesIO(PDF), content_type="application/pdf", download_name="DBS.pdf")
    grants = s3.client.get_object_acl(Bucket=s3.bucket, Key=key)["Grants"]
    grantees = [grant["Grantee"] for grant in grants]
    assert [g["Type"] for g in grantees] == ["CanonicalUser"]  # the owner alone
    assert not any("AllUsers" in g.get("URI", "") or "AuthenticatedUsers" in g.get("URI", "") for g in grantees)


def test_s3_round_trip_streams_a_multipart_object(s3):
    key = new_key(uuid.uuid4())
    content = os.urandom(12 * MIB)  # over the 5 MiB part size: a multipart upload
    s3.save(key, io.BytesIO(content), content_type="application/octet-stream", download_name="data.bin")
    assert s3.exists(key)
    body = s3.open(key)
    chunks = list(iter(lambda: body.read(MIB), b""))
    body.close()
    assert len(chunks) >= 12  # read back piece by piece, not at once
    assert b"".join(chunks) == content
    assert list(s3.keys()) == [key]


def test_s3_keys_delete_and_missing_objects(s3):
    ours, theirs = uuid.uuid4(), uuid.uuid4()
    our_keys = sorted(new_key(ours) for _ in range(3))
    their_key = new_key(theirs)
    for key in [*our_keys, their_key]:
        s3.save(key, io.BytesIO(b"x"), content_type="text/plain", download_name="x.txt")
    assert sorted(s3.keys(f"{ours}/")) == our_keys
    assert sorted(s3.keys()) == sorted([*our_keys, their_key])

    s3.delete(their_key)
    assert not s3.exists(their_key)
    with pytest.raises(ObjectNotFound):
        s3.open(their_key)
    s3.delete(their_key)  # already gone: no error
    assert sorted(s3.keys()) == our_keys


@pytest.mark.parametrize("good_bytes", [MIB, 12 * MIB], ids=["single-request", "multipart"])
def test_a_failed_s3_upload_leaves_no_object_and_no_parts(s3, good_bytes):
    key = new_key(uuid.uuid4())
    with pytest.raises(OSError, match="went away"):
        s3.save(key, FailingStream(good_bytes), content_type="application/pdf", download_name="big.pdf")
    assert not s3.exists(key)
    assert list(s3.keys()) == []
    assert s3.client.list_multipart_uploads(Bucket=s3.bucket).get("Uploads", []) == []  # aborted, not left to bill


def test_s3_failures_are_storage_errors(moto_endpoint):
    missing = S3Storage("no-such-bucket-here", region=REGION, endpoint_url=moto_endpoint)
    with pytest.raises(StorageError):
        missing.save(new_key(uuid.uuid4()), io.BytesIO(b"x"), content_type="text/plain", download_name="x.txt")
    with pytest.raises(StorageError):
        list(missing.keys())


def test_s3_refuses_bad_keys_and_header_injection(s3):
    for key in BAD_KEYS:
        with pytest.raises(ValueError):
            s3.save(key, io.BytesIO(b"x"), content_type="text/plain", download_name="x.txt")
    with pytest.raises(ValueError):
        s3.save(new_key(uuid.uuid4()), io.BytesIO(b"x"), content_type="text/plain\r\nX-Evil: 1", download_name="x")


def test_s3_from_config(moto_endpoint):
    storage = storage_from_config(
        {"S3_BUCKET": "documents", "S3_REGION": REGION, "S3_ENDPOINT_URL": moto_endpoint, "UPLOAD_FOLDER": "/unused"}
    )
    assert isinstance(storage, S3Storage)
    assert storage.bucket == "documents"
    assert storage.client.meta.region_name == REGION
    assert storage.client.meta.endpoint_url == moto_endpoint


# --- memory: a 200 MB upload grows the uploading process by under 40 MiB ------------------------------------------
# Not the same as `make bench`'s upload_200mb_s3_extra_rss_mib: there the app hands S3Storage its spooled temporary
# file, whose reads are full; here S3Storage gets a non-seekable stream of short reads (a socket's or a pipe's), the
# case _FullReads exists for, where s3transfer would otherwise read the whole stream into memory.

UPLOAD_BYTES = 200 * 1000 * 1000
MEMORY_LIMIT_MIB = 40

# Runs in a fresh interpreter so nothing else in the test session shares its memory. Peak RSS is reset after the
# warm-up (writing 5 to /proc/self/clear_refs resets VmHWM), so the figure is this upload's growth alone.
UPLOADER = r"""
import json, os, sys
from shared.storage import S3Storage

def status(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024

class GeneratedUpload:
    # A non-seekable stream made on the fly, returning short reads of at most 1 MiB as a socket or pipe does.
    def __init__(self, size):
        self.remaining = size
        self.block = os.urandom(1024 * 1024)
    def read(self, size=-1):
        size = self.remaining if size is None or size < 0 else size
        n = min(size, self.remaining, len(self.block))
        self.remaining -= n
        return self.block if n == len(self.block) else self.block[:n]

endpoint, bucket, size = sys.argv[1], sys.argv[2], int(sys.argv[3])
storage = S3Storage(bucket, region="eu-west-2", endpoint_url=endpoint)
storage.save("warm/up", GeneratedUpload(6 * 1024 * 1024), content_type="application/octet-stream", download_name="w")
storage.delete("warm/up")
baseline = status("VmRSS")
try:
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    peak = lambda: status("VmHWM")
except OSError:  # a kernel (or sandbox) without clear_refs: sample RSS instead
    import threading, time
    samples = [baseline]
    done = threading.Event()
    def sample():
        while not done.is_set():
            samples.append(status("VmRSS"))
            time.sleep(0.002)
    threading.Thread(target=sample, daemon=True).start()
    def peak():
        done.set()
        return max(samples)
storage.save("big/upload", GeneratedUpload(size), content_type="application/octet-stream", download_name="big.bin")
print(json.dumps({"baseline_mib": baseline / 2**20, "growth_mib": (peak() - baseline) / 2**20}))
"""


@pytest.fixture
def moto_process(aws_test_credentials, tmp_path) -> Iterator[str]:
    """moto in a process of its own: it keeps what it receives in memory, which must not count as ours."""
    port = free_port()
    log = (tmp_path / "moto.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)], stdout=log, stderr=log
    )
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while True:
        try:
            urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=1).close()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"moto_server did not start: {(tmp_path / 'moto.log').read_text()[-2000:]}")
            time.sleep(0.1)
    yield endpoint
    process.terminate()
    process.wait(timeout=10)
    log.close()


def test_a_200_mb_upload_grows_the_worker_by_under_40_mib(moto_process):
    client = boto3.client("s3", region_name=REGION, endpoint_url=moto_process)
    client.create_bucket(Bucket="memory", CreateBucketConfiguration={"LocationConstraint": REGION})
    result = subprocess.run(
        [sys.executable, "-c", UPLOADER, moto_process, "memory", str(UPLOAD_BYTES)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=PROJECT_ROOT,
        env={**os.environ, **AWS_TEST_ENV},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    print(f"200 MB upload: RSS grew {figures['growth_mib']:.1f} MiB over {figures['baseline_mib']:.1f} MiB")
    assert client.head_object(Bucket="memory", Key="big/upload")["ContentLength"] == UPLOAD_BYTES
    assert figures["growth_mib"] < MEMORY_LIMIT_MIB
