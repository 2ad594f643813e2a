"""FaultyBackend: an in-process SMTP/LMTP server that records exact bytes and misbehaves on request."""

from __future__ import annotations

import contextlib
import re
import socket
import ssl
import threading
from dataclasses import dataclass, field
from typing import Iterable

from .process import DEFAULT_WAIT, LOOPBACK, Peer, wait_for

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


class FaultyBackend(Peer):
    """A small threaded SMTP/LMTP server that records exactly what it receives and can misbehave.

    Normal behaviour: greeting, EHLO/LHLO with `extensions`, 250 to MAIL/RCPT/RSET/NOOP/XFORWARD,
    220 to XCLIENT (Postfix semantics: the client must EHLO again), 354 to DATA, strict
    CRLF.CRLF end of data (nothing else ends it - so smuggled terminators stay visible in
    the recorded raw message), 250 after the dot (LMTP: one reply per accepted recipient),
    221 to QUIT. It does not offer CHUNKING, so a relay must use DATA.

    tls=ssl.SSLContext (certs.server_tls_context): STARTTLS is offered before TLS and
    answered 220, then the handshake; the session then waits for EHLO again. A failed
    handshake ends the connection and is recorded as the command "<tls handshake failed>".

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
                 hostname: str = "faulty.test", tls: ssl.SSLContext | None = None, start: bool = True):
        preset = dict(self.FAULTS[fault]) if fault else {}
        self.name = name
        self.lmtp = lmtp
        self.hostname = hostname
        self.tls = tls
        self.extensions = list(self.DEFAULT_EXTENSIONS if extensions is None else extensions)
        self.replies = {**preset.get("replies", {}), **(replies or {})}
        self.rcpt_replies = {k.lower(): v for k, v in (rcpt_replies or {}).items()}
        self.close_mid_data_after = close_mid_data_after if close_mid_data_after is not None \
            else preset.get("close_mid_data_after")
        self.sessions: list[BackendSession] = []
        # Transactions (MAIL up to the reply after the dot, or RSET/close) open at once, and the most
        # seen: a gateway releases a connection only after that reply, so this never exceeds the
        # connections it holds, without the race of a close and the next connect seen in either order.
        self.open_transactions = 0
        self.max_open_transactions = 0
        self._seq = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._conns: list[socket.socket] = []
        self._listener: socket.socket | None = None
        self.port = 0
        if start:
            self.start()

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

    # -- recording accessors

    def reset(self):
        """Forget what was recorded so far (connections stay open: mxgate may pool them)."""
        with self._lock:
            for s in self.sessions:
                s.raw.clear()
                s.commands.clear()
                s.messages.clear()

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

    def _count_transaction(self, delta: int):
        with self._lock:
            self.open_transactions += delta
            self.max_open_transactions = max(self.max_open_transactions, self.open_transactions)

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

    def _start_tls(self, conn: socket.socket, session: BackendSession) -> ssl.SSLSocket | None:
        """The server side of the handshake; None (connection closed) when it fails."""
        conn.settimeout(DEFAULT_WAIT)
        try:
            tls_conn = self.tls.wrap_socket(conn, server_side=True)
        except (ssl.SSLError, OSError):
            with self._lock:
                session.commands.append("<tls handshake failed>")
            with contextlib.suppress(OSError):
                conn.close()
            return None
        tls_conn.settimeout(0.1)
        with self._lock:
            self._conns.append(tls_conn)
        return tls_conn

    def _serve(self, conn: socket.socket, session: BackendSession):
        conn.settimeout(0.1)
        buf = bytearray()
        mode = "command"
        hanging = False
        need_more = False
        in_transaction = False
        mail_line, rcpt_lines, accepted_rcpts = "", [], 0

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
                    if self.close_mid_data_after is not None and len(buf) >= self.close_mid_data_after:
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
                    if in_transaction:
                        self._count_transaction(-1)
                        in_transaction = False
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
                line = raw_line.rstrip(b"\r\n").decode("utf-8", "replace")
                with self._lock:
                    session.commands.append(line)
                verb = line.split(" ", 1)[0].upper()
                if verb == "STARTTLS" and self.tls is not None and not isinstance(conn, ssl.SSLSocket):
                    if not self._send(conn, "220 2.0.0 Ready to start TLS"):
                        return
                    buf.clear()  # RFC 3207 section 4: nothing sent before the handshake counts
                    conn = self._start_tls(conn, session)
                    if conn is None:
                        return
                    continue
                if verb in ("EHLO", "LHLO"):
                    offer_tls = self.tls is not None and not isinstance(conn, ssl.SSLSocket)
                    lines = [self.hostname] + self.extensions + (["STARTTLS"] if offer_tls else [])
                    default = "\r\n".join(f"250-{l}" for l in lines[:-1]) + f"\r\n250 {lines[-1]}"
                    value = self._reply_for(verb, session, line, default)
                elif verb == "HELO":
                    value = self._reply_for(verb, session, line, f"250 {self.hostname}")
                elif verb == "MAIL":
                    mail_line, rcpt_lines, accepted_rcpts = line, [], 0
                    if not in_transaction:
                        self._count_transaction(+1)
                        in_transaction = True
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
                elif verb == "XCLIENT":
                    value = self._reply_for(verb, session, line, f"220 {self.hostname} ESMTP faulty")
                elif verb in ("RSET", "NOOP", "XFORWARD"):
                    if verb == "RSET":
                        mail_line, rcpt_lines, accepted_rcpts = "", [], 0
                        if in_transaction:
                            self._count_transaction(-1)
                            in_transaction = False
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
            if in_transaction:
                self._count_transaction(-1)
            with contextlib.suppress(OSError):
                conn.close()


