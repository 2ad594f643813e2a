"""MxgateTestCase (a temp dir per test, peers started with cleanup registered, peer logs
appended to failures) and assertion helpers."""

from __future__ import annotations

import contextlib
import unittest

from .certs import test_certificate
from .clients import RawSmtp, Reply
from .redis import RedisServer
from .dovecot import DovecotLmtp
from .faulty import FaultyBackend
from .messages import lf, split_first_header
from .mxgate import Mxgate
from .nsd import Nsd, SilentDns
from .process import ClosedPort, TestDir
from .sink import SmtpSink


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

    def start_redis(self, **kw) -> RedisServer:
        return self._register(RedisServer(self.tmp, **kw))

    def start_nsd(self, zones: dict[str, str], **kw) -> Nsd:
        return self._register(Nsd(zones, **kw))

    def start_silent_dns(self, **kw) -> SilentDns:
        return self._register(SilentDns(**kw))

    def closed_port(self) -> int:
        """A loopback port that refuses connections and stays so for the test's life."""
        return self._register(ClosedPort()).port

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

    def open_transaction(self, c: RawSmtp, rcpts=("rcpt@example.org",), sender: str = "sender@example.com", *,
                         ehlo: bool = True):
        """EHLO (unless ehlo=False: the session is greeted already), MAIL FROM:<sender>, one RCPT TO
        per recipient and DATA, asserting 250 for each and the 354. Then send with c.message()."""
        if ehlo:
            self.assertReply(c.ehlo(), 250)
        self.assertReply(c.cmd(f"MAIL FROM:<{sender}>"), 250)
        for r in rcpts:
            self.assertReply(c.cmd(f"RCPT TO:<{r}>"), 250, f"RCPT {r}")
        self.assertReply(c.cmd("DATA"), 354)

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
