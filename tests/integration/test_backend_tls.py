"""STARTTLS to backends with certificate verification: each backend trusts only its own
ca_file (or the system store without one), never another backend's private CA."""

import unittest

from harness import (FaultyBackend, MxgateTestCase, RawSmtp, make_ca, make_server_certificate, mxgate_config,
                     server_tls_context, simple_message, smtp_backend)


class BackendTrustStores(MxgateTestCase):
    def setUp(self):
        super().setUp()
        self.certs = self.tmp / "certs"
        self.certs.mkdir()
        self.ca_a = make_ca(self.certs, "a")
        self.ca_b = make_ca(self.certs, "b")

    def backend(self, name: str, signed_by) -> FaultyBackend:
        """A STARTTLS backend whose certificate for backend-<name>.test is signed by `signed_by`."""
        cert, key = make_server_certificate(self.certs, signed_by, f"backend-{name}.test")
        return self.start_faulty(name=f"backend-{name}", tls=server_tls_context(cert, key))

    @staticmethod
    def verifying(backend: FaultyBackend, name: str, ca_file=None) -> dict:
        extra = {"tls": "required", "tls_verify": True, "tls_server_name": f"backend-{name}.test"}
        if ca_file is not None:
            extra["ca_file"] = str(ca_file)
        return smtp_backend(backend.address, **extra)

    def gateway(self, a_settings: dict, b_settings: dict):
        return self.start_mxgate(mxgate_config(domains={"a.example": "a", "b.example": "b"},
                                               backends={"a": a_settings, "b": b_settings}))

    def deliver(self, mx, rcpt: str):
        """The RCPT reply, and the final reply when RCPT was accepted."""
        with RawSmtp(mx.port()) as c:
            c.ehlo()
            self.assertReply(c.cmd("MAIL FROM:<sender@example.com>"), 250)
            rcpt_reply = c.cmd(f"RCPT TO:<{rcpt}>")
            if rcpt_reply.code != 250:
                return rcpt_reply, None
            self.assertReply(c.cmd("DATA"), 354)
            return rcpt_reply, c.message(simple_message(to=rcpt))

    def test_each_backend_is_verified_with_its_own_ca(self):
        a = self.backend("a", self.ca_a)
        b = self.backend("b", self.ca_b)
        mx = self.gateway(self.verifying(a, "a", self.ca_a[0]), self.verifying(b, "b", self.ca_b[0]))
        for rcpt, backend in (("user@a.example", a), ("user@b.example", b)):
            rcpt_reply, final = self.deliver(mx, rcpt)
            self.assertReply(rcpt_reply, 250, rcpt)
            self.assertReply(final, 250, rcpt)
            self.assertEqual(len(backend.wait_messages(1)), 1)
            self.assertIn("STARTTLS", backend.commands())

    def test_backend_does_not_trust_another_backends_ca(self):
        a = self.backend("a", self.ca_a)
        # B shows a certificate with its own name, but issued by A's private CA.
        b = self.backend("b", self.ca_a)
        mx = self.gateway(self.verifying(a, "a", self.ca_a[0]), self.verifying(b, "b", self.ca_b[0]))
        rcpt_reply, _ = self.deliver(mx, "user@b.example")
        self.assertReply(rcpt_reply, "451 4.3.0", "B trusts only CA-B, not the CA configured for A")
        self.assertIn("STARTTLS", b.commands())
        self.assertEqual(b.commands_starting("MAIL"), [], "nothing is sent over an unverified connection")
        rcpt_reply, final = self.deliver(mx, "user@a.example")
        self.assertReply(final, 250, "A still verifies with its own CA")

    def test_backend_without_ca_file_uses_the_system_store(self):
        a = self.backend("a", self.ca_a)
        b = self.backend("b", self.ca_a)
        mx = self.gateway(self.verifying(a, "a", self.ca_a[0]), self.verifying(b, "b"))
        rcpt_reply, _ = self.deliver(mx, "user@b.example")
        self.assertReply(rcpt_reply, "451 4.3.0", "a private CA of another backend is not in the system store")
        self.assertEqual(b.commands_starting("MAIL"), [])
        rcpt_reply, final = self.deliver(mx, "user@a.example")
        self.assertReply(final, 250)


if __name__ == "__main__":
    unittest.main()
