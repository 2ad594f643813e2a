"""Clients towards mxgate: RawSmtp (byte-exact), smtplib with a timeout, and swaks."""

from __future__ import annotations

import contextlib
import re
import shutil
import smtplib
import socket
import ssl
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from .certs import client_tls_context
from .process import DEFAULT_WAIT, LOOPBACK, HarnessError

SWAKS = shutil.which("swaks") or "/usr/bin/swaks"


@dataclass
class Reply:
    code: int
    lines: list[str]       # text after "NNN-"/"NNN "
    raw: bytes

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    @property
    def enhanced(self) -> str | None:
        m = re.match(r"^([245]\.\d{1,3}\.\d{1,3})\b", self.lines[0] if self.lines else "")
        return m.group(1) if m else None

    def __str__(self):
        return " | ".join(f"{self.code} {l}" for l in self.lines) or str(self.code)

    __repr__ = __str__


def xtext(value: str) -> str:
    """RFC 3461 section 4: "+", "=" and anything outside "!".."~" as "+XX"."""
    return "".join(c if "!" <= c <= "~" and c not in "+=" else "".join(f"+{b:02X}" for b in c.encode("utf-8"))
                   for c in value)


class ConnectionClosed(HarnessError):
    pass


class RawSmtp:
    """A byte-exact SMTP client: send what you want, when you want, and read replies one by one.

    Keeps a receive buffer, so pipelined replies that arrive in one segment are read one
    at a time. starttls() upgrades the socket and returns whatever plaintext was already
    buffered (must be empty for a correct server).
    """

    def __init__(self, port: int, *, host: str = LOOPBACK, timeout: float = DEFAULT_WAIT, implicit_tls: bool = False,
                 read_greeting: bool = True, source: str | None = None):
        """source: the client's own address (any 127.x.y.z works on loopback), to stand for other clients."""
        self.timeout = timeout
        self.sock = socket.create_connection((host, port), timeout=timeout,
                                             source_address=(source, 0) if source else None)
        self.tls = False
        if implicit_tls:
            self.sock = client_tls_context().wrap_socket(self.sock, server_hostname="mx.test")
            self.tls = True
        self.buf = bytearray()
        self.received = bytearray()   # everything ever received (for failure messages)
        self.closed = False
        try:
            self.greeting = self.reply() if read_greeting else None
        except BaseException:
            self.close()
            raise

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        with contextlib.suppress(OSError):
            self.sock.close()

    def send(self, data: bytes | str):
        if isinstance(data, str):
            data = data.encode("utf-8")
        self.sock.sendall(data)

    def _fill(self, timeout: float) -> bool:
        """Read more into the buffer; False on timeout; ConnectionClosed on EOF."""
        self.sock.settimeout(max(timeout, 0.001))
        try:
            chunk = self.sock.recv(65536)
        except (socket.timeout, ssl.SSLWantReadError):
            return False
        except (ConnectionResetError, ssl.SSLError) as exc:
            self.closed = True
            raise ConnectionClosed(f"connection reset while reading ({exc}); received so far: "
                                   f"{bytes(self.received[-500:])!r}")
        if not chunk:
            self.closed = True
            raise ConnectionClosed(f"server closed the connection; received so far: {bytes(self.received[-500:])!r}")
        self.buf += chunk
        self.received += chunk
        return True

    def _parse_one(self) -> Reply | None:
        lines, pos = [], 0
        while True:
            nl = self.buf.find(b"\n", pos)
            if nl < 0:
                return None
            line = bytes(self.buf[pos:nl]).rstrip(b"\r")
            pos = nl + 1
            if len(line) < 3 or not line[:3].isdigit():
                del self.buf[:pos]
                raise HarnessError(f"malformed reply line {line!r} (all received: {bytes(self.received[-500:])!r})")
            lines.append(line)
            if len(line) == 3 or line[3:4] == b" ":
                raw = bytes(self.buf[:pos])
                del self.buf[:pos]
                return Reply(code=int(line[:3]), lines=[l[4:].decode("utf-8", "replace") for l in lines], raw=raw)
            if line[3:4] != b"-":
                raise HarnessError(f"malformed reply line {line!r}")

    def reply(self, timeout: float | None = None) -> Reply:
        """The next complete reply; raises HarnessError on timeout, ConnectionClosed on EOF."""
        timeout = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        while True:
            r = self._parse_one()
            if r is not None:
                return r
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise HarnessError(f"no complete reply within {timeout:.1f}s; buffered {bytes(self.buf)!r}; "
                                   f"all received: {bytes(self.received[-500:])!r}")
            self._fill(remaining)

    def try_reply(self, timeout: float) -> Reply | None:
        """The next reply, or None if none arrives within timeout (EOF still raises ConnectionClosed)."""
        try:
            return self.reply(timeout)
        except ConnectionClosed:
            raise
        except HarnessError as exc:
            if "no complete reply" in str(exc):
                return None
            raise

    def replies(self, n: int, timeout: float | None = None) -> list[Reply]:
        return [self.reply(timeout) for _ in range(n)]

    def cmd(self, line: str | bytes, timeout: float | None = None) -> Reply:
        """Send one command (CRLF appended) and read its reply."""
        if isinstance(line, str):
            line = line.encode("utf-8")
        self.send(line + b"\r\n")
        return self.reply(timeout)

    def ehlo(self, name: str = "client.test") -> Reply:
        return self.cmd(f"EHLO {name}")

    def xclient(self, **attrs: str) -> Reply:
        """XCLIENT NAME=value ... (Postfix XCLIENT_README), values xtext-encoded; the reply (220 when accepted).
        xclient(addr="192.0.2.10", helo="relay.example") sends "XCLIENT ADDR=192.0.2.10 HELO=relay.example"."""
        return self.cmd("XCLIENT " + " ".join(f"{name.upper()}={xtext(str(value))}" for name, value in attrs.items()))

    def pending(self, wait: float = 0.3) -> bytes:
        """Whatever arrives within `wait` seconds (plus what is buffered); b'' if nothing. EOF is allowed."""
        deadline = time.monotonic() + wait
        with contextlib.suppress(ConnectionClosed):
            while time.monotonic() < deadline:
                self._fill(deadline - time.monotonic())
        data = bytes(self.buf)
        self.buf.clear()
        return data

    def wait_closed(self, timeout: float) -> bytes:
        """Read until the server closes; returns the bytes that came before EOF. Raises on timeout."""
        deadline = time.monotonic() + timeout
        start = len(self.received) - len(self.buf)
        try:
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise HarnessError(f"server did not close the connection within {timeout:.1f}s; received: "
                                       f"{bytes(self.received[start:])[-500:]!r}")
                self._fill(remaining)
        except ConnectionClosed:
            return bytes(self.received[start:])

    def starttls(self, server_hostname: str = "mx.test") -> bytes:
        """Upgrade to TLS (after a 220 to STARTTLS). Returns plaintext that was buffered before the handshake."""
        leftover = bytes(self.buf)
        self.buf.clear()
        self.sock.settimeout(self.timeout)
        self.sock = client_tls_context().wrap_socket(self.sock, server_hostname=server_hostname)
        self.tls = True
        return leftover

    def message(self, content: bytes, timeout: float | None = None) -> Reply:
        """Send content (already CRLF, dot-stuffed by the caller if needed) plus CRLF.CRLF; read the reply."""
        if not content.endswith(b"\r\n"):
            content += b"\r\n"
        self.send(content + b".\r\n")
        return self.reply(timeout)


def smtp_client(port: int, *, timeout: float = DEFAULT_WAIT, implicit_tls: bool = False,
                local_hostname: str = "client.test") -> smtplib.SMTP:
    """smtplib connected to mxgate (use as a context manager; smtplib sends QUIT on exit)."""
    if implicit_tls:
        return smtplib.SMTP_SSL(LOOPBACK, port, local_hostname=local_hostname, timeout=timeout,
                                context=client_tls_context())
    return smtplib.SMTP(LOOPBACK, port, local_hostname=local_hostname, timeout=timeout)


def lmtp_client(port: int, *, timeout: float = DEFAULT_WAIT) -> smtplib.LMTP:
    """smtplib's LMTP client (for checking Dovecot itself)."""
    return smtplib.LMTP(LOOPBACK, port, local_hostname="client.test", timeout=timeout)


@dataclass
class SwaksResult:
    returncode: int
    output: str
    argv: list[str]

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def server_lines(self) -> list[str]:
        """Reply lines as swaks shows them ('<-  250 ...' / '<~  250 ...' over TLS)."""
        return [l[4:] for l in self.output.splitlines() if l.startswith(("<- ", "<~ ", "<** ", "<~* "))]

    def __str__(self):
        return f"swaks exit {self.returncode}: {' '.join(self.argv)}\n{self.output[-3000:]}"


def swaks(port: int, *, to: str, from_: str = "sender@example.com", data: bytes | None = None,
          tls: bool = False, tls_on_connect: bool = False, helo: str = "client.test", pipeline: bool = False,
          extra: Iterable[str] = (), workdir: Path | None = None, timeout: float = 30.0) -> SwaksResult:
    """Run swaks against 127.0.0.1:port; exit codes in swaks(1) EXIT CODES (0 ok, 24 no RCPT accepted,
    25 DATA refused, 26 message refused after the dot, 29 TLS error, ...)."""
    argv = [SWAKS, "--server", f"{LOOPBACK}:{port}", "--to", to, "--from", from_, "--helo", helo,
            "--timeout", "15s"]
    if tls:
        argv.append("--tls")
    if tls_on_connect:
        argv.append("--tls-on-connect")
    if pipeline:
        argv.append("--pipeline")
    tmp = None
    if data is not None:
        d = Path(workdir) if workdir else Path(tempfile.mkdtemp(prefix="mxgate-swaks-"))
        tmp = d / f"swaks-{time.monotonic_ns()}.eml"
        # swaks sends the data portion and then CRLF "." CRLF itself: drop our final CRLF.
        tmp.write_bytes(data[:-2] if data.endswith(b"\r\n") else data)
        argv += ["--data", f"@{tmp}"]
    argv += list(extra)
    try:
        p = subprocess.run(argv, capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        raise HarnessError(f"swaks did not finish within {timeout}s: {' '.join(argv)}\n{exc.stdout!r}")
    finally:
        if tmp is not None and workdir is None:
            shutil.rmtree(tmp.parent, ignore_errors=True)
    return SwaksResult(p.returncode, (p.stdout + p.stderr).decode("utf-8", "replace"), argv)
