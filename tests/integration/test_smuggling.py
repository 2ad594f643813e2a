"""SMTP smuggling and input hygiene.

The recording FaultyBackend is the backend here: it ends DATA only at a strict CRLF.CRLF and
keeps every byte, so a fake terminator or a bare CR/LF that mxgate let through is visible.
mxgate's rule: only CRLF.CRLF ends DATA, and a message with a bare CR or bare LF anywhere is
refused whole (550 5.6.0-ish) and never reaches the backend. The hard safety properties
asserted for every variant: the backend gets no message, or exactly one with no bare CR/LF,
never a second message and never the smuggled MAIL FROM; and the client gets exactly one
reply for the whole thing.
"""

import time
import unittest

from harness import (MxgateTestCase, RawSmtp, bare_cr_lf_offsets, crlf, dot_stuff, mxgate_config, simple_message,
                     smtp_backend)

# (name, fake terminator) - each followed by a complete smuggled transaction.
VARIANTS = [
    ("LF.LF", b"\n.\n"),
    ("CRLF.LF", b"\r\n.\n"),
    ("LF.CRLF", b"\n.\r\n"),
    ("CR.CR", b"\r.\r"),
    ("CRLF.CR", b"\r\n.\r"),
    ("CRLF.CR-CRLF", b"\r\n.\r\r\n"),
    ("CR.CRLF", b"\r.\r\n"),
    ("LF.CRCRLF", b"\n.\r\r\n"),
]

HONEST = "honest@example.com"
SMUGGLED = (b"MAIL FROM:<evil@smuggler.test>\r\n"
            b"RCPT TO:<victim@example.org>\r\n"
            b"DATA\r\n"
            b"From: <ceo@example.org>\r\nSubject: smuggled\r\n\r\nsecond message\r\n"
            b".\r\n")


class SmugglingBase(MxgateTestCase):
    def setUp(self):
        super().setUp()
        self.fb = self.start_faulty(name="recorder")
        self.mx = self.start_mxgate(mxgate_config(domains={"example.org": "fb"},
                                                  backends={"fb": smtp_backend(self.fb.address)}))

    def assert_backend_clean(self, context: str):
        time.sleep(0.3)   # let anything mxgate might (wrongly) forward arrive
        msgs = self.fb.messages
        self.assertLessEqual(len(msgs), 1, f"{context}: a second message reached the backend: {msgs}")
        raw = self.fb.all_raw()
        self.assertEqual(bare_cr_lf_offsets(raw), [],
                         f"{context}: bare CR/LF reached the backend at {bare_cr_lf_offsets(raw)[:5]}: {raw[-400:]!r}")
        self.assertFalse([c for c in self.fb.commands() if "smuggler.test" in c.lower()],
                         f"{context}: the smuggled MAIL FROM reached the backend as a command: {self.fb.commands()}")
        for m in msgs:
            self.assertNotIn(b"evil@smuggler.test", m.content,
                             f"{context}: a message carrying the smuggled transaction was relayed: {m.raw!r}")


class Smuggling(SmugglingBase):
    def _attempt(self, name: str, terminator: bytes, split: bool):
        context = f"{name} ({'byte by byte' if split else 'one write'})"
        payload = crlf("From: <honest@example.com>\nSubject: first\n\nfirst message") + terminator + SMUGGLED
        with RawSmtp(self.mx.port()) as c:
            self.open_transaction(c, sender=HONEST)
            if split:
                # The fake terminator and its neighbours one byte per write: the reader must not care.
                head = payload.index(terminator)
                c.send(payload[:head])
                for i in range(head, head + len(terminator) + 6):
                    c.send(payload[i:i + 1])
                    time.sleep(0.01)
                c.send(payload[head + len(terminator) + 6:])
            else:
                c.send(payload)
            first = c.reply(8)
            extra = c.pending(0.5)
            after = c.cmd("RCPT TO:<rcpt@example.org>")
            c.cmd("QUIT")
        # Safety first: what reached the backend. Then the client-visible protocol.
        self.assert_backend_clean(context)
        self.assertEqual(extra, b"", f"{context}: exactly one reply expected for the whole DATA, "
                                     f"got {first} and then {extra!r}")
        self.assertReply(first, "5", f"{context}: message with bare CR/LF must be refused whole (550 5.6.0)")
        self.assertReply(after, "503", f"{context}: no transaction left open after the reject")
        self.assertEqual(self.fb.messages, [], f"{context}: the refused message must not reach the backend")

    def test_fake_terminators_one_write(self):
        for name, term in VARIANTS:
            with self.subTest(variant=name):
                self.fb.reset()
                self._attempt(name, term, split=False)

    def test_fake_terminators_byte_by_byte(self):
        for name, term in VARIANTS:
            with self.subTest(variant=name):
                self.fb.reset()
                self._attempt(name, term, split=True)

    def test_smuggling_then_clean_message_in_same_session(self):
        with RawSmtp(self.mx.port()) as c:
            self.open_transaction(c, sender=HONEST)
            c.send(crlf("Subject: first\n\nfirst") + b"\n.\n" + SMUGGLED)
            self.assertReply(c.reply(8), "5")
            self.open_transaction(c, sender=HONEST, ehlo=False)
            clean = simple_message(subject="clean")
            self.assertReply(c.message(clean), 250)
        [m] = self.fb.wait_messages(1)
        self.assertTrue(m.content.endswith(clean), m.content)
        self.assert_backend_clean("smuggle then clean")

    def test_bare_lf_in_body_refused(self):
        with RawSmtp(self.mx.port()) as c:
            self.open_transaction(c, sender=HONEST)
            self.assertReply(c.message(b"Subject: x\r\n\r\nline one\nline two\r\n"), "5")
        self.assert_backend_clean("bare LF in body")
        self.assertEqual(self.fb.messages, [])

    def test_bare_cr_in_body_refused(self):
        with RawSmtp(self.mx.port()) as c:
            self.open_transaction(c, sender=HONEST)
            self.assertReply(c.message(b"Subject: x\r\n\r\nline one\rline two\r\n"), "5")
        self.assert_backend_clean("bare CR in body")
        self.assertEqual(self.fb.messages, [])

    def test_bare_lf_in_header_refused(self):
        with RawSmtp(self.mx.port()) as c:
            self.open_transaction(c, sender=HONEST)
            self.assertReply(c.message(b"Subject: x\nX-Evil: y\r\n\r\nbody\r\n"), "5")
        self.assertEqual(self.fb.messages, [])

    def test_dot_stuffing_round_trip(self):
        body = crlf("Subject: dots\n\n.\n..\n...\n.leading\n. space\nend\n")
        with RawSmtp(self.mx.port()) as c:
            self.open_transaction(c, sender=HONEST)
            self.assertReply(c.message(dot_stuff(body)), 250)
        [m] = self.fb.wait_messages(1)
        self.assertTrue(m.content.endswith(body), f"unstuffed content differs: {m.content!r}")
        self.assertTrue(m.raw.endswith(dot_stuff(body)), f"mxgate must dot-stuff towards the backend: {m.raw!r}")
        self.assert_backend_clean("dot stuffing")

    def test_terminator_split_across_writes(self):
        with RawSmtp(self.mx.port()) as c:
            self.open_transaction(c, sender=HONEST)
            for piece in (b"Subject: s\r\n\r\nbody\r", b"\n", b".", b"\r", b"\n"):
                c.send(piece)
                time.sleep(0.05)
            self.assertReply(c.reply(), 250)
        [m] = self.fb.wait_messages(1)
        self.assertTrue(m.content.endswith(b"Subject: s\r\n\r\nbody\r\n"), m.content)

    def test_empty_message(self):
        with RawSmtp(self.mx.port()) as c:
            self.open_transaction(c, sender=HONEST)
            c.send(b".\r\n")
            r = c.reply()
            self.assertIn(r.code // 100, (2, 5), f"empty message: accept or refuse, nothing else: {r}")
        self.assert_backend_clean("empty message")


class ChunkingSmuggling(SmugglingBase):
    def test_dot_line_inside_bdat_is_data(self):
        content = b"Subject: bdat\r\n\r\nbefore\r\n.\r\n" + SMUGGLED + b"after\r\n"
        with RawSmtp(self.mx.port()) as c:
            self.assertIn("CHUNKING", c.ehlo().lines)
            self.assertReply(c.cmd("MAIL FROM:<honest@example.com>"), 250)
            self.assertReply(c.cmd("RCPT TO:<rcpt@example.org>"), 250)
            c.send(b"BDAT %d LAST\r\n" % len(content) + content)
            self.assertReply(c.reply(8), 250)
            self.assertEqual(c.pending(0.3), b"")
        [m] = self.fb.wait_messages(1)
        self.assertTrue(m.content.endswith(content), f"BDAT content must arrive whole and unchanged: {m.content!r}")
        self.assertIn(b"\r\n..\r\n", m.raw, "a '.' line from BDAT must be dot-stuffed when relayed with DATA")
        self.assertEqual(len(self.fb.messages), 1)
        self.assertFalse([c for c in self.fb.commands() if "smuggler.test" in c.lower()])

    def test_bare_lf_in_bdat_refused(self):
        content = b"Subject: bdat\r\n\r\nbefore\n.\nafter\r\n"
        with RawSmtp(self.mx.port()) as c:
            c.ehlo()
            c.cmd("MAIL FROM:<honest@example.com>")
            c.cmd("RCPT TO:<rcpt@example.org>")
            c.send(b"BDAT %d LAST\r\n" % len(content) + content)
            self.assertReply(c.reply(8), "5")
        self.assert_backend_clean("bare LF in BDAT")
        self.assertEqual(self.fb.messages, [])


class CommandHygiene(SmugglingBase):
    def test_command_with_bare_lf(self):
        with RawSmtp(self.mx.port()) as c:
            c.ehlo()
            c.send(b"NOOP\n")
            self.assertReply(c.reply(), "500 5.5.2", "a command line ending in bare LF")
            self.assertReply(c.cmd("NOOP"), 250, "the session survives")

    def test_pipelined_command_after_bare_lf_is_not_run(self):
        with RawSmtp(self.mx.port()) as c:
            c.ehlo()
            c.send(b"MAIL FROM:<a@example.com>\nRCPT TO:<rcpt@example.org>\r\n")
            replies = [c.reply()]
            more = c.try_reply(0.5)
            if more:
                replies.append(more)
            self.assertEqual(replies[0].code, 500, f"bare LF line refused: {replies}")
            self.assertNotEqual(replies[-1].code, 250, f"RCPT must not succeed without a valid MAIL: {replies}")

    def test_nul_in_command(self):
        with RawSmtp(self.mx.port()) as c:
            c.ehlo()
            r = c.cmd(b"MAIL FROM:<a@example.com>\x00 SIZE=10")
            self.assertIn(r.code, (500, 501), f"NUL in a command: {r}")
            self.assertReply(c.cmd("RCPT TO:<rcpt@example.org>"), "503", "the NUL-laden MAIL must not have counted")

    def test_non_ascii_in_command(self):
        with RawSmtp(self.mx.port()) as c:
            c.ehlo()
            self.assertReply(c.cmd(b"\xffNOOP"), "500")
            self.assertReply(c.cmd(b"NO\xc3\xa9OP"), "500")
            r = c.cmd(b"HELO h\xffst.test")
            self.assertEqual(r.code // 100, 5, f"invalid UTF-8 in HELO: {r}")
            self.assertReply(c.cmd("NOOP"), 250)

    def test_cr_inside_command(self):
        with RawSmtp(self.mx.port()) as c:
            c.ehlo()
            r = c.cmd(b"MAIL FROM:<a@example.com>\rRCPT TO:<rcpt@example.org>")
            self.assertEqual(r.code // 100, 5, f"a bare CR inside a command line: {r}")
            self.assertEqual(c.pending(0.3), b"", "one reply for one line")


if __name__ == "__main__":
    unittest.main()
