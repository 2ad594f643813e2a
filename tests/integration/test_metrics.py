"""The metrics endpoint (docs/metrics.md) through the whole gateway: `metrics.listen` on an
ephemeral loopback port, read with urllib while mail goes through mxgate. The counters move by
what the mail did: a monitored rule's count, an applied reject, a DNS list query against a real
nsd. Any other path is 404, any other method 405; an oversized or silent client harms nothing.

Clients come from 127.0.0.1, which is not a trusted network here, so the filters run."""

import re
import socket
import textwrap
import unittest
import urllib.error
import urllib.request

from harness import MxgateTestCase, RawSmtp, mxgate_config, simple_message, smtp_backend
from harness.nsd import zone_text

POLICY = """
    rules:
      - name: watch-example-com
        monitor: true
        when: {sender: example.com}
        then: {reject: {code: 554, text: "would block"}}
      - name: closed-mailbox
        when: {recipient: gone@example.org}
        then: {reject: {code: 550, enhanced: 5.1.1, text: "Mailbox closed"}}
"""
DNSBL = {"enabled": True, "reject_score": 1,
         "lists": [{"name": "testbl", "zone": "bl.test", "type": "ip", "weight": 1, "timeout": "2s"}]}

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\d+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)",?')


def parse_metrics(text: str) -> dict:
    """{(name, ((label, value), ...)): value} of every sample; every family is a counter."""
    samples = {}
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            assert line.endswith(" counter"), line
            continue
        if line.startswith("#") or not line:
            continue
        match = SAMPLE.match(line)
        assert match, f"not a sample line: {line!r}"
        name, labels, value = match.groups()
        pairs = tuple(sorted(LABEL.findall(labels or "")))
        samples[(name, pairs)] = int(value)
    return samples


class MetricsEndpoint(MxgateTestCase):
    def setUp(self):
        super().setUp()
        nsd, self.sink = self.start_nsd({"bl.test": zone_text("bl.test", [])}), self.start_sink()
        (self.tmp / "policy.yaml").write_text(textwrap.dedent(POLICY))
        self.mx = self.start_mxgate(mxgate_config(
            domains={"example.org": "sink"}, backends={"sink": smtp_backend(self.sink.address)},
            extra={"policy": {"file": "policy.yaml"}, "metrics": {"listen": "127.0.0.1:0"},
                   "dns": {"servers": [nsd.server], "timeout": "5s", "transparent_local_zones": ["test"]},
                   "filters": {"dnsbl": DNSBL}}))
        self.url = "http://" + self.mx.wait_log("metrics_listening")["address"]

    def scrape(self) -> dict:
        with urllib.request.urlopen(self.url + "/metrics", timeout=5) as response:
            self.assertEqual(response.status, 200)
            self.assertEqual(response.headers["Content-Type"], "text/plain; version=0.0.4; charset=utf-8")
            return parse_metrics(response.read().decode())

    def send(self, rcpts: tuple[str, ...], sender: str = "sender@example.com") -> dict:
        out = {}
        with RawSmtp(self.mx.port()) as c:
            self.assertReply(c.ehlo(), 250)
            self.assertReply(c.cmd(f"MAIL FROM:<{sender}>"), 250)
            for rcpt in rcpts:
                out[rcpt] = c.cmd(f"RCPT TO:<{rcpt}>")
            if any(reply.code == 250 for reply in out.values()):
                self.assertReply(c.cmd("DATA"), 354)
                out["data"] = c.message(simple_message(sender=sender))
        return out

    def assertMoved(self, before: dict, after: dict, name: str, by: int, **labels: str):
        key = (name, tuple(sorted(labels.items())))
        self.assertEqual(after.get(key, 0) - before.get(key, 0), by, f"{key}: {before.get(key)} -> {after.get(key)}")

    def test_counters_move_by_what_the_mail_did(self):
        before = self.scrape()
        out = self.send(("gone@example.org", "user@example.org"))
        self.assertReply(out["gone@example.org"], "550 5.1.1")
        self.assertReply(out["data"], 250)
        self.sink.wait_messages(1)
        self.mx.wait_log("transaction")
        after = self.scrape()
        self.assertMoved(before, after, "mxgate_policy_verdicts_total", 1,
                         rule="watch-example-com", action="reject", mode="monitored")
        self.assertMoved(before, after, "mxgate_policy_verdicts_total", 0,
                         rule="watch-example-com", action="reject", mode="applied")
        self.assertMoved(before, after, "mxgate_policy_verdicts_total", 1,
                         rule="closed-mailbox", action="reject", mode="applied")
        self.assertMoved(before, after, "mxgate_dnsbl_queries_total", 1, list="dnsbl.testbl")
        self.assertMoved(before, after, "mxgate_dnsbl_answers_total", 1, list="dnsbl.testbl", result="not_listed")
        self.assertGreaterEqual(after[("mxgate_dns_queries_total", ())], 1)
        self.assertIn(("mxgate_filter_stage_timeouts_total", ()), after)
        self.assertIn(("mxgate_backend_slot_waits_total", ()), after)

    def test_a_reload_starts_the_policy_counts_at_zero(self):
        self.assertReply(self.send(("gone@example.org",))["gone@example.org"], "550 5.1.1")
        key = ("mxgate_policy_verdicts_total",
               tuple(sorted({"rule": "closed-mailbox", "action": "reject", "mode": "applied"}.items())))
        self.assertEqual(self.scrape().get(key), 1)
        self.mx.reload()
        self.assertEqual(self.scrape().get(key, 0), 0, "the new generation counts from zero (docs/metrics.md)")

    def test_other_paths_are_404_and_other_methods_405(self):
        for path in ("/", "/metric", "/metrics/x"):
            with self.assertRaises(urllib.error.HTTPError) as caught:
                urllib.request.urlopen(self.url + path, timeout=5)
            self.assertEqual(caught.exception.code, 404, path)
        with self.assertRaises(urllib.error.HTTPError) as caught:
            urllib.request.urlopen(urllib.request.Request(self.url + "/metrics", data=b"x", method="POST"), timeout=5)
        self.assertEqual(caught.exception.code, 405)
        self.assertEqual(caught.exception.headers["Allow"], "GET")

    def raw_request(self, data: bytes) -> bytes:
        """Sends data as it is and reads until the server closes (b"" when it closed without a word)."""
        host, port = self.url.removeprefix("http://").rsplit(":", 1)
        with socket.create_connection((host, int(port)), timeout=10) as s:
            try:
                s.sendall(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # closed on us mid-request: allowed
            received = b""
            try:
                while chunk := s.recv(65536):
                    received += chunk
            except ConnectionResetError:
                pass
            return received

    def assertStillServing(self):
        self.mx.assert_alive()
        self.assertReply(self.send(("user@example.org",))["data"], 250)
        self.assertIn(("mxgate_dnsbl_skipped_total", ()), self.scrape())

    def test_an_oversized_request_is_refused_and_harms_nothing(self):
        huge = b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Padding: " + b"a" * 100_000 + b"\r\n\r\n"
        answer = self.raw_request(huge)
        if answer:
            self.assertTrue(answer.startswith(b"HTTP/1.1 431 "), answer[:100])
        self.assertEqual(self.raw_request(b"GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\n\r\n")[:13],
                         b"HTTP/1.1 413 ")
        self.assertTrue(self.raw_request(b"\x16\x03\x01 not http at all\r\n\r\n").startswith(b"HTTP/1.1 400 "))
        self.assertStillServing()

    def test_a_silent_client_does_not_hold_up_a_scrape(self):
        host, port = self.url.removeprefix("http://").rsplit(":", 1)
        with socket.create_connection((host, int(port))), socket.create_connection((host, int(port))) as half:
            half.sendall(b"GET /metrics HTTP/1.1\r\nHo")
            self.assertIn(("mxgate_dnsbl_skipped_total", ()), self.scrape())
        self.assertStillServing()



class MonitoredFilter(MxgateTestCase):
    def test_a_monitored_filters_verdict_is_counted_as_monitored(self):
        """monitor_filters: the built-in rule over greylisting's finding is counted, not applied."""
        sink = self.start_sink()
        (self.tmp / "policy.yaml").write_text("monitor_filters: [greylist]\nrules: []\n")
        mx = self.start_mxgate(mxgate_config(
            domains={"example.org": "sink"}, backends={"sink": smtp_backend(sink.address)},
            extra={"policy": {"file": "policy.yaml"}, "metrics": {"listen": "127.0.0.1:0"},
                   "state": {"backend": "sqlite", "sqlite": {"path": str(self.tmp / "state.db")}},
                   "filters": {"greylist": {"enabled": True, "delay": "1h"}}}))
        url = "http://" + mx.wait_log("metrics_listening")["address"] + "/metrics"
        with RawSmtp(mx.port()) as c:
            self.assertReply(c.ehlo(), 250)
            self.assertReply(c.cmd("MAIL FROM:<sender@example.com>"), 250)
            self.assertReply(c.cmd("RCPT TO:<user@example.org>"), 250, "greylisting only watched")
        mx.wait_log("policy_monitor", rule="greylist.defer")
        with urllib.request.urlopen(url, timeout=5) as response:
            samples = parse_metrics(response.read().decode())
        def verdicts(mode: str) -> tuple:
            labels = {"rule": "greylist.defer", "action": "tempfail", "mode": mode}
            return ("mxgate_policy_verdicts_total", tuple(sorted(labels.items())))
        self.assertEqual(samples.get(verdicts("monitored")), 1)
        self.assertNotIn(verdicts("applied"), samples)
        self.assertEqual(samples[("mxgate_greylist_total", (("outcome", "deferred"),))], 1)


if __name__ == "__main__":
    unittest.main()
