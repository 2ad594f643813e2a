"""Policy reload under load (issue 12 item 9): while clients send mail without pause, the policy
file is swapped between two versions (and, every third time, a broken one) and mxgate is told
to reload. No session may be dropped, no message lost, a broken policy must be refused while
mail flows, and each session keeps the policy it started with: every message carries the tag
of exactly one version, the same for all messages of one session. Bounded: 6 clients send
sessions of 5 messages until the 9 reloads are done."""

import smtplib
import textwrap
import threading
import time
import unittest

from harness import MxgateTestCase, mxgate_config, smtp_backend

CLIENTS, MESSAGES, RELOADS = 6, 5, 9

VERSION = """
    rules:
      - name: tag-{tag}
        then: {{add_header: "X-Policy-Version: {tag}"}}
"""
BROKEN = """
    rules:
      - name: broken
        when: {client_ip: 300.0.0.1}
        then: {reject: true}
"""


class ReloadUnderLoad(MxgateTestCase):
    def write_policy(self, text: str):
        path = self.tmp / "policy.yaml"
        staged = self.tmp / "policy.yaml.new"
        staged.write_text(textwrap.dedent(text))
        staged.replace(path)  # atomic: a reload never reads half a file

    def client(self, port: int, number: int, stop: threading.Event, sent: list, failures: list):
        session = 0
        while not stop.is_set():
            session += 1
            try:
                with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
                    smtp.ehlo("load.test")
                    for message in range(MESSAGES):
                        body = (f"From: c{number}@example.com\r\nTo: user@example.org\r\n"
                                f"Subject: c{number} s{session} m{message}\r\n\r\nload\r\n")
                        smtp.sendmail(f"c{number}@example.com", ["user@example.org"], body)
                        sent.append(1)
            except (smtplib.SMTPException, OSError) as e:
                failures.append(f"client {number} session {session}: {e!r}")

    def test_no_session_dropped_no_message_lost_and_each_session_keeps_its_policy(self):
        sink = self.start_sink()
        self.write_policy(VERSION.format(tag="A"))
        mx = self.start_mxgate(mxgate_config(
            domains={"example.org": "sink"}, backends={"sink": smtp_backend(sink.address)},
            extra={"policy": {"file": "policy.yaml", "watch_interval": "0s"}}))
        failures: list[str] = []
        sent: list[int] = []
        stop = threading.Event()
        threads = [threading.Thread(target=self.client, args=(mx.port(), n, stop, sent, failures))
                   for n in range(CLIENTS)]
        for t in threads:
            t.start()
        reloads = refused = 0
        while reloads < RELOADS:
            broken = reloads % 3 == 2
            self.write_policy(BROKEN if broken else VERSION.format(tag="AB"[reloads % 2]))
            outcome = mx.reload()
            self.assertIsNotNone(outcome, "no reload outcome logged")
            if broken:
                self.assertEqual(outcome.get("event"), "config_reload_failed")
                self.assertIn("policy.yaml:", outcome.get("error", ""))
                refused += 1
            else:
                self.assertEqual(outcome.get("event"), "config_reloaded")
            reloads += 1
            time.sleep(0.05)
        stop.set()
        for t in threads:
            t.join(timeout=60)
        self.assertEqual(failures, [])
        self.assertEqual(refused, RELOADS // 3)
        total = len(sent)
        self.assertGreater(total, CLIENTS * MESSAGES, "the clients sent during the reloads")
        messages = sink.wait_messages(total, timeout=60)
        self.assertEqual(len(messages), total)
        sessions: dict[str, set] = {}
        for m in messages:
            tags = [line for line in m.content.split(b"\n") if line.startswith(b"X-Policy-Version:")]
            self.assertEqual(len(tags), 1, m.content[:300])
            subject = next(line for line in m.content.split(b"\n") if line.startswith(b"Subject:"))
            session = subject.rsplit(b" ", 1)[0]  # "Subject: c3 s1"
            sessions.setdefault(session, set()).add(tags[0])
        mixed = {s: t for s, t in sessions.items() if len(t) > 1}
        self.assertEqual(mixed, {}, "a session changed policy in its middle")
        mx.assert_alive()


if __name__ == "__main__":
    unittest.main()
