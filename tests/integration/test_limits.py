"""Limits and deadlines: line length, recipients, errors, junk, message size (SIZE and
streaming), transactions per session, command/data timeouts as deadlines (a trickling client
cannot keep a session), connection limits per IP and in total."""

import itertools
import time
import unittest

from harness import (ConnectionClosed, HarnessError, MxgateTestCase, RawSmtp, crlf, mxgate_config, simple_message,
                     smtp_backend, wait_for)

HANG_GUARD = 30.0   # seconds: only catches a deadline that never fires; no test asserts how late one fires


class LimitsBase(MxgateTestCase):
    def gateway(self, limits=None, timeouts=None):
        self.sink = self.start_sink()
        self.mx = self.start_mxgate(mxgate_config(domains={"example.org": "sink"},
                                                  backends={"sink": smtp_backend(self.sink.address)},
                                                  limits=limits, timeouts=timeouts))
        return self.mx

    def assert_nothing_delivered(self, context):
        time.sleep(0.3)
        self.assertEqual(self.sink.data_ends(), 0, f"{context}: no message may reach the backend; "
                                                   f"sink saw {self.sink.commands()}")
        self.assertEqual(self.sink.messages(), [], context)

    def read_until_421_or_close(self, c: RawSmtp, send_next, max_commands: int):
        """Send commands with send_next(i) until a 421 arrives; returns (index of the 421, replies)."""
        replies = []
        for i in range(max_commands):
            try:
                send_next(i)
                r = c.reply()
            except (ConnectionClosed, OSError) as exc:
                self.fail(f"connection closed without a 421 after {i} commands ({exc}); replies: {replies}")
            replies.append(r)
            if r.code == 421:
                try:
                    c.wait_closed(3)
                except HarnessError as exc:
                    self.fail(f"421 must be followed by closing the connection: {exc}")
                return i, replies
        self.fail(f"no 421 after {max_commands} commands; replies: {replies}")

    @staticmethod
    def trickle(c: RawSmtp, chunks, *, reply_wait: float, start: float, give_up_after: float):
        """Send the chunks one by one, waiting up to reply_wait for a reply after each, until a reply
        comes, the connection ends or give_up_after seconds since start have passed. Returns the reply or None."""
        reply = None
        for chunk in chunks:
            if time.monotonic() - start >= give_up_after:
                break
            try:
                c.send(chunk)
                reply = c.try_reply(reply_wait)
            except (ConnectionClosed, OSError):
                break
            if reply:
                break
        return reply


class LineAndCommandLimits(LimitsBase):
    def test_command_line_too_long(self):
        mx = self.gateway(limits={"max_command_line_length": 1000})
        with RawSmtp(mx.port()) as c:
            c.ehlo()
            self.assertReply(c.cmd("NOOP " + "a" * 900), 250, "a 906-byte line is within the limit")
            self.assertReply(c.cmd("NOOP " + "a" * 3000), "500 5.5", "line longer than max_command_line_length")
            self.assertEqual(c.pending(0.3), b"", "one reply for the over-long line, not one per buffer")
            self.assertReply(c.cmd("NOOP"), 250, "the session survives an over-long line")
            self.assertReply(c.cmd("MAIL FROM:<" + "a" * 2000 + "@example.com>"), "5")

    def test_too_many_recipients(self):
        mx = self.gateway(limits={"max_recipients": 3})
        with RawSmtp(mx.port()) as c:
            c.ehlo()
            self.assertReply(c.cmd("MAIL FROM:<s@example.com>"), 250)
            for i in range(3):
                self.assertReply(c.cmd(f"RCPT TO:<r{i}@example.org>"), 250)
            self.assertReply(c.cmd("RCPT TO:<r3@example.org>"), "452 4.5.3")
            self.assertReply(c.cmd("DATA"), 354)
            self.assertReply(c.message(simple_message()), 250)
        [m] = self.sink.wait_messages(1)
        self.assertEqual(m.recipients, ["r0@example.org", "r1@example.org", "r2@example.org"])

    def test_error_limit(self):
        mx = self.gateway(limits={"max_errors": 3})
        with RawSmtp(mx.port()) as c:
            c.ehlo()
            i, replies = self.read_until_421_or_close(c, lambda i: c.send(b"XYZZY\r\n"), 10)
            self.assertIn(i, (2, 3), f"421 expected at the 3rd or 4th bad command (max_errors=3): {replies}")
            self.assertTrue(all(r.code // 100 == 5 for r in replies[:-1]), replies)

    def test_junk_command_limit(self):
        mx = self.gateway(limits={"max_junk_commands": 5, "max_errors": 3})
        with RawSmtp(mx.port()) as c:
            c.ehlo()
            i, replies = self.read_until_421_or_close(c, lambda i: c.send(b"NOOP\r\n"), 20)
            self.assertGreaterEqual(i, 5, f"the first 5 NOOPs are fine: {replies}")
            self.assertLessEqual(i, 5 + 3 + 1, f"junk beyond the limit must end the session: {replies}")

    def test_repeated_ehlo_is_a_junk_command(self):
        # Each greeting after the first runs the helo stage again (DNS queries, findings): junk.
        mx = self.gateway(limits={"max_junk_commands": 10})
        with RawSmtp(mx.port()) as c:
            self.assertReply(c.ehlo(), 250)
            i, replies = self.read_until_421_or_close(
                c, lambda i: c.send(b"EHLO client.test\r\n" if i % 2 else b"HELO client.test\r\n"), 30)
        self.assertEqual(i, 10, f"10 repeated greetings are allowed, the 11th ends the session: {replies}")
        self.assertReply(replies[-1], "421 4.7.0")

    def test_transactions_per_session(self):
        mx = self.gateway(limits={"max_transactions_per_session": 2})
        with RawSmtp(mx.port()) as c:
            c.ehlo()
            for n in range(2):
                self.assertReply(c.cmd("MAIL FROM:<s@example.com>"), 250, f"transaction {n + 1}")
                self.assertReply(c.cmd("RSET"), 250)
            r = c.cmd("MAIL FROM:<s@example.com>")
            self.assertNotEqual(r.code // 100, 2, f"third MAIL beyond max_transactions_per_session=2: {r}")


class RecipientOvershoot(LimitsBase):
    """A 452 4.5.3 recipient is one to retry in another transaction, not a client error, up to
    limits.recipient_overshoot_limit (Postfix smtpd_recipient_overshoot_limit); the accepted
    recipients still get the message. max_errors stays at its default (20) unless said."""
    RCPTS = [f"r{i}@example.org" for i in range(100)]

    def assert_accepted_ones_delivered(self, sink, n: int):
        [m] = sink.wait_messages(1)
        self.assertEqual(sorted(m.recipients), sorted(self.RCPTS[:n]))

    def test_100_recipients_over_a_limit_of_5_still_deliver(self):
        mx = self.gateway(limits={"max_recipients": 5})
        with RawSmtp(mx.port()) as c:
            c.ehlo()
            self.assertReply(c.cmd("MAIL FROM:<s@example.com>"), 250)
            for i, rcpt in enumerate(self.RCPTS):
                self.assertReply(c.cmd(f"RCPT TO:<{rcpt}>"), 250 if i < 5 else "452 4.5.3", f"RCPT #{i + 1}")
            self.assertReply(c.cmd("DATA"), 354, "95 deferred recipients are no reason to close the session")
            self.assertReply(c.message(simple_message()), 250)
        self.assert_accepted_ones_delivered(self.sink, 5)

    def test_100_pipelined_recipients_over_a_limit_of_5_still_deliver(self):
        mx = self.gateway(limits={"max_recipients": 5})
        with RawSmtp(mx.port()) as c:
            c.ehlo()
            c.send("MAIL FROM:<s@example.com>\r\n" + "".join(f"RCPT TO:<{r}>\r\n" for r in self.RCPTS) + "DATA\r\n")
            replies = c.replies(2 + len(self.RCPTS))
            self.assertEqual([r.code for r in replies], [250] + [250] * 5 + [452] * 95 + [354], replies[-3:])
            self.assertReply(c.message(simple_message()), 250)
        self.assert_accepted_ones_delivered(self.sink, 5)

    def test_recipients_of_another_route_do_not_end_the_session(self):
        sink, other = self.start_sink(), self.start_sink(name="other")
        mx = self.start_mxgate(mxgate_config(domains={"example.org": "sink", "example.net": "other"},
                                             backends={"sink": smtp_backend(sink.address),
                                                       "other": smtp_backend(other.address)}))
        with RawSmtp(mx.port()) as c:
            c.ehlo()
            self.assertReply(c.cmd("MAIL FROM:<s@example.com>"), 250)
            self.assertReply(c.cmd(f"RCPT TO:<{self.RCPTS[0]}>"), 250)
            for i in range(30):
                self.assertReply(c.cmd(f"RCPT TO:<n{i}@example.net>"), "452 4.5.3", f"other route #{i + 1}")
            self.assertReply(c.cmd("DATA"), 354)
            self.assertReply(c.message(simple_message()), 250)
        self.assert_accepted_ones_delivered(sink, 1)
        self.assertEqual(other.data_ends(), 0)

    def test_beyond_the_overshoot_limit_each_deferral_is_an_error(self):
        mx = self.gateway(limits={"max_recipients": 2, "recipient_overshoot_limit": 5, "max_errors": 3})
        with RawSmtp(mx.port()) as c:
            c.ehlo()
            self.assertReply(c.cmd("MAIL FROM:<s@example.com>"), 250)
            i, replies = self.read_until_421_or_close(c, lambda i: c.send(f"RCPT TO:<{self.RCPTS[i]}>\r\n"), 20)
        # 2 accepted, 5 deferred for free, 2 deferred as errors 1 and 2, and error 3 closes.
        self.assertEqual([r.code for r in replies], [250] * 2 + [452] * 7 + [421], replies)
        self.assert_nothing_delivered("a session closed before DATA")


class MessageSize(LimitsBase):
    LIMIT = 10000

    def test_size_advertised_and_declared_size_checked(self):
        mx = self.gateway(limits={"max_message_size": str(self.LIMIT)})
        with RawSmtp(mx.port()) as c:
            ehlo = c.ehlo()
            self.assertIn(f"SIZE {self.LIMIT}", ehlo.lines)
            self.assertReply(c.cmd(f"MAIL FROM:<s@example.com> SIZE={self.LIMIT * 2}"), "552 5.3.4")
            self.assertReply(c.cmd("MAIL FROM:<s@example.com> SIZE=5000"), 250)
            self.assertReply(c.cmd("RCPT TO:<r@example.org>"), 250)
            self.assertReply(c.cmd("DATA"), 354)
            self.assertReply(c.message(simple_message(body="small\n")), 250)
        self.sink.wait_messages(1)

    def test_streaming_over_the_limit(self):
        mx = self.gateway(limits={"max_message_size": str(self.LIMIT)})
        big = simple_message(body=("0123456789" * 7 + "\n") * 600)   # ~43 KB
        with RawSmtp(mx.port()) as c:
            c.ehlo()
            self.assertReply(c.cmd("MAIL FROM:<s@example.com>"), 250)
            self.assertReply(c.cmd("RCPT TO:<r@example.org>"), 250)
            self.assertReply(c.cmd("DATA"), 354)
            try:
                c.send(big + b".\r\n")
            except OSError:
                pass   # mxgate may stop reading after refusing; the reply is what matters
            self.assertReply(c.reply(), "552", "message larger than max_message_size")
        self.assert_nothing_delivered("oversized message")

    def test_bdat_over_the_limit(self):
        mx = self.gateway(limits={"max_message_size": str(self.LIMIT)})
        chunk = crlf(("x" * 98 + "\n") * 60)   # 6000 bytes
        with RawSmtp(mx.port()) as c:
            c.ehlo()
            c.cmd("MAIL FROM:<s@example.com>")
            c.cmd("RCPT TO:<r@example.org>")
            codes = []
            try:
                c.send(b"BDAT %d\r\n" % len(chunk) + chunk)
                codes.append(c.reply().code)
                c.send(b"BDAT %d LAST\r\n" % len(chunk) + chunk)
                codes.append(c.reply().code)
            except (ConnectionClosed, OSError):
                pass
            self.assertIn(552, codes, f"12000 bytes over BDAT with a {self.LIMIT} limit: {codes}")
            self.assertNotIn(250, codes[1:], f"never 250 for the LAST chunk: {codes}")
        self.assert_nothing_delivered("oversized BDAT message")


class Deadlines(LimitsBase):
    def test_trickling_command_cannot_outlive_command_timeout(self):
        mx = self.gateway(timeouts={"command": "2s"})
        with RawSmtp(mx.port()) as c:
            start = time.monotonic()
            payload = b"NOOP " + b"x" * 100   # one byte per 0.5 s: 52 s, past the hang guard
            reply = self.trickle(c, (bytes([b]) for b in payload), reply_wait=0.5, start=start,
                                 give_up_after=HANG_GUARD)
            elapsed = time.monotonic() - start
            if reply is not None:
                self.assertReply(reply, "421", "deadline reply")
                c.wait_closed(2)
            # Ended while the client still trickled: a deadline that traffic pushed back never would.
            self.assertLess(elapsed, HANG_GUARD, "the client trickled one byte per 0.5s until the hang guard")
            self.assertEqual(mx.wait_log("session_close")["reason"], "timeout")
            self.assertGreaterEqual(elapsed, 1.5, f"closed after {elapsed:.1f}s: before the 2s deadline")

    def test_idle_client_gets_421(self):
        mx = self.gateway(timeouts={"command": "2s"})
        with RawSmtp(mx.port()) as c:
            got = c.wait_closed(HANG_GUARD)
            self.assertTrue(got.startswith(b"421"), f"timeout reply should be 421 4.4.2, got {got!r}")
            self.assertEqual(mx.wait_log("session_close")["reason"], "timeout")

    def test_trickling_data_cannot_outlive_data_timeout(self):
        mx = self.gateway(timeouts={"command": "2s", "data": "3s"})
        with RawSmtp(mx.port()) as c:
            c.ehlo()
            c.cmd("MAIL FROM:<s@example.com>")
            c.cmd("RCPT TO:<r@example.org>")
            self.assertReply(c.cmd("DATA"), 354)
            start = time.monotonic()
            c.send(b"Subject: slow\r\n\r\n")
            # Complete lines, so only a whole-message deadline stops this.
            reply = self.trickle(c, itertools.repeat(b"line\r\n"), reply_wait=0.3, start=start,
                                 give_up_after=HANG_GUARD)
            elapsed = time.monotonic() - start
            self.assertLess(elapsed, HANG_GUARD, "the DATA phase lived until the hang guard with timeouts.data=3s")
            self.assertEqual(mx.wait_log("session_close")["reason"], "timeout")
            if reply is not None:
                self.assertReply(reply, "421", "data deadline")
        self.assert_nothing_delivered("timed-out DATA")

    def test_trickling_bdat_chunks_cannot_outlive_data_timeout(self):
        # timeouts.data covers the whole message, BDAT too: all chunks and the commands between them.
        mx = self.gateway(timeouts={"data": "2s"})
        with RawSmtp(mx.port()) as c:
            c.ehlo()
            self.assertReply(c.cmd("MAIL FROM:<s@example.com>"), 250)
            self.assertReply(c.cmd("RCPT TO:<r@example.org>"), 250)
            start = time.monotonic()
            chunks, final = 0, None
            while final is None and time.monotonic() - start < HANG_GUARD:
                try:
                    c.send(b"BDAT 1\r\nx")
                    reply = c.reply(3)
                    if reply.code != 250:
                        final = reply
                        break
                    chunks += 1
                    final = c.try_reply(0.5)   # the pause between chunks; a 421 may come in it
                except (ConnectionClosed, OSError):
                    break
            elapsed = time.monotonic() - start
            self.assertIsNotNone(final, f"{chunks} one-byte chunks accepted over {elapsed:.1f}s "
                                        f"with timeouts.data=2s and no reply ending them")
            self.assertReply(final, "421 4.4.2", "message deadline")
            c.wait_closed(2)
        self.assert_nothing_delivered("timed-out BDAT")


class ConnectionLimits(LimitsBase):
    def _third_refused(self, port: int, held: list[RawSmtp], **connect):
        """connect: RawSmtp's host/source for the connection that must be refused."""
        for c in held:
            self.assertReply(c.greeting, 220)
        try:
            with RawSmtp(port, read_greeting=False, **connect) as extra:
                got = extra.wait_closed(3)
        except ConnectionRefusedError:
            self.fail("the listener must accept and answer 421, not refuse the TCP connection")
        self.assertTrue(got.startswith(b"421"), f"connection over the limit should get 421 and be closed: {got!r}")

    def test_max_connections_per_ip(self):
        mx = self.gateway(limits={"max_connections_per_ip": 2})
        with RawSmtp(mx.port()) as a, RawSmtp(mx.port()) as b:
            self._third_refused(mx.port(), [a, b])
            a.cmd("QUIT")
        # A slot is free again once a session ends.
        def fresh():
            try:
                with RawSmtp(mx.port(), timeout=2) as c:
                    return c.greeting.code == 220
            except (ConnectionClosed, HarnessError, OSError):
                return False
        wait_for(fresh, 3, "a new session to be admitted after one closed")

    def test_ipv4_clients_grouped_by_the_configured_prefix(self):
        # Clients bind other loopback addresses: 127.0.0.1 and 127.0.0.2 are one /24.
        mx = self.gateway(limits={"max_connections_per_ip": 2, "connection_limit_ipv4_prefix": 24})
        with RawSmtp(mx.port(), source="127.0.0.1") as a, RawSmtp(mx.port(), source="127.0.0.2") as b:
            self._third_refused(mx.port(), [a, b], source="127.0.0.3")
        refused = mx.wait_log("connection_refused")
        self.assertEqual((refused["client"], refused["network"]), ("127.0.0.3", "127.0.0.0/24"))

    def test_ipv4_default_counts_each_address(self):
        mx = self.gateway(limits={"max_connections_per_ip": 2})
        with RawSmtp(mx.port(), source="127.0.0.1") as a, RawSmtp(mx.port(), source="127.0.0.1") as b:
            with RawSmtp(mx.port(), source="127.0.0.2") as other:
                self.assertReply(other.greeting, 220, "another address is another client (Postfix anvil)")
            self._third_refused(mx.port(), [a, b])

    def test_ipv6_client_counted_per_slash_64(self):
        # Loopback has one IPv6 address, so this shows the key an IPv6 client counts under (::/64);
        # that two addresses of one /64 share it: unit test ConnectionLimiter.OneSlash64IsOneClient.
        sink = self.start_sink()
        mx = self.start_mxgate(mxgate_config(domains={"example.org": "sink"}, backends={"sink": smtp_backend(sink.address)},
                                             listeners=(("[::1]:0", "none"),), limits={"max_connections_per_ip": 2}))
        with RawSmtp(mx.port(), host="::1") as a, RawSmtp(mx.port(), host="::1") as b:
            self._third_refused(mx.port(), [a, b], host="::1")
        refused = mx.wait_log("connection_refused")
        self.assertEqual((refused["client"], refused["network"]), ("::1", "::/64"))

    def test_max_connections_total(self):
        mx = self.gateway(limits={"max_connections": 3, "max_connections_per_ip": 10})
        with RawSmtp(mx.port()) as a, RawSmtp(mx.port()) as b, RawSmtp(mx.port()) as d:
            self._third_refused(mx.port(), [a, b, d])


if __name__ == "__main__":
    unittest.main()
