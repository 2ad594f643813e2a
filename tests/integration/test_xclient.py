"""XCLIENT (Postfix XCLIENT_README) through the real binary: only clients in xclient_networks may
send it and only they see it in EHLO; an accepted XCLIENT restarts the session as the named client
(new greeting, trust recomputed from the new address), and the new address reaches the backend
(XFORWARD) and the Received header. Authorization follows the connection's own address."""

import unittest

from harness import MxgateTestCase, RawSmtp, mxgate_config, simple_message, smtp_backend

SENDER = "sender@example.com"
RCPT = "user@example.org"


class XclientCase(MxgateTestCase):
    def gateway(self, *, xclient_networks=("127.0.0.0/8",), **cfg):
        sink = self.start_sink()
        cfg.setdefault("domains", {"example.org": "sink"})
        cfg.setdefault("backends", {"sink": smtp_backend(sink.address, client_identity="xforward")})
        mx = self.start_mxgate(mxgate_config(extra={"xclient_networks": list(xclient_networks)}, **cfg))
        return sink, mx

    def test_unauthorized_client_is_refused_and_not_offered_xclient(self):
        _, mx = self.gateway(xclient_networks=("192.0.2.0/24",))
        with RawSmtp(mx.port()) as c:
            ehlo = c.ehlo()
            self.assertReply(ehlo, 250)
            self.assertNotIn("XCLIENT", ehlo.text.upper())
            refused = c.xclient(addr="192.0.2.7")
            self.assertReply(refused, "550 5.7.0")
            self.assertIn("insufficient authorization", refused.text)
            self.assertReply(c.cmd("NOOP"), 250, "the session goes on")
        self.assertEqual(mx.log_lines("xclient"), [])

    def test_default_config_refuses_xclient(self):
        sink = self.start_sink()
        mx = self.start_mxgate(mxgate_config(domains={"example.org": "sink"},
                                             backends={"sink": smtp_backend(sink.address)}))
        with RawSmtp(mx.port()) as c:
            self.assertNotIn("XCLIENT", c.ehlo().text.upper())
            self.assertReply(c.xclient(addr="192.0.2.7"), "550 5.7.0")

    def test_new_client_address_reaches_backend_and_received_header(self):
        sink, mx = self.gateway()
        with RawSmtp(mx.port()) as c:
            ehlo = c.ehlo("frontend.test")
            self.assertIn("XCLIENT ADDR PORT NAME HELO PROTO", ehlo.lines)
            again = c.xclient(addr="192.0.2.7", helo="relay.example")
            self.assertReply(again, 220, "a new greeting, as at a real connect")
            self.assertTrue(again.text.startswith("mx.test "), again)
            self.open_transaction(c, rcpts=(RCPT,))
            self.assertReply(c.message(simple_message(subject="via xclient")), 250)
        [m] = sink.wait_messages(1)
        xforward = " ".join(sink.commands_starting("XFORWARD"))
        self.assertIn("ADDR=192.0.2.7", xforward, f"the backend must be told the new address: {sink.commands()}")
        self.assertNotIn("ADDR=127.0.0.1", xforward)
        received = m.content.split(b"\n", 1)[0]
        self.assertTrue(received.startswith(b"Received: from client.test "), received)
        self.assertIn(b"[192.0.2.7]", received)
        line = mx.wait_log("xclient")
        self.assertEqual((line["from"], line["addr"], line["helo"]), ("127.0.0.1", "192.0.2.7", "relay.example"))

    def test_trust_is_recomputed_from_the_new_address(self):
        _, mx = self.gateway(domains={"example.org": "sink", "*": "sink"}, trusted_networks=["127.0.0.0/8"])
        with RawSmtp(mx.port()) as c:
            c.ehlo()
            self.assertReply(c.cmd(f"MAIL FROM:<{SENDER}>"), 250)
            self.assertReply(c.cmd("RCPT TO:<someone@elsewhere.test>"), 250, "loopback is trusted: may relay")
            self.assertReply(c.cmd("RSET"), 250)
            self.assertReply(c.xclient(addr="192.0.2.7"), 220)
            c.ehlo()
            self.assertReply(c.cmd(f"MAIL FROM:<{SENDER}>"), 250)
            self.assertReply(c.cmd("RCPT TO:<someone@elsewhere.test>"), "550 5.7.1", "192.0.2.7 is not trusted")
            self.assertReply(c.cmd(f"RCPT TO:<{RCPT}>"), 250, "served domains still accepted")
        self.assertEqual(mx.wait_log("xclient")["trusted"], "no")

    def test_unavailable_address_is_unknown_and_never_trusted(self):
        # Postfix: ADDR=[UNAVAILABLE] or [TEMPUNAVAIL] makes the client unknown; keeping the front-end's
        # own (trusted) address would turn every client it cannot name into a trusted relay.
        for unknown in ("[UNAVAILABLE]", "[TEMPUNAVAIL]"):
            with self.subTest(addr=unknown):
                sink, mx = self.gateway(domains={"example.org": "sink", "*": "sink"},
                                        trusted_networks=["127.0.0.0/8"])
                with RawSmtp(mx.port()) as c:
                    c.ehlo()
                    self.assertReply(c.cmd(f"MAIL FROM:<{SENDER}>"), 250)
                    self.assertReply(c.cmd("RCPT TO:<someone@elsewhere.test>"), 250, "the front-end may relay")
                    self.assertReply(c.cmd("RSET"), 250)
                    self.assertReply(c.xclient(addr=unknown, helo="relay.example"), 220)
                    self.assertReply(c.cmd(f"MAIL FROM:<{SENDER}>"), 250)
                    self.assertReply(c.cmd("RCPT TO:<someone@elsewhere.test>"), "550 5.7.1",
                                     "an unknown client is not trusted")
                    self.assertReply(c.cmd(f"RCPT TO:<{RCPT}>"), 250)
                    self.assertReply(c.cmd("DATA"), 354)
                    self.assertReply(c.message(simple_message(subject="unknown client")), 250)
                [m] = sink.wait_messages(1)
                self.assertEqual(m.recipients, [RCPT])
                xforward = sink.commands_starting("XFORWARD")[-1]  # the first is the front-end's relay test
                self.assertIn("ADDR=[UNAVAILABLE]", xforward, "never the front-end's own address")
                received = m.content.split(b"\n", 1)[0]
                self.assertIn(b"(unknown [unknown])", received)
                line = mx.wait_log("xclient")
                self.assertEqual((line["addr"], line["trusted"]), ("unknown", "no"))
                self.assertEqual(mx.wait_log("transaction")["client"], "unknown")
                mx.stop()

    def test_authorization_follows_the_connection_not_the_new_address(self):
        _, mx = self.gateway()
        with RawSmtp(mx.port()) as c:
            self.assertReply(c.xclient(addr="192.0.2.7"), 220)
            self.assertIn("XCLIENT ADDR PORT NAME HELO PROTO", c.ehlo().lines)
            self.assertReply(c.xclient(addr="192.0.2.8", name="relay.example"), 220)
            self.assertReply(c.cmd(f"MAIL FROM:<{SENDER}>"), "503 5.5.1",
                             "no HELO attribute: the new session is not greeted, the old EHLO is forgotten")
        line = mx.wait_log("xclient", addr="192.0.2.8")  # the log is read by another thread: wait, never index
        self.assertEqual((line["from"], line["addr"], line["name"]), ("192.0.2.7", "192.0.2.8", "relay.example"))

    def test_refused_during_a_mail_transaction(self):
        _, mx = self.gateway()
        with RawSmtp(mx.port()) as c:
            c.ehlo()
            self.assertReply(c.cmd(f"MAIL FROM:<{SENDER}>"), 250)
            self.assertReply(c.xclient(addr="192.0.2.7"), "503 5.5.1")
            self.assertReply(c.cmd(f"RCPT TO:<{RCPT}>"), 250, "the transaction goes on")

    def test_bad_attributes_are_501(self):
        _, mx = self.gateway()
        with RawSmtp(mx.port()) as c:
            for line, named in (("XCLIENT LOGIN=joe", "LOGIN"), ("XCLIENT DESTADDR=192.0.2.1", "DESTADDR"),
                                ("XCLIENT ADDR=192.0.2.300", "ADDR"), ("XCLIENT ADDR=2001:db8::1", "ADDR"),
                                ("XCLIENT PORT=70000", "PORT"), ("XCLIENT HELO=a+20b", "HELO"),
                                ("XCLIENT", None), ("XCLIENT ADDR", None)):
                reply = c.cmd(line)
                self.assertReply(reply, "501 5.5.4", line)
                if named:
                    self.assertIn(named, reply.text, line)
            self.assertReply(c.xclient(addr="IPV6:2001:db8::7"), 220, "IPv6 with Postfix's IPV6: tag")
        self.assertEqual(mx.wait_log("xclient")["addr"], "2001:db8::7")

    def test_xtext_helo_is_decoded(self):
        sink, mx = self.gateway()
        with RawSmtp(mx.port()) as c:
            self.assertReply(c.cmd("XCLIENT ADDR=192.0.2.7 HELO=a+2Bb.example"), 220)
            # No EHLO: the HELO attribute counts as the client's HELO.
            self.open_transaction(c, rcpts=(RCPT,), ehlo=False)
            self.assertReply(c.message(simple_message(subject="xtext")), 250)
        [m] = sink.wait_messages(1)
        self.assertTrue(m.content.startswith(b"Received: from a+b.example "), m.content[:200])
        self.assertEqual(mx.wait_log("xclient")["helo"], "a+b.example")
        self.assertIn("HELO=a+2Bb.example", " ".join(sink.commands_starting("XFORWARD")))


if __name__ == "__main__":
    unittest.main()
