"""Virus scanning with ClamAV's clamd, over its socket (Unix or TCP), using the INSTREAM command.

We speak the protocol ourselves rather than use the `clamd` package from PyPI: that package has been unmaintained
since 2020, and the part we need is tiny (documented in clamd(8), "INSTREAM"):

    send  b"zINSTREAM\\0"
    send  chunks, each prefixed by its length as a 4-byte big-endian unsigned integer
    send  a zero-length chunk (b"\\0\\0\\0\\0") to end the stream
    read  the reply up to b"\\0": "stream: OK", "stream: <Signature> FOUND" or "<message> ERROR"

The file is streamed in chunks and never held in memory whole. Any failure to get a clear verdict (no answer,
timeout, an ERROR reply, clamd's stream size limit) raises ScannerUnavailable: the caller refuses the upload and
never stores it as clean.
"""

from __future__ import annotations

import select
import socket
import struct
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import IO, Any, TypedDict

CHUNK_SIZE = 64 * 1024
# A reply is one short line; anything longer is not clamd talking.
MAX_REPLY_BYTES = 4096
DEFAULT_CLAMD_PORT = 3310
DEFAULT_CONNECT_TIMEOUT = 5.0
# For the whole exchange (connecting, sending the stream, the verdict), not each write or read: a clamd that hangs,
# takes the stream slowly or trickles bytes that never make a reply is given up after this long. clamd answers
# INSTREAM only after scanning the whole stream, and a large archive can take tens of seconds on a busy machine.
DEFAULT_SCAN_TIMEOUT = 60.0
# After a failed write, how long to look for clamd's reason for hanging up (at most what is left of the timeout).
REASON_WAIT = 1.0


class ScannerUnavailable(Exception):
    """No verdict from the scanner (down, timed out, errored). The upload must be refused, never stored as clean."""


class ScanLimitExceeded(ScannerUnavailable):
    """clamd refused the stream as larger than its StreamMaxLength (set it above MAX_UPLOAD_MB)."""


@dataclass(frozen=True)
class ScanResult:
    clean: bool
    signature: str | None = None  # the name clamd reports when it finds something


class Scanner:
    """A clamd client. Give either `socket_path` (a Unix socket) or `host` (and `port`)."""

    def __init__(
        self,
        *,
        socket_path: str | None = None,
        host: str | None = None,
        port: int = DEFAULT_CLAMD_PORT,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
        timeout: float = DEFAULT_SCAN_TIMEOUT,
        chunk_size: int = CHUNK_SIZE,
    ) -> None:
        if bool(socket_path) == bool(host):
            raise ValueError("give exactly one of socket_path or host")
        self.socket_path = socket_path
        self.host = host
        self.port = port
        self.connect_timeout = connect_timeout
        self.timeout = timeout
        self.chunk_size = chunk_size

    def __repr__(self) -> str:
        where = self.socket_path if self.socket_path else f"{self.host}:{self.port}"
        return f"Scanner({where})"

    def ping(self) -> None:
        """Raise ScannerUnavailable unless clamd answers PONG."""
        deadline = time.monotonic() + self.timeout
        with self._connect(deadline) as conn:
            self._send(conn, b"zPING\0", deadline)
            reply = self._read_reply(conn, deadline)
        if reply != "PONG":
            raise ScannerUnavailable(f"clamd answered PING with {reply!r}")

    def is_available(self) -> bool:
        try:
            self.ping()
        except ScannerUnavailable:
            return False
        return True

    def scan(self, fileobj: IO[bytes]) -> ScanResult:
        """Scan `fileobj` from its current position to its end. It is not rewound afterwards.

        Raises ScannerUnavailable when there is no verdict; an error reading `fileobj` itself propagates as is."""
        deadline = time.monotonic() + self.timeout
        with self._connect(deadline) as conn:
            self._send(conn, b"zINSTREAM\0", deadline)
            while chunk := fileobj.read(self.chunk_size):
                # clamd speaks mid-stream only to refuse it (StreamMaxLength), then closes the connection. Read
                # that reason before sending more: on TCP, writing to the closed connection would reset it and
                # lose the reply.
                if _readable(conn):
                    return _parse_scan_reply(self._read_reply(conn, deadline))
                self._send(conn, struct.pack("!I", len(chunk)) + chunk, deadline)
            self._send(conn, struct.pack("!I", 0), deadline)
            return _parse_scan_reply(self._read_reply(conn, deadline))

    # --- the socket ---------------------------------------------------------------------------------------------

    def _connect(self, deadline: float) -> socket.socket:
        connect_timeout = min(self.connect_timeout, _left(deadline, self))
        try:
            if self.socket_path:
                conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                try:
                    conn.settimeout(connect_timeout)
                    conn.connect(self.socket_path)
                except BaseException:
                    conn.close()
                    raise
            else:
                conn = socket.create_connection((self.host, self.port), timeout=connect_timeout)
        except OSError as exc:  # refused, absent socket file, timeout, unknown host
            raise ScannerUnavailable(f"cannot reach clamd at {self!r}: {exc}") from exc
        return conn

    def _send(self, conn: socket.socket, data: bytes, deadline: float) -> None:
        try:
            conn.settimeout(_left(deadline, self))  # sendall's timeout is for all of `data`
            conn.sendall(data)
        except OSError as exc:  # broken pipe, reset, timeout
            reply = self._try_read_reply(conn, min(deadline, time.monotonic() + REASON_WAIT))
            if reply is not None:  # clamd said why it hung up (e.g. the size limit)
                _parse_scan_reply(reply)
            raise ScannerUnavailable(f"clamd connection failed: {exc}") from exc

    def _read_reply(self, conn: socket.socket, deadline: float) -> str:
        buffer = bytearray()
        try:
            while b"\0" not in buffer:
                conn.settimeout(_left(deadline, self))  # what is left, not a fresh wait for each recv
                data = conn.recv(1024)
                if not data:
                    break
                buffer += data
                if len(buffer) > MAX_REPLY_BYTES:
                    raise ScannerUnavailable("clamd sent an over-long reply")
        except OSError as exc:  # includes socket.timeout
            raise ScannerUnavailable(f"no reply from clamd: {exc}") from exc
        if b"\0" not in buffer:
            raise ScannerUnavailable("clamd closed the connection without a reply")
        return buffer.split(b"\0", 1)[0].decode("utf-8", "replace").strip()

    def _try_read_reply(self, conn: socket.socket, deadline: float) -> str | None:
        """A last look for clamd's reason, until `deadline`, not a second full wait."""
        try:
            return self._read_reply(conn, deadline)
        except ScannerUnavailable:
            return None


def _left(deadline: float, scanner: Scanner) -> float:
    """The time left before `deadline`; ScannerUnavailable when none is."""
    left = deadline - time.monotonic()
    if left <= 0:
        raise ScannerUnavailable(f"no verdict from clamd at {scanner!r} within {scanner.timeout:g} s")
    return left


def _readable(conn: socket.socket) -> bool:
    # poll, not select: select fails on descriptors above 1023, which a busy worker can reach.
    poller = select.poll()
    poller.register(conn, select.POLLIN)
    return bool(poller.poll(0))


def _parse_scan_reply(reply: str) -> ScanResult:
    if reply.endswith("ERROR"):
        if "size limit exceeded" in reply:
            raise ScanLimitExceeded(f"clamd: {reply}")
        raise ScannerUnavailable(f"clamd: {reply}")
    # A stream's verdict is prefixed "stream: "; older clamd versions may prefix a request number ("1: stream: ").
    verdict = reply.rsplit("stream: ", 1)[-1] if "stream: " in reply else reply
    if verdict == "OK":
        return ScanResult(clean=True)
    if verdict.endswith(" FOUND"):
        return ScanResult(clean=False, signature=verdict.removesuffix(" FOUND").strip())
    raise ScannerUnavailable(f"unexpected reply from clamd: {reply!r}")


class _Timeouts(TypedDict):
    connect_timeout: float
    timeout: float


def scanner_from_config(config: Mapping[str, Any]) -> Scanner | None:
    """The configured scanner: CLAMD_SOCKET, else CLAMD_HOST (and CLAMD_PORT); None when neither is set."""
    timeouts: _Timeouts = {
        "connect_timeout": float(config.get("CLAMD_CONNECT_TIMEOUT") or DEFAULT_CONNECT_TIMEOUT),
        "timeout": float(config.get("CLAMD_TIMEOUT") or DEFAULT_SCAN_TIMEOUT),
    }
    if config.get("CLAMD_SOCKET"):
        return Scanner(socket_path=config["CLAMD_SOCKET"], **timeouts)
    if config.get("CLAMD_HOST"):
        return Scanner(host=config["CLAMD_HOST"], port=int(config.get("CLAMD_PORT") or DEFAULT_CLAMD_PORT), **timeouts)
    return None
