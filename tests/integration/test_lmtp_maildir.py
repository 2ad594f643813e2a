"""LMTP delivery to a real Dovecot, and mxgate's built-in Maildir store."""

import time
import unittest
from pathlib import Path

from harness import (MxgateTestCase, RawSmtp, assert_received_prepended, crlf, lf, lmtp_backend, maildir_backend,
                     mxgate_config, simple_message, smtp_client, swaks)


class Lmtp(MxgateTestCase):
    def setUp(self):
        super().setUp()
        self.dc = self.start_dovecot()
        # Several recipients per transaction: test_lmtp_recipients.py.
        self.mx = self.start_mxgate(mxgate_config(domains={"example.net": "store"},
                                                  backends={"store": lmtp_backend(self.dc.address)},
                                                  extra={"state": {"sqlite": {"path": str(self.tmp / "state.db")}}}))

    def test_delivery_to_dovecot(self):
        msg = simple_message(subject="to alice", to="alice@example.net", body="Hi Alice\n.dot line\n")
        with smtp_client(self.mx.port()) as c:
            self.assertEqual(c.sendmail("s@example.com", ["alice@example.net"], msg), {})
        [stored] = self.dc.wait_messages("alice@example.net", 1)
        # Dovecot prepends Return-Path: and its own Received:; ours comes right after those.
        self.assertIn(b"Return-Path: <s@example.com>", stored)
        idx = stored.find(b"Received:", stored.find(b"Received:") + 1)
        self.assertGreater(idx, 0, f"mxgate's Received: expected after dovecot's: {stored[:600]!r}")
        assert_received_prepended(self, msg, stored[idx:])

    def test_unknown_user_passed_through(self):
        with RawSmtp(self.mx.port()) as c:
            c.ehlo()
            self.assertReply(c.cmd("MAIL FROM:<s@example.com>"), 250)
            self.assertReply(c.cmd("RCPT TO:<nobody@example.net>"), "550 5.1.1", "dovecot's unknown-user reply")

    def test_swaks_to_lmtp(self):
        r = swaks(self.mx.port(), to="bob@example.net", data=simple_message(to="bob@example.net"), workdir=self.tmp)
        self.assertTrue(r.ok, str(r))
        self.dc.wait_messages("bob@example.net", 1)

    def test_bdat_to_lmtp(self):
        content = crlf("Subject: chunked\n\npart one\n")
        more = crlf(".part two with a leading dot\nend\n")
        with RawSmtp(self.mx.port()) as c:
            c.ehlo()
            c.cmd("MAIL FROM:<s@example.com>")
            self.assertReply(c.cmd("RCPT TO:<alice@example.net>"), 250)
            c.send(b"BDAT %d\r\n" % len(content) + content)
            self.assertReply(c.reply(), 250)
            c.send(b"BDAT %d LAST\r\n" % len(more) + more)
            self.assertReply(c.reply(), 250)
        [stored] = self.dc.wait_messages("alice@example.net", 1)
        self.assertTrue(stored.endswith(lf(content + more)), stored)


class Maildir(MxgateTestCase):
    def setUp(self):
        super().setUp()
        self.mx = self.start_mxgate(mxgate_config(domains={"example.com": "local"},
                                                  backends={"local": maildir_backend("maildir")}))
        self.root = self.tmp / "maildir"

    def files(self, user: str, sub: str = "new") -> list[Path]:
        local, _, domain = user.partition("@")
        d = self.root / domain / local / sub
        return sorted(p for p in d.glob("*") if p.is_file()) if d.is_dir() else []

    def test_delivery(self):
        msg = simple_message(subject="maildir", to="carol@example.com", body="Hello Carol\n")
        with smtp_client(self.mx.port()) as c:
            self.assertEqual(c.sendmail("s@example.com", ["carol@example.com"], msg), {})
        [f] = self.files("carol@example.com")
        self.assertEqual(self.files("carol@example.com", "tmp"), [], "tmp/ must be empty after the rename")
        stored = lf(f.read_bytes())
        return_path, _, rest = stored.partition(b"\n")
        self.assertEqual(return_path, b"Return-Path: <s@example.com>", "RFC 5321 4.4: final delivery adds it")
        assert_received_prepended(self, msg, rest)
        self.assertRegex(f.name, r"^\d+\.", "Maildir file names start with the delivery time")

    def test_two_messages_two_files(self):
        with smtp_client(self.mx.port()) as c:
            for i in range(2):
                c.sendmail("s@example.com", ["dave@example.com"], simple_message(subject=f"n{i}"))
        files = self.files("dave@example.com")
        self.assertEqual(len(files), 2, files)
        self.assertEqual(len({f.name for f in files}), 2)

    def test_several_recipients(self):
        with RawSmtp(self.mx.port()) as c:
            c.ehlo()
            c.cmd("MAIL FROM:<s@example.com>")
            self.assertReply(c.cmd("RCPT TO:<erin@example.com>"), 250)
            second = c.cmd("RCPT TO:<frank@example.com>")
            self.assertReply(c.cmd("DATA"), 354)
            self.assertReply(c.message(simple_message()), 250)
        self.assertEqual(len(self.files("erin@example.com")), 1)
        self.assertEqual(len(self.files("frank@example.com")), 1 if second.code == 250 else 0,
                         f"second recipient got {second}")

    def test_no_path_traversal(self):
        with RawSmtp(self.mx.port()) as c:
            c.ehlo()
            c.cmd("MAIL FROM:<s@example.com>")
            replies = [c.cmd(f"RCPT TO:<{a}>") for a in
                       ('"../../escape"@example.com', '"a/b"@example.com', '".."@example.com', '"."@example.com')]
            if any(r.code == 250 for r in replies):
                c.cmd("DATA")
                c.message(simple_message())
        time.sleep(0.2)
        outside = [p for p in self.tmp.rglob("*") if p.is_file() and self.root not in p.parents
                   and p.parent.name in ("new", "tmp", "cur")]
        self.assertEqual(outside, [], f"files written outside the Maildir root; replies: {replies}")
        for p in self.root.rglob("*"):
            rel = p.relative_to(self.root).parts
            self.assertNotIn("..", rel)
            if p.is_file():
                self.assertEqual(len(rel), 4, f"unexpected layout <domain>/<local>/new/<file>: {rel}")

    def test_unserved_domain_still_refused(self):
        with RawSmtp(self.mx.port()) as c:
            c.ehlo()
            c.cmd("MAIL FROM:<s@example.com>")
            self.assertReply(c.cmd("RCPT TO:<x@example.net>"), "550 5.7.1")


class MaildirMailboxes(MxgateTestCase):
    """Bounds on the folders the store creates: a mailbox list, existing folders only, and
    a cap on new folders per message (answered per recipient at RCPT)."""

    def gateway(self, **maildir):
        self.root = self.tmp / "maildir"
        return self.start_mxgate(mxgate_config(domains={"example.com": "local", "example.net": "local"},
                                               backends={"local": maildir_backend("maildir", **maildir)}))

    def mailboxes(self) -> set[str]:
        return {f"{box.name}@{domain.name}" for domain in self.root.iterdir() for box in domain.iterdir()}

    def transaction(self, mx, answers: dict[str, str]):
        """RCPT each address, assert its reply, then send the message to the accepted ones."""
        with RawSmtp(mx.port()) as c:
            c.ehlo()
            self.assertReply(c.cmd("MAIL FROM:<sender@example.org>"), 250)
            for rcpt, expected in answers.items():
                self.assertReply(c.cmd(f"RCPT TO:<{rcpt}>"), expected, rcpt)
            self.assertReply(c.cmd("DATA"), 354)
            self.assertReply(c.message(simple_message()), 250)

    def test_only_listed_mailboxes(self):
        mx = self.gateway(mailboxes=["alice", "Bob@example.com"])
        self.transaction(mx, {"alice@example.com": 250, "ALICE@example.net": 250, "bob@example.com": 250,
                              "bob@example.net": "550 5.1.1", "carol@example.com": "550 5.1.1"})
        self.assertEqual(self.mailboxes(), {"alice@example.com", "alice@example.net", "bob@example.com"})

    def test_existing_folders_only(self):
        (self.tmp / "maildir" / "example.com" / "alice").mkdir(parents=True)
        mx = self.gateway(create_mailboxes=False)
        self.transaction(mx, {"alice@example.com": 250, "carol@example.com": "550 5.1.1"})
        self.assertEqual(self.mailboxes(), {"alice@example.com"})
        self.assertEqual(len(list((self.root / "example.com" / "alice" / "new").iterdir())), 1)

    def test_new_folders_per_message_are_capped_and_the_rest_retried(self):
        (self.tmp / "maildir" / "example.com" / "alice").mkdir(parents=True)
        mx = self.gateway(max_new_mailboxes_per_message=2)
        over = "452 4.5.3"
        self.transaction(mx, {"alice@example.com": 250, "u1@example.com": 250, "u1@EXAMPLE.com": 250,
                              "u2@example.com": 250, "u3@example.com": over, "u4@example.com": over,
                              "alice@example.net": over})
        self.assertEqual(self.mailboxes(), {"alice@example.com", "u1@example.com", "u2@example.com"},
                         "a recipient answered 452 leaves no folder behind")
        self.transaction(mx, {"u3@example.com": 250, "u4@example.com": 250, "u1@example.com": 250})
        self.assertIn("u4@example.com", self.mailboxes(), "the client's retry creates the rest")


if __name__ == "__main__":
    unittest.main()
