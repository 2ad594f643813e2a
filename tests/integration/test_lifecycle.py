"""Process lifecycle: --check-config, refusing to start on a bad config, SIGHUP reload (new
sessions use the new routes, open sessions keep their generation, a broken config is refused
and the old one keeps serving), SIGTERM drain (open transaction completes, new connections
refused, exit 0)."""

import copy
import subprocess
import time
import unittest

from harness import (HarnessError, Mxgate, MxgateTestCase, RawSmtp, mxgate_config, run_check_config,
                     simple_message, smtp_backend, smtp_client, wait_for)

HANG_GUARD = 15.0   # seconds: a wait that only catches a hang; no test asserts how fast mxgate exits


class CheckConfig(MxgateTestCase):
    def test_valid_config(self):
        sink_cfg = mxgate_config(domains={"example.org": "sink"}, backends={"sink": smtp_backend("127.0.0.1:2525")})
        Mxgate(self.tmp, sink_cfg, start=False)   # writes mxgate.yaml and the certificate next to it
        r = run_check_config(self.tmp / "mxgate.yaml")
        self.assertEqual(r.returncode, 0, f"--check-config on a valid file:\n{r.stdout}\n{r.stderr}")
        self.assertIn("example.org", r.stdout, "--check-config prints the effective config")

    def test_unknown_key_reported_with_location(self):
        path = self.tmp / "bad.yaml"
        path.write_text('server:\n  hostname: "mx.test"\n  hostnme: "typo"\nlisteners:\n'
                        '  - address: "127.0.0.1:0"\n')
        r = run_check_config(path)
        self.assertNotEqual(r.returncode, 0)
        out = r.stdout + r.stderr
        self.assertIn("hostnme", out)
        self.assertIn("bad.yaml:3:", out, f"diagnostic should carry file:line:col: {out}")

    def test_bad_config_refuses_to_start(self):
        path = self.tmp / "broken.yaml"
        path.write_text("listeners: [\n")
        binary = Mxgate.check_binary()
        try:
            p = subprocess.run([binary, "-c", str(path)], capture_output=True, text=True, timeout=10)
        except subprocess.TimeoutExpired as exc:
            self.fail(f"mxgate kept running with a broken config (killed after 10s): {exc.stderr!r}")
        self.assertNotEqual(p.returncode, 0, "mxgate must not start with a broken config")
        self.assertNotIn("event=ready", p.stderr)


class Reload(MxgateTestCase):
    def setUp(self):
        super().setUp()
        self.a = self.start_sink(name="a")
        self.b = self.start_sink(name="b")
        # Every backend must be used by a domain, so other.test keeps "b" (then "a") in use.
        self.cfg = mxgate_config(domains={"example.org": "a", "other.test": "b"},
                                 backends={"a": smtp_backend(self.a.address), "b": smtp_backend(self.b.address)},
                                 timeouts={"shutdown": "3s"})
        self.mx = self.start_mxgate(self.cfg)
        self.port = self.mx.port()

    def send(self, subject):
        with smtp_client(self.port) as c:
            self.assertEqual(c.sendmail("s@example.com", ["r@example.org"], simple_message(subject=subject)), {})

    def switch_route(self, to: str) -> dict:
        # Listeners stay exactly as configured ("127.0.0.1:0"): they cannot change on reload.
        cfg = copy.deepcopy(self.cfg)
        cfg["domains"] = {"example.org": to, "other.test": "a" if to == "b" else "b"}
        return cfg

    def wait_routed_to_b(self, subject: str, what: str):
        """Send until a new session's message lands at sink b (a reload takes effect asynchronously)."""
        def routed_to_b():
            self.send(subject)
            time.sleep(0.1)
            return len(self.b.messages()) > 0
        wait_for(routed_to_b, 5, what, interval=0.2, details=self.mx.tail)

    def assert_reload_refused(self, line):
        self.mx.assert_alive()
        if line is not None:
            self.assertNotEqual(line.get("event"), "config_reloaded", f"a bad config was accepted: {line}")

    def test_reload_changes_route_for_new_sessions(self):
        self.send("before")
        self.a.wait_messages(1)
        self.mx.write_config(self.switch_route("b"))
        line = self.mx.reload()
        self.assertIsNotNone(line, f"SIGHUP should log config_reloaded; log:\n{self.mx.tail()}")
        self.assertEqual(line.get("event"), "config_reloaded", line)
        # New sessions use the new generation.
        self.wait_routed_to_b("after", "a new session to use the reloaded route to sink b")
        self.mx.assert_alive()
        self.assertEqual(self.mx.port(), self.port)

    def test_open_session_keeps_its_generation(self):
        with RawSmtp(self.port) as c:
            c.ehlo()
            self.mx.write_config(self.switch_route("b"))
            self.mx.reload()
            time.sleep(0.5)
            c.cmd("MAIL FROM:<s@example.com>")
            self.assertReply(c.cmd("RCPT TO:<r@example.org>"), 250)
            c.cmd("DATA")
            self.assertReply(c.message(simple_message(subject="old generation")), 250)
        self.assertEqual(len(self.a.wait_messages(1)), 1,
                         "a session keeps the config generation it started with (STYLE.md B)")
        self.assertEqual(self.b.messages(), [])

    def test_broken_config_is_refused_and_old_keeps_serving(self):
        self.mx.write_config("listeners: [\n  this is: not yaml\n")
        line = self.mx.reload()
        time.sleep(0.3)
        self.assert_reload_refused(line)
        self.assertTrue(self.mx.log_lines("config_reload_failed"), f"config_reload_failed expected:\n{self.mx.tail()}")
        self.send("still served")
        self.assertEqual(len(self.a.wait_messages(1)), 1, "old config keeps serving after a refused reload")
        # A good config afterwards is accepted.
        self.mx.write_config(self.switch_route("b"))
        self.mx.reload()
        self.wait_routed_to_b("after fix", "the fixed config to take effect")

    def test_reload_with_invalid_semantics_is_refused(self):
        cfg = copy.deepcopy(self.cfg)
        cfg["domains"] = {"example.org": "no-such-backend", "other.test": "b"}
        self.mx.write_config(cfg)
        line = self.mx.reload()
        time.sleep(0.3)
        self.assert_reload_refused(line)
        self.send("still a")
        self.a.wait_messages(1)

    def test_reload_cannot_change_listeners(self):
        cfg = self.switch_route("b")
        cfg["listeners"].append({"address": "127.0.0.1:0", "tls": "none"})
        self.mx.write_config(cfg)
        line = self.mx.reload()
        time.sleep(0.3)
        self.assert_reload_refused(line)
        self.send("still a")
        self.assertEqual(len(self.a.wait_messages(1)), 1, "a refused reload changes nothing, routes included")
        self.assertEqual(self.b.messages(), [])


class Shutdown(MxgateTestCase):
    def setUp(self):
        super().setUp()
        self.sink = self.start_sink()
        self.mx = self.start_mxgate(mxgate_config(domains={"example.org": "sink"},
                                                  backends={"sink": smtp_backend(self.sink.address)},
                                                  # Only the shutdown can end a session within HANG_GUARD.
                                                  timeouts={"shutdown": "4s", "data": "1h", "command": "1h"}))

    def new_session_refused(self) -> bool:
        try:
            with RawSmtp(self.mx.port(), timeout=1, read_greeting=False) as c:
                got = c.wait_closed(1)
                return not got.startswith(b"220")
        except (ConnectionRefusedError, ConnectionResetError):
            return True
        except HarnessError:
            return False   # connected and nothing happened: still accepting

    def test_sigterm_drains_open_transaction(self):
        with RawSmtp(self.mx.port(), timeout=8) as c:
            c.ehlo()
            c.cmd("MAIL FROM:<s@example.com>")
            self.assertReply(c.cmd("RCPT TO:<r@example.org>"), 250)
            self.assertReply(c.cmd("DATA"), 354)
            msg = simple_message(subject="drained", body="part one\n" * 100 + "part two\n" * 100)
            half = msg.index(b"part two")
            c.send(msg[:half])
            time.sleep(0.2)
            self.mx.terminate()
            wait_for(self.new_session_refused, 3, "new connections to be refused after SIGTERM",
                     details=self.mx.tail)
            c.send(msg[half:] + b".\r\n")
            self.assertReply(c.reply(), 250, "the open transaction must complete during the drain")
        self.assertEqual(self.mx.wait_exit(HANG_GUARD), 0, "exit status after a drain")
        [m] = self.sink.wait_messages(1)
        self.assertIn(b"Subject: drained", m.content)

    def test_sigterm_with_idle_session_exits_within_shutdown_timeout(self):
        with RawSmtp(self.mx.port()) as c:
            c.ehlo()
            self.mx.terminate()
            self.assertEqual(self.mx.wait_exit(HANG_GUARD), 0)
            try:
                rest = c.wait_closed(1)
            except HarnessError:
                self.fail("the idle session must be closed when mxgate exits")
            self.assertTrue(rest == b"" or rest.startswith(b"421"), f"idle session at shutdown: {rest!r}")

    def test_sigterm_cuts_transaction_that_exceeds_shutdown_timeout(self):
        with RawSmtp(self.mx.port(), timeout=10) as c:
            c.ehlo()
            c.cmd("MAIL FROM:<s@example.com>")
            c.cmd("RCPT TO:<r@example.org>")
            self.assertReply(c.cmd("DATA"), 354)
            c.send(b"Subject: never finished\r\n\r\n")
            self.mx.terminate()
            self.mx.wait_exit(HANG_GUARD)
            self.assertEqual(self.mx.wait_log("shutdown_deadline")["sessions_aborted"], "1",
                             "the shutdown deadline, not the data timeout, ended the transaction")
            try:
                rest = c.wait_closed(1)
            except HarnessError:
                self.fail("the unfinished session must be closed at shutdown")
            self.assertFalse(rest.startswith(b"250"), rest)
        self.assertEqual(self.sink.messages(), [], "an unfinished message is not delivered")


if __name__ == "__main__":
    unittest.main()
