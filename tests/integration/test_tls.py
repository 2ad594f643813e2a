"""STARTTLS and implicit TLS: advertising, delivery over TLS (swaks, smtplib), the
STARTTLS command-injection defence (plaintext pipelined after STARTTLS is discarded),
state reset after the upgrade, and the TLS handshake deadline."""

import socket
import unittest

from harness import (MxgateTestCase, RawSmtp, assert_received_prepended,
                     client_tls_context, mxgate_config, simple_message, smtp_backend, smtp_client, swaks)

HANG_GUARD = 15.0   # seconds: a read that only catches a hang; no test asserts how fast the server gives up


class TlsBase(MxgateTestCase):
    def setUp(self):
        super().setUp()
        self.sink = self.start_sink()
        self.mx = self.start_mxgate(mxgate_config(
            listeners=[("127.0.0.1:0", "starttls"), ("127.0.0.1:0", "implicit"), ("127.0.0.1:0", "none")],
            domains={"example.org": "sink"}, backends={"sink": smtp_backend(self.sink.address)},
            timeouts={"tls_handshake": "2s"}))


class StartTls(TlsBase):
    def test_listeners_logged_with_their_mode(self):
        modes = sorted(mode for _h, _p, mode in self.mx.listeners)
        self.assertEqual(modes, ["implicit", "none", "starttls"])

    def test_starttls_advertised_only_before_tls(self):
        with RawSmtp(self.mx.port("starttls")) as c:
            self.assertIn("STARTTLS", c.ehlo().lines)
            self.assertReply(c.cmd("STARTTLS"), "220")
            c.starttls()
            after = c.ehlo()
            self.assertReply(after, 250)
            self.assertNotIn("STARTTLS", after.lines, "no STARTTLS once the session is encrypted")
            self.assertReply(c.cmd("STARTTLS"), "503", "a second STARTTLS")

    def test_starttls_not_offered_on_plain_listener(self):
        with RawSmtp(self.mx.port("none")) as c:
            self.assertNotIn("STARTTLS", c.ehlo().lines)
            r = c.cmd("STARTTLS")
            self.assertEqual(r.code // 100, 5, f"STARTTLS on a tls: none listener: {r}")

    def test_swaks_tls(self):
        msg = simple_message(subject="over tls")
        r = swaks(self.mx.port("starttls"), to="t@example.org", tls=True, data=msg, workdir=self.tmp)
        self.assertTrue(r.ok, f"swaks --tls: {r}")
        [m] = self.sink.wait_messages(1)
        assert_received_prepended(self, msg, m.content)

    def test_smtplib_starttls(self):
        with smtp_client(self.mx.port("starttls")) as c:
            c.ehlo()
            code, _ = c.starttls(context=client_tls_context())
            self.assertEqual(code, 220)
            self.assertIsNotNone(c.sock.version())
            self.assertEqual(c.sendmail("s@example.com", ["t@example.org"], simple_message()), {})
        self.sink.wait_messages(1)

    def test_plaintext_pipelined_after_starttls_is_discarded(self):
        with RawSmtp(self.mx.port("starttls")) as c:
            c.ehlo()
            # RFC 3207 §4.2 / CVE-2011-0411: the injected RSET must not be answered, neither in
            # plaintext before the handshake nor inside the TLS session afterwards.
            c.send(b"STARTTLS\r\nRSET\r\n")
            self.assertReply(c.reply(), "220")
            leftover = c.starttls()
            self.assertEqual(leftover, b"", f"plaintext after the 220: {leftover!r}")
            ehlo = c.ehlo("after.tls")
            self.assertReply(ehlo, 250)
            self.assertGreater(len(ehlo.lines), 1, f"the first reply over TLS must be the EHLO reply, got {ehlo}")
            self.assertReply(c.cmd("NOOP"), 250)
            self.assertEqual(c.pending(0.5), b"", "no reply to the injected RSET may arrive over TLS")

    def test_injected_mail_is_not_executed(self):
        with RawSmtp(self.mx.port("starttls")) as c:
            c.ehlo()
            c.send(b"STARTTLS\r\nMAIL FROM:<injected@example.com>\r\n")
            self.assertReply(c.reply(), "220")
            self.assertEqual(c.starttls(), b"")
            c.ehlo()
            self.assertReply(c.cmd("RCPT TO:<t@example.org>"), "503", "the injected MAIL must have been discarded")
            self.assertEqual(c.pending(0.3), b"")

    def test_state_reset_after_starttls(self):
        with RawSmtp(self.mx.port("starttls")) as c:
            c.ehlo()
            self.assertReply(c.cmd("MAIL FROM:<before@example.com>"), 250)
            r = c.cmd("STARTTLS")
            if r.code == 220:   # a server may also refuse STARTTLS inside a transaction (503)
                c.starttls()
                c.ehlo()
                self.assertReply(c.cmd("RCPT TO:<t@example.org>"), "503", "MAIL from before TLS must be forgotten")
            else:
                self.assertReply(r, "503")


class ImplicitTls(TlsBase):
    def test_smtps_delivery(self):
        with smtp_client(self.mx.port("implicit"), implicit_tls=True) as c:
            code, text = c.ehlo()
            self.assertEqual(code, 250)
            self.assertNotIn(b"STARTTLS", text.upper())
            self.assertEqual(c.sendmail("s@example.com", ["i@example.org"], simple_message(subject="smtps")), {})
        self.sink.wait_messages(1)

    def test_swaks_tls_on_connect(self):
        r = swaks(self.mx.port("implicit"), to="i@example.org", tls_on_connect=True, data=simple_message(),
                  workdir=self.tmp)
        self.assertTrue(r.ok, str(r))
        self.sink.wait_messages(1)

    def test_handshake_deadline(self):
        with socket.create_connection(("127.0.0.1", self.mx.port("implicit")), timeout=5) as s:
            s.settimeout(HANG_GUARD)
            try:
                data = s.recv(100)   # say nothing: the server must give up after tls_handshake (2s)
            except ConnectionResetError:
                data = b""
            except socket.timeout:
                self.fail(f"silent client kept a TLS handshake open for {HANG_GUARD:.0f}s with tls_handshake=2s")
        # Closed at all within the guard: no timer but tls_handshake runs before the handshake ends.
        self.assertEqual(data, b"", "the server closes a silent TLS client without a byte")
        self.mx.wait_log("tls_failed")
        self.mx.assert_alive()

    def test_plaintext_on_implicit_port_is_not_smtp(self):
        with socket.create_connection(("127.0.0.1", self.mx.port("implicit")), timeout=5) as s:
            s.sendall(b"EHLO plain.test\r\n")
            s.settimeout(4)
            try:
                data = s.recv(100)
            except (ConnectionResetError, socket.timeout):
                data = b""
        self.assertFalse(data.startswith(b"250"), f"plaintext SMTP must not work on the implicit TLS port: {data!r}")
        self.mx.assert_alive()

    def test_garbage_handshake_then_good_client(self):
        with socket.create_connection(("127.0.0.1", self.mx.port("implicit")), timeout=5) as s:
            s.sendall(b"\x16\x03\x01\x00\x05hello-not-tls")
            s.settimeout(3)
            try:
                s.recv(100)
            except (ConnectionResetError, socket.timeout):
                pass
        with RawSmtp(self.mx.port("implicit"), implicit_tls=True) as c:
            self.assertReply(c.greeting, 220)
            self.assertReply(c.ehlo(), 250)


if __name__ == "__main__":
    unittest.main()
