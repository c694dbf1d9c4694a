"""The clamd client against a real clamd (Debian's clamav-daemon) with a local test signature database.

The clamd itself (the session-wide `clamd` fixture, and `start_clamd` for the others) is in tests/support/services.py,
shared with the upload pipeline's tests: one body signature (.ndb) for the EICAR test string, so no download is
needed and the EICAR string is found wherever it sits in a stream, including inside a zip. clamd reports signatures
from unsigned databases with the suffix ".UNOFFICIAL".
"""

from __future__ import annotations

import io
import shutil
import socket
import tempfile
import threading
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from shared.scanning import (
    CHUNK_SIZE,
    ScanLimitExceeded,
    Scanner,
    ScannerUnavailable,
    ScanResult,
    scanner_from_config,
)
from tests.support.services import EICAR, SIGNATURE, Clamd, free_port, scanner_for, start_clamd, stop_clamd

# --- clamd (the session-wide `clamd` fixture comes from tests/support/services.py, through conftest) ---------------


@pytest.fixture(scope="module")
def clamd_tcp() -> Iterator[Clamd]:
    """A second clamd on TCP (127.0.0.1 only) with a 1 MB stream limit, to see the limit refused over TCP."""
    daemon = start_clamd(tcp=True, stream_max_length="1M")
    yield daemon
    stop_clamd(daemon)


@pytest.fixture
def scanner(clamd) -> Scanner:
    return scanner_for(clamd)


# --- streams ------------------------------------------------------------------------------------------------------


class GeneratedStream:
    """`size` bytes of text made on the fly, optionally ending with `tail`; records the largest read asked for."""

    def __init__(self, size: int, tail: bytes = b"") -> None:
        self.remaining = size
        self.tail = tail
        self.block = b"Attendance register, week 12. " * 4096
        self.largest_read = 0

    def read(self, size: int = -1) -> bytes:
        self.largest_read = max(self.largest_read, size)
        if self.remaining > 0:
            n = min(size, self.remaining, len(self.block))
            self.remaining -= n
            return self.block[:n]
        data, self.tail = self.tail[:size], self.tail[size:]
        return data


def _zip_holding(name: str, data: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, data)
    return buffer.getvalue()


# --- verdicts -------------------------------------------------------------------------------------------------------


def test_clamd_answers_ping(scanner):
    scanner.ping()
    assert scanner.is_available()


def test_a_clean_file_is_ok(scanner):
    assert scanner.scan(io.BytesIO(b"%PDF-1.7\nA letter about Jamie's attendance.\n")) == ScanResult(clean=True)


def test_the_eicar_file_is_found_with_its_signature_name(scanner):
    result = scanner.scan(io.BytesIO(EICAR))
    assert not result.clean
    assert result.signature == f"{SIGNATURE}.UNOFFICIAL"


def test_eicar_inside_a_zip_is_found(scanner):
    archive = _zip_holding("homework/report.txt", EICAR)
    assert EICAR not in archive  # compressed: only unpacking the archive can find it
    result = scanner.scan(io.BytesIO(archive))
    assert not result.clean
    assert result.signature.startswith(SIGNATURE)


def test_a_multi_megabyte_stream_is_sent_in_chunks(scanner):
    clean = GeneratedStream(12 * 1024 * 1024)
    assert scanner.scan(clean) == ScanResult(clean=True)
    assert clean.largest_read == CHUNK_SIZE  # never the whole file in memory

    infected = GeneratedStream(12 * 1024 * 1024, tail=EICAR)
    result = scanner.scan(infected)
    assert not result.clean  # the signature sits in the last chunk: every chunk reached clamd
    assert result.signature.startswith(SIGNATURE)


def test_scanning_reads_from_the_current_position(scanner):
    stream = io.BytesIO(EICAR + b"\nthe rest of a clean note")
    stream.seek(len(EICAR))
    assert scanner.scan(stream).clean


# --- TCP and the stream size limit --------------------------------------------------------------------------------


def test_clamd_over_tcp_finds_eicar(clamd_tcp):
    scanner = scanner_for(clamd_tcp)
    assert scanner.scan(io.BytesIO(b"a clean note")).clean
    assert scanner.scan(io.BytesIO(EICAR)).signature.startswith(SIGNATURE)


def test_a_stream_over_clamds_size_limit_is_refused_not_passed(clamd_tcp):
    scanner = scanner_for(clamd_tcp, timeout=10)
    with pytest.raises(ScanLimitExceeded, match="size limit exceeded"):
        scanner.scan(GeneratedStream(3 * 1024 * 1024))
    assert issubclass(ScanLimitExceeded, ScannerUnavailable)  # callers that refuse on unavailable refuse this too


# --- no verdict: ScannerUnavailable, quickly -------------------------------------------------------------------------


# How many times a scanner's configured timeout it may take, at most, to give up: a liveness bound (the scan must have
# finished by then), not a measure of how fast it is.
LIVENESS = 5


def _assert_unavailable_promptly(scanner: Scanner, stream: object = None) -> None:
    """A scan gives ScannerUnavailable and a ping says unavailable, both finished within LIVENESS times the
    configured timeout each. Run in a thread, so a scan that hangs fails the test instead of hanging it."""
    outcome: list[object] = []

    def attempt() -> None:
        try:
            scanner.scan(stream if stream is not None else io.BytesIO(b"a clean note"))  # type: ignore[arg-type]
        except ScannerUnavailable as exc:
            outcome.append(exc)
        else:
            outcome.append("a verdict")
        outcome.append(scanner.is_available())

    thread = threading.Thread(target=attempt, daemon=True)
    thread.start()
    thread.join(timeout=2 * LIVENESS * scanner.timeout)
    assert not thread.is_alive(), f"{scanner!r} was still waiting for a hung clamd"
    assert len(outcome) == 2 and isinstance(outcome[0], ScannerUnavailable), outcome
    assert outcome[1] is False


def test_an_absent_socket_is_unavailable(tmp_path):
    _assert_unavailable_promptly(Scanner(socket_path=str(tmp_path / "clamd.sock"), connect_timeout=1, timeout=1))


def test_a_stopped_clamds_socket_file_is_unavailable():
    daemon = start_clamd()
    try:
        scanner = scanner_for(daemon, connect_timeout=1, timeout=10)
        assert scanner.scan(io.BytesIO(EICAR)).signature.startswith(SIGNATURE)
        daemon.process.terminate()
        daemon.process.wait(timeout=10)
        # clamd removes its socket file on the way out (a killed one leaves it: see the next test): no verdict.
        _assert_unavailable_promptly(scanner)
    finally:
        stop_clamd(daemon)


def test_a_refusing_tcp_port_is_unavailable():
    _assert_unavailable_promptly(Scanner(host="127.0.0.1", port=free_port(), connect_timeout=1, timeout=1))


def test_a_left_over_socket_file_with_nobody_listening_is_unavailable():
    folder = Path(tempfile.mkdtemp(prefix="clamd-"))
    try:
        path = folder / "clamd.sock"
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as stale:
            stale.bind(str(path))  # the file exists, nobody accepts: connection refused
        assert path.exists()
        _assert_unavailable_promptly(Scanner(socket_path=str(path), connect_timeout=1, timeout=1))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_a_scanner_that_never_answers_times_out():
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)  # connections complete in the backlog, but nothing ever reads or replies
        host, port = silent.getsockname()
        _assert_unavailable_promptly(Scanner(host=host, port=port, connect_timeout=1, timeout=0.5))


@contextmanager
def hung_clamd(kind: str, behaviour: str) -> Iterator[dict[str, object]]:
    """A real server on a real socket (TCP or Unix) that accepts every connection and never gives a verdict:
    "silent" never reads or answers; "drains slowly" reads the stream a little at a time, so each write gets
    through in time, and never answers; "mutters" answers a byte at a time, never the end of a reply.
    Yields the Scanner arguments that reach it."""
    folder = Path(tempfile.mkdtemp(prefix="hung-"))
    stop = threading.Event()
    if kind == "unix":
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        server.bind(str(folder / "clamd.sock"))
        where: dict[str, object] = {"socket_path": str(folder / "clamd.sock")}
    else:
        server = socket.socket()
        server.bind(("127.0.0.1", 0))
        where = {"host": "127.0.0.1", "port": server.getsockname()[1]}
    server.listen(8)
    server.settimeout(0.1)

    def handle(conn: socket.socket) -> None:
        with conn:
            conn.settimeout(0.1)
            while not stop.wait(0.05):
                try:
                    if behaviour == "drains slowly":
                        conn.recv(256 * 1024)
                    elif behaviour == "mutters":
                        conn.sendall(b".")
                except TimeoutError:
                    continue
                except OSError:
                    return
            # "silent": holds the connection open and does nothing

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            threading.Thread(target=handle, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield where
    finally:
        stop.set()
        thread.join(timeout=5)
        server.close()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.parametrize("kind", ["tcp", "unix"])
@pytest.mark.parametrize("behaviour", ["silent", "drains slowly", "mutters"])
def test_a_hung_clamd_is_given_up_after_the_configured_timeout_as_a_whole(kind, behaviour):
    """The configured timeout bounds the whole scan, not each write or read: a clamd that takes the stream
    slowly, or trickles bytes that never make a reply, cannot hold an upload longer."""
    with hung_clamd(kind, behaviour) as where:
        scanner = Scanner(connect_timeout=1, timeout=1, **where)  # type: ignore[arg-type]
        # 128 MB: far more than the socket buffers hold, so a silent clamd blocks the sending, not only the reply,
        # and one that drains slowly takes many times the timeout to take it all.
        _assert_unavailable_promptly(scanner, GeneratedStream(128 * 1024 * 1024))


@pytest.mark.parametrize(
    "reply",
    [b"stream: Can't allocate memory ERROR\0", b"UNKNOWN COMMAND\0", b"stream: OK"],  # the last: no terminator
)
def test_an_error_or_unexpected_reply_is_no_verdict(reply):
    """A real server on a real socket that answers the way a broken clamd might, then hangs up."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)

        def answer_once() -> None:
            conn, _ = server.accept()
            with conn:
                conn.sendall(reply)

        thread = threading.Thread(target=answer_once, daemon=True)
        thread.start()
        host, port = server.getsockname()
        with pytest.raises(ScannerUnavailable) as raised:
            Scanner(host=host, port=port, connect_timeout=1, timeout=2).scan(GeneratedStream(1024 * 1024))
        thread.join(timeout=5)
    assert not isinstance(raised.value, ScanLimitExceeded)


# --- configuration --------------------------------------------------------------------------------------------------


def test_no_scanner_when_unconfigured():
    assert scanner_from_config({}) is None
    assert scanner_from_config({"CLAMD_SOCKET": "", "CLAMD_HOST": None, "CLAMD_PORT": 3310}) is None


def test_scanner_from_a_socket_or_a_host():
    by_socket = scanner_from_config({"CLAMD_SOCKET": "/run/clamav/clamd.ctl", "CLAMD_HOST": "ignored"})
    assert (by_socket.socket_path, by_socket.host) == ("/run/clamav/clamd.ctl", None)

    by_host = scanner_from_config({"CLAMD_HOST": "clamav.internal", "CLAMD_PORT": "3311", "CLAMD_TIMEOUT": "15"})
    assert (by_host.host, by_host.port, by_host.timeout) == ("clamav.internal", 3311, 15.0)
    assert scanner_from_config({"CLAMD_HOST": "clamav.internal"}).port == 3310


def test_the_configured_scanner_scans(clamd):
    scanner = scanner_from_config({"CLAMD_SOCKET": str(clamd.socket_path)})
    assert scanner.scan(io.BytesIO(EICAR)).signature.startswith(SIGNATURE)
