"""A process's memory as Linux reports it in /proc: resident set size now (VmRSS) and at its peak (VmHWM).

`PeakWatch` gives the peak of a process's resident memory over a stretch of time: the peak is reset first
(`echo 5 > /proc/PID/clear_refs` sets VmHWM back to VmRSS), so VmHWM afterwards is the peak of that stretch alone.
Where the reset is not permitted, the resident size is sampled every few milliseconds instead (which can miss a
peak shorter than that), and the figure says which way it was read.
"""

from __future__ import annotations

import threading
from pathlib import Path

from bench.errors import BenchError

KIB = 1024
MIB = 1024 * 1024
SAMPLE_SECONDS = 0.002
MAX_SAMPLER_SECONDS = 600  # a bound on the sampling thread, far above one upload


def children(pid: int) -> list[int]:
    """The process's direct children (gunicorn's workers, for a master), from /proc/PID/task/*/children."""
    found: list[int] = []
    for task in sorted(Path(f"/proc/{pid}/task").glob("*")):
        try:
            found += [int(child) for child in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError):
            continue  # the thread ended meanwhile
    return sorted(set(found))


def only_child(pid: int) -> int:
    """The one worker of a one-worker gunicorn master."""
    found = children(pid)
    if len(found) != 1:
        raise BenchError(f"expected one child of process {pid}, found {found or 'none'}")
    return found[0]


def status_bytes(pid: int, field: str) -> int:
    """A memory line of /proc/PID/status (VmRSS, VmHWM...), in bytes."""
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except (FileNotFoundError, ProcessLookupError) as exc:
        raise BenchError(f"process {pid} is gone") from exc
    for line in lines:
        name, _, value = line.partition(":")
        if name == field:
            number, unit = value.split()
            if unit != "kB":
                raise BenchError(f"unexpected unit in /proc/{pid}/status: {line!r}")
            return int(number) * KIB
    raise BenchError(f"no {field} in /proc/{pid}/status")


def reset_peak(pid: int) -> bool:
    """Set the process's VmHWM back to its VmRSS; False where that is not permitted."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True


class PeakWatch:
    """`with PeakWatch(pid) as watch: ...`, then `watch.peak`: the peak resident bytes during the block (and
    `watch.before`, the resident bytes just before it)."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.before = 0
        self.peak = 0
        self.method = ""
        self._stop = threading.Event()
        self._sampler: threading.Thread | None = None

    def __enter__(self) -> PeakWatch:
        if reset_peak(self.pid):
            self.method = "VmHWM"
        else:
            self.method = "sampled VmRSS"
            self._sampler = threading.Thread(target=self._sample, daemon=True)
        self.before = status_bytes(self.pid, "VmRSS")
        self.peak = self.before
        if self._sampler is not None:
            self._sampler.start()
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if self._sampler is not None:
            self._stop.set()
            self._sampler.join(MAX_SAMPLER_SECONDS)
            self.peak = max(self.peak, status_bytes(self.pid, "VmRSS"))
        else:
            self.peak = max(self.peak, status_bytes(self.pid, "VmHWM"))

    def _sample(self) -> None:
        for _ in range(int(MAX_SAMPLER_SECONDS / SAMPLE_SECONDS)):
            if self._stop.wait(SAMPLE_SECONDS):
                return
            try:
                self.peak = max(self.peak, status_bytes(self.pid, "VmRSS"))
            except BenchError:
                return
