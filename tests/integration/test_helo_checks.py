"""HELO name checks (filters.helo, like Postfix reject_invalid_helo_hostname and
reject_non_fqdn_helo_hostname) end to end: a refused greeting leaves the session
ungreeted (issue 8 item 18: MAIL then gets 503), a later good greeting works, trusted
clients are not checked, and each refused greeting counts toward limits.max_errors.
Clients come from 127.0.0.1, which is not a trusted network unless a test says so."""

import unittest

from harness import Mxgate, MxgateTestCase, RawSmtp, mxgate_config, run_check_config, simple_message, smtp_backend


class HeloChecks(MxgateTestCase):
    def gateway(self, helo=None, trusted=("10.99.0.0/16",), limits=None):
        self.sink = self.start_sink()
        filters = {"helo": {"enabled": True, **(helo or {})}}
        return self.start_mxgate(mxgate_config(domains={"example.org": "sink"},
                                               backends={"sink": smtp_backend(self.sink.address)},
                                               trusted_networks=trusted, limits=limits,
                                               extra={"filters": filters}))

    def test_refused_helo_leaves_the_session_ungreeted(self):
        mx = self.gateway()
        with RawSmtp(mx.port()) as c:
            self.assertReply(c.ehlo("x(bad)"), "501 5.5.2", "an invalid HELO name is refused")
            self.assertReply(c.cmd("MAIL FROM:<a@example.com>"), "503 5.5.1",
                             "after a refused HELO the session is not greeted")
            self.assertReply(c.ehlo("mail.example.com"), 250, "a valid name greets")
            self.assertReply(c.cmd("MAIL FROM:<a@example.com>"), 250)
            self.assertReply(c.cmd("RCPT TO:<user@example.org>"), 250)
            self.assertReply(c.cmd("DATA"), 354)
            self.assertReply(c.message(simple_message(subject="after a refused helo")), 250)
        [m] = self.sink.wait_messages(1)
        self.assertEqual(m.recipients, ["user@example.org"])

    def test_reply_names_the_check_like_postfix(self):
        mx = self.gateway()
        with RawSmtp(mx.port()) as c:
            reply = c.cmd("HELO a..b")
        self.assertReply(reply, "501 5.5.2")
        self.assertIn("<a..b>: Helo command rejected: Invalid name", str(reply))

    def test_non_fqdn_refused_when_asked(self):
        mx = self.gateway(helo={"reject_non_fqdn_hostname": True})
        with RawSmtp(mx.port()) as c:
            self.assertReply(c.ehlo("localhost"), "504 5.5.2", "a name without a dot")
            self.assertReply(c.cmd("MAIL FROM:<a@example.com>"), "503 5.5.1")
            self.assertReply(c.ehlo("[127.0.0.1]"), 250, "an address literal is fully qualified")
            self.assertReply(c.cmd("MAIL FROM:<a@example.com>"), 250)

    def test_single_label_passes_by_default(self):
        mx = self.gateway()
        with RawSmtp(mx.port()) as c:
            self.assertReply(c.ehlo("localhost"), 250)
            self.assertReply(c.cmd("MAIL FROM:<a@example.com>"), 250)

    def test_trusted_client_is_not_checked(self):
        mx = self.gateway(helo={"reject_non_fqdn_hostname": True}, trusted=("127.0.0.0/8",))
        with RawSmtp(mx.port()) as c:
            self.assertReply(c.ehlo("x(bad)"), 250)
            self.assertReply(c.cmd("MAIL FROM:<a@example.com>"), 250)

    def test_refused_greetings_count_toward_max_errors(self):
        mx = self.gateway(limits={"max_errors": 3})
        replies = []
        with RawSmtp(mx.port()) as c:
            for _ in range(6):
                reply = c.ehlo("x(bad)")
                replies.append(reply)
                if reply.code == 421:
                    c.wait_closed(3)
                    break
        self.assertEqual(replies[-1].code, 421, f"repeated refused greetings must end the session: {replies}")
        self.assertLessEqual(len(replies), 4, f"421 at the 3rd or 4th refused greeting (max_errors=3): {replies}")
        self.assertTrue(all(r.code == 501 for r in replies[:-1]), replies)


class HeloCheckConfig(MxgateTestCase):
    def test_check_config_prints_the_section(self):
        cfg = mxgate_config(domains={"example.org": "sink"}, backends={"sink": smtp_backend("127.0.0.1:2525")},
                            extra={"filters": {"helo": {"enabled": True, "reject_non_fqdn_hostname": True}}})
        Mxgate(self.tmp, cfg, start=False)
        r = run_check_config(self.tmp / "mxgate.yaml")
        self.assertEqual(r.returncode, 0, f"{r.stdout}\n{r.stderr}")
        section = r.stdout[r.stdout.index("  helo:"):]
        for line in ("enabled: true", "reject_invalid_hostname: true", "reject_non_fqdn_hostname: true",
                     "skip_trusted: true"):
            self.assertIn(line, section.split("\n  spf:")[0], r.stdout)


if __name__ == "__main__":
    unittest.main()
