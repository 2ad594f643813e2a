"""Reusable pieces for mxgate's end-to-end tests (STYLE.md section F: real peers, no doubles).

Every process runs on 127.0.0.1 with an ephemeral port, inside a per-test temporary
directory, and is stopped by its own PID (or its own process group, which it got from
start_new_session=True) - never by name. Every wait is bounded and raises with the
recent log lines of the peers, so a hung or crashed peer fails a test instead of
hanging ctest.

Pieces:
  TestDir          per-test temp dir (kept when MXGATE_KEEP_TMP=1, for debugging)
  SmtpSink         Postfix smtp-sink with per-message dump files and a command log
  FaultyBackend    in-process SMTP/LMTP server that records exact bytes and misbehaves on request
  DovecotLmtp      dovecot's LMTP server, standalone, Maildir under the temp dir
  Mxgate           the binary under test ($MXGATE_BIN): config writer, log reader, signals
  RawSmtp          byte-exact client (pipelining, smuggling, STARTTLS injection)
  smtp_client()    smtplib with a timeout; swaks() runs swaks and keeps its transcript
  MxgateTestCase   unittest base class wiring the above with addCleanup and debug output

Only the Python standard library; run with Debian's /usr/bin/python3.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import re
import shutil
import signal
import smtplib
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import unittest
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

LOOPBACK = "127.0.0.1"
SMTP_SINK = "/usr/sbin/smtp-sink"
SMTP_SOURCE = "/usr/sbin/smtp-source"
DOVECOT = "/usr/sbin/dovecot"
SWAKS = shutil.which("swaks") or "/usr/bin/swaks"
OPENSSL = shutil.which("openssl") or "/usr/bin/openssl"

DEFAULT_WAIT = 5.0        # seconds; every wait in this module is bounded
STOP_WAIT = 5.0           # SIGTERM -> SIGKILL grace for helper processes


# --------------------------------------------------------------------------- basics

class HarnessError(AssertionError):
    """A peer or the harness itself misbehaved (timeout, crash, bad setup).

    Subclasses AssertionError so unittest reports it as a test failure with its message.
    """


def wait_for(predicate: Callable[[], object], timeout: float = DEFAULT_WAIT, what: str = "condition",
             interval: float = 0.02, details: Callable[[], str] | None = None):
    """Poll predicate() until it returns something truthy; return that. Raise after timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            extra = ""
            if details is not None:
                try:
                    extra = "\n" + details()
                except Exception as exc:  # details are best effort
                    extra = f"\n(details unavailable: {exc!r})"
            raise HarnessError(f"timed out after {timeout:.1f}s waiting for {what}{extra}")
        time.sleep(interval)


def free_port() -> int:
    """A port that was free a moment ago (bind 0, read it, close). Callers retry on collision."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]


def closed_port() -> int:
    """A loopback port nobody listens on (for 'backend down' tests)."""
    return free_port()


def _socket_inodes(pid: int) -> set[str]:
    inodes = set()
    fd_dir = Path(f"/proc/{pid}/fd")
    try:
        for fd in fd_dir.iterdir():
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    except OSError:
        pass
    return inodes


def listening_ports(pid: int) -> set[int]:
    """TCP ports in LISTEN state whose socket is held by process pid (Linux /proc)."""
    inodes = _socket_inodes(pid)
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            parts = line.split()
            if len(parts) > 9 and parts[3] == "0A" and parts[9] in inodes:
                ports.add(int(parts[1].rsplit(":", 1)[1], 16))
    return ports


def bare_cr_lf_offsets(data: bytes) -> list[int]:
    """Offsets of every CR not followed by LF and every LF not preceded by CR."""
    bad = []
    for i, b in enumerate(data):
        if b == 0x0D and (i + 1 >= len(data) or data[i + 1] != 0x0A):
            bad.append(i)
        elif b == 0x0A and (i == 0 or data[i - 1] != 0x0D):
            bad.append(i)
    return bad


def crlf(text: str | bytes) -> bytes:
    """Normalise any line endings to CRLF (for building test messages)."""
    if isinstance(text, str):
        text = text.encode("utf-8")
    return re.sub(rb"\r?\n", b"\r\n", text)


def lf(data: bytes) -> bytes:
    """CRLF -> LF (smtp-sink and Maildir files store LF line endings)."""
    return data.replace(b"\r\n", b"\n")


def split_first_header(message: bytes) -> tuple[bytes, bytes]:
    """(first header field incl. its continuation lines, rest of the message). Any line endings."""
    m = re.match(rb"([^\r\n]*(?:\r?\n[ \t][^\r\n]*)*\r?\n)", message)
    if not m:
        return b"", message
    return m.group(1), message[m.end():]


def header_names(message: bytes) -> list[str]:
    """Field names of the header section, in order."""
    head = re.split(rb"\r?\n\r?\n", message, maxsplit=1)[0]
    return [line.split(b":", 1)[0].decode("ascii", "replace")
            for line in re.split(rb"\r?\n", head) if line and line[:1] not in (b" ", b"\t")]


def tail(lines: list[str], n: int = 40) -> str:
    return "\n".join(lines[-n:]) if lines else "(no output)"


class TestDir:
    """A temporary directory for one test; removed on exit unless MXGATE_KEEP_TMP=1.

    Mode 0711 so helpers that drop privileges (smtp-sink -u nobody, dovecot's mail
    user nobody) can reach their own subdirectories.
    """

    def __init__(self, prefix: str = "mxgate-it-"):
        self.path = Path(tempfile.mkdtemp(prefix=prefix))
        os.chmod(self.path, 0o711)

    def __enter__(self) -> Path:
        return self.path

    def __exit__(self, *exc):
        self.cleanup()

    def cleanup(self):
        if os.environ.get("MXGATE_KEEP_TMP") == "1":
            sys.stderr.write(f"[harness] keeping {self.path}\n")
            return
        shutil.rmtree(self.path, ignore_errors=True)


class ManagedProcess:
    """A child process in its own session; stopped by PID, then by its own process group."""

    def __init__(self, argv: list[str], *, name: str, cwd: Path | None = None, env: dict | None = None,
                 log_path: Path | None = None, capture_lines: bool = False):
        self.name = name
        self.argv = [str(a) for a in argv]
        self.lines: list[str] = []          # merged stdout+stderr lines when capture_lines
        self._cond = threading.Condition()
        self._log_file = open(log_path, "ab") if log_path else None
        self.log_path = log_path
        self.proc = subprocess.Popen(
            self.argv, cwd=cwd, env=env, start_new_session=True,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE if capture_lines else (self._log_file or subprocess.DEVNULL),
            stderr=subprocess.STDOUT if capture_lines else (self._log_file or subprocess.DEVNULL))
        self.pid = self.proc.pid
        self.we_killed = False
        self._reader = None
        if capture_lines:
            self._reader = threading.Thread(target=self._read, name=f"{name}-reader", daemon=True)
            self._reader.start()

    def _read(self):
        for raw in iter(self.proc.stdout.readline, b""):
            if self._log_file:
                self._log_file.write(raw)
                self._log_file.flush()
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            with self._cond:
                self.lines.append(line)
                self._cond.notify_all()
        with self._cond:
            self._cond.notify_all()

    def wait_line(self, predicate: Callable[[str], bool], timeout: float, what: str,
                  start: int = 0) -> tuple[int, str]:
        """Index and text of the first captured line (from index start) matching predicate."""
        deadline = time.monotonic() + timeout
        with self._cond:
            i = start
            while True:
                while i < len(self.lines):
                    if predicate(self.lines[i]):
                        return i, self.lines[i]
                    i += 1
                if self.proc.poll() is not None and (self._reader is None or not self._reader.is_alive()):
                    raise HarnessError(f"{self.name} exited with status {self.proc.returncode} while waiting "
                                       f"for {what}; last output:\n{tail(self.lines)}")
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise HarnessError(f"timed out after {timeout:.1f}s waiting for {what} from {self.name}; "
                                       f"last output:\n{tail(self.lines)}")
                self._cond.wait(min(remaining, 0.1))

    def alive(self) -> bool:
        return self.proc.poll() is None

    def send_signal(self, sig: int):
        if self.alive():
            os.kill(self.pid, sig)

    def _group_alive(self) -> bool:
        try:
            os.killpg(self.pid, 0)
            return True
        except (ProcessLookupError, PermissionError):
            return False

    def stop(self, timeout: float = STOP_WAIT, sig: int = signal.SIGTERM) -> int | None:
        """sig to the PID, wait up to timeout, then SIGKILL the process group we created."""
        if self.alive():
            try:
                os.kill(self.pid, sig)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.we_killed = True
        if self.alive() or self._group_alive():
            # Children that outlived the leader (dovecot's) share its process group.
            deadline = time.monotonic() + 1.0
            while self._group_alive() and time.monotonic() < deadline and not self.we_killed:
                time.sleep(0.05)
            try:
                os.killpg(self.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(2.0)
        if self._reader is not None:
            self._reader.join(2.0)
            if not self._reader.is_alive() and self.proc.stdout:
                self.proc.stdout.close()
        if self._log_file:
            self._log_file.close()
            self._log_file = None
        return self.proc.returncode

    def output(self) -> str:
        if self._reader is not None:
            return "\n".join(self.lines)
        if self.log_path and self.log_path.exists():
            return self.log_path.read_text(errors="replace")
        return ""


# --------------------------------------------------------------------------- certificates

_CERT_DIR: tempfile.TemporaryDirectory | None = None
_CERT_LOCK = threading.Lock()


def test_certificate() -> tuple[Path, Path]:
    """A self-signed RSA certificate for CN=mx.test, made once per test process (= per module under ctest)."""
    global _CERT_DIR
    with _CERT_LOCK:
        if _CERT_DIR is None:
            _CERT_DIR = tempfile.TemporaryDirectory(prefix="mxgate-cert-")
            atexit.register(_CERT_DIR.cleanup)
            d = Path(_CERT_DIR.name)
            subprocess.run([OPENSSL, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=mx.test",
                            "-addext", "subjectAltName=DNS:mx.test,IP:127.0.0.1", "-days", "2",
                            "-keyout", str(d / "key.pem"), "-out", str(d / "cert.pem")],
                           check=True, capture_output=True, timeout=60)
        d = Path(_CERT_DIR.name)
        return d / "cert.pem", d / "key.pem"


test_certificate.__test__ = False  # not a test, whatever runners think of the name


def client_tls_context() -> ssl.SSLContext:
    """Client context for our self-signed test certificate: encrypt, do not verify."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


# --------------------------------------------------------------------------- smtp-sink

@dataclass
class SinkMessage:
    """One smtp-sink dump file, parsed.

    Dump format (Postfix 3.7 smtp-sink -d): LF line endings (CRs are dropped, bare CR
    vanishes, bare LF becomes a line break, content is dot-unstuffed), then
      X-Client-Addr: 127.0.0.1          always (the TCP peer; XCLIENT/XFORWARD do NOT change it)
      X-Client-Proto: ESMTP|SMTP|LMTP
      X-Helo-Args: <helo>               when HELO/EHLO was seen
      X-Mail-Args: <a@b> SIZE=.. ...    MAIL arguments verbatim
      X-Rcpt-Args: <c@d> NOTIFY=..      one per RCPT (accepted ones)
      Received: from helo ([addr])      3 lines, marks the end of the sink's headers
      \tby smtp-sink (smtp-sink) with ESMTP id <file-suffix>;
      \t<date>
    then the message as received, then one extra empty line.
    """
    path: Path
    client_addr: str
    proto: str
    helo: str | None
    mail_args: str
    rcpt_args: list[str]
    sink_received: bytes
    content: bytes   # message header+body as received, LF line endings

    @property
    def mail_from(self) -> str:
        m = re.match(r"<([^>]*)>", self.mail_args)
        return m.group(1) if m else self.mail_args

    @property
    def recipients(self) -> list[str]:
        out = []
        for args in self.rcpt_args:
            m = re.match(r"<([^>]*)>", args)
            out.append(m.group(1) if m else args)
        return out


def parse_sink_dump(path: Path) -> SinkMessage:
    data = path.read_bytes()
    fields: dict[str, list[str]] = {}
    pos = 0
    received = b""
    while pos < len(data):
        nl = data.find(b"\n", pos)
        if nl < 0:
            break
        line = data[pos:nl]
        if line.startswith(b"Received: "):
            end = nl + 1
            while end < len(data) and data[end:end + 1] == b"\t":
                nxt = data.find(b"\n", end)
                end = len(data) if nxt < 0 else nxt + 1
            received = data[pos:end]
            pos = end
            break
        name, _, value = line.decode("utf-8", "replace").partition(": ")
        fields.setdefault(name, []).append(value)
        pos = nl + 1
    content = data[pos:]
    if content.endswith(b"\n"):   # the dump appends one empty line
        content = content[:-1]
    return SinkMessage(path=path, client_addr=fields.get("X-Client-Addr", [""])[0],
                       proto=fields.get("X-Client-Proto", [""])[0],
                       helo=fields.get("X-Helo-Args", [None])[0],
                       mail_args=fields.get("X-Mail-Args", [""])[0],
                       rcpt_args=fields.get("X-Rcpt-Args", []), sink_received=received, content=content)


class SmtpSink:
    """Postfix's smtp-sink on 127.0.0.1:<ephemeral>, dumping each transaction to a file.

    Always runs with -v, whose output (the command log, one line per received command,
    e.g. "smtp-sink: XFORWARD ADDR=..." and "smtp-sink: ." for each end of data) goes
    to <workdir>/<name>.log. A dump file is created at MAIL, deleted when the
    transaction is aborted (RSET/disconnect), and written when "." arrives - also
    when -f ./-r ./-q . make the sink reject or drop after the dot.

    Behaviour knobs (see smtp-sink(1)); -f/-r imply "no PIPELINING":
      hard_reject=["RCPT"]        -f: 5xx with hard_bounce_reply (default "500 5.3.0 Error: command failed")
      soft_reject=["."]           -r: 4xx with soft_bounce_reply (default "450 4.3.0 Error: command failed")
      disconnect=["DATA"]         -q: drop the connection without replying after the command
      reply_421=["RCPT"]          -Q: "421 4.0.0 Server closing connection" and drop
      delay={".": 5}              -W cmd:seconds before replying
      abort_after_data=0          -A: 550 and stop reading after the DATA reply
      no_pipelining, no_xclient, no_xforward, no_8bitmime, no_esmtp, no_dsn, lmtp, hostname
    Commands are names like MAIL, RCPT, DATA, "." (end of data), RSET, EHLO, XFORWARD.
    There is no per-recipient reject in smtp-sink: use FaultyBackend(rcpt_replies=...).
    """

    def __init__(self, workdir: Path, *, name: str = "sink", hard_reject: Iterable[str] = (),
                 soft_reject: Iterable[str] = (), disconnect: Iterable[str] = (), reply_421: Iterable[str] = (),
                 hard_bounce_reply: str | None = None, soft_bounce_reply: str | None = None,
                 delay: dict[str, float] | None = None, abort_after_data: float | None = None,
                 no_pipelining: bool = False, no_xclient: bool = False, no_xforward: bool = False,
                 no_8bitmime: bool = False, no_esmtp: bool = False, no_dsn: bool = False, lmtp: bool = False,
                 hostname: str | None = None, extra_args: Iterable[str] = (), max_connections: int = 256,
                 start: bool = True):
        self.name = name
        self.workdir = Path(workdir)
        self.dump_dir = self.workdir / f"{name}-dump"
        self.dump_dir.mkdir(mode=0o777, exist_ok=True)
        os.chmod(self.dump_dir, 0o777)   # written by the unprivileged user after -u
        self.log_path = self.workdir / f"{name}.log"
        opts: list[str] = ["-v", "-m", str(max_connections)]
        if os.geteuid() == 0:
            opts += ["-u", "nobody"]     # required when started as root
        for flag, cmds in (("-f", hard_reject), ("-r", soft_reject), ("-q", disconnect), ("-Q", reply_421)):
            cmds = list(cmds)
            if cmds:
                opts += [flag, ",".join(cmds)]
        if hard_bounce_reply:
            opts += ["-B", hard_bounce_reply]
        if soft_bounce_reply:
            opts += ["-b", soft_bounce_reply]
        for cmd, seconds in (delay or {}).items():
            opts += ["-W", f"{cmd}:{int(seconds)}"]
        if abort_after_data is not None:
            opts += ["-A", str(int(abort_after_data))]
        for flag, on in (("-p", no_pipelining), ("-C", no_xclient), ("-F", no_xforward),
                         ("-8", no_8bitmime), ("-e", no_esmtp), ("-N", no_dsn), ("-L", lmtp)):
            if on:
                opts.append(flag)
        if hostname:
            opts += ["-h", hostname]
        self.options = opts + list(extra_args)
        self.proc: ManagedProcess | None = None
        self.port = 0
        if start:
            self.start()

    @property
    def address(self) -> str:
        return f"{LOOPBACK}:{self.port}"

    def start(self):
        last_error = ""
        for _attempt in range(5):
            port = free_port()
            argv = [SMTP_SINK, *self.options, "-d", f"{self.dump_dir}/%Y%m%d%H/", f"{LOOPBACK}:{port}", "100"]
            proc = ManagedProcess(argv, name=f"smtp-sink {self.name}", log_path=self.log_path)
            try:
                wait_for(lambda: port in listening_ports(proc.pid) or not proc.alive(), DEFAULT_WAIT,
                         f"smtp-sink to listen on {port}")
            except HarnessError:
                proc.stop()
                raise
            if proc.alive():
                self.proc, self.port = proc, port
                return self
            last_error = proc.output()
            proc.stop()
            if "in use" not in last_error:
                break
        raise HarnessError(f"smtp-sink did not start: {' '.join(argv)}\n{last_error}")

    def stop(self):
        if self.proc:
            self.proc.stop()

    close = stop

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

    # -- what it received

    def log_lines(self) -> list[str]:
        try:
            return self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return []

    _NOISE = ("name_mask:", "trying...", "connect (", "vstream_tweak_tcp:", "fd=", "smtp_stream_setup:",
              "disconnect", "warning:", "fatal:")

    def commands(self) -> list[str]:
        """Every command line the sink received, in order, as logged by -v ("." = end of data)."""
        out = []
        for line in self.log_lines():
            _, sep, rest = line.partition("smtp-sink: ")
            if sep and not rest.startswith(self._NOISE):
                out.append(rest)
        return out

    def connections(self) -> int:
        return sum(1 for line in self.log_lines() if "smtp-sink: connect (" in line)

    def data_ends(self) -> int:
        """How many times the sink received a complete message (end-of-data dot)."""
        return sum(1 for c in self.commands() if c == ".")

    def commands_starting(self, verb: str) -> list[str]:
        return [c for c in self.commands() if c.upper().startswith(verb.upper())]

    def dump_files(self) -> list[Path]:
        files = [p for p in self.dump_dir.rglob("*") if p.is_file()]
        return sorted(files, key=lambda p: (p.stat().st_mtime_ns, p.name))

    def messages(self) -> list[SinkMessage]:
        """Completed (non-empty) dumps. An open transaction's file is empty.

        Ordered by file mtime, which has clock-tick resolution: messages completed within a few
        milliseconds of each other come in random order. Compare sorted lists or sets.
        """
        out = []
        for p in self.dump_files():
            try:
                if p.stat().st_size > 0:
                    out.append(parse_sink_dump(p))
            except FileNotFoundError:   # aborted transaction removed meanwhile
                pass
        return out

    def wait_messages(self, n: int, timeout: float = DEFAULT_WAIT) -> list[SinkMessage]:
        wait_for(lambda: self.data_ends() >= n and len(self.messages()) >= n, timeout,
                 f"{n} message(s) at smtp-sink {self.name}", details=self.describe)
        time.sleep(0.05)   # the dump is closed right after the dot is logged
        return self.messages()

    def describe(self) -> str:
        return (f"smtp-sink {self.name} on {self.address}: {len(self.messages())} message(s), "
                f"commands: {self.commands()[-30:]}")


# --------------------------------------------------------------------------- FaultyBackend

CLOSE = "<close>"   # FaultyBackend reply: close the connection instead of replying
HANG = "<hang>"     # FaultyBackend reply: never reply; keep reading and recording until stopped


@dataclass
class ReceivedMessage:
    raw: bytes        # exactly as on the wire between the 354 and the terminating CRLF.CRLF (dot-stuffed)
    content: bytes    # dot-unstuffed
    mail: str         # the MAIL command line of this transaction
    rcpts: list[str]  # the RCPT command lines of this transaction
    reply: str        # what the backend answered after the dot (or CLOSE/HANG)
    seq: int = 0      # arrival order across all connections of one FaultyBackend


@dataclass
class BackendSession:
    peer: tuple
    raw: bytearray = field(default_factory=bytearray)   # every byte received, in order
    commands: list[str] = field(default_factory=list)   # command lines (without CRLF)
    messages: list[ReceivedMessage] = field(default_factory=list)
    bare_lf_commands: list[bytes] = field(default_factory=list)  # command lines that ended in bare LF
    closed: bool = False


class FaultyBackend:
    """A small threaded SMTP/LMTP server that records exactly what it receives and can misbehave.

    Normal behaviour: greeting, EHLO/LHLO with `extensions`, 250 to MAIL/RCPT/RSET/NOOP/XFORWARD,
    220 to XCLIENT (Postfix semantics: the client must EHLO again), 354 to DATA, strict
    CRLF.CRLF end of data (nothing else ends it - so smuggled terminators stay visible in
    the recorded raw message), 250 after the dot (LMTP: one reply per accepted recipient),
    221 to QUIT. It does not offer CHUNKING, so a relay must use DATA.

    Misbehaviour: replies={"MAIL": "354 go ahead"} etc. Keys: GREETING, EHLO, HELO, LHLO,
    MAIL, RCPT, DATA, DOT, RSET, NOOP, QUIT, XFORWARD, XCLIENT. A value is a reply string
    ("\\r\\n" between lines of a multi-line reply), raw bytes (sent as is: garbage), CLOSE,
    HANG, or a callable(session, line) returning one of these. rcpt_replies maps a
    lower-case address to a reply for that RCPT. close_mid_data_after=N closes the
    connection once N bytes of message content have arrived. Presets: fault=
      "close_mid_data", "hang_after_dot", "354_to_mail", "garbage", "hang_greeting",
      "close_after_greeting", "reject_dot", "tempfail_dot", "close_after_dot".
    """

    FAULTS = {
        "close_mid_data": dict(close_mid_data_after=1),
        "hang_after_dot": dict(replies={"DOT": HANG}),
        "close_after_dot": dict(replies={"DOT": CLOSE}),
        "354_to_mail": dict(replies={"MAIL": "354 3.0.0 go ahead"}),
        "garbage": dict(replies={"MAIL": b"this is not smtp at all\r\n", "RCPT": b"\x00\xff garbage\r\n"}),
        "hang_greeting": dict(replies={"GREETING": HANG}),
        "close_after_greeting": dict(replies={"EHLO": CLOSE, "LHLO": CLOSE, "HELO": CLOSE}),
        "reject_dot": dict(replies={"DOT": "554 5.7.1 faulty backend rejects this message"}),
        "tempfail_dot": dict(replies={"DOT": "451 4.3.0 faulty backend tempfail"}),
    }
    DEFAULT_EXTENSIONS = ("PIPELINING", "SIZE 104857600", "8BITMIME", "SMTPUTF8", "ENHANCEDSTATUSCODES", "DSN",
                          "XFORWARD NAME ADDR PORT PROTO HELO IDENT SOURCE")

    def __init__(self, *, name: str = "faulty", fault: str | None = None, lmtp: bool = False,
                 extensions: Iterable[str] | None = None, replies: dict | None = None,
                 rcpt_replies: dict[str, str] | None = None, close_mid_data_after: int | None = None,
                 hostname: str = "faulty.test", start: bool = True):
        preset = dict(self.FAULTS[fault]) if fault else {}
        self.name = name
        self.lmtp = lmtp
        self.hostname = hostname
        self.extensions = list(self.DEFAULT_EXTENSIONS if extensions is None else extensions)
        self.replies = {**preset.get("replies", {}), **(replies or {})}
        self.rcpt_replies = {k.lower(): v for k, v in (rcpt_replies or {}).items()}
        self.close_mid_data_after = close_mid_data_after if close_mid_data_after is not None \
            else preset.get("close_mid_data_after")
        self.sessions: list[BackendSession] = []
        self._seq = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._conns: list[socket.socket] = []
        self._listener: socket.socket | None = None
        self.port = 0
        if start:
            self.start()

    @property
    def address(self) -> str:
        return f"{LOOPBACK}:{self.port}"

    def start(self):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((LOOPBACK, 0))
        s.listen(64)
        s.settimeout(0.1)
        self._listener, self.port = s, s.getsockname()[1]
        t = threading.Thread(target=self._accept_loop, name=f"{self.name}-accept", daemon=True)
        t.start()
        self._threads.append(t)
        return self

    def stop(self):
        self._stop.set()
        if self._listener:
            self._listener.close()
        with self._lock:
            conns = list(self._conns)
        for c in conns:
            with contextlib.suppress(OSError):
                c.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                c.close()
        for t in self._threads:
            t.join(2.0)

    close = stop

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

    # -- recording accessors

    def reset(self):
        """Forget what was recorded so far (connections stay open: mxgate may pool them)."""
        with self._lock:
            for s in self.sessions:
                s.raw.clear()
                s.commands.clear()
                s.messages.clear()
                s.bare_lf_commands.clear()

    @property
    def messages(self) -> list[ReceivedMessage]:
        """Every completed message, in the order their final dot arrived (across connections)."""
        with self._lock:
            return sorted((m for s in self.sessions for m in s.messages), key=lambda m: m.seq)

    def all_raw(self) -> bytes:
        with self._lock:
            return b"".join(bytes(s.raw) for s in self.sessions)

    def commands(self) -> list[str]:
        with self._lock:
            return [c for s in self.sessions for c in s.commands]

    def commands_starting(self, verb: str) -> list[str]:
        return [c for c in self.commands() if c.upper().startswith(verb.upper())]

    def wait_messages(self, n: int, timeout: float = DEFAULT_WAIT) -> list[ReceivedMessage]:
        wait_for(lambda: len(self.messages) >= n, timeout, f"{n} message(s) at {self.name}",
                 details=self.describe)
        return self.messages

    def wait_sessions(self, n: int, timeout: float = DEFAULT_WAIT):
        wait_for(lambda: len(self.sessions) >= n, timeout, f"{n} connection(s) to {self.name}",
                 details=self.describe)

    def wait_command(self, verb: str, timeout: float = DEFAULT_WAIT) -> str:
        return wait_for(lambda: (self.commands_starting(verb) or [None])[-1], timeout,
                        f"a {verb} command at {self.name}", details=self.describe)

    def describe(self) -> str:
        raw = self.all_raw()
        return (f"{self.name} on {self.address}: {len(self.sessions)} connection(s), {len(self.messages)} "
                f"message(s); commands: {self.commands()[-30:]}; last bytes: {raw[-300:]!r}")

    # -- server

    def _accept_loop(self):
        while not self._stop.is_set():
            try:
                conn, peer = self._listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            with self._lock:
                self._conns.append(conn)
                session = BackendSession(peer=peer)
                self.sessions.append(session)
            t = threading.Thread(target=self._serve, args=(conn, session), name=f"{self.name}-conn", daemon=True)
            t.start()
            self._threads.append(t)

    def _reply_for(self, key: str, session: BackendSession, line: str, default):
        value = self.replies.get(key, default)
        if callable(value):
            value = value(session, line)
        return value

    def _send(self, conn: socket.socket, value) -> bool:
        """Send a reply value; False when the connection must end (CLOSE) or the peer is gone."""
        if value == HANG:
            return True
        if value == CLOSE:
            return False
        data = value if isinstance(value, bytes) else (value + "\r\n").encode("utf-8")
        try:
            conn.sendall(data)
            return True
        except OSError:
            return False

    def _serve(self, conn: socket.socket, session: BackendSession):
        conn.settimeout(0.1)
        buf = bytearray()
        mode = "command"
        hanging = False
        need_more = False
        mail_line, rcpt_lines, accepted_rcpts = "", [], 0
        data_start = 0

        def receive() -> bool:
            try:
                chunk = conn.recv(65536)
            except socket.timeout:
                return True
            except OSError:
                return False
            if not chunk:
                return False
            with self._lock:
                session.raw += chunk
            buf.extend(chunk)
            return True

        try:
            greeting = self._reply_for("GREETING", session, "", f"220 {self.hostname} ESMTP faulty")
            if greeting == HANG:
                hanging = True
            elif not self._send(conn, greeting):
                return
            while not self._stop.is_set():
                if hanging or need_more or not buf or (mode == "command" and b"\n" not in buf):
                    need_more = False
                    if not receive():
                        return
                    if hanging:
                        buf.clear()
                        continue
                if mode == "data":
                    if self.close_mid_data_after is not None and len(buf) - data_start >= self.close_mid_data_after:
                        return
                    # Strict end of data: CRLF "." CRLF, where the message's first line counts as after CRLF.
                    probe = b"\r\n" + bytes(buf)
                    end = probe.find(b"\r\n.\r\n")
                    if end < 0:
                        need_more = True
                        continue
                    raw = probe[2:end + 2] if end > 0 else b""
                    del buf[:max(0, end + 3)]
                    content = re.sub(rb"(^|\r\n)\.", rb"\1", raw)
                    if self.lmtp:
                        value = self._reply_for("DOT", session, ".", None)
                        values = [value] * accepted_rcpts if value is not None else \
                            ["250 2.0.0 delivered"] * accepted_rcpts
                    else:
                        values = [self._reply_for("DOT", session, ".", "250 2.0.0 Ok: queued as FAULTY")]
                    with self._lock:
                        self._seq += 1
                        session.messages.append(ReceivedMessage(raw=raw, content=content, mail=mail_line,
                                                                rcpts=list(rcpt_lines), reply=str(values[:1]),
                                                                seq=self._seq))
                    mode = "command"
                    mail_line, rcpt_lines, accepted_rcpts = "", [], 0
                    for v in values:
                        if v == HANG:
                            hanging = True
                            break
                        if not self._send(conn, v):
                            return
                    continue
                # command mode
                nl = buf.find(b"\n")
                if nl < 0:
                    continue
                raw_line = bytes(buf[:nl + 1])
                del buf[:nl + 1]
                if not raw_line.endswith(b"\r\n"):
                    session.bare_lf_commands.append(raw_line)
                line = raw_line.rstrip(b"\r\n").decode("utf-8", "replace")
                with self._lock:
                    session.commands.append(line)
                verb = line.split(" ", 1)[0].upper()
                if verb in ("EHLO", "LHLO"):
                    lines = [self.hostname] + self.extensions
                    default = "\r\n".join(f"250-{l}" for l in lines[:-1]) + f"\r\n250 {lines[-1]}"
                    value = self._reply_for(verb, session, line, default)
                elif verb == "HELO":
                    value = self._reply_for(verb, session, line, f"250 {self.hostname}")
                elif verb == "MAIL":
                    mail_line, rcpt_lines, accepted_rcpts = line, [], 0
                    value = self._reply_for(verb, session, line, "250 2.1.0 Ok")
                elif verb == "RCPT":
                    rcpt_lines.append(line)
                    m = re.search(r"<([^>]*)>", line)
                    addr = (m.group(1) if m else "").lower()
                    value = self.rcpt_replies.get(addr) or self._reply_for(verb, session, line, "250 2.1.5 Ok")
                    if isinstance(value, str) and value[:1] == "2":
                        accepted_rcpts += 1
                elif verb == "DATA":
                    value = self._reply_for(verb, session, line, "354 End data with <CR><LF>.<CR><LF>")
                    if isinstance(value, str) and value.startswith("354"):
                        mode = "data"
                        data_start = 0
                elif verb == "XCLIENT":
                    value = self._reply_for(verb, session, line, f"220 {self.hostname} ESMTP faulty")
                elif verb in ("RSET", "NOOP", "XFORWARD"):
                    if verb == "RSET":
                        mail_line, rcpt_lines, accepted_rcpts = "", [], 0
                    value = self._reply_for(verb, session, line, "250 2.0.0 Ok")
                elif verb == "QUIT":
                    self._send(conn, self._reply_for(verb, session, line, "221 2.0.0 Bye"))
                    return
                else:
                    value = self._reply_for(verb, session, line, "502 5.5.2 Error: command not recognized")
                if value == HANG:
                    hanging = True
                    continue
                if not self._send(conn, value):
                    return
        finally:
            with self._lock:
                session.closed = True
            with contextlib.suppress(OSError):
                conn.close()


# --------------------------------------------------------------------------- Dovecot LMTP

class DovecotLmtp:
    """dovecot 2.3 LMTP on 127.0.0.1:<ephemeral>, everything under <workdir>/<name>/.

    Users come from a passwd-file (uid/gid nobody); mail goes to
    <workdir>/<name>/mail/<domain>/<user>/ (Maildir: new/ holds delivered files, LF
    line endings, dovecot prepends Return-Path: and its own Received:). An unknown
    user is refused at RCPT with "550 5.1.1 <x> User doesn't exist: x". Dovecot's
    LHLO offers 8BITMIME CHUNKING ENHANCEDSTATUSCODES PIPELINING (no SMTPUTF8, no SIZE).
    Started with `dovecot -F -c <conf>`; stopping (SIGTERM) takes about a second. Needs root
    (as in CI): the master drops to dovecot's own users and the mail user nobody, which is why
    the test dir is 0711.
    """

    def __init__(self, workdir: Path, users: Iterable[str] = ("alice@example.net", "bob@example.net"), *,
                 name: str = "dovecot", start: bool = True):
        self.root = Path(workdir) / name
        self.root.mkdir(mode=0o711, exist_ok=True)
        os.chmod(self.root, 0o711)
        self.mail_root = self.root / "mail"
        self.mail_root.mkdir(exist_ok=True)
        self.users = list(users)
        uid = gid = 65534 if os.geteuid() == 0 else os.getuid()
        if os.geteuid() == 0:
            os.chown(self.mail_root, uid, gid)
        self.uid = uid
        self.gid = gid if os.geteuid() == 0 else os.getgid()
        (self.root / "users").write_text("".join(
            f"{u}:{{PLAIN}}secret:{self.uid}:{self.gid}::{self.root}/home/{u}::\n" for u in self.users))
        self.conf = self.root / "dovecot.conf"
        self.log_path = self.root / "dovecot.log"
        self.proc: ManagedProcess | None = None
        self.port = 0
        self.name = name
        if start:
            self.start()

    @property
    def address(self) -> str:
        return f"{LOOPBACK}:{self.port}"

    def _write_conf(self, port: int):
        r = self.root
        self.conf.write_text(f"""# written by tests/integration/harness.py
base_dir = {r}/run
state_dir = {r}/state
log_path = {self.log_path}
info_log_path = {self.log_path}
protocols = lmtp
listen = {LOOPBACK}
ssl = no
mail_location = maildir:{self.mail_root}/%d/%n
first_valid_uid = 1
first_valid_gid = 1
passdb {{
  driver = passwd-file
  args = {r}/users
}}
userdb {{
  driver = passwd-file
  args = {r}/users
}}
service lmtp {{
  inet_listener lmtp {{
    address = {LOOPBACK}
    port = {port}
  }}
  unix_listener lmtp {{
    mode = 0
  }}
}}
""")

    def start(self):
        last = ""
        for _attempt in range(5):
            port = free_port()
            self._write_conf(port)
            check = subprocess.run([DOVECOT, "-n", "-c", str(self.conf)], capture_output=True, timeout=30)
            if check.returncode != 0:
                raise HarnessError(f"dovecot -n rejected {self.conf}:\n{check.stderr.decode(errors='replace')}")
            proc = ManagedProcess([DOVECOT, "-F", "-c", self.conf], name="dovecot",
                                  log_path=self.root / "dovecot.stderr")
            try:
                wait_for(lambda: port in listening_ports(proc.pid) or not proc.alive(), 10.0,
                         f"dovecot to listen on {port}", details=self.describe)
            except HarnessError:
                proc.stop()
                raise
            if proc.alive():
                self.proc, self.port = proc, port
                return self
            last = proc.output() + self._log()
            proc.stop()
            if "in use" not in last:
                break
        raise HarnessError(f"dovecot did not start:\n{last}")

    def stop(self):
        if self.proc:
            self.proc.stop(timeout=STOP_WAIT)

    close = stop

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

    def _log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def describe(self) -> str:
        return f"dovecot on {self.address}; log tail:\n{tail(self._log().splitlines(), 20)}"

    def mailbox(self, user: str) -> Path:
        local, _, domain = user.partition("@")
        return self.mail_root / domain / local

    def messages(self, user: str) -> list[bytes]:
        box = self.mailbox(user)
        files = [p for sub in ("new", "cur") for p in (box / sub).glob("*") if p.is_file()]
        return [p.read_bytes() for p in sorted(files, key=lambda p: p.stat().st_mtime_ns)]

    def wait_messages(self, user: str, n: int, timeout: float = DEFAULT_WAIT) -> list[bytes]:
        wait_for(lambda: len(self.messages(user)) >= n, timeout, f"{n} message(s) for {user} in dovecot",
                 details=self.describe)
        return self.messages(user)


# --------------------------------------------------------------------------- logfmt

_LOGFMT = re.compile(r'([A-Za-z_][\w.\-]*)=("(?:[^"\\]|\\.)*"|[^\s"]*)')


def parse_logfmt(line: str) -> dict[str, str]:
    """key=value pairs anywhere in the line; quoted values are unescaped. Prefixes are ignored."""
    out = {}
    for key, value in _LOGFMT.findall(line):
        if value.startswith('"'):
            try:
                value = json.loads(value)
            except ValueError:
                value = value[1:-1].replace('\\"', '"').replace("\\\\", "\\")
        out.setdefault(key, value)
    return out


# --------------------------------------------------------------------------- YAML writer

_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")


def _yaml_scalar(v) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return str(v)
    return json.dumps(str(v), ensure_ascii=False)   # JSON strings are valid YAML double-quoted scalars


def to_yaml(value, indent: int = 0) -> str:
    """Block-style YAML for dicts/lists/scalars (enough for mxgate configs; no PyYAML in the stdlib)."""
    pad = "  " * indent
    if isinstance(value, dict):
        if not value:
            return pad + "{}\n"
        out = []
        for k, v in value.items():
            key = k if _PLAIN_KEY.match(str(k)) and str(k) not in ("true", "false", "null", "yes", "no", "on", "off") \
                else json.dumps(str(k))
            if isinstance(v, (dict, list)) and v:
                out.append(f"{pad}{key}:\n{to_yaml(v, indent + 1)}")
            elif isinstance(v, dict):
                out.append(f"{pad}{key}: {{}}\n")
            elif isinstance(v, list):
                out.append(f"{pad}{key}: []\n")
            else:
                out.append(f"{pad}{key}: {_yaml_scalar(v)}\n")
        return "".join(out)
    if isinstance(value, list):
        if not value:
            return pad + "[]\n"
        out = []
        for item in value:
            if isinstance(item, (dict, list)) and item:
                body = to_yaml(item, indent + 1)
                out.append(f"{pad}- {body.lstrip()}")
            else:
                out.append(f"{pad}- {_yaml_scalar(item) if not isinstance(item, (dict, list)) else '{}'}\n")
        return "".join(out)
    return pad + _yaml_scalar(value) + "\n"


# --------------------------------------------------------------------------- mxgate

def smtp_backend(*servers: str, **extra) -> dict:
    return {"type": "smtp", "servers": list(servers), **extra}


def lmtp_backend(*servers: str, **extra) -> dict:
    return {"type": "lmtp", "servers": list(servers), **extra}


def maildir_backend(path: str = "maildir", **extra) -> dict:
    return {"type": "maildir", "path": path, **extra}


def mxgate_config(*, domains: dict[str, str], backends: dict[str, dict],
                  listeners: Iterable[tuple[str, str]] = (("127.0.0.1:0", "starttls"),),
                  trusted_networks: Iterable[str] = ("10.99.0.0/16",), limits: dict | None = None,
                  timeouts: dict | None = None, tls: bool = True, hostname: str = "mx.test",
                  server: dict | None = None, logging: dict | None = None, extra: dict | None = None) -> dict:
    """A config dict with test-friendly short timeouts. Loopback is NOT trusted unless you say so."""
    cfg = {
        "server": {"hostname": hostname, **(server or {})},
        "listeners": [{"address": addr, "tls": mode} for addr, mode in listeners],
    }
    if tls:
        cfg["tls"] = {"certificate": "cert.pem", "private_key": "key.pem"}
    cfg["trusted_networks"] = list(trusted_networks)
    cfg["domains"] = dict(domains)
    cfg["backends"] = backends
    cfg["timeouts"] = {"command": "5s", "data": "10s", "tls_handshake": "5s", "shutdown": "5s",
                       "backend_connect": "3s", "backend_reply": "5s", "backend_data_done": "5s",
                       **(timeouts or {})}
    if limits:
        cfg["limits"] = dict(limits)
    cfg["logging"] = {"level": "info", **(logging or {})}
    if extra:
        cfg.update(extra)
    return cfg


class Mxgate:
    """The binary under test, started as `$MXGATE_BIN -c <workdir>/<name>.yaml` in the foreground.

    Reads its stderr (logfmt) in a thread. start() waits for one `event=listening
    address=A:P tls=T` per listener and `event=ready`. Ports in the config may be 0; the
    real ones come from those lines (port(tls)). Listeners cannot change on reload, so a
    reload test rewrites everything but `listeners`; pin_ports() gives a config with the real
    ports, for restarting a second process on the same addresses.
    """

    def __init__(self, workdir: Path, config: dict | str, *, name: str = "mxgate", start: bool = True,
                 binary: str | None = None, ready_timeout: float = 10.0):
        self.workdir = Path(workdir)
        self.name = name
        self.binary = binary or os.environ.get("MXGATE_BIN", "")
        self.config_path = self.workdir / f"{name}.yaml"
        self.config: dict | str = config
        cert, key = test_certificate()
        for src, dst in ((cert, "cert.pem"), (key, "key.pem")):
            if not (self.workdir / dst).exists():
                shutil.copy(src, self.workdir / dst)
        self.write_config(config)
        self.proc: ManagedProcess | None = None
        self.listeners: list[tuple[str, int, str]] = []   # (host, port, tls)
        self.ready_timeout = ready_timeout
        self.exit_code: int | None = None
        if start:
            self.start()

    # -- config

    def write_config(self, config: dict | str):
        self.config = config
        text = config if isinstance(config, str) else to_yaml(config)
        tmp = self.config_path.with_suffix(".tmp")
        tmp.write_text(text)
        os.replace(tmp, self.config_path)    # atomic: a reload never sees half a file

    def pin_ports(self, config: dict | None = None) -> dict:
        """The config (default: the current one) with listener ports replaced by the real ones."""
        cfg = json.loads(json.dumps(config if config is not None else self.config))
        for listener, (host, port, _tls) in zip(cfg["listeners"], self.listeners):
            listener["address"] = f"{host}:{port}" if ":" not in host else f"[{host}]:{port}"
        return cfg

    # -- process

    @staticmethod
    def check_binary(binary: str | None = None) -> str:
        binary = binary if binary is not None else os.environ.get("MXGATE_BIN", "")
        if not binary:
            raise HarnessError("MXGATE_BIN is not set: run these tests through ctest (it sets MXGATE_BIN to the "
                               "built mxgate) or export MXGATE_BIN=/path/to/build/mxgate")
        if not os.access(binary, os.X_OK):
            raise HarnessError(f"MXGATE_BIN={binary} is not an executable file: build mxgate first")
        return binary

    def start(self):
        self.check_binary(self.binary)
        self.proc = ManagedProcess([self.binary, "-c", str(self.config_path)], name=self.name, cwd=self.workdir,
                                   log_path=self.workdir / f"{self.name}.log", capture_lines=True)
        expected = len(self.config["listeners"]) if isinstance(self.config, dict) else 1
        self.listeners = []
        self._listen_seen = 0
        for _ in range(expected):
            i, line = self.proc.wait_line(lambda l: parse_logfmt(l).get("event") == "listening",
                                          self.ready_timeout, "an event=listening line",
                                          start=self._next_index())
            self._listen_seen = i + 1
            self._add_listener(parse_logfmt(line), line)
        self.proc.wait_line(lambda l: parse_logfmt(l).get("event") == "ready", self.ready_timeout,
                            "event=ready")
        return self

    def _next_index(self) -> int:
        return getattr(self, "_listen_seen", 0)

    def _add_listener(self, fields: dict, line: str):
        addr = fields.get("address", "")
        m = re.match(r"^\[?([^\]]*)\]?:(\d+)$", addr)
        if not m:
            raise HarnessError(f"cannot parse listener address in: {line}")
        self.listeners.append((m.group(1), int(m.group(2)), fields.get("tls", "none")))

    def port(self, tls: str | None = None) -> int:
        """Port of the first listener with this tls mode (none|starttls|implicit); any when None."""
        for _host, port, mode in self.listeners:
            if tls is None or mode == tls:
                return port
        raise HarnessError(f"no listener with tls={tls}; have {self.listeners}")

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc is not None and self.proc.alive()

    def assert_alive(self):
        if not self.alive():
            raise HarnessError(f"mxgate died (exit status {self.proc.proc.returncode if self.proc else None}); "
                               f"last log lines:\n{self.tail()}")

    def reload(self, wait_log: bool = True, timeout: float = 5.0) -> dict | None:
        """SIGHUP; with wait_log, wait for a new log line whose event mentions 'reload'
        (config_reloaded / config_reload_failed, docs/configuration.md) and return its fields."""
        start = len(self.proc.lines)
        self.proc.send_signal(signal.SIGHUP)
        if not wait_log:
            return None
        try:
            _, line = self.proc.wait_line(lambda l: "reload" in parse_logfmt(l).get("event", ""), timeout,
                                          "a log line with event=*reload* after SIGHUP", start=start)
            return parse_logfmt(line)
        except HarnessError:
            return None

    def terminate(self):
        """SIGTERM only (graceful drain); use wait_exit() afterwards."""
        self.proc.send_signal(signal.SIGTERM)

    def wait_exit(self, timeout: float) -> int:
        try:
            self.exit_code = self.proc.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            raise HarnessError(f"mxgate did not exit within {timeout:.1f}s; last log lines:\n{self.tail()}")
        return self.exit_code

    def stop(self, timeout: float = 10.0) -> int | None:
        """SIGTERM, wait up to timeout, then SIGKILL. Returns the exit status (negative = signal)."""
        if self.proc is None:
            return None
        self.exit_code = self.proc.stop(timeout=timeout)
        return self.exit_code

    def close(self):
        """Cleanup hook: stop, and report a crash (death by a signal we did not send) as a failure."""
        if self.proc is None:
            return
        was_alive = self.proc.alive()
        rc = self.stop()
        crashed = rc is not None and rc < 0 and not (self.proc.we_killed and rc == -signal.SIGKILL)
        if crashed or (not was_alive and rc not in (0, None) and not getattr(self, "expect_exit", False)):
            hint = ""
            if rc == -signal.SIGTERM:
                hint = " - killed by SIGTERM's default action: are signal handlers installed before event=ready?"
            elif rc is not None and rc < 0:
                hint = f" - died of signal {signal.Signals(-rc).name}"
            raise HarnessError(f"mxgate ended abnormally (status {rc}){hint}; last log lines:\n{self.tail()}")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- logs

    def lines(self) -> list[str]:
        return list(self.proc.lines) if self.proc else []

    def tail(self, n: int = 40) -> str:
        return tail(self.lines(), n)

    def log_lines(self, event: str | None = None, **match: str) -> list[dict]:
        out = []
        for line in self.lines():
            fields = parse_logfmt(line)
            if event is not None and fields.get("event") != event:
                continue
            if all(fields.get(k) == v for k, v in match.items()):
                out.append(fields)
        return out

    def wait_log(self, event: str, timeout: float = DEFAULT_WAIT, **match: str) -> dict:
        _, line = self.proc.wait_line(
            lambda l: (f := parse_logfmt(l)).get("event") == event and all(f.get(k) == v for k, v in match.items()),
            timeout, f"event={event} {match}")
        return parse_logfmt(line)

    def check_config(self, path: Path | None = None, timeout: float = 30.0) -> subprocess.CompletedProcess:
        return run_check_config(path or self.config_path, self.binary, timeout)


def run_check_config(path: Path, binary: str | None = None, timeout: float = 30.0) -> subprocess.CompletedProcess:
    binary = Mxgate.check_binary(binary)
    return subprocess.run([binary, "--check-config", str(path)], capture_output=True, text=True, timeout=timeout,
                          cwd=Path(path).parent)


# --------------------------------------------------------------------------- clients

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

    @property
    def cls(self) -> int:
        return self.code // 100

    def __str__(self):
        return " | ".join(f"{self.code} {l}" for l in self.lines) or str(self.code)

    __repr__ = __str__


class ConnectionClosed(HarnessError):
    pass


class RawSmtp:
    """A byte-exact SMTP client: send what you want, when you want, and read replies one by one.

    Keeps a receive buffer, so pipelined replies that arrive in one segment are read one
    at a time. starttls() upgrades the socket and returns whatever plaintext was already
    buffered (must be empty for a correct server).
    """

    def __init__(self, port: int, *, host: str = LOOPBACK, timeout: float = DEFAULT_WAIT, implicit_tls: bool = False,
                 read_greeting: bool = True):
        self.timeout = timeout
        self.sock = socket.create_connection((host, port), timeout=timeout)
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
                raw = bytes(self.buf[:pos])
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


def dot_stuff(content: bytes) -> bytes:
    return re.sub(rb"(^|\r\n)\.", rb"\1..", content)


def smtp_client(port: int, *, timeout: float = DEFAULT_WAIT, implicit_tls: bool = False,
                local_hostname: str = "client.test") -> smtplib.SMTP:
    """smtplib connected to mxgate (use as a context manager; smtplib sends QUIT on exit)."""
    if implicit_tls:
        return smtplib.SMTP_SSL(LOOPBACK, port, local_hostname=local_hostname, timeout=timeout,
                                context=client_tls_context())
    return smtplib.SMTP(LOOPBACK, port, local_hostname=local_hostname, timeout=timeout)


def lmtp_client(port: int, *, timeout: float = DEFAULT_WAIT) -> smtplib.LMTP:
    c = smtplib.LMTP(LOOPBACK, port, local_hostname="client.test", timeout=timeout)
    return c


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


# --------------------------------------------------------------------------- test case base

class MxgateTestCase(unittest.TestCase):
    """Base class: a temp dir per test, start_* helpers that register cleanup, and on failure the
    recent output of every peer appended to the failure text."""

    needs_mxgate = True
    maxDiff = 4000

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if cls.needs_mxgate:
            Mxgate.check_binary()      # one clear error for the whole class when the binary is missing
            test_certificate()

    def setUp(self):
        super().setUp()
        self._peers: list = []
        self._debug_snapshot = ""
        self.tmp = self.enterContext(TestDir(prefix=f"mxgate-{self.id().rsplit('.', 1)[-1][:40]}-"))
        # Runs after the peers are stopped and before the directory goes: keep their logs for run().
        self.addCleanup(self._snapshot_debug_info)

    def _snapshot_debug_info(self):
        self._debug_snapshot = self.debug_info()

    # -- starting peers (each registers its own cleanup, in reverse start order)

    def _register(self, peer):
        self._peers.append(peer)
        self.addCleanup(peer.close)
        return peer

    def start_sink(self, **kw) -> SmtpSink:
        kw.setdefault("name", f"sink{sum(isinstance(p, SmtpSink) for p in self._peers) or ''}")
        return self._register(SmtpSink(self.tmp, **kw))

    def start_faulty(self, **kw) -> FaultyBackend:
        kw.setdefault("name", f"faulty{sum(isinstance(p, FaultyBackend) for p in self._peers) or ''}")
        return self._register(FaultyBackend(**kw))

    def start_dovecot(self, **kw) -> DovecotLmtp:
        return self._register(DovecotLmtp(self.tmp, **kw))

    def start_mxgate(self, config: dict | str, **kw) -> Mxgate:
        mx = Mxgate(self.tmp, config, start=False, **kw)
        self._register(mx)
        mx.start()
        return mx

    # -- assertions with context

    def debug_info(self) -> str:
        parts = []
        for p in self._peers:
            if isinstance(p, Mxgate):
                parts.append(f"--- {p.name} log (last lines):\n{p.tail(60)}")
            elif hasattr(p, "describe"):
                with contextlib.suppress(Exception):
                    parts.append(f"--- {p.describe()}")
        return "\n".join(parts)

    def assertReply(self, reply: Reply, expected: int | str, msg: str = ""):
        """expected: 250 (exact code), '2' / '4' / '5' (class), or '550 5.7.1' (code + enhanced)."""
        exp = str(expected)
        code, _, enh = exp.partition(" ")
        ok = str(reply.code).startswith(code) if len(code) < 3 else reply.code == int(code)
        if ok and enh:
            ok = (reply.enhanced or "").startswith(enh)
        if not ok:
            self.fail(f"expected reply {exp}{'x' * (3 - len(code)) if len(code) < 3 else ''}, got {reply}"
                      f"{' - ' + msg if msg else ''}")

    def run(self, result=None):
        # Append peer logs to this test's failure text: the transcript explains most failures.
        before = (len(result.failures), len(result.errors)) if result is not None else None
        self._peers = []
        self._debug_snapshot = ""
        out = super().run(result)
        if result is not None and before is not None:
            for lst, start in ((result.failures, before[0]), (result.errors, before[1])):
                for i in range(start, len(lst)):
                    test, text = lst[i]
                    if test is self:
                        info = self._debug_snapshot or self.debug_info()
                        if info:
                            lst[i] = (test, f"{text}\n{info}\n")
        return out


def simple_message(subject: str = "test", body: str = "Hello.\n", extra_headers: str = "",
                   sender: str = "sender@example.com", to: str = "rcpt@example.org") -> bytes:
    """An RFC 5322 message with CRLF line endings."""
    return crlf(f"From: <{sender}>\nTo: <{to}>\nSubject: {subject}\nMessage-ID: <{time.monotonic_ns()}@client.test>\n"
                f"{extra_headers}\n{body}")


def assert_received_prepended(testcase: unittest.TestCase, original: bytes, delivered_lf: bytes,
                              by: str | None = "mx.test"):
    """delivered (LF endings, as stored by smtp-sink/Maildir) == one new Received: header + original."""
    first, rest = split_first_header(delivered_lf)
    testcase.assertTrue(first.startswith(b"Received:"),
                        f"first delivered header should be mxgate's Received:, got {first[:200]!r}")
    if by:
        testcase.assertIn(by.encode(), first, f"Received: header should name {by}: {first!r}")
    testcase.assertEqual(rest, lf(original),
                         "message content changed in transit (apart from the prepended Received: header)")
