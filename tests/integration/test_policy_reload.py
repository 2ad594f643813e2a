"""The policy file in the main config, reloaded (issue 12 item 6): on SIGHUP and when the
policy file or one of its list files changes (policy.watch_interval). A policy that does not
compile is refused with its policy.yaml:line:column, the old generation keeps serving, and the
watcher does not try the same broken file again every tick.

The tests marked "session wiring (lead)" show that the NEW policy decides: a connect-stage
rule on the client's address turns the greeting into 554 (RFC 5321 §3.1). They fail until the
session evaluates generation->rules."""

import time
import unittest

from harness import MxgateTestCase, RawSmtp, mxgate_config, simple_message, smtp_backend, smtp_client, wait_for

HANG_GUARD = 10.0   # seconds: a wait that only catches a hang; nothing asserts how fast a reload is
WATCHED = "200ms"

# Harmless for the tests' own mail: nobody sends from this address.
QUIET_POLICY = """\
lists:
  blocked: {file: blocked.txt}
rules:
  - name: listed-clients
    when: {client_ip: {list: blocked}}
    then: {reject: {code: 554, text: "blocked by test"}}
  - name: nobody
    when: {sender: nobody@example.net}
    then: {reject: {}}
"""
# Line 3, column 23: a /33 is no network.
BROKEN_POLICY = """\
rules:
  - name: block-test
    when: {client_ip: 127.0.0.1/33}
    then: {reject: {code: 554, text: "blocked by test"}}
"""
BLOCKING_POLICY = """\
rules:
  - name: block-test
    when: {client_ip: 127.0.0.1/32}
    then: {reject: {code: 554, text: "blocked by test"}}
"""
NOT_US = "192.0.2.0/24\n"
US = "127.0.0.1/32\n"


class PolicyReload(MxgateTestCase):
    watch_interval = WATCHED

    def setUp(self):
        super().setUp()
        self.sink = self.start_sink()
        self.policy = self.tmp / "policy.yaml"
        self.blocked = self.tmp / "blocked.txt"
        self.policy.write_text(QUIET_POLICY)
        self.blocked.write_text(NOT_US)
        cfg = mxgate_config(domains={"example.org": "sink"}, backends={"sink": smtp_backend(self.sink.address)},
                            extra={"policy": {"file": "policy.yaml", "watch_interval": self.watch_interval}})
        self.mx = self.start_mxgate(cfg)
        self.port = self.mx.port()

    def send(self, subject: str):
        with smtp_client(self.port) as c:
            self.assertEqual(c.sendmail("s@example.com", ["r@example.org"], simple_message(subject=subject)), {})

    def replace(self, path, text: str):
        """A new file moved over the old one, as editors and deploy tools do: a new inode."""
        fresh = path.with_suffix(".new")
        fresh.write_text(text)
        fresh.replace(path)

    def reloads(self, event: str) -> list[dict]:
        return self.mx.log_lines(event)

    def wait_reload(self, event: str, before: int) -> dict:
        wait_for(lambda: len(self.reloads(event)) > before, HANG_GUARD, f"a new {event} line",
                 details=self.mx.tail)
        return self.reloads(event)[before]

    def assert_greeting(self, code: int):
        with RawSmtp(self.port) as c:
            self.assertReply(c.greeting, code)
            if code == 554:
                self.assertIn("blocked by test", c.greeting.text)


class OnSighup(PolicyReload):
    watch_interval = "0"   # only SIGHUP reloads: each reload below is the signal's

    def test_broken_policy_is_refused_with_its_location_and_mail_flows(self):
        self.policy.write_text(BROKEN_POLICY)
        line = self.mx.reload()
        self.assertIsNotNone(line, self.mx.tail())
        self.assertEqual(line.get("event"), "config_reload_failed", line)
        self.assertEqual(line.get("reason"), "sighup", line)
        self.assertIn("policy.yaml:3:23: rules[0].when.client_ip", line.get("error", ""), line)
        self.send("after the refused reload")
        self.assertEqual(len(self.sink.wait_messages(1)), 1, "the old generation keeps serving")
        # Fixed, the next SIGHUP takes it.
        self.policy.write_text(QUIET_POLICY.replace("nobody@", "noone@"))
        line = self.mx.reload()
        self.assertEqual(line.get("event") if line else None, "config_reloaded", self.mx.tail())

    def test_file_changes_alone_reload_nothing_with_watching_off(self):
        self.replace(self.policy, BROKEN_POLICY)
        time.sleep(1.5)
        self.assertEqual(self.reloads("config_reload_failed"), [])
        self.assertEqual(self.reloads("policy_changed"), [])

    def test_new_policy_decides_after_sighup(self):
        self.policy.write_text(BLOCKING_POLICY)
        line = self.mx.reload()
        self.assertEqual(line.get("event") if line else None, "config_reloaded", self.mx.tail())
        self.assert_greeting(554)


class OnFileChange(PolicyReload):
    def test_policy_change_reloads_without_sighup(self):
        self.replace(self.policy, QUIET_POLICY.replace("nobody@", "noone@"))
        line = self.wait_reload("config_reloaded", 0)
        self.assertEqual(line.get("reason"), "policy_changed", line)
        changed = self.reloads("policy_changed")
        self.assertEqual(len(changed), 1, self.mx.tail())
        self.assertEqual(changed[0].get("file"), str(self.policy.resolve()))
        self.send("after the reload")
        self.sink.wait_messages(1)

    def test_an_edit_in_place_is_seen_too(self):
        with self.policy.open("a") as f:
            f.write("# an edit\n")
        self.assertEqual(self.wait_reload("config_reloaded", 0).get("reason"), "policy_changed")

    def test_list_file_change_reloads(self):
        self.replace(self.blocked, "198.51.100.0/24\n")
        line = self.wait_reload("config_reloaded", 0)
        self.assertEqual(line.get("reason"), "policy_changed", line)
        self.assertEqual(self.reloads("policy_changed")[0].get("file"), str(self.blocked.resolve()))

    def test_broken_change_is_refused_once_and_the_next_change_is_taken(self):
        self.replace(self.policy, BROKEN_POLICY)
        line = self.wait_reload("config_reload_failed", 0)
        self.assertEqual(line.get("reason"), "policy_changed", line)
        self.assertIn("policy.yaml:3:23:", line.get("error", ""), line)
        time.sleep(1.5)   # many watch intervals: the same broken file is not compiled again
        self.assertEqual(len(self.reloads("config_reload_failed")), 1, self.mx.tail())
        self.assertEqual(len(self.reloads("policy_changed")), 1, self.mx.tail())
        self.send("while the broken policy is refused")
        self.sink.wait_messages(1)
        self.replace(self.policy, QUIET_POLICY)
        self.assertEqual(self.wait_reload("config_reloaded", 0).get("reason"), "policy_changed")

    def test_files_a_sighup_was_refused_for_are_not_tried_again_by_the_watcher(self):
        self.replace(self.policy, BROKEN_POLICY)
        line = self.mx.reload()
        self.assertEqual(line.get("event") if line else None, "config_reload_failed", self.mx.tail())
        by_watcher = len(self.mx.log_lines("config_reload_failed", reason="policy_changed"))  # 1 if it came first
        time.sleep(1.5)
        self.assertEqual(len(self.mx.log_lines("config_reload_failed", reason="policy_changed")), by_watcher,
                         self.mx.tail())

    def test_new_policy_decides_after_a_file_change(self):
        self.replace(self.policy, BLOCKING_POLICY)
        self.wait_reload("config_reloaded", 0)
        self.assert_greeting(554)

    def test_new_list_decides_after_a_list_file_change(self):
        self.assert_greeting(220)
        self.replace(self.blocked, US)
        self.wait_reload("config_reloaded", 0)
        self.assert_greeting(554)


del PolicyReload   # the base class holds no tests of its own

if __name__ == "__main__":
    unittest.main()
