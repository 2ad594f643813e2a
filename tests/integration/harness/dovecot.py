"""Dovecot's LMTP server, standalone with its own config, as the LMTP backend."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Iterable

from .process import DEFAULT_WAIT, LOOPBACK, STOP_WAIT, HarnessError, ManagedProcess, Peer, start_on_candidate_port, \
    tail, wait_for

DOVECOT = "/usr/sbin/dovecot"


class DovecotLmtp(Peer):
    """dovecot 2.3 LMTP on 127.0.0.1:<ephemeral>, everything under <workdir>/<name>/.

    Users come from a passwd-file (uid/gid nobody); mail goes to
    <workdir>/<name>/mail/<domain>/<user>/ (Maildir: new/ holds delivered files, LF
    line endings, dovecot prepends Return-Path: and its own Received:). An unknown
    user is refused at RCPT with "550 5.1.1 <x> User doesn't exist: x". Dovecot's
    LHLO offers 8BITMIME CHUNKING ENHANCEDSTATUSCODES PIPELINING (no SMTPUTF8, no SIZE).
    `quota`: user -> Dovecot quota_rule storage limit ("1k"); over it, the message is refused
    after the final dot for that user alone with "552 5.2.2 <x> Quota exceeded (mailbox for
    user is full)" (quota_full_tempfail = no; RCPT is not checked, lmtp_rcpt_check_quota = no).
    Started with `dovecot -F -c <conf>`; stopping (SIGTERM) takes about a second. Needs root
    (as in CI): the master drops to dovecot's own users and the mail user nobody, which is why
    the test dir is 0711.
    """

    def __init__(self, workdir: Path, users: Iterable[str] = ("alice@example.net", "bob@example.net"), *,
                 name: str = "dovecot", start: bool = True, quota: dict[str, str] | None = None):
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
        self.quota = dict(quota or {})
        (self.root / "users").write_text("".join(
            f"{u}:{{PLAIN}}secret:{self.uid}:{self.gid}::{self.root}/home/{u}::{self._extra_fields(u)}\n"
            for u in self.users))
        self.conf = self.root / "dovecot.conf"
        self.log_path = self.root / "dovecot.log"
        self.proc: ManagedProcess | None = None
        self.port = 0
        self.name = name
        if start:
            self.start()

    def _extra_fields(self, user: str) -> str:
        return f"userdb_quota_rule=*:storage={self.quota[user]}" if user in self.quota else ""

    def _quota_conf(self) -> str:
        if not self.quota:
            return ""
        return "mail_plugins = $mail_plugins quota\nplugin {\n  quota = maildir:User quota\n}\n"

    def _write_conf(self, port: int):
        r = self.root
        self.conf.write_text(f"""# written by tests/integration/harness/dovecot.py
base_dir = {r}/run
state_dir = {r}/state
log_path = {self.log_path}
info_log_path = {self.log_path}
protocols = lmtp
listen = {LOOPBACK}
ssl = no
mail_location = maildir:{self.mail_root}/%d/%n
{self._quota_conf()}first_valid_uid = 1
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

    def _argv(self, port: int) -> list:
        """Config for this port, checked with `dovecot -n` first (a config error is not a port collision)."""
        self._write_conf(port)
        check = subprocess.run([DOVECOT, "-n", "-c", str(self.conf)], capture_output=True, timeout=30)
        if check.returncode != 0:
            raise HarnessError(f"dovecot -n rejected {self.conf}:\n{check.stderr.decode(errors='replace')}")
        return [DOVECOT, "-F", "-c", self.conf]

    def start(self):
        self.proc, self.port = start_on_candidate_port(self._argv, name="dovecot", log_path=self.root / "dovecot.stderr",
                                                       timeout=10.0, details=self.describe,
                                                       failure_output=lambda proc: proc.output() + self._log())
        return self

    def stop(self):
        if self.proc:
            self.proc.stop(timeout=STOP_WAIT)

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
