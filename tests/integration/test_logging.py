"""Every log line through the one structured logger (issue 8 item 13).

With `logging.format: json` every line mxgate prints is one JSON object with an "event": lines
from the session, a backend that is down (a closed port), and a filter (a DNS list whose zone
goes to a DNS server that never answers), all on one session. Client text such as a hostile
HELO (quote, backslash, '=') stays inside a string value. The logfmt variant quotes and escapes
it. A scan of the source tree keeps direct spdlog calls inside the logger.
"""

import json
import re
import unittest
from pathlib import Path

from harness import (MxgateTestCase, RawSmtp, mxgate_config, parse_logfmt, simple_message,
                     smtp_backend)
from harness.nsd import zone_text

HOSTILE_HELO = 'forged"event=evil\\x'   # a double quote, a backslash and '='
# How the logger writes it (after JSON or logfmt unquoting): the backslash as \x5c, the rest kept.
LOGGED_HELO = 'forged"event=evil\\x5cx'
SOURCE_DIR = Path(__file__).resolve().parents[2]


class Logging(MxgateTestCase):
    def gateway(self, log_format: str):
        """nsd for the transparent zone test., a silent server for dead.test (a DNS list there),
        example.org -> smtp-sink, down.example -> a closed port."""
        nsd, silent, sink = self.start_nsd({"ok.test": zone_text("ok.test")}), self.start_silent_dns(), \
            self.start_sink()
        dns = {"servers": [nsd.server], "timeout": "1s", "transparent_local_zones": ["test"],
               "stub_zones": [{"zone": "dead.test", "servers": [silent.server]}]}
        dnsbl = {"enabled": True, "reject_score": 5, "fcrdns": {"enabled": False},
                 "lists": [{"name": "deadbl", "zone": "dead.test", "type": "ip", "weight": 1, "timeout": "1s"}]}
        mx = self.start_mxgate(mxgate_config(
            domains={"example.org": "sink", "down.example": "down"},
            backends={"sink": smtp_backend(sink.address), "down": smtp_backend(f"127.0.0.1:{self.closed_port()}")},
            logging={"format": log_format},
            extra={"dns": dns, "filters": {"dnsbl": dnsbl}}))
        return sink, mx

    def session(self, mx, sink) -> str:
        """One session: the DNS list goes unanswered, a backend is down, a message is delivered.
        Returns the session id; mxgate has stopped when this returns, so every line is printed."""
        with RawSmtp(mx.port(), timeout=15) as c:
            self.assertReply(c.ehlo(HOSTILE_HELO), 250)
            self.assertReply(c.cmd("MAIL FROM:<a@example.com>"), 250)
            self.assertReply(c.cmd("RCPT TO:<user@down.example>"), 451)
            self.assertReply(c.cmd("RSET"), 250)
            self.assertReply(c.cmd("MAIL FROM:<a@example.com>"), 250)
            self.assertReply(c.cmd("RCPT TO:<user@example.org>"), 250)
            self.assertReply(c.cmd("DATA"), 354)
            self.assertReply(c.message(simple_message(subject="logging")), 250)
            c.cmd("QUIT")
        sink.wait_messages(1)
        session = mx.wait_log("session_close")["session"]
        mx.stop()
        return session

    def test_json_every_line_is_an_object_and_client_text_stays_a_value(self):
        sink, mx = self.gateway("json")
        session = self.session(mx, sink)
        lines = [json.loads(line) for line in mx.lines()]   # raises on any line that is not JSON
        for fields in lines:
            self.assertIsInstance(fields, dict)
            self.assertIn("event", fields)
            self.assertTrue(all(isinstance(v, str) for v in fields.values()), fields)
        events = {f["event"]: f for f in lines}
        for event in ("session_open", "dnsbl_unanswered", "backend_connect_failed", "backend_unavailable",
                      "transaction", "session_close", "ready", "stopped"):
            self.assertIn(event, events, f"no {event} line:\n{mx.tail()}")
        for event in ("session_open", "dnsbl_unanswered", "backend_unavailable", "transaction", "session_close"):
            self.assertEqual(events[event].get("session"), session, events[event])
        self.assertEqual(events["dnsbl_unanswered"]["list"], "dnsbl.deadbl")
        self.assertEqual(events["backend_connect_failed"]["backend"], "down")
        # The HELO is one value of one key, never a key or an event of its own.
        self.assertEqual(events["transaction"]["helo"], LOGGED_HELO)
        self.assertNotIn("evil", {f["event"] for f in lines})
        self.assertFalse([f for f in lines if any("evil" in key for key in f)])

    def test_logfmt_escapes_the_quote_of_a_hostile_helo(self):
        sink, mx = self.gateway("text")
        session = self.session(mx, sink)
        [line] = [l for l in mx.lines() if parse_logfmt(l).get("event") == "transaction"]
        self.assertIn('helo="forged\\"event=evil\\\\x5cx"', line)
        fields = parse_logfmt(line)
        self.assertEqual(fields["helo"], LOGGED_HELO)
        self.assertEqual(fields["session"], session)
        self.assertEqual(mx.log_lines("dnsbl_unanswered")[0]["session"], session)

    def test_only_the_logger_calls_spdlog(self):
        logger = {"proxy/core/log.hpp", "proxy/core/log.cpp", "proxy/log.cpp"}
        direct = re.compile(r"\bspdlog::|std::cerr|\bprintf\(|\bsyslog\(")
        offenders = []
        for top in ("proxy", "filters", "policy"):
            for path in sorted((SOURCE_DIR / top).rglob("*")):
                rel = path.relative_to(SOURCE_DIR).as_posix()
                if path.suffix not in (".cpp", ".hpp") or rel in logger:
                    continue
                for number, text in enumerate(path.read_text(errors="replace").splitlines(), 1):
                    if direct.search(text):
                        offenders.append(f"{rel}:{number}: {text.strip()}")
        # main.cpp's std::cerr: --check-config's diagnostics and a fatal error before logging is
        # configured; policy_command.cpp's: `mxgate policy check`'s diagnostics (docs/architecture.md).
        allowed = [o for o in offenders if o.startswith(("proxy/main.cpp:", "proxy/policy_command.cpp:"))
                   and "std::cerr" in o]
        self.assertEqual([o for o in offenders if o not in allowed], [])
        self.assertLessEqual(len(allowed), 5, allowed)


if __name__ == "__main__":
    unittest.main()
