"""Relay through mxgate to smtp-sink: content integrity, pipelining, ESMTP extensions, relay
control, passing backend replies through, client identity (XFORWARD/XCLIENT)."""

import unittest

from harness import (MxgateTestCase, RawSmtp, assert_received_prepended, crlf, mxgate_config,
                     simple_message, smtp_backend, smtp_client, split_first_header, swaks)

SENDER = "sender@example.com"


class RelayBase(MxgateTestCase):
    def gateway(self, sink=None, *, backend_extra=None, **cfg):
        """smtp-sink (unless given) + mxgate routing example.org to it; loopback not trusted."""
        sink = sink or self.start_sink()
        cfg.setdefault("domains", {"example.org": "sink"})
        cfg.setdefault("backends", {"sink": smtp_backend(sink.address, **(backend_extra or {}))})
        mx = self.start_mxgate(mxgate_config(**cfg))
        return sink, mx


class ContentIntegrity(RelayBase):
    def test_swaks_relay(self):
        sink, mx = self.gateway()
        msg = simple_message(subject="swaks relay", body="Hello from swaks.\n")
        r = swaks(mx.port("starttls"), to="user@example.org", from_=SENDER, data=msg, workdir=self.tmp)
        self.assertTrue(r.ok, f"swaks should deliver through mxgate: {r}")
        [m] = sink.wait_messages(1)
        self.assertEqual(m.recipients, ["user@example.org"])
        self.assertEqual(m.mail_from, SENDER)
        assert_received_prepended(self, msg, m.content)

    def test_smtplib_content_identical_except_received(self):
        sink, mx = self.gateway()
        body = ("First line\n.leading dot\n..two dots\n.\n\n  indented\nFrom the start\n"
                + "x" * 990 + "\n" + "tab\there\n" + "last line without much\n")
        msg = simple_message(subject="integrity", body=body,
                             extra_headers="Received: from earlier.hop by relay.test; Mon, 1 Jan 2024 00:00:00 +0000\n")
        with smtp_client(mx.port()) as c:
            refused = c.sendmail(SENDER, ["a@example.org"], msg)
            self.assertEqual(refused, {})
        [m] = sink.wait_messages(1)
        assert_received_prepended(self, msg, m.content)
        self.assertEqual(m.content.count(b"\nReceived:") + m.content.startswith(b"Received:"), 2,
                         "exactly one Received: header added in front of the client's own")

    def test_multiple_recipients_one_message(self):
        sink, mx = self.gateway()
        msg = simple_message()
        with smtp_client(mx.port()) as c:
            self.assertEqual(c.sendmail(SENDER, ["a@example.org", "b@example.org", "c@EXAMPLE.ORG"], msg), {})
        [m] = sink.wait_messages(1)
        self.assertEqual([r.lower() for r in m.recipients], ["a@example.org", "b@example.org", "c@example.org"])

    def test_null_sender(self):
        sink, mx = self.gateway()
        with RawSmtp(mx.port()) as c:
            c.ehlo()
            self.assertReply(c.cmd("MAIL FROM:<>"), 250)
            self.assertReply(c.cmd("RCPT TO:<postmaster@example.org>"), 250)
            self.assertReply(c.cmd("DATA"), 354)
            self.assertReply(c.message(simple_message(subject="bounce")), 250)
        [m] = sink.wait_messages(1)
        self.assertTrue(m.mail_args.startswith("<>"), m.mail_args)

    def test_two_transactions_one_session_do_not_mix(self):
        sink, mx = self.gateway()
        with RawSmtp(mx.port()) as c:
            self.open_transaction(c, rcpts=("one@example.org",))
            self.assertReply(c.message(simple_message(subject="first")), 250)
            self.assertReply(c.cmd("MAIL FROM:<other@example.com>"), 250)
            self.assertReply(c.cmd("RCPT TO:<dropped@example.org>"), 250)
            self.assertReply(c.cmd("RSET"), 250)
            self.open_transaction(c, rcpts=("two@example.org",), sender="second@example.com", ehlo=False)
            self.assertReply(c.message(simple_message(subject="second")), 250)
        msgs = sink.wait_messages(2)
        self.assertEqual(sorted((m.mail_from, m.recipients) for m in msgs),
                         sorted([(SENDER, ["one@example.org"]), ("second@example.com", ["two@example.org"])]))

    def test_transaction_is_logged(self):
        sink, mx = self.gateway()
        with smtp_client(mx.port()) as c:
            c.sendmail(SENDER, ["logged@example.org"], simple_message())
        sink.wait_messages(1)
        line = mx.wait_log("transaction")
        self.assertIn(SENDER, line.get("from", ""), line)
        self.assertIn("logged@example.org", line.get("to", ""), line)
        self.assertTrue(line.get("reply", "").startswith("250"), line)
        self.assertTrue(line.get("backend_reply", "").startswith("250"), line)


class Pipelining(RelayBase):
    def test_commands_in_one_write_replies_in_order(self):
        sink, mx = self.gateway()
        with RawSmtp(mx.port()) as c:
            ehlo = c.ehlo()
            self.assertIn("PIPELINING", ehlo.lines)
            c.send(b"MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.org>\r\nRCPT TO:<c@example.org>\r\nDATA\r\n")
            self.assertEqual([r.code for r in c.replies(4)], [250, 250, 250, 354])
            c.send(crlf("Subject: one\n\nfirst\n") + b".\r\n"
                   b"MAIL FROM:<d@example.com>\r\nRCPT TO:<e@example.org>\r\nDATA\r\n")
            self.assertEqual([r.code for r in c.replies(4)], [250, 250, 250, 354])
            c.send(crlf("Subject: two\n\nsecond\n") + b".\r\nQUIT\r\n")
            self.assertEqual([r.code for r in c.replies(2)], [250, 221])
        msgs = sink.wait_messages(2)
        self.assertEqual(sorted(m.recipients for m in msgs), [["b@example.org", "c@example.org"], ["e@example.org"]])

    def test_rejected_recipient_in_the_middle_keeps_order(self):
        sink, mx = self.gateway()
        with RawSmtp(mx.port()) as c:
            c.ehlo()
            c.send(b"MAIL FROM:<a@example.com>\r\nRCPT TO:<x@not-served.test>\r\nRCPT TO:<ok@example.org>\r\n"
                   b"NOOP\r\nDATA\r\n")
            codes = [r.code for r in c.replies(5)]
            self.assertEqual(codes[0], 250)
            self.assertEqual(codes[1] // 100, 5, f"relay attempt must be refused: {codes}")
            self.assertEqual(codes[2:], [250, 250, 354])
            self.assertReply(c.message(b"Subject: x\r\n\r\ny\r\n"), 250)
        self.assertEqual(sink.wait_messages(1)[0].recipients, ["ok@example.org"])

    def test_swaks_pipeline(self):
        sink, mx = self.gateway()
        r = swaks(mx.port(), to="p@example.org", pipeline=True, data=simple_message(), workdir=self.tmp)
        self.assertTrue(r.ok, str(r))
        sink.wait_messages(1)


class Extensions(RelayBase):
    def test_ehlo_keywords(self):
        sink, mx = self.gateway(limits={"max_message_size": "10MiB"})
        with RawSmtp(mx.port("starttls")) as c:
            self.assertReply(c.greeting, 220)
            self.assertIn("mx.test", c.greeting.lines[0])
            r = c.ehlo()
            self.assertReply(r, 250)
            keywords = {line.split(" ", 1)[0].upper(): line for line in r.lines[1:]}
            for kw in ("PIPELINING", "SIZE", "8BITMIME", "SMTPUTF8", "ENHANCEDSTATUSCODES", "STARTTLS",
                       "CHUNKING", "DSN"):
                self.assertIn(kw, keywords, f"EHLO should advertise {kw}: {r.lines}")
            self.assertEqual(keywords["SIZE"], f"SIZE {10 * 1024 * 1024}")

    def test_helo_is_accepted(self):
        sink, mx = self.gateway()
        with RawSmtp(mx.port()) as c:
            self.assertReply(c.cmd("HELO client.test"), 250)
            self.open_transaction(c, rcpts=("h@example.org",), ehlo=False)
            self.assertReply(c.message(simple_message()), 250)
        sink.wait_messages(1)

    def test_help_vrfy_expn_noop_and_sequence_errors(self):
        sink, mx = self.gateway()
        with RawSmtp(mx.port()) as c:
            self.assertReply(c.cmd("HELP"), "21")          # 211/214
            c.ehlo()
            self.assertReply(c.cmd("VRFY postmaster"), 252)
            self.assertReply(c.cmd("EXPN staff"), 502)
            self.assertReply(c.cmd("NOOP"), 250)
            self.assertReply(c.cmd("RSET"), 250)
            self.assertReply(c.cmd("XYZZY"), "500 5.5")
            self.assertReply(c.cmd("RCPT TO:<a@example.org>"), "503 5.5")
            self.assertReply(c.cmd("DATA"), "503 5.5")
            self.assertReply(c.cmd(f"MAIL FROM:<{SENDER}>"), 250)
            self.assertReply(c.cmd(f"MAIL FROM:<{SENDER}>"), "503 5.5")
            self.assertReply(c.cmd("DATA"), "5")           # no valid recipients: 503/554
            self.assertReply(c.cmd("RSET"), 250)
            self.assertReply(c.cmd("MAIL FROM:not-an-address"), "501 5.")
            self.assertReply(c.cmd("QUIT"), 221)

    def test_dsn_parameters_reach_the_backend(self):
        sink, mx = self.gateway()
        with RawSmtp(mx.port()) as c:
            c.ehlo()
            self.assertReply(c.cmd(f"MAIL FROM:<{SENDER}> RET=HDRS ENVID=abc123"), 250)
            self.assertReply(c.cmd("RCPT TO:<d@example.org> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;d@example.org"), 250)
            self.assertReply(c.cmd("DATA"), 354)
            self.assertReply(c.message(simple_message()), 250)
        [m] = sink.wait_messages(1)
        self.assertIn("RET=HDRS", m.mail_args)
        self.assertIn("ENVID=abc123", m.mail_args)
        self.assertIn("NOTIFY=SUCCESS,FAILURE", m.rcpt_args[0])
        self.assertIn("ORCPT=rfc822;d@example.org", m.rcpt_args[0])

    def test_8bitmime_content_untouched(self):
        sink, mx = self.gateway()
        msg = crlf("Subject: 8bit\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n"
                   "Gr\u00fc\u00dfe aus K\u00f6ln \u2603\n") + b"latin1 byte: \xe9\r\n"
        with RawSmtp(mx.port()) as c:
            c.ehlo()
            self.assertReply(c.cmd(f"MAIL FROM:<{SENDER}> BODY=8BITMIME"), 250)
            self.assertReply(c.cmd("RCPT TO:<e@example.org>"), 250)
            self.assertReply(c.cmd("DATA"), 354)
            self.assertReply(c.message(msg), 250)
        [m] = sink.wait_messages(1)
        self.assertIn("BODY=8BITMIME", m.mail_args)
        assert_received_prepended(self, msg, m.content)

    def test_smtputf8_accepted_with_parameter(self):
        fb = self.start_faulty()   # advertises SMTPUTF8
        _, mx = self.gateway(domains={"utf8.test": "fb"}, backends={"fb": smtp_backend(fb.address)})
        msg = crlf("From: J\u00f6rg <j\u00f6rg@example.com>\nSubject: \u00fcnicode\n\nHall\u00f6\n")
        with RawSmtp(mx.port()) as c:
            self.assertIn("SMTPUTF8", c.ehlo().lines)
            self.assertReply(c.cmd("MAIL FROM:<j\u00f6rg@example.com> SMTPUTF8"), 250)
            self.assertReply(c.cmd("RCPT TO:<\u00e5sa@utf8.test>"), 250)
            self.assertReply(c.cmd("DATA"), 354)
            self.assertReply(c.message(msg), 250)
        [m] = fb.wait_messages(1)
        self.assertIn("j\u00f6rg@example.com", m.mail)
        self.assertIn("SMTPUTF8", m.mail.upper())
        self.assertIn("\u00e5sa@utf8.test", m.rcpts[0])
        self.assertEqual(split_first_header(m.content)[1], msg)

    def test_utf8_address_without_smtputf8_refused(self):
        sink, mx = self.gateway()
        with RawSmtp(mx.port()) as c:
            c.ehlo()
            self.assertReply(c.cmd("MAIL FROM:<j\u00f6rg@example.com>"), "5", "UTF-8 sender without SMTPUTF8 (553 5.6.7)")
            self.assertReply(c.cmd(f"MAIL FROM:<{SENDER}>"), 250)
            self.assertReply(c.cmd("RCPT TO:<\u00e5sa@example.org>"), "5",
                             "UTF-8 recipient in a transaction without SMTPUTF8")

    def test_smtputf8_to_backend_without_it_refused(self):
        sink, mx = self.gateway()   # smtp-sink does not offer SMTPUTF8
        with RawSmtp(mx.port()) as c:
            c.ehlo()
            mail = c.cmd("MAIL FROM:<j\u00f6rg@example.com> SMTPUTF8")
            if mail.code == 250:
                self.assertReply(c.cmd("RCPT TO:<x@example.org>"), "5",
                                 "backend cannot take SMTPUTF8: 553 5.6.7 expected (RFC 6531 3.2)")
            else:
                self.assertReply(mail, "5")
        self.assertEqual(sink.data_ends(), 0)


class Chunking(RelayBase):
    def test_bdat_chunks_reach_sink(self):
        sink, mx = self.gateway()   # smtp-sink has no CHUNKING: mxgate converts to DATA
        part1 = crlf("From: <s@example.com>\nSubject: chunked\n\nfirst chunk ends mid-line: ")
        part2 = crlf("still line one\n.line starting with a dot\n")
        part3 = crlf("last chunk\n")
        with RawSmtp(mx.port()) as c:
            self.assertIn("CHUNKING", c.ehlo().lines)
            self.assertReply(c.cmd(f"MAIL FROM:<{SENDER}> BODY=8BITMIME"), 250)
            self.assertReply(c.cmd("RCPT TO:<chunk@example.org>"), 250)
            c.send(b"BDAT %d\r\n" % len(part1) + part1)
            self.assertReply(c.reply(), 250, "first chunk")
            # A chunk and the next command pipelined in one write.
            c.send(b"BDAT %d\r\n" % len(part2) + part2 + b"BDAT %d LAST\r\n" % len(part3) + part3)
            self.assertReply(c.reply(), 250, "second chunk")
            self.assertReply(c.reply(), 250, "last chunk: the backend's verdict")
            self.assertReply(c.cmd("BDAT 0 LAST"), "503", "no transaction any more")
        [m] = sink.wait_messages(1)
        assert_received_prepended(self, part1 + part2 + part3, m.content)

    def test_bdat_empty_last_chunk(self):
        sink, mx = self.gateway()
        body = simple_message(subject="bdat zero")
        with RawSmtp(mx.port()) as c:
            c.ehlo()
            c.cmd(f"MAIL FROM:<{SENDER}>")
            c.cmd("RCPT TO:<zero@example.org>")
            c.send(b"BDAT %d\r\n" % len(body) + body)
            self.assertReply(c.reply(), 250)
            self.assertReply(c.cmd("BDAT 0 LAST"), 250)
        [m] = sink.wait_messages(1)
        assert_received_prepended(self, body, m.content)

    def test_data_after_bdat_refused(self):
        sink, mx = self.gateway()
        with RawSmtp(mx.port()) as c:
            c.ehlo()
            c.cmd(f"MAIL FROM:<{SENDER}>")
            c.cmd("RCPT TO:<mix@example.org>")
            c.send(b"BDAT 5\r\nHello")
            self.assertReply(c.reply(), 250)
            self.assertReply(c.cmd("DATA"), "503", "DATA in the middle of a BDAT transfer (RFC 3030 2)")


class RelayControl(RelayBase):
    def test_non_served_domain_refused_for_untrusted_client(self):
        sink, mx = self.gateway(domains={"example.org": "sink", "*": "sink"})
        with RawSmtp(mx.port()) as c:
            c.ehlo()
            self.assertReply(c.cmd(f"MAIL FROM:<{SENDER}>"), 250)
            self.assertReply(c.cmd("RCPT TO:<victim@not-served.test>"), "550 5.7.1")
            self.assertReply(c.cmd("RCPT TO:<Victim@Example.ORG>"), 250, "served domains are case-insensitive")
            self.assertReply(c.cmd("RCPT TO:<x@sub.example.org>"), "550 5.7.1", "a subdomain is another domain")
        self.assertNotIn("victim@not-served.test", " ".join(sink.commands()).lower())

    def test_trusted_client_may_relay(self):
        sink, mx = self.gateway(domains={"example.org": "sink", "*": "sink"}, trusted_networks=["127.0.0.0/8"])
        with smtp_client(mx.port()) as c:
            self.assertEqual(c.sendmail(SENDER, ["someone@elsewhere.test"], simple_message()), {})
        self.assertEqual(sink.wait_messages(1)[0].recipients, ["someone@elsewhere.test"])

    def test_trusted_client_without_wildcard_route(self):
        sink, mx = self.gateway(trusted_networks=["127.0.0.0/8"])
        with RawSmtp(mx.port()) as c:
            c.ehlo()
            c.cmd(f"MAIL FROM:<{SENDER}>")
            self.assertReply(c.cmd("RCPT TO:<x@elsewhere.test>"), "5", "no route for the domain")


    # Postfix allow_untrusted_routing: a backend with the percent hack or bang paths would relay these on.
    ROUTED = ("victim%evil.example@example.org", "evil.example!victim@example.org",
              '"victim@evil.example"@example.org')

    def send_to_routed(self, mx, expected):
        with RawSmtp(mx.port()) as c:
            c.ehlo()
            self.assertReply(c.cmd(f"MAIL FROM:<{SENDER}>"), 250)
            for rcpt in self.ROUTED:
                self.assertReply(c.cmd(f"RCPT TO:<{rcpt}>"), expected, rcpt)
            self.assertReply(c.cmd("RCPT TO:<user@example.org>"), 250)
            self.assertReply(c.cmd("DATA"), 354)
            self.assertReply(c.message(simple_message(subject="routing")), 250)

    def test_routing_local_parts_refused_for_untrusted_client(self):
        sink, mx = self.gateway()
        self.send_to_routed(mx, "550 5.7.1")
        self.assertEqual(sink.wait_messages(1)[0].recipients, ["user@example.org"])
        self.assertNotIn("evil.example", " ".join(sink.commands()), "a routed recipient reached the backend")
        refused = mx.log_lines("rcpt_refused", reason="untrusted_routing")
        self.assertEqual(sorted(line["rcpt"] for line in refused), sorted(self.ROUTED))

    def test_backend_switch_allows_routing_local_parts(self):
        sink, mx = self.gateway(backend_extra={"allow_untrusted_routing": True})
        self.send_to_routed(mx, 250)
        self.assertEqual(sorted(sink.wait_messages(1)[0].recipients), sorted(self.ROUTED + ("user@example.org",)))
        self.assertEqual(mx.log_lines("rcpt_refused"), [])

    def test_trusted_client_may_use_routing_local_parts(self):
        sink, mx = self.gateway(trusted_networks=["127.0.0.0/8"])
        self.send_to_routed(mx, 250)
        self.assertEqual(len(sink.wait_messages(1)[0].recipients), 4)


class BackendRepliesPassedThrough(RelayBase):
    def test_backend_rcpt_reject(self):
        sink = self.start_sink(hard_reject=["RCPT"], hard_bounce_reply="550 5.1.1 <x@example.org>: Recipient unknown")
        _, mx = self.gateway(sink)
        with RawSmtp(mx.port()) as c:
            c.ehlo()
            self.assertReply(c.cmd(f"MAIL FROM:<{SENDER}>"), 250)
            self.assertReply(c.cmd("RCPT TO:<x@example.org>"), "550 5.1.1")

    def test_backend_rcpt_tempfail(self):
        sink = self.start_sink(soft_reject=["RCPT"])
        _, mx = self.gateway(sink)
        with RawSmtp(mx.port()) as c:
            c.ehlo()
            c.cmd(f"MAIL FROM:<{SENDER}>")
            self.assertReply(c.cmd("RCPT TO:<x@example.org>"), "4")

    def test_per_recipient_replies(self):
        fb = self.start_faulty(rcpt_replies={"gone@example.org": "550 5.1.1 <gone@example.org>: no such user"})
        _, mx = self.gateway(domains={"example.org": "fb"}, backends={"fb": smtp_backend(fb.address)})
        with RawSmtp(mx.port()) as c:
            c.ehlo()
            c.cmd(f"MAIL FROM:<{SENDER}>")
            self.assertReply(c.cmd("RCPT TO:<gone@example.org>"), "550 5.1.1")
            self.assertReply(c.cmd("RCPT TO:<here@example.org>"), 250)
            self.assertReply(c.cmd("DATA"), 354)
            self.assertReply(c.message(simple_message()), 250)
        [m] = fb.wait_messages(1)
        self.assertIn("here@example.org", m.rcpts[-1])

    def test_backend_refuses_mail_reported_at_rcpt(self):
        sink = self.start_sink(hard_reject=["MAIL"])
        _, mx = self.gateway(sink)
        with RawSmtp(mx.port()) as c:
            c.ehlo()
            self.assertReply(c.cmd(f"MAIL FROM:<{SENDER}>"), 250, "MAIL is answered by mxgate itself")
            self.assertReply(c.cmd("RCPT TO:<x@example.org>"), "5", "the backend's MAIL refusal shows up at RCPT")

    def test_backend_rejects_message_after_dot(self):
        sink = self.start_sink(hard_reject=["."], hard_bounce_reply="554 5.7.1 sink says no")
        _, mx = self.gateway(sink)
        with RawSmtp(mx.port()) as c:
            self.open_transaction(c)
            self.assertReply(c.message(simple_message()), "554 5.7.1")


class ClientIdentity(RelayBase):
    def test_xforward_reaches_sink(self):
        sink, mx = self.gateway(backend_extra={"client_identity": "xforward"})
        with smtp_client(mx.port(), local_hostname="helo.client.test") as c:
            c.sendmail(SENDER, ["x@example.org"], simple_message())
        sink.wait_messages(1)
        cmds = sink.commands()
        xf = " ".join(l for l in cmds if l.upper().startswith("XFORWARD"))
        self.assertIn("ADDR=127.0.0.1", xf, f"XFORWARD with the client address expected; sink saw {cmds}")
        self.assertIn("HELO=helo.client.test", xf)
        first_xf = next(i for i, l in enumerate(cmds) if l.upper().startswith("XFORWARD"))
        first_mail = next(i for i, l in enumerate(cmds) if l.upper().startswith("MAIL"))
        self.assertLess(first_xf, first_mail, "XFORWARD must precede MAIL")

    def test_auto_uses_xforward_when_only_xforward_offered(self):
        sink = self.start_sink(no_xclient=True)
        _, mx = self.gateway(sink)
        with smtp_client(mx.port()) as c:
            c.sendmail(SENDER, ["x@example.org"], simple_message())
        sink.wait_messages(1)
        self.assertTrue(sink.commands_starting("XFORWARD"), f"client_identity auto should use XFORWARD: "
                                                             f"{sink.commands()}")

    def test_xclient_reaches_backend(self):
        fb = self.start_faulty(extensions=["PIPELINING", "8BITMIME", "ENHANCEDSTATUSCODES",
                                           "XCLIENT NAME ADDR PORT PROTO HELO LOGIN"])
        _, mx = self.gateway(domains={"example.org": "fb"},
                             backends={"fb": smtp_backend(fb.address, client_identity="xclient")})
        with smtp_client(mx.port(), local_hostname="helo.client.test") as c:
            c.sendmail(SENDER, ["x@example.org"], simple_message())
        fb.wait_messages(1)
        cmds = [l.upper() for l in fb.commands()]
        xc = [l for l in cmds if l.startswith("XCLIENT")]
        self.assertTrue(xc, f"XCLIENT expected: {cmds}")
        self.assertIn("ADDR=127.0.0.1", " ".join(xc))
        i = cmds.index(xc[-1])
        self.assertTrue(cmds[i + 1].startswith(("EHLO", "LHLO")), f"EHLO must follow XCLIENT's 220: {cmds}")

    def test_no_identity_when_disabled(self):
        sink, mx = self.gateway(backend_extra={"client_identity": "none"})
        with smtp_client(mx.port()) as c:
            c.sendmail(SENDER, ["x@example.org"], simple_message())
        sink.wait_messages(1)
        self.assertEqual(sink.commands_starting("XFORWARD") + sink.commands_starting("XCLIENT"), [])


if __name__ == "__main__":
    unittest.main()
