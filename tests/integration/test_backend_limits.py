"""backends.<name>.max_connections through the whole gateway: more clients than the bound share
the backend's connections (the rest wait in line), for the whole process across workers; a
client that waits longer than timeouts.backend_connect gets 451 4.3.2, and no client hears 250
for a message the backend did not accept."""

import threading
import time
import unittest

from harness import MxgateTestCase, RawSmtp, mxgate_config, simple_message, smtp_backend

CLIENTS = 6
MAX_CONNECTIONS = 2


def slow_dot(seconds: float):
    """A DOT reply that takes `seconds`: a backend that is busy, not broken."""
    def reply(_session, _line):
        time.sleep(seconds)
        return "250 2.0.0 Ok: queued as SLOW"
    return reply


class BackendConnectionLimit(MxgateTestCase):
    def gateway(self, backend, backend_connect: str):
        return self.start_mxgate(mxgate_config(
            domains={"example.org": "slow"},
            backends={"slow": smtp_backend(backend.address, max_connections=MAX_CONNECTIONS)},
            server={"workers": 2},   # the bound is per process, not per worker
            timeouts={"backend_connect": backend_connect, "backend_data_done": "20s"}))

    def send_all(self, mx) -> list[dict]:
        """CLIENTS sessions at once, each EHLO, MAIL, RCPT and (after a 250) DATA + message: their replies."""
        results = [dict() for _ in range(CLIENTS)]
        start = threading.Barrier(CLIENTS)

        def client(i: int):
            out = results[i]
            try:
                with RawSmtp(mx.port(), timeout=30) as c:
                    c.ehlo()
                    start.wait(10)
                    out["mail"] = c.cmd("MAIL FROM:<s@example.com>")
                    out["rcpt"] = c.cmd(f"RCPT TO:<r{i}@example.org>")
                    if out["rcpt"].code != 250:
                        return
                    out["data"] = c.cmd("DATA")
                    out["end"] = c.message(simple_message(subject=f"client {i}", to=f"r{i}@example.org"))
            except Exception as exc:   # reported by the assertions
                out["error"] = exc

        threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(CLIENTS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        self.assertFalse(any(t.is_alive() for t in threads), "a client never finished")
        for out in results:
            self.assertNotIn("error", out, out)
        return results

    def test_clients_share_the_allowed_connections_and_all_are_delivered(self):
        backend = self.start_faulty(replies={"DOT": slow_dot(0.4)})
        mx = self.gateway(backend, backend_connect="20s")
        results = self.send_all(mx)
        for out in results:
            self.assertReply(out["rcpt"], 250)
            self.assertReply(out["end"], 250)
        self.assertEqual(len(backend.wait_messages(CLIENTS)), CLIENTS)
        self.assertLessEqual(backend.max_open_transactions, MAX_CONNECTIONS,
                             "more backend connections in use at once than max_connections")
        self.assertGreaterEqual(len(mx.log_lines("backend_slot_wait")), 1, "no session waited: no bound?")
        mx.assert_alive()

    def test_a_client_that_waits_longer_than_backend_connect_gets_451_4_3_2(self):
        # The backend takes 4 s per message; waiting for a connection may take 1 s at most.
        backend = self.start_faulty(replies={"DOT": slow_dot(4)})
        mx = self.gateway(backend, backend_connect="1s")
        results = self.send_all(mx)
        delivered = [out for out in results if out["rcpt"].code == 250]
        busy = [out for out in results if out["rcpt"].code != 250]
        self.assertEqual(len(delivered), MAX_CONNECTIONS, results)
        for out in busy:
            self.assertReply(out["rcpt"], "451 4.3.2")
        for out in delivered:
            self.assertReply(out["end"], 250)
        # Nothing lost: every 250 the clients heard is a message the backend accepted.
        self.assertEqual(len(backend.wait_messages(len(delivered))), len(delivered))
        self.assertEqual(len(backend.commands_starting("MAIL")), MAX_CONNECTIONS, "a refused client reached the backend")
        self.assertLessEqual(backend.max_open_transactions, MAX_CONNECTIONS)
        self.assertEqual(len(mx.log_lines("backend_busy")), CLIENTS - MAX_CONNECTIONS)
        mx.assert_alive()


if __name__ == "__main__":
    unittest.main()
