"""Checks the test harness itself against the real peers, without mxgate.

If this fails, fix the harness (or the machine: postfix/dovecot/swaks packages) before
reading anything into the mxgate integration tests.
"""

import os
import smtplib
import socket
import sys
import textwrap
import time
import unittest

from harness import (CLOSE, HarnessError, Mxgate, MxgateTestCase, RawSmtp, bare_cr_lf_offsets,
                     crlf, dot_stuff, header_names, lf, lmtp_client, mxgate_config, parse_logfmt,
                     simple_message, smtp_backend, split_first_header, swaks, to_yaml)
from harness.nsd import query, reversed_ipv4, zone_text


class PureHelpers(unittest.TestCase):
    def test_bare_cr_lf_offsets(self):
        self.assertEqual(bare_cr_lf_offsets(b"a\r\nb\r\n"), [])
        self.assertEqual(bare_cr_lf_offsets(b"a\nb"), [1])
        self.assertEqual(bare_cr_lf_offsets(b"a\rb"), [1])
        self.assertEqual(bare_cr_lf_offsets(b"\r\n.\r\r\n"), [3])
        self.assertEqual(bare_cr_lf_offsets(b"\n"), [0])
        self.assertEqual(bare_cr_lf_offsets(b"x\r"), [1])

    def test_logfmt(self):
        f = parse_logfmt('2026-01-01T00:00:00Z level=info event=transaction session=ab12 from=<a@b> '
                         'to=<c@d> size=12 backend_reply="250 2.0.0 Ok: queued as \\"X\\"" reply="250 ok"')
        self.assertEqual(f["event"], "transaction")
        self.assertEqual(f["from"], "<a@b>")
        self.assertEqual(f["backend_reply"], '250 2.0.0 Ok: queued as "X"')
        self.assertEqual(f["size"], "12")
        self.assertEqual(parse_logfmt("event=listening address=127.0.0.1:2525 tls=starttls")["address"],
                         "127.0.0.1:2525")

    def test_yaml_writer(self):
        text = to_yaml({"server": {"hostname": "mx.test"}, "listeners": [{"address": "127.0.0.1:0", "tls": "none"}],
                        "domains": {"example.org": "sink", "*": "sink"}, "trusted_networks": [],
                        "limits": {"max_errors": 3, "x": True}})
        self.assertEqual(text, textwrap.dedent('''\
            server:
              hostname: "mx.test"
            listeners:
              - address: "127.0.0.1:0"
                tls: "none"
            domains:
              example.org: "sink"
              "*": "sink"
            trusted_networks: []
            limits:
              max_errors: 3
              x: true
            '''))

    def test_message_helpers(self):
        m = crlf("Received: from a\n\tby b\nSubject: x\n\n.dot\nbody\n")
        first, rest = split_first_header(m)
        self.assertEqual(first, b"Received: from a\r\n\tby b\r\n")
        self.assertEqual(rest, b"Subject: x\r\n\r\n.dot\r\nbody\r\n")
        self.assertEqual(header_names(m), ["Received", "Subject"])
        self.assertEqual(dot_stuff(b".a\r\nb\r\n.\r\n"), b"..a\r\nb\r\n..\r\n")


class SinkSelfCheck(MxgateTestCase):
    needs_mxgate = False

    def test_message_round_trip_through_dump(self):
        sink = self.start_sink()
        msg = simple_message(body="line 1\n.leading dot\n\nlast line\n")
        with smtplib.SMTP("127.0.0.1", sink.port, local_hostname="client.test", timeout=5) as c:
            c.sendmail("sender@example.com", ["rcpt@example.org", "two@example.org"], msg,
                       mail_options=["BODY=8BITMIME"], rcpt_options=[])
        [m] = sink.wait_messages(1)
        self.assertEqual(m.mail_from, "sender@example.com")
        self.assertIn("BODY=8BITMIME", m.mail_args)
        self.assertEqual(m.recipients, ["rcpt@example.org", "two@example.org"])
        self.assertEqual(m.helo, "client.test")
        self.assertEqual(m.client_addr, "127.0.0.1")
        self.assertEqual(m.content, lf(msg), "dump content = message with LF endings, dot-unstuffed")
        self.assertIn(".", sink.commands())
        self.assertEqual(sink.data_ends(), 1)

    def test_aborted_transaction_leaves_no_message(self):
        sink = self.start_sink()
        with RawSmtp(sink.port) as c:
            c.ehlo()
            c.cmd("MAIL FROM:<a@example.com>")
            c.cmd("RCPT TO:<b@example.org>")
            self.assertEqual(c.cmd("DATA").code, 354)
            c.send(b"Subject: partial\r\n\r\nnot finished\r\n")
        time.sleep(0.3)
        self.assertEqual(sink.messages(), [])
        self.assertEqual(sink.data_ends(), 0)

    def test_pipelined_replies_in_order(self):
        sink = self.start_sink()
        with RawSmtp(sink.port) as c:
            self.assertIn("PIPELINING", c.ehlo().text)
            c.send(b"MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.org>\r\nRCPT TO:<c@example.org>\r\nDATA\r\n")
            self.assertEqual([r.code for r in c.replies(4)], [250, 250, 250, 354])
            c.send(b"Subject: p\r\n\r\nx\r\n.\r\nQUIT\r\n")
            self.assertEqual([r.code for r in c.replies(2)], [250, 221])
        self.assertEqual(sink.wait_messages(1)[0].recipients, ["b@example.org", "c@example.org"])

    def test_rejects_and_disconnects(self):
        rcpt = self.start_sink(name="rcpt", hard_reject=["RCPT"], hard_bounce_reply="550 5.1.1 no such user")
        with RawSmtp(rcpt.port) as c:
            c.ehlo()
            self.assertEqual(c.cmd("MAIL FROM:<a@example.com>").code, 250)
            r = c.cmd("RCPT TO:<b@example.org>")
            self.assertEqual((r.code, r.enhanced), (550, "5.1.1"))
        dot = self.start_sink(name="dot", soft_reject=["."])
        with RawSmtp(dot.port) as c:
            c.ehlo()
            c.cmd("MAIL FROM:<a@example.com>")
            c.cmd("RCPT TO:<b@example.org>")
            c.cmd("DATA")
            self.assertEqual(c.message(b"x\r\n").code, 450)
        drop = self.start_sink(name="drop", disconnect=["."])
        with RawSmtp(drop.port) as c:
            c.ehlo()
            c.cmd("MAIL FROM:<a@example.com>")
            c.cmd("RCPT TO:<b@example.org>")
            c.cmd("DATA")
            c.send(b"x\r\n.\r\n")
            self.assertEqual(c.wait_closed(3), b"")

    def test_xforward_is_logged(self):
        sink = self.start_sink()
        with RawSmtp(sink.port) as c:
            c.ehlo()
            self.assertEqual(c.cmd("XFORWARD ADDR=192.0.2.7 NAME=client.example HELO=h PROTO=ESMTP").code, 250)
            c.cmd("QUIT")
        wait = sink.commands_starting("XFORWARD")
        self.assertEqual(wait, ["XFORWARD ADDR=192.0.2.7 NAME=client.example HELO=h PROTO=ESMTP"])

    def test_swaks(self):
        sink = self.start_sink()
        msg = simple_message(subject="via swaks")
        r = swaks(sink.port, to="x@example.org", data=msg, workdir=self.tmp)
        self.assertTrue(r.ok, str(r))
        [m] = sink.wait_messages(1)
        self.assertEqual(m.content, lf(msg))
        self.assertIn("250 2.0.0 Ok", r.server_lines())


class DovecotSelfCheck(MxgateTestCase):
    needs_mxgate = False

    def test_lmtp_delivery_and_unknown_user(self):
        dc = self.start_dovecot()
        msg = simple_message(subject="lmtp", to="alice@example.net")
        with lmtp_client(dc.port) as c:
            c.ehlo_or_helo_if_needed()
            self.assertEqual(c.mail("sender@example.com")[0], 250)
            self.assertEqual(c.rcpt("alice@example.net")[0], 250)
            code, text = c.rcpt("nobody@example.net")
            self.assertEqual(code, 550, text)
            self.assertTrue(text.startswith(b"5.1.1"), text)
            self.assertEqual(c.docmd("DATA")[0], 354)
            c.send(msg + b".\r\n")
            self.assertEqual(c.getreply()[0], 250)   # one reply per accepted recipient (alice)
        [stored] = dc.wait_messages("alice@example.net", 1)
        self.assertTrue(stored.endswith(lf(msg)), stored)
        self.assertIn(b"Subject: lmtp", stored)
        self.assertEqual(dc.messages("bob@example.net"), [])


class FaultyBackendSelfCheck(MxgateTestCase):
    needs_mxgate = False

    def test_records_exact_bytes(self):
        fb = self.start_faulty()
        msg = simple_message(body=".dot\nx\n")
        with smtplib.SMTP("127.0.0.1", fb.port, local_hostname="client.test", timeout=5) as c:
            c.ehlo()
            self.assertTrue(c.has_extn("xforward"))
            c.sendmail("a@example.com", ["b@example.org"], msg)
        [m] = fb.wait_messages(1)
        self.assertEqual(m.content, msg)
        self.assertEqual(m.raw, dot_stuff(msg))
        self.assertEqual(m.mail.lower(), "mail from:<a@example.com> size=%d" % len(msg))
        self.assertEqual([r.lower() for r in m.rcpts], ["rcpt to:<b@example.org>"])
        self.assertEqual(bare_cr_lf_offsets(fb.all_raw()), [])

    def test_only_crlf_dot_crlf_ends_data(self):
        fb = self.start_faulty()
        with RawSmtp(fb.port) as c:
            c.ehlo()
            c.send(b"MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.org>\r\nDATA\r\n")
            self.assertEqual([r.code for r in c.replies(3)], [250, 250, 354])
            c.send(b"first\n.\nMAIL FROM:<evil@example.com>\r\n.\r\n")
            self.assertEqual(c.reply().code, 250)
        [m] = fb.wait_messages(1)
        self.assertEqual(m.raw, b"first\n.\nMAIL FROM:<evil@example.com>\r\n")
        self.assertEqual(bare_cr_lf_offsets(m.raw), [5, 7])
        self.assertEqual(fb.commands_starting("MAIL"), ["MAIL FROM:<a@example.com>"])

    def test_close_mid_data(self):
        fb = self.start_faulty(fault="close_mid_data")
        with RawSmtp(fb.port) as c:
            c.ehlo()
            c.cmd("MAIL FROM:<a@example.com>")
            c.cmd("RCPT TO:<b@example.org>")
            self.assertEqual(c.cmd("DATA").code, 354)
            c.send(b"Subject: x\r\n")
            self.assertEqual(c.wait_closed(3), b"")
        self.assertEqual(fb.messages, [])

    def test_hang_after_dot(self):
        fb = self.start_faulty(fault="hang_after_dot")
        with RawSmtp(fb.port) as c:
            c.ehlo()
            c.cmd("MAIL FROM:<a@example.com>")
            c.cmd("RCPT TO:<b@example.org>")
            c.cmd("DATA")
            c.send(b"x\r\n.\r\n")
            self.assertIsNone(c.try_reply(0.5))
        self.assertEqual(len(fb.messages), 1)

    def test_unexpected_and_garbage_replies(self):
        fb = self.start_faulty(fault="354_to_mail")
        with RawSmtp(fb.port) as c:
            c.ehlo()
            self.assertEqual(c.cmd("MAIL FROM:<a@example.com>").code, 354)
        fb2 = self.start_faulty(fault="garbage")
        with socket.create_connection(("127.0.0.1", fb2.port), timeout=3) as s:
            s.recv(1000)
            s.sendall(b"EHLO x\r\n")
            time.sleep(0.1)
            s.recv(1000)
            s.sendall(b"MAIL FROM:<a@example.com>\r\n")
            self.assertEqual(s.recv(1000), b"this is not smtp at all\r\n")

    def test_hang_greeting_and_per_rcpt_replies(self):
        fb = self.start_faulty(fault="hang_greeting")
        with self.assertRaises(HarnessError):
            RawSmtp(fb.port, timeout=0.5)
        fb2 = self.start_faulty(rcpt_replies={"bad@example.org": "550 5.1.1 bad user"},
                                replies={"QUIT": CLOSE})
        with RawSmtp(fb2.port) as c:
            c.ehlo()
            c.cmd("MAIL FROM:<a@example.com>")
            self.assertEqual(c.cmd("RCPT TO:<good@example.org>").code, 250)
            self.assertEqual(c.cmd("RCPT TO:<Bad@example.org>").code, 550)

    def test_lmtp_mode(self):
        fb = self.start_faulty(lmtp=True, rcpt_replies={"x@example.net": "550 5.1.1 unknown"})
        with RawSmtp(fb.port) as c:
            c.cmd("LHLO client.test")
            c.send(b"MAIL FROM:<a@example.com>\r\nRCPT TO:<a@example.net>\r\nRCPT TO:<x@example.net>\r\n"
                   b"RCPT TO:<b@example.net>\r\nDATA\r\n")
            self.assertEqual([r.code for r in c.replies(5)], [250, 250, 550, 250, 354])
            c.send(b"x\r\n.\r\n")
            self.assertEqual([r.code for r in c.replies(2)], [250, 250])
            self.assertIsNone(c.try_reply(0.2))


class NsdSelfCheck(MxgateTestCase):
    needs_mxgate = False

    def test_serves_zones_and_silent_server_never_answers(self):
        nsd = self.start_nsd({"bl.test": zone_text("bl.test", [f"{reversed_ipv4('127.0.0.1')} A 127.0.0.2",
                                                               '1.0.0.127 TXT "listed for testing"']),
                              "spf.test": zone_text("spf.test", ['spf.test. TXT "v=spf1 ip4:127.0.0.1 -all"'])})
        self.assertEqual(nsd.server, f"127.0.0.1@{nsd.port}")
        listed = nsd.query("1.0.0.127.bl.test", "A")
        self.assertEqual((listed.rcode, listed.authoritative, listed.values("A")), (0, True, ["127.0.0.2"]))
        self.assertEqual(nsd.query("1.0.0.127.bl.test", "TXT").values("TXT"), ["listed for testing"])
        self.assertEqual(nsd.query("spf.test", "TXT").values("TXT"), ["v=spf1 ip4:127.0.0.1 -all"])
        self.assertEqual(nsd.query("2.0.0.127.bl.test").rcode, 3, "NXDOMAIN inside a served zone")
        self.assertEqual(nsd.query("other.example").rcode, 5, "REFUSED outside the served zones")
        silent = self.start_silent_dns()
        with self.assertRaises(socket.timeout):
            query(silent.port, "x.dead.test", timeout=0.3)
        with socket.create_connection(("127.0.0.1", silent.port), timeout=1):
            pass   # TCP connects (backlog) and then nothing happens
        pid, workdir = nsd.proc.pid, nsd.dir
        nsd.stop()
        self.assertFalse(nsd.proc.alive(), f"nsd {pid} still running after stop()")
        if not os.environ.get("MXGATE_KEEP_ZONES"):
            self.assertFalse(workdir.exists(), "nsd's temp dir is removed by stop()")


FAKE_MXGATE = r'''
import os, signal, socket, sys, time
# Stand-in for the real binary: one plain listener that greets and quits; logs like mxgate.
args = sys.argv[1:]
conf = args[args.index("-c") + 1]
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(5); s.settimeout(0.1)
print(f"level=info event=listening address=127.0.0.1:{s.getsockname()[1]} tls=none", file=sys.stderr, flush=True)
print("level=info event=ready", file=sys.stderr, flush=True)
state = {"stop": False}
signal.signal(signal.SIGHUP, lambda *a: print("event=reload status=ok", file=sys.stderr, flush=True))
signal.signal(signal.SIGTERM, lambda *a: state.update(stop=True))
while not state["stop"]:
    try:
        c, _ = s.accept()
    except socket.timeout:
        continue
    c.sendall(b"220 fake ESMTP\r\n"); c.recv(100); c.sendall(b"221 bye\r\n"); c.close()
print("event=stopped", file=sys.stderr, flush=True)
'''


class MxgateHarnessSelfCheck(MxgateTestCase):
    """The Mxgate class against a fake binary (logfmt lines, ports, SIGHUP, SIGTERM)."""
    needs_mxgate = False

    def test_fake_binary(self):
        fake = self.tmp / "fake-mxgate"
        fake.write_text(f"#!{sys.executable}\n{FAKE_MXGATE}")
        fake.chmod(0o755)
        cfg = mxgate_config(listeners=[("127.0.0.1:0", "none")], domains={"example.org": "sink"},
                            backends={"sink": smtp_backend("127.0.0.1:1")})
        mx = self.start_mxgate(cfg, binary=str(fake))
        self.assertIn('hostname: "mx.test"', (self.tmp / "mxgate.yaml").read_text())
        port = mx.port("none")
        with RawSmtp(port) as c:
            self.assertEqual(c.greeting.code, 220)
            self.assertEqual(c.cmd("QUIT").code, 221)
        self.assertEqual(mx.reload()["status"], "ok")
        self.assertEqual(mx.pin_ports()["listeners"][0]["address"], f"127.0.0.1:{port}")
        self.assertEqual(len(mx.log_lines("listening")), 1)
        mx.assert_alive()
        mx.terminate()
        self.assertEqual(mx.wait_exit(5), 0)
        with self.assertRaises(HarnessError):
            mx.assert_alive()

    def test_missing_binary_is_a_clear_error(self):
        with self.assertRaisesRegex(HarnessError, "not an executable"):
            Mxgate.check_binary("/nonexistent/mxgate")
        with self.assertRaisesRegex(HarnessError, "MXGATE_BIN is not set"):
            Mxgate.check_binary("")


if __name__ == "__main__":
    unittest.main()
