"""upload_check_5mb_ratio_vs_sha256: what stages 1-5 of the upload checks cost on a 5 MB PDF, against the floor.

In this process: `check_upload` (size, name, content sniff, PDF structure, SHA-256, with its spooled copy) on a
valid 5 MiB PDF (bench/pdf_file.py: pages of image data), against `hashlib.sha256` over the same bytes, which any
check must at least pay. RUNS runs of each, alternately, after a warm-up; the medians are compared.
"""

from __future__ import annotations

import hashlib
import io
import statistics
import time

from bench.errors import BenchError
from bench.metrics import Metric
from bench.pdf_file import write_pdf
from bench.proc_memory import MIB
from bench.targets import at_most
from bench.workspace import Workspace
from shared.uploads.checks import check_upload
from shared.uploads.reasons import UploadRefused

FILE_BYTES = 5 * MIB
MAX_BYTES = 20 * MIB  # the app's default MAX_UPLOAD_MB
RUNS = 21
WARM_UP_RUNS = 2
TARGET_RATIO = 4


def run(workspace: Workspace) -> list[Metric]:
    path = write_pdf(workspace.dir / "check-5mb.pdf", FILE_BYTES)
    try:
        data = path.read_bytes()
    finally:
        path.unlink()
    checks: list[float] = []
    hashes: list[float] = []
    for run_number in range(WARM_UP_RUNS + RUNS):
        pair = [(checks, _time_checks), (hashes, _time_sha256)]
        for figures, measure in pair if run_number % 2 == 0 else reversed(pair):
            seconds = measure(data)
            if run_number >= WARM_UP_RUNS:
                figures.append(seconds)
    check_ms = statistics.median(checks) * 1000
    sha_ms = statistics.median(hashes) * 1000
    print(f"  {RUNS} runs each: checks {check_ms:.2f} ms, sha256 {sha_ms:.2f} ms (medians)", flush=True)
    ratio = check_ms / sha_ms
    return [
        at_most("upload_check_5mb_ratio_vs_sha256", round(ratio, 2), "ratio", TARGET_RATIO),
        Metric.informational("upload_check_5mb_ms", round(check_ms, 2), "ms"),
        Metric.informational("sha256_5mb_ms", round(sha_ms, 2), "ms"),
    ]


def _time_checks(data: bytes) -> float:
    stream = io.BytesIO(data)
    started = time.perf_counter()
    try:
        with check_upload(stream, "policy.pdf", max_bytes=MAX_BYTES):
            pass
    except UploadRefused as refusal:
        raise BenchError(f"the 5 MiB test PDF is refused by the checks: {refusal}") from refusal
    return time.perf_counter() - started


def _time_sha256(data: bytes) -> float:
    started = time.perf_counter()
    hashlib.sha256(data).hexdigest()
    return time.perf_counter() - started
