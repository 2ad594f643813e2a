"""LMTP with many recipients (issue 11 item 11), against a real Dovecot: one transaction when every
recipient is answered alike; when they differ, 451 and a retry that delivers only to the rest, one
recipient per transaction, with no duplicate in any mailbox (docs/architecture.md "LMTP with many recipients")."""

import re

from harness import MxgateTestCase, RawSmtp, lmtp_backend, mxgate_config, simple_message

SENDER = "s@example.com"
USERS = ("alice@example.net", "bob@example.net", "carol@example.net")
BIG = ("x" * 70 + "\n") * 50  # over bob's 1 KiB quota: Dovecot refuses it for bob alone after the final dot


class LmtpRecipients(MxgateTestCase):
    def start(self, users=USERS, quota=None, state_path=None, state=None, name="mxgate"):
        self.dc = self.start_dovecot(users=users, quota=quota or {})
        self.config = mxgate_config(domains={"example.net": "store"},
                                    backends={"store": lmtp_backend(self.dc.address)},
                                    extra={"state": state or {"sqlite": {"path": str(state_path or self.tmp / "state.db")}}})
        self.mx = self.start_mxgate(self.config, name=name)

    def send(self, rcpts, message, expect_rcpt=None):
        """One transaction; returns the RCPT replies and the final reply (None when no RCPT was taken)."""
        with RawSmtp(self.mx.port()) as c:
            c.ehlo()
            self.assertReply(c.cmd(f"MAIL FROM:<{SENDER}>"), 250)
            replies = [c.cmd(f"RCPT TO:<{r}>") for r in rcpts]
            if expect_rcpt is not None:
                self.assertEqual([r.code for r in replies], expect_rcpt, [str(r) for r in replies])
            if not any(r.code == 250 for r in replies):
                return replies, None
            self.assertReply(c.cmd("DATA"), 354)
            return replies, c.message(message)

    def counts(self, users=USERS):
        return {u: len(self.dc.messages(u)) for u in users}

    def dovecot_transactions(self) -> set[str]:
        """Dovecot logs each delivery with its LMTP transaction id; recipient n > 1 adds ":Rn"."""
        return set(re.findall(r"lmtp\([^)]*\)<\d+><([^:>]+)(?::R\d+)?>: Info: [^\n]*saved mail", self.dc._log()))

    def test_ehlo_advertises_rcptmax(self):
        self.start()
        with RawSmtp(self.mx.port()) as c:
            self.assertIn("LIMITS RCPTMAX=1000", c.ehlo().lines)

    def test_thirty_recipients_in_one_transaction(self):
        users = tuple(f"user{i}@example.net" for i in range(30))
        self.start(users=users)
        replies, final = self.send(users, simple_message(subject="thirty"), expect_rcpt=[250] * 30)
        self.assertReply(final, 250)
        for u in users:
            self.assertIn(b"Subject: thirty", self.dc.wait_messages(u, 1)[0])
        self.assertEqual(len(self.dovecot_transactions()), 1, "all 30 in one LMTP transaction")

    def test_every_recipient_refused_gives_that_refusal(self):
        self.start(quota={u: "1k" for u in USERS})
        _, final = self.send(USERS, simple_message(subject="big", body=BIG), expect_rcpt=[250] * 3)
        self.assertReply(final, "552 5.2.2")
        self.assertEqual(self.counts(), {u: 0 for u in USERS})

    def test_mixed_answers_give_451_and_the_retry_delivers_only_to_the_rest(self):
        self.start(quota={"bob@example.net": "1k"})
        message = simple_message(subject="mixed", body=BIG)
        _, final = self.send(USERS, message, expect_rcpt=[250] * 3)
        self.assertReply(final, "451 4.3.0", "never a 250 while bob was refused")
        self.dc.wait_messages("alice@example.net", 1)
        self.dc.wait_messages("carol@example.net", 1)
        self.assertEqual(self.counts(), {"alice@example.net": 1, "bob@example.net": 0, "carol@example.net": 1})
        event = self.mx.wait_log("lmtp_mixed_outcome")
        self.assertEqual(event["delivered"], "<alice@example.net>,<carol@example.net>")
        self.assertEqual(event["refused"], "<bob@example.net>")

        # The client retries the whole envelope: one recipient per transaction, each its own answer.
        _, final = self.send(USERS, message, expect_rcpt=[250, 452, 452])
        self.assertReply(final, 250, "alice has it already: 250 without a second delivery")
        self.mx.wait_log("lmtp_retry", rcpt="alice@example.net", result="already_delivered")
        _, final = self.send(USERS[1:], message, expect_rcpt=[250, 452])
        self.assertReply(final, "552 5.2.2", "bob's own refusal, which the client bounces for bob alone")
        _, final = self.send(USERS[2:], message, expect_rcpt=[250])
        self.assertReply(final, 250)
        self.assertEqual(self.counts(), {"alice@example.net": 1, "bob@example.net": 0, "carol@example.net": 1},
                         "no duplicate, nothing for bob")

        # Another message from the same sender to alice is new: delivered (still alone).
        _, final = self.send(USERS[:1], simple_message(subject="another"), expect_rcpt=[250])
        self.assertReply(final, 250)
        self.assertIn(b"Subject: another", self.dc.wait_messages("alice@example.net", 2)[-1])

    def test_retry_by_bdat_finds_the_same_message(self):
        self.start(quota={"bob@example.net": "1k"})
        message = simple_message(subject="by bdat", body=BIG)
        _, final = self.send(USERS[:2], message, expect_rcpt=[250, 250])
        self.assertReply(final, "451 4.3.0")
        with RawSmtp(self.mx.port()) as c:
            c.ehlo()
            self.assertReply(c.cmd(f"MAIL FROM:<{SENDER}>"), 250)
            self.assertReply(c.cmd("RCPT TO:<alice@example.net>"), 250)
            c.send(b"BDAT %d LAST\r\n" % len(message) + message)
            self.assertReply(c.reply(), 250)
        self.mx.wait_log("lmtp_retry", rcpt="alice@example.net", result="already_delivered")
        self.assertEqual(self.counts(USERS[:2]), {"alice@example.net": 1, "bob@example.net": 0})

    def test_a_fleet_sharing_redis_retries_exactly_on_another_node(self):
        redis = self.start_redis()
        self.start(quota={"bob@example.net": "1k"}, name="node-a",
                   state={"backend": "redis", "redis": {"host": "127.0.0.1", "port": redis.port, "timeout": "300ms"}})
        message = simple_message(subject="fleet", body=BIG)
        _, final = self.send(USERS[:2], message, expect_rcpt=[250, 250])
        self.assertReply(final, "451 4.3.0")
        self.dc.wait_messages("alice@example.net", 1)
        self.mx = self.start_mxgate(self.config, name="node-b")  # the client's retry reaches another node
        _, final = self.send(USERS[:2], message, expect_rcpt=[250, 452])
        self.assertReply(final, 250)
        self.mx.wait_log("lmtp_retry", rcpt="alice@example.net", result="already_delivered")
        _, final = self.send(USERS[1:2], message, expect_rcpt=[250])
        self.assertReply(final, "552 5.2.2")
        self.assertEqual(self.counts(USERS[:2]), {"alice@example.net": 1, "bob@example.net": 0})

    def test_without_a_store_each_transaction_takes_one_recipient(self):
        self.start(state_path=self.tmp / "missing" / "state.db")
        self.mx.wait_log("lmtp_store_unavailable")
        _, final = self.send(USERS, simple_message(subject="alone"), expect_rcpt=[250, 452, 452])
        self.assertReply(final, 250)
        self.assertEqual(self.counts(), {"alice@example.net": 1, "bob@example.net": 0, "carol@example.net": 0})
