"""Postfix's smtp-sink as the SMTP backend, and parsing of its per-message dump files."""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from .process import DEFAULT_WAIT, LOOPBACK, ManagedProcess, Peer, start_on_port_zero, wait_for

SMTP_SINK = "/usr/sbin/smtp-sink"


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


class SmtpSink(Peer):
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

    def start(self):
        self.proc, self.port = start_on_port_zero(
            [SMTP_SINK, *self.options, "-d", f"{self.dump_dir}/%Y%m%d%H/", f"{LOOPBACK}:0", "100"],
            name=f"smtp-sink {self.name}", log_path=self.log_path, timeout=DEFAULT_WAIT)
        return self

    def stop(self):
        if self.proc:
            self.proc.stop()

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

    def data_ends(self) -> int:
        """How many times the sink received a complete message (end-of-data dot)."""
        return sum(1 for c in self.commands() if c == ".")

    def commands_starting(self, verb: str) -> list[str]:
        return [c for c in self.commands() if c.upper().startswith(verb.upper())]

    def messages(self) -> list[SinkMessage]:
        """Completed (non-empty) dumps. An open transaction's file is empty.

        Ordered by file mtime, which has clock-tick resolution: messages completed within a few
        milliseconds of each other come in random order (the file names are random hex, and the
        -v log names no file). Compare sorted lists or sets.
        """
        found = []
        for p in self.dump_dir.rglob("*"):
            try:
                st = p.stat()
            except FileNotFoundError:   # aborted transaction removed meanwhile
                continue
            if p.is_file() and st.st_size > 0:
                found.append((st.st_mtime_ns, p.name, p))
        out = []
        for _mtime, _name, p in sorted(found):
            try:
                out.append(parse_sink_dump(p))
            except FileNotFoundError:
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
