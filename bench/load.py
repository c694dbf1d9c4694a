"""A small load generator: N threads, each with its own HTTP/1.1 connection, for a fixed time.

Gunicorn's sync workers answer `Connection: close`, so http.client opens a new connection for the next request,
as a browser would; with a server that keeps connections alive it reuses them. Every loop is bounded in time and in
count, and only 127.0.0.1 is ever contacted.
"""

from __future__ import annotations

import http.client
import threading
import time
from dataclasses import dataclass, field

from bench.errors import BenchError
from bench.server import HOST

MAX_REQUESTS_PER_THREAD = 1_000_000  # a bound far above what a few seconds allow
TIMEOUT_SECONDS = 10
JOIN_GRACE_SECONDS = 2 * TIMEOUT_SECONDS + 5


@dataclass(frozen=True)
class Target:
    """What to request, and what every counted answer must contain (a 200 of another page is a failure)."""

    port: int
    path: str
    expect: bytes
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class _Tally:
    completed: list[int]
    failures: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def fail(self, message: str) -> None:
        with self.lock:
            self.failures.append(message)


def requests_per_second(target: Target, *, seconds: float, connections: int) -> float:
    """Answers counted are those finished within the window; any failed answer makes the whole run fail loudly."""
    tally = _Tally(completed=[0] * connections)
    start = time.perf_counter() + 0.05  # every thread starts the clock together
    deadline = start + seconds
    threads = [
        threading.Thread(target=_hammer, args=(target, start, deadline, slot, tally), daemon=True)
        for slot in range(connections)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(max(0.0, deadline - time.perf_counter()) + JOIN_GRACE_SECONDS)
    if any(thread.is_alive() for thread in threads):
        raise BenchError(f"load on {target.path} did not finish in time")
    if tally.failures:
        raise BenchError(f"{len(tally.failures)} failed request(s) on {target.path}; first: {tally.failures[0]}")
    return sum(tally.completed) / seconds


def _hammer(target: Target, start: float, deadline: float, slot: int, tally: _Tally) -> None:
    conn = http.client.HTTPConnection(HOST, target.port, timeout=TIMEOUT_SECONDS)
    try:
        time.sleep(max(0.0, start - time.perf_counter()))
        for _ in range(MAX_REQUESTS_PER_THREAD):
            if time.perf_counter() >= deadline:
                return
            conn.request("GET", target.path, headers=target.headers)
            response = conn.getresponse()
            body = response.read()
            if response.status != 200 or target.expect not in body:
                tally.fail(f"HTTP {response.status}: {body[:300]!r}")
                return
            if time.perf_counter() <= deadline:
                tally.completed[slot] += 1
    except (OSError, http.client.HTTPException) as exc:
        tally.fail(repr(exc))
    finally:
        conn.close()
