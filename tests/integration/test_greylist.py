"""Greylisting and connection-stage rate limits end to end: the embedded SQLite store
(surviving a restart), Redis shared by two mxgate nodes, Redis going away (fail open),
and the policy's replies (451 4.7.1 with a retry hint, 421 / 451 for rate limits)."""

import time
import unittest

from harness import MxgateTestCase, RawSmtp, mxgate_config, simple_message, smtp_backend

DELAY = 2  # seconds: greylisting's minimum retry delay in these tests


class GreylistBase(MxgateTestCase):
    def config(self, sink, *, state, trusted=("10.99.0.0/16",), greylist=None, rate_limit=None):
        filters = {"greylist": {"enabled": True, "delay": f"{DELAY}s", "window": "1h", **(greylist or {})}}
        if rate_limit is not None:
            filters = {"rate_limit": {"enabled": True, **rate_limit}}
        return mxgate_config(domains={"example.org": "sink"}, backends={"sink": smtp_backend(sink.address)},
                             trusted_networks=trusted, extra={"state": state, "filters": filters})

    def sqlite(self):
        return {"backend": "sqlite", "sqlite": {"path": str(self.tmp / "state.db")}}

    def attempt(self, mx, rcpt="user@example.org", sender="sender@example.com"):
        """One delivery attempt; the RCPT reply, and the final reply when RCPT was accepted."""
        with RawSmtp(mx.port()) as c:
            c.ehlo()
            self.assertReply(c.cmd(f"MAIL FROM:<{sender}>"), 250)
            rcpt_reply = c.cmd(f"RCPT TO:<{rcpt}>")
            if rcpt_reply.code != 250:
                return rcpt_reply, None
            self.assertReply(c.cmd("DATA"), 354)
            return rcpt_reply, c.message(simple_message(subject="greylisted"))


class EmbeddedStore(GreylistBase):
    def test_first_attempt_deferred_retry_after_delay_passes(self):
        sink = self.start_sink()
        mx = self.start_mxgate(self.config(sink, state=self.sqlite()))
        first, _ = self.attempt(mx)
        self.assertReply(first, "451 4.7.1")
        self.assertIn("try again", first.text)
        early, _ = self.attempt(mx)
        self.assertReply(early, 451, "a retry before the delay is deferred again")
        time.sleep(DELAY + 0.5)
        later, final = self.attempt(mx)
        self.assertReply(later, 250, "a retry after the delay passes")
        self.assertReply(final, 250)
        self.assertEqual(len(sink.wait_messages(1)), 1)
        self.assertEqual(mx.wait_log("verdict", rule="greylist.defer").get("code"), "451")

    def test_state_survives_a_restart(self):
        sink = self.start_sink()
        cfg = self.config(sink, state=self.sqlite())
        mx = self.start_mxgate(cfg)
        self.assertReply(self.attempt(mx)[0], 451)
        time.sleep(DELAY + 0.5)
        self.assertReply(self.attempt(mx)[0], 250)
        mx.stop()
        mx2 = self.start_mxgate(cfg, name="mxgate2")
        self.assertReply(self.attempt(mx2)[0], 250, "the passed triplet is remembered across a restart")

    def test_other_triplets_are_greylisted_separately(self):
        sink = self.start_sink()
        mx = self.start_mxgate(self.config(sink, state=self.sqlite()))
        self.assertReply(self.attempt(mx, rcpt="a@example.org")[0], 451)
        time.sleep(DELAY + 0.5)
        self.assertReply(self.attempt(mx, rcpt="a@example.org")[0], 250)
        self.assertReply(self.attempt(mx, rcpt="b@example.org")[0], 451, "another recipient is a new triplet")

    def test_trusted_clients_are_not_greylisted(self):
        sink = self.start_sink()
        mx = self.start_mxgate(self.config(sink, state=self.sqlite(), trusted=("127.0.0.0/8",)))
        rcpt, final = self.attempt(mx)
        self.assertReply(rcpt, 250)
        self.assertReply(final, 250)


class SharedRedis(GreylistBase):
    def redis_state(self, redis):
        return {"backend": "redis", "redis": {"host": "127.0.0.1", "port": redis.port, "timeout": "300ms"}}

    def test_a_fleet_shares_greylisting(self):
        redis, sink = self.start_redis(), self.start_sink()
        cfg = self.config(sink, state=self.redis_state(redis))
        node_a = self.start_mxgate(cfg, name="node-a")
        node_b = self.start_mxgate(cfg, name="node-b")
        self.assertReply(self.attempt(node_a)[0], 451, "first attempt, on node A")
        self.assertReply(self.attempt(node_b)[0], 451, "node B knows the attempt is too early")
        time.sleep(DELAY + 0.5)
        rcpt, final = self.attempt(node_b)
        self.assertReply(rcpt, 250, "the retry passes on the other node")
        self.assertReply(final, 250)

    def test_redis_going_away_fails_open(self):
        redis, sink = self.start_redis(), self.start_sink()
        mx = self.start_mxgate(self.config(sink, state=self.redis_state(redis)))
        self.assertReply(self.attempt(mx)[0], 451)
        redis.stop()
        rcpt, final = self.attempt(mx, rcpt="other@example.org")
        self.assertReply(rcpt, 250, "store unavailable: greylisting fails open by default")
        self.assertReply(final, 250)
        # The fail-open is logged; the line may still be on its way from mxgate's stderr.
        mx.wait_log("greylist_store_unavailable")


class RateLimits(GreylistBase):
    def test_connections_per_window(self):
        sink = self.start_sink()
        mx = self.start_mxgate(self.config(sink, state=self.sqlite(),
                                           rate_limit={"max_connections_per_window": 2, "window": "60s"}))
        for _ in range(2):
            with RawSmtp(mx.port()) as c:
                self.assertReply(c.greeting, 220)
        with RawSmtp(mx.port()) as c:
            self.assertReply(c.greeting, "421 4.7.0", "the third connection in the window")

    def test_messages_per_window(self):
        sink = self.start_sink()
        mx = self.start_mxgate(self.config(sink, state=self.sqlite(),
                                           rate_limit={"max_messages_per_window": 1, "window": "60s"}))
        with RawSmtp(mx.port()) as c:
            c.ehlo()
            self.assertReply(c.cmd("MAIL FROM:<a@example.com>"), 250)
            self.assertReply(c.cmd("RSET"), 250)
            self.assertReply(c.cmd("MAIL FROM:<a@example.com>"), "451 4.7.0")


if __name__ == "__main__":
    unittest.main()
