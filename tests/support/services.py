"""Real services for the tests, shared by every test module through conftest: a clamd (Debian's clamav-daemon) with a
local test signature database, and S3 served by moto's server over HTTP (boto3 is not patched).

The clamd database holds one body signature (.ndb) for the EICAR test string, so no download is needed (freshclam
cannot reach the internet here) and the EICAR string is found wherever it sits in a stream, including inside a
zip, which clamd unpacks (ScanArchive, on by default). clamd reports signatures from unsigned databases with the
suffix ".UNOFFICIAL".
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from moto.server import ThreadedMotoServer

from shared.scanning import Scanner

EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
SIGNATURE = "APPortal.Test.EICAR"
CLAMD_PACKAGE = "clamav-daemon"
STARTUP_SECONDS = 30

REGION = "eu-west-2"
AWS_TEST_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_EC2_METADATA_DISABLED": "true",
    # Never read a developer's real AWS profile.
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- a real clamd -------------------------------------------------------------------------------------------------


@dataclass
class Clamd:
    process: subprocess.Popen
    folder: Path
    socket_path: Path | None = None
    port: int | None = None

    def log(self) -> str:
        log = self.folder / "clamd.log"
        output = self.folder / "clamd.out"
        return "\n".join(p.read_text(errors="replace") for p in (log, output) if p.exists())[-4000:]


def clamd_binary() -> str:
    found = shutil.which("clamd") or next((p for p in ("/usr/sbin/clamd",) if Path(p).exists()), None)
    if not found:
        pytest.fail(
            f"clamd is not installed: the scanning tests need a real clamd (Debian: apt-get install {CLAMD_PACKAGE})",
            pytrace=False,
        )
    return found


def start_clamd(*, tcp: bool = False, stream_max_length: str = "50M") -> Clamd:
    binary = clamd_binary()
    # A short folder of our own: Unix socket paths are limited to 107 bytes, and pytest's can be long.
    folder = Path(tempfile.mkdtemp(prefix="clamd-"))
    database = folder / "db"
    database.mkdir()
    # clamd refuses to start with no signatures at all; one body signature (hex of the EICAR string, any file type,
    # any offset) is enough and is found inside archives and long streams.
    (database / "test.ndb").write_text(f"{SIGNATURE}:0:*:{EICAR.hex()}\n")
    socket_path = None if tcp else folder / "clamd.sock"
    port = free_port() if tcp else None
    listen = (
        [f"TCPSocket {port}", "TCPAddr 127.0.0.1"] if tcp else [f"LocalSocket {socket_path}", "LocalSocketMode 600"]
    )
    # No "User": clamd stays the user that starts it (root in the CI sandbox, which needs nothing more); the
    # Debian default "User clamav" would make it drop to an account that cannot read this folder.
    (folder / "clamd.conf").write_text(
        "\n".join(
            [
                "Foreground yes",
                *listen,
                f"DatabaseDirectory {database}",
                f"TemporaryDirectory {folder}",
                f"LogFile {folder / 'clamd.log'}",
                f"PidFile {folder / 'clamd.pid'}",
                f"StreamMaxLength {stream_max_length}",
                "ScanArchive yes",
                "Bytecode no",
                "MaxThreads 4",
                "SelfCheck 0",
                "",
            ]
        )
    )
    with (folder / "clamd.out").open("wb") as out:
        process = subprocess.Popen(
            [binary, "-c", str(folder / "clamd.conf")], stdin=subprocess.DEVNULL, stdout=out, stderr=out
        )
    clamd = Clamd(process, folder, socket_path, port)
    scanner = scanner_for(clamd)
    deadline = time.monotonic() + STARTUP_SECONDS
    while not scanner.is_available():
        if process.poll() is not None or time.monotonic() > deadline:
            stop_clamd(clamd, remove=False)
            log = clamd.log()
            shutil.rmtree(folder, ignore_errors=True)
            pytest.fail(f"clamd did not answer PING within {STARTUP_SECONDS} s; its log:\n{log}", pytrace=False)
        time.sleep(0.05)
    return clamd


def stop_clamd(clamd: Clamd, *, remove: bool = True) -> None:
    if clamd.process.poll() is None:
        clamd.process.terminate()
        try:
            clamd.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            clamd.process.kill()
            clamd.process.wait()
    if remove:
        shutil.rmtree(clamd.folder, ignore_errors=True)


def scanner_for(clamd: Clamd, **kwargs) -> Scanner:
    if clamd.socket_path:
        return Scanner(socket_path=str(clamd.socket_path), **kwargs)
    return Scanner(host="127.0.0.1", port=clamd.port, **kwargs)


@pytest.fixture(scope="session")
def clamd() -> Iterator[Clamd]:
    """A clamd on a Unix socket, for the whole session."""
    daemon = start_clamd()
    yield daemon
    stop_clamd(daemon)


# --- S3 on moto's server ----------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def aws_test_credentials() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        for name, value in AWS_TEST_ENV.items():
            patch.setenv(name, value)
        yield


@pytest.fixture(scope="session")
def moto_endpoint(aws_test_credentials) -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=free_port(), verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


# --- a TCP proxy that can be stopped: a service that really goes away and comes back ----------------------------------


class TcpProxy:
    """Forwards 127.0.0.1:<port> to a real service. stop() closes the listening socket and cuts every open
    connection, so the service is unreachable exactly as if it had stopped (connections are refused); start() listens
    on the same port again."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = free_port()
        self._listener: socket.socket | None = None
        self._sockets: set[socket.socket] = set()
        self._lock = threading.Lock()

    def start(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(16)
        self._listener = listener
        self._accepting = threading.Thread(target=self._accept, args=(listener,), daemon=True)
        self._accepting.start()

    def stop(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            # Closing alone would not wake the thread blocked in accept(), and the port would go on listening.
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()
            self._accepting.join(timeout=5)
        with self._lock:
            sockets, self._sockets = self._sockets, set()
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:  # stopped
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self._lock:
                self._sockets.update((client, upstream))
            threading.Thread(target=self._pipe, args=(client, upstream), daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, client), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
            source.close()
            with self._lock:
                self._sockets.discard(source)
