"""Backend failures never turn into a 250 for the client: backend down, dropping the connection
mid-DATA, silent after the dot, surprise or garbage replies, slow greeting; failover to the
next server; the backend's own text is not shown to the client for synthesized errors."""

import unittest

from harness import (MxgateTestCase, RawSmtp, mxgate_config, simple_message,
                     smtp_backend)

# Every timer but the one under test is set far beyond this read timeout, so a reply
# within it names its cause; no test asserts how late a timer fires.
HANG_GUARD = 15.0
OTHER_TIMEOUTS_OFF = {"command": "1h", "data": "1h", "backend_connect": "1h", "backend_reply": "1h",
                      "backend_data_done": "1h"}
BIG_BODY = ("z" * 76 + "\n") * 3000   # ~230 KB: mxgate has to stream to the backend before the dot


class FaultBase(MxgateTestCase):
    def gateway(self, *servers, timeouts=None, healthy=None):
        """example.org -> the given servers; healthy.test -> a good smtp-sink (to show the session survives)."""
        backends = {"primary": smtp_backend(*servers)}
        domains = {"example.org": "primary"}
        if healthy is not None:
            backends["healthy"] = smtp_backend(healthy.address)
            domains["healthy.test"] = "healthy"
        self.mx = self.start_mxgate(mxgate_config(domains=domains, backends=backends, timeouts=timeouts))
        return self.mx

    def begin(self, c: RawSmtp, rcpt="r@example.org"):
        c.ehlo()
        self.assertReply(c.cmd("MAIL FROM:<s@example.com>"), 250)
        return c.cmd(f"RCPT TO:<{rcpt}>")

    def assert_generic_4xx(self, reply, context, backend_text=None):
        self.assertReply(reply, "4", context)
        if backend_text:
            self.assertNotIn(backend_text.lower(), reply.text.lower(),
                             f"{context}: the backend's own text must not reach the client: {reply}")

    def healthy_transaction_works(self, c: RawSmtp, healthy):
        self.assertReply(c.cmd("RSET"), 250)
        self.open_transaction(c, rcpts=("ok@healthy.test",), sender="s@example.com", ehlo=False)
        self.assertReply(c.message(simple_message()), 250)
        healthy.wait_messages(1)


class BackendDown(FaultBase):
    def test_connection_refused_gives_451_at_rcpt(self):
        healthy = self.start_sink(name="healthy")
        mx = self.gateway(f"127.0.0.1:{self.closed_port()}", healthy=healthy)
        with RawSmtp(mx.port()) as c:
            r = self.begin(c)
            self.assertReply(r, "451 4.", "backend down")
            self.assertNotEqual(c.cmd("DATA").code, 354, "no DATA without a recipient")
            self.healthy_transaction_works(c, healthy)
        mx.assert_alive()

    def test_failover_to_second_server(self):
        sink = self.start_sink()
        mx = self.gateway(f"127.0.0.1:{self.closed_port()}", sink.address)
        with RawSmtp(mx.port()) as c:
            self.assertReply(self.begin(c), 250, "second server takes over")
            self.assertReply(c.cmd("DATA"), 354)
            self.assertReply(c.message(simple_message()), 250)
        sink.wait_messages(1)

    def test_failover_when_first_server_drops_at_ehlo(self):
        bad = self.start_faulty(fault="close_after_greeting")
        sink = self.start_sink()
        mx = self.gateway(bad.address, sink.address)
        with RawSmtp(mx.port()) as c:
            self.assertReply(self.begin(c), 250)
            self.assertReply(c.cmd("DATA"), 354)
            self.assertReply(c.message(simple_message()), 250)
        sink.wait_messages(1)

    def test_silent_greeting_hits_backend_connect_timeout(self):
        fb = self.start_faulty(fault="hang_greeting")
        mx = self.gateway(fb.address, timeouts={**OTHER_TIMEOUTS_OFF, "backend_connect": "2s"})
        with RawSmtp(mx.port(), timeout=HANG_GUARD) as c:
            c.ehlo()
            c.cmd("MAIL FROM:<s@example.com>")
            r = c.cmd("RCPT TO:<r@example.org>", timeout=HANG_GUARD)
            self.assert_generic_4xx(r, "backend never greets")


class BackendMidTransaction(FaultBase):
    def test_backend_closes_mid_data(self):
        fb = self.start_faulty(fault="close_mid_data")
        healthy = self.start_sink(name="healthy")
        mx = self.gateway(fb.address, healthy=healthy)
        with RawSmtp(mx.port(), timeout=10) as c:
            self.assertReply(self.begin(c), 250)
            self.assertReply(c.cmd("DATA"), 354)
            r = c.message(simple_message(body=BIG_BODY))
            self.assert_generic_4xx(r, "backend dropped the connection during DATA")
            self.assertReply(r, "451 4.3.0")
            self.healthy_transaction_works(c, healthy)
        self.assertEqual(fb.messages, [])

    def test_backend_silent_after_dot(self):
        fb = self.start_faulty(fault="hang_after_dot")
        mx = self.gateway(fb.address, timeouts={**OTHER_TIMEOUTS_OFF, "backend_data_done": "2s"})
        with RawSmtp(mx.port(), timeout=HANG_GUARD) as c:
            self.assertReply(self.begin(c), 250)
            self.assertReply(c.cmd("DATA"), 354)
            r = c.message(simple_message(), timeout=HANG_GUARD)
            self.assert_generic_4xx(r, "backend never answered the dot")
        self.assertEqual(len(fb.messages), 1, "the backend did get the message, it just never confirmed it")

    def test_sink_slow_after_dot(self):
        sink = self.start_sink(delay={".": 5})
        mx = self.gateway(sink.address, timeouts={"backend_data_done": "1s"})
        with RawSmtp(mx.port(), timeout=10) as c:
            self.assertReply(self.begin(c), 250)
            self.assertReply(c.cmd("DATA"), 354)
            self.assert_generic_4xx(c.message(simple_message(), timeout=10), "smtp-sink -W .:5")

    def test_backend_drops_after_dot(self):
        sink = self.start_sink(disconnect=["."])
        mx = self.gateway(sink.address)
        with RawSmtp(mx.port()) as c:
            self.assertReply(self.begin(c), 250)
            self.assertReply(c.cmd("DATA"), 354)
            self.assert_generic_4xx(c.message(simple_message()), "backend closed instead of answering the dot")

    def test_backend_drops_at_data_command(self):
        sink = self.start_sink(disconnect=["DATA"])
        mx = self.gateway(sink.address)
        with RawSmtp(mx.port()) as c:
            self.assertReply(self.begin(c), 250)
            r = c.cmd("DATA")
            if r.code == 354:   # mxgate may answer 354 itself and report at the end
                r = c.message(simple_message())
            self.assert_generic_4xx(r, "backend closed at DATA")

    def test_backend_421_at_rcpt(self):
        sink = self.start_sink(reply_421=["RCPT"])
        mx = self.gateway(sink.address)
        with RawSmtp(mx.port()) as c:
            self.assertReply(self.begin(c), "4")
            self.assertReply(c.cmd("NOOP"), 250, "the client session survives the backend's 421")

    def test_backend_tempfail_after_dot_passed_through(self):
        fb = self.start_faulty(fault="tempfail_dot")
        mx = self.gateway(fb.address)
        with RawSmtp(mx.port()) as c:
            self.assertReply(self.begin(c), 250)
            c.cmd("DATA")
            self.assertReply(c.message(simple_message()), "451")

    def test_sink_abort_after_data_reply(self):
        sink = self.start_sink(abort_after_data=0)
        mx = self.gateway(sink.address)
        with RawSmtp(mx.port()) as c:
            self.assertReply(self.begin(c), 250)
            r = c.cmd("DATA")
            if r.code == 354:
                r = c.message(simple_message())
            self.assertNotEqual(r.code // 100, 2, f"never 250 when the backend aborted: {r}")


class SurpriseReplies(FaultBase):
    def test_354_to_mail(self):
        fb = self.start_faulty(fault="354_to_mail")
        mx = self.gateway(fb.address)
        with RawSmtp(mx.port()) as c:
            r = self.begin(c)
            self.assert_generic_4xx(r, "backend answered MAIL with 354", backend_text="go ahead")
            self.assertNotEqual(r.code, 354)
            self.assertNotEqual(c.cmd("DATA").code, 354, "no DATA after the failed RCPT")
        mx.assert_alive()

    def test_garbage_reply(self):
        fb = self.start_faulty(fault="garbage")
        mx = self.gateway(fb.address)
        with RawSmtp(mx.port()) as c:
            r = self.begin(c)
            self.assert_generic_4xx(r, "backend replied garbage", backend_text="not smtp")
        mx.assert_alive()

    def test_unexpected_2xx_to_data(self):
        fb = self.start_faulty(replies={"DATA": "250 2.0.0 sure, whatever"})
        mx = self.gateway(fb.address)
        with RawSmtp(mx.port()) as c:
            self.assertReply(self.begin(c), 250)
            r = c.cmd("DATA")
            if r.code == 354:
                r = c.message(simple_message())
            self.assert_generic_4xx(r, "backend said 250 to DATA", backend_text="whatever")

    def test_multiline_reply_with_mismatched_codes(self):
        fb = self.start_faulty(replies={"RCPT": b"250-2.1.5 first\r\n550 5.1.1 second\r\n"})
        mx = self.gateway(fb.address)
        with RawSmtp(mx.port()) as c:
            r = self.begin(c)
            self.assertNotEqual(r.code, 250, f"a reply whose lines disagree is malformed, never success: {r}")


class PoolHygiene(FaultBase):
    def test_reused_backend_connection_after_failure(self):
        fb = self.start_faulty(rcpt_replies={"bad@example.org": "550 5.1.1 no"})
        mx = self.gateway(fb.address)
        for i in range(3):
            with RawSmtp(mx.port()) as c:
                c.ehlo()
                c.cmd(f"MAIL FROM:<s{i}@example.com>")
                self.assertReply(c.cmd("RCPT TO:<bad@example.org>"), "550")
                self.assertReply(c.cmd(f"RCPT TO:<good{i}@example.org>"), 250)
                c.cmd("DATA")
                self.assertReply(c.message(simple_message(subject=f"m{i}")), 250)
        msgs = fb.wait_messages(3)
        for i, m in enumerate(msgs):
            self.assertIn(f"s{i}@example.com", m.mail)
            self.assertIn(f"good{i}@example.org", m.rcpts[-1])
            self.assertFalse([r for r in m.rcpts if "good" in r and f"good{i}@" not in r],
                             f"recipients leaked between transactions: {m.rcpts}")


if __name__ == "__main__":
    unittest.main()
