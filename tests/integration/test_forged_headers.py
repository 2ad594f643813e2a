"""Forged trace and Authentication-Results fields, through the whole gateway (issue 8, items 1-3).

mxgate removes every Authentication-Results field that claims its authserv-id (RFC 8601 §5) and
never lets client text continue a field it wrote itself. The shapes here are the ones a header
filter that reads the wire instead of the message misses:
- a transparency dot (RFC 5321 §4.5.2): ".Authentication-Results:" on the wire is
  "Authentication-Results:" in the stored message;
- a first content line that starts with white space: behind mxgate's Received field it would
  continue it (a forged "from trusted.example.org" clause), so the message is refused whole;
- a line that is not a field before the forged one, and a name folded before its colon: a lenient
  reader still finds the field there.
Both backends that store what they get are used: the built-in Maildir (as a user of the default
config sees it) and the recording FaultyBackend (the exact bytes), for DATA and BDAT alike.
"""

from harness import (FaultyBackend, MxgateTestCase, RawSmtp, crlf, lf, maildir_backend, mxgate_config, simple_message,
                     smtp_backend)

OURS = "mx.test"   # the tests' server.hostname, and so the default authserv_id
FORGED = f"Authentication-Results: {OURS}; dkim=pass header.d=example.org; dmarc=pass"
HEAD = "From: <ceo@example.org>\nTo: <victim@example.org>\nSubject: forged\n"


class ForgedHeaderCase(MxgateTestCase):
    def gateway(self, backend: str):
        if backend == "maildir":
            self.mx = self.start_mxgate(mxgate_config(domains={"example.org": "local"},
                                                      backends={"local": maildir_backend("maildir")}))
        else:
            self.fb: FaultyBackend = self.start_faulty(name="recorder")
            self.mx = self.start_mxgate(mxgate_config(domains={"example.org": "fb"},
                                                      backends={"fb": smtp_backend(self.fb.address)}))

    def stored(self, backend: str) -> bytes:
        """The one delivered message as the backend keeps it, LF line ends, unstuffed."""
        if backend == "maildir":
            box = self.tmp / "maildir" / "example.org" / "victim" / "new"
            files = sorted(box.glob("*")) if box.is_dir() else []
            self.assertEqual(len(files), 1, f"one message stored, got {files}")
            return files[0].read_bytes()
        [m] = self.fb.wait_messages(1)
        return lf(m.content)

    def nothing_stored(self, backend: str):
        if backend == "maildir":
            box = self.tmp / "maildir" / "example.org" / "victim" / "new"
            self.assertFalse(box.is_dir() and any(box.iterdir()), "a refused message was stored")
        else:
            self.assertEqual(self.fb.messages, [], "a refused message reached the backend")
            self.assertNotIn(b"Subject: forged", self.fb.all_raw(), "not a byte of it may reach the backend")

    def send_data(self, wire: bytes):
        with RawSmtp(self.mx.port()) as c:
            self.open_transaction(c, rcpts=("victim@example.org",))
            return c.message(wire)

    def send_bdat(self, content: bytes):
        cut = len(content) // 2   # two chunks, the boundary inside the header
        with RawSmtp(self.mx.port()) as c:
            self.assertReply(c.ehlo(), 250)
            self.assertReply(c.cmd("MAIL FROM:<sender@example.com>"), 250)
            self.assertReply(c.cmd("RCPT TO:<victim@example.org>"), 250)
            c.send(b"BDAT %d\r\n" % cut + content[:cut])
            self.assertReply(c.reply(), 250)
            c.send(b"BDAT %d LAST\r\n" % (len(content) - cut) + content[cut:])
            return c.reply()

    def assert_no_forged_field(self, stored: bytes, context: str):
        header = stored.split(b"\n\n", 1)[0]
        unfolded = header.replace(b"\n ", b" ").replace(b"\n\t", b"\t")
        for line in unfolded.split(b"\n"):
            name, colon, value = line.partition(b":")
            self.assertFalse(colon and name.strip().lower() == b"authentication-results"
                             and value.strip().lower().startswith(OURS.encode()),
                             f"{context}: a field claiming our authserv-id reached the backend: {line!r}\n{stored!r}")


class DotStuffedField(ForgedHeaderCase):
    """Item 1: the header filter judges the unstuffed message."""

    def check(self, backend: str):
        self.gateway(backend)
        wire = crlf("." + FORGED + "\n" + HEAD + "\nbody\n")
        self.assertReply(self.send_data(wire), 250)
        stored = self.stored(backend)
        self.assert_no_forged_field(stored, backend)
        self.assertIn(lf(crlf(HEAD + "\nbody\n")), stored, "the rest of the message is delivered unchanged")
        self.mx.wait_log("header_removed", field="Authentication-Results", count="1")

    def test_maildir(self):
        self.check("maildir")

    def test_smtp_backend(self):
        self.check("smtp")

    def test_two_dots_are_a_field_with_another_name(self):
        # "..Authentication-Results" is ".Authentication-Results" once unstuffed: not ours, kept.
        self.gateway("smtp")
        wire = crlf(".." + FORGED + "\n" + HEAD + "\nbody\n")
        self.assertReply(self.send_data(wire), 250)
        self.assertIn(lf(crlf("." + FORGED + "\n")), self.stored("smtp"))

    def test_bdat_line_with_a_dot_is_not_our_field(self):
        # BDAT is not dot-stuffed: the same line is the field ".Authentication-Results", kept as
        # it is (mxgate stuffs it for the backend's DATA, the backend unstuffs it again).
        self.gateway("smtp")
        self.assertReply(self.send_bdat(crlf("." + FORGED + "\n" + HEAD + "\nbody\n")), 250)
        self.assertIn(lf(crlf("." + FORGED + "\n" + HEAD)), self.stored("smtp"))

    def test_bdat_forged_field_removed(self):
        self.gateway("maildir")
        self.assertReply(self.send_bdat(crlf(HEAD + FORGED + "\n\nbody\n")), 250)
        self.assert_no_forged_field(self.stored("maildir"), "BDAT")


class LeadingWhiteSpace(ForgedHeaderCase):
    """Item 2: client text never continues a field mxgate wrote."""

    FIRST_LINES = [" from trusted.example.org ([10.0.0.5]) by mx.example.org",
                   "\tfrom trusted.example.org ([10.0.0.5])",
                   ". from trusted.example.org ([10.0.0.5])"]   # a stuffed dot before the space

    def check(self, backend: str, bdat: bool):
        self.gateway(backend)
        for first in self.FIRST_LINES:
            with self.subTest(first=first, bdat=bdat):
                content = crlf(first + "\n" + FORGED + "\n" + HEAD + "\nbody\n")
                if bdat and first.startswith("."):
                    continue   # BDAT has no transparency dots: that line is not white space there
                reply = self.send_bdat(content) if bdat else self.send_data(content)
                self.assertReply(reply, 550, f"refused whole: {first!r}")
                self.assertEqual(reply.enhanced, "5.6.0", reply)
                self.nothing_stored(backend)
        self.mx.wait_log("content_refused")

    def test_data_maildir(self):
        self.check("maildir", bdat=False)

    def test_data_smtp_backend(self):
        self.check("smtp", bdat=False)

    def test_bdat_smtp_backend(self):
        self.check("smtp", bdat=True)

    def test_session_goes_on_after_the_refusal(self):
        self.gateway("smtp")
        with RawSmtp(self.mx.port()) as c:
            self.open_transaction(c, rcpts=("victim@example.org",))
            self.assertReply(c.message(crlf(" x\n" + HEAD + "\nbody\n")), 550)
            self.open_transaction(c, rcpts=("victim@example.org",), ehlo=False)
            clean = simple_message(subject="clean", to="victim@example.org")
            self.assertReply(c.message(clean), 250)
        self.assertTrue(self.stored("smtp").endswith(lf(clean)))


class LenientReaders(ForgedHeaderCase):
    """Item 3 through the gateway: fields a lenient reader would still find."""

    CASES = {
        "after a line that is not a field": "not a field\n" + FORGED + "\n",
        "name folded before its colon": f"Authentication-Results\n : {OURS}; dkim=pass\n",
        "name folded twice": f"Authentication-Results \n \n\t: {OURS}; dmarc=pass\n",
        "id followed by junk": f"Authentication-Results: {OURS} dkim=pass\n",
        "quoted id": f'Authentication-Results: "{OURS}"; dkim=pass\n',
    }

    def test_removed_before_the_backend(self):
        self.gateway("smtp")
        for name, forged in self.CASES.items():
            with self.subTest(name):
                self.fb.reset()
                self.assertReply(self.send_data(crlf(HEAD + forged + "\nbody\n")), 250)
                stored = self.stored("smtp")
                self.assert_no_forged_field(stored, name)
                self.assertIn(b"\nbody\n", stored)


class TraceFields(ForgedHeaderCase):
    """Item 12: client text in the fields mxgate writes is neutered, cut or left out."""

    def deliver(self, helo: str, rcpt: str = "victim@example.org") -> bytes:
        with RawSmtp(self.mx.port()) as c:
            self.assertReply(c.ehlo(helo), 250)
            self.assertReply(c.cmd("MAIL FROM:<sender@example.com>"), 250)
            self.assertReply(c.cmd(f"RCPT TO:<{rcpt}>"), 250)
            self.assertReply(c.cmd("DATA"), 354)
            self.assertReply(c.message(crlf(HEAD + "\nbody\n")), 250)
        [m] = self.fb.wait_messages(1)
        self.fb.reset()
        return m.content

    def test_helo_cannot_forge_the_client_clause(self):
        self.gateway("smtp")
        content = self.deliver("x(mail.example.org[10.0.0.1])")
        self.assertTrue(content.startswith(b"Received: from x?mail.example.org[10.0.0.1]? (unknown [127.0.0.1])\r\n"),
                        content[:200])

    def test_long_helo_keeps_every_line_within_998_octets(self):
        self.gateway("smtp")
        content = self.deliver("a" * 2000)
        header = content.split(b"\r\n\r\n", 1)[0]
        self.assertEqual([len(line) for line in header.split(b"\r\n") if len(line) > 998], [],
                         "RFC 5322 2.1.1: no line over 998 octets")
        self.assertIn(b"Received: from " + b"a" * 255 + b" (", content)

    def test_quoted_recipient_is_left_out_of_the_for_clause(self):
        self.gateway("smtp")
        content = self.deliver("client.test", rcpt='"a>b; c"@example.org')
        received = content.split(b";\r\n", 1)[0]
        self.assertNotIn(b"for <", received, content[:300])
        self.assertIn(b"for <victim@example.org>", self.deliver("client.test"))
