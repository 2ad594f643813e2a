"""The policy file in the session (issue 12): rules on the client, the envelope, the findings of
every earlier stage and the message decide the replies; skip, accept, add_header, route, score
and monitor mode take effect; the filters' default rules decide when no rule of the file does.

Clients come from 127.0.0.1, which is not a trusted network here. Each test writes its own
policy.yaml beside the config (`policy.file` is relative to the config's folder)."""

import textwrap
import time
import unittest

from harness import MxgateTestCase, RawSmtp, mxgate_config, simple_message, smtp_backend
from harness.nsd import reversed_ipv4, zone_text

CLIENT_REV = reversed_ipv4("127.0.0.1")


class PolicyCase(MxgateTestCase):
    def gateway(self, policy: str, *, domains=None, backends=None, filters=None, extra=None):
        """smtp-sink (as backend "sink") + mxgate with this policy.yaml."""
        sink = self.start_sink()
        (self.tmp / "policy.yaml").write_text(textwrap.dedent(policy))
        cfg_extra = {"policy": {"file": "policy.yaml"}, **(extra or {})}
        if filters:
            cfg_extra["filters"] = filters
        mx = self.start_mxgate(mxgate_config(
            domains=domains or {"example.org": "sink", "partner.example": "sink", "greylisted.example": "sink"},
            backends={"sink": smtp_backend(sink.address), **(backends or {})}, extra=cfg_extra))
        return sink, mx

    def sqlite(self):
        return {"backend": "sqlite", "sqlite": {"path": str(self.tmp / "state.db")}}

    def send(self, mx, rcpts=("user@example.org",), *, sender="sender@example.com", subject="hello",
             body="Hi.\r\n") -> dict:
        """EHLO, MAIL, each RCPT, DATA and the message, stopping at a refusal: {step: Reply}."""
        out = {}
        with RawSmtp(mx.port()) as c:
            out["ehlo"] = c.ehlo()
            out["mail"] = c.cmd(f"MAIL FROM:<{sender}>")
            if out["mail"].code != 250:
                return out
            accepted = 0
            for rcpt in rcpts:
                out[rcpt] = c.cmd(f"RCPT TO:<{rcpt}>")
                accepted += out[rcpt].code == 250
            if not accepted:
                return out
            self.assertReply(c.cmd("DATA"), 354)
            out["data"] = c.message(simple_message(subject=subject, body=body))
        return out


class ConnectAndEnvelope(PolicyCase):
    def test_a_client_network_rule_refuses_the_greeting(self):
        sink, mx = self.gateway("""
            rules:
              - name: blocked-loopback
                when: {client_ip: 127.0.0.0/8}
                then: {reject: {code: 554, text: "No SMTP service for you"}}
        """)
        with RawSmtp(mx.port()) as c:
            greeting = c.greeting
            self.assertReply(greeting, "554 5.7.1")
            self.assertIn("No SMTP service for you", greeting.text)
        verdict = mx.wait_log("verdict", rule="blocked-loopback")
        self.assertEqual(verdict.get("stage"), "connect")
        self.assertIn("554 5.7.1", verdict.get("reply", ""))

    def test_a_recipient_rule_answers_that_recipient_only(self):
        sink, mx = self.gateway("""
            rules:
              - name: closed-mailbox
                when: {recipient: gone@example.org}
                then: {reject: {code: 550, enhanced: 5.1.1, text: "Mailbox closed"}}
        """)
        out = self.send(mx, ("gone@example.org", "user@example.org"))
        self.assertReply(out["gone@example.org"], "550 5.1.1")
        self.assertReply(out["user@example.org"], 250)
        self.assertReply(out["data"], 250)
        self.assertEqual(sink.wait_messages(1)[0].recipients, ["user@example.org"])

    def test_tempfail_at_mail_from_is_a_4xx_and_disconnect_a_421_that_closes(self):
        sink, mx = self.gateway("""
            rules:
              - name: slow-down
                when: {sender: busy.example}
                then: {tempfail: {text: "Busy, later"}}
              - name: go-away
                when: {sender: evil.example}
                then: {disconnect: true}
        """)
        out = self.send(mx, sender="a@busy.example")
        self.assertReply(out["mail"], "451 4.7.1")
        with RawSmtp(mx.port()) as c:
            c.ehlo()
            self.assertReply(c.cmd("MAIL FROM:<a@evil.example>"), "421 4.7.0")
            c.wait_closed(5)
        self.assertEqual(sink.data_ends(), 0)


class ContentRules(PolicyCase):
    POLICY = """
        rules:
          - name: lottery
            when: {header: {name: Subject, regex: '(?i)lottery'}}
            then: {reject: {text: "Spam refused"}}
          - name: tag-partners
            when: {recipient: {domain: partner.example}}
            then: {add_header: "X-Partner-Mail: yes"}
    """

    def test_a_header_rule_refuses_after_data_and_the_backend_gets_nothing(self):
        sink, mx = self.gateway(self.POLICY)
        out = self.send(mx, subject="You won the LOTTERY")
        self.assertReply(out["data"], "550 5.7.1")
        self.assertIn("Spam refused", out["data"].text)
        self.assertReply(self.send(mx, subject="minutes")["data"], 250)
        messages = sink.wait_messages(1)
        time.sleep(0.3)
        self.assertEqual(len(sink.messages()), 1, "only the clean message was delivered")
        self.assertIn(b"Subject: minutes", messages[0].content)

    def test_add_header_reaches_the_backend(self):
        sink, mx = self.gateway(self.POLICY)
        self.assertReply(self.send(mx, ("bob@partner.example",))["data"], 250)
        self.assertIn(b"X-Partner-Mail: yes\n", sink.wait_messages(1)[0].content)
        self.assertReply(self.send(mx, ("bob@example.org",))["data"], 250)
        tagged = [m.recipients for m in sink.wait_messages(2) if b"X-Partner-Mail" in m.content]
        self.assertEqual(tagged, [["bob@partner.example"]])

    def test_the_score_adds_up_over_the_stages(self):
        sink, mx = self.gateway("""
            rules:
              - name: suspicious-sender
                when: {sender: .cheap.example}
                then: {score: 3}
              - name: shouting-subject
                when: {header: {name: Subject, regex: '!!!'}}
                then: {score: 3}
              - name: too-much
                when: {score: {at_least: 5}}
                then: {reject: {text: "Score too high"}}
        """)
        self.assertReply(self.send(mx, sender="a@shop.cheap.example", subject="calm")["data"], 250)
        self.assertReply(self.send(mx, sender="a@fine.example", subject="BUY!!!")["data"], 250)
        refused = self.send(mx, sender="a@shop.cheap.example", subject="BUY!!!")["data"]
        self.assertReply(refused, "550 5.7.1")
        self.assertEqual(mx.wait_log("verdict", rule="too-much").get("score"), "6")
        log = mx.wait_log("transaction", rule="too-much")
        self.assertEqual(log.get("score"), "6")


class RoutingAcceptAndMonitor(PolicyCase):
    def test_route_sends_a_recipient_to_another_backend(self):
        archive = self.start_sink(name="archive")
        sink, mx = self.gateway("""
            rules:
              - name: partners-to-archive
                when: {recipient: {domain: partner.example}}
                then: {route: archive}
        """, backends={"archive": smtp_backend(archive.address)})
        self.assertReply(self.send(mx, ("bob@partner.example",))["data"], 250)
        self.assertEqual(archive.wait_messages(1)[0].recipients, ["bob@partner.example"])
        self.assertReply(self.send(mx, ("bob@example.org",))["data"], 250)
        self.assertEqual(sink.wait_messages(1)[0].recipients, ["bob@example.org"])
        # One message goes to one backend: a recipient routed elsewhere waits for its own transaction.
        out = self.send(mx, ("bob@example.org", "eve@partner.example"))
        self.assertReply(out["eve@partner.example"], "452 4.5.3")

    def test_monitor_mode_logs_what_it_would_do_and_changes_nothing(self):
        sink, mx = self.gateway("""
            rules:
              - name: new-block
                monitor: true
                when: {sender: example.com}
                then: {reject: {code: 554, text: "would block"}}
        """)
        self.assertReply(self.send(mx)["data"], 250)
        self.assertEqual(len(sink.wait_messages(1)), 1)
        line = mx.wait_log("policy_monitor", rule="new-block")
        self.assertEqual(line.get("would"), "reject")
        self.assertIn("554 5.7.1 would block", line.get("reply", ""))
        self.assertEqual(mx.log_lines("verdict", rule="new-block"), [])

    def test_monitor_filters_logs_a_filters_own_verdict_without_applying_it(self):
        sink, mx = self.gateway("""
            monitor_filters: [greylist]
            rules: []
        """, filters={"greylist": {"enabled": True, "delay": "1h"}}, extra={"state": self.sqlite()})
        out = self.send(mx)
        self.assertReply(out["user@example.org"], 250, "greylisting only watched")
        self.assertReply(out["data"], 250)
        line = mx.wait_log("policy_monitor", rule="greylist.defer")
        self.assertEqual(line.get("filter"), "greylist")
        self.assertEqual(line.get("would"), "tempfail")
        self.assertIn("451 4.7.1", line.get("reply", ""))

    def test_accept_at_connect_spares_the_later_checks(self):
        sink, mx = self.gateway("""
            rules:
              - name: our-loopback
                when: {client_ip: 127.0.0.1}
                then: {accept: true}
        """, filters={"greylist": {"enabled": True, "delay": "1h"}}, extra={"state": self.sqlite()})
        out = self.send(mx)
        self.assertReply(out["user@example.org"], 250, "not greylisted")
        self.assertReply(out["data"], 250)
        self.assertEqual(mx.wait_log("verdict", rule="our-loopback").get("action"), "accept")
        self.assertEqual(mx.wait_log("transaction").get("rule"), "our-loopback",
                         "the transaction line names the accept that covered it")


class TheFilesOwnRulesForWhatFiltersFind(PolicyCase):
    """The shipped policy's way (conf/policy.yaml): the file states greylisting and the rate
    limits itself, with replies that name the findings' attributes; the filters' own
    default rules come after it, and `without_default_rules` leaves them out."""

    def test_a_templated_greylist_reply_and_the_files_rule_decides_first(self):
        sink, mx = self.gateway("""
            rules:
              - name: grey-with-delay
                when: {greylist: defer}
                then: {tempfail: {code: 450, enhanced: 4.7.1, text: "Come back in {greylist.retry_after} s ({{policy}})"}}
        """, filters={"greylist": {"enabled": True, "delay": "5m"}}, extra={"state": self.sqlite()})
        out = self.send(mx)
        rcpt = out["user@example.org"]
        self.assertReply(rcpt, "450 4.7.1")
        self.assertRegex(" ".join(rcpt.lines), r"Come back in (29\d|300) s \(\{policy\}\)")
        self.assertEqual(mx.wait_log("verdict", rule="grey-with-delay").get("code"), "450")
        self.assertEqual(mx.log_lines("verdict", rule="greylist.defer"), [], "the file's rule came first")

    def test_the_rate_limit_rules_of_the_file_answer_and_without_default_rules_the_filters_do_not(self):
        sink, mx = self.gateway("""
            without_default_rules: [rate_limit]
            rules:
              - name: too-many-connections
                when: {connection_rate: over}
                then: {disconnect: {text: "Slow down, {ratelimit.connections.network} ({ratelimit.connections.count} connections)"}}
        """, filters={"rate_limit": {"enabled": True, "max_connections_per_window": 1,
                                      "max_messages_per_window": 1, "window": "60s"}},
            extra={"state": self.sqlite()})
        with RawSmtp(mx.port()) as c:
            self.assertReply(c.greeting, 220)
            c.ehlo()
            self.assertReply(c.cmd("MAIL FROM:<a@example.com>"), 250)
            self.assertReply(c.cmd("RSET"), 250)
            self.assertReply(c.cmd("MAIL FROM:<a@example.com>"), 250,
                             "rate_limit.messages is left out and the file has no message_rate rule")
        with RawSmtp(mx.port()) as c:
            self.assertReply(c.greeting, "421 4.7.0")
            self.assertIn("Slow down, 127.0.0.1/32 (2 connections)", " ".join(c.greeting.lines))
        self.assertEqual(mx.wait_log("verdict", rule="too-many-connections").get("code"), "421")


class GreylistingWhereRulesWantIt(PolicyCase):
    def test_greylisting_for_chosen_recipient_domains_only(self):
        sink, mx = self.gateway("""
            rules:
              - name: greylist-only-greylisted-example
                when: {not: {recipient: {domain: greylisted.example}}}
                then: {skip: [greylist]}
        """, filters={"greylist": {"enabled": True, "delay": "1h"}}, extra={"state": self.sqlite()})
        out = self.send(mx, ("a@greylisted.example", "b@example.org"))
        self.assertReply(out["a@greylisted.example"], "451 4.7.1")
        self.assertReply(out["b@example.org"], 250, "this domain skips greylisting")
        self.assertReply(out["data"], 250)
        self.assertEqual(sink.wait_messages(1)[0].recipients, ["b@example.org"])

    def test_a_greylist_rule_reads_the_recipient_it_is_about(self):
        sink, mx = self.gateway("""
            rules:
              - name: greylisted-by-rule
                when: {greylist: defer}
                then: {tempfail: {text: "Greylisted by rule"}}
        """, filters={"greylist": {"enabled": True, "delay": "1s"}}, extra={"state": self.sqlite()})
        self.assertReply(self.send(mx, ("known@example.org",))["known@example.org"], 451)
        time.sleep(1.5)
        # The recipient asked about second must not be judged by the first one's result.
        out = self.send(mx, ("new@example.org", "known@example.org"))
        self.assertReply(out["new@example.org"], "451 4.7.1")
        self.assertIn("Greylisted by rule", out["new@example.org"].text)
        self.assertReply(out["known@example.org"], 250, "its own greylist result is a pass")
        out = self.send(mx, ("known@example.org", "other@example.org"))
        self.assertReply(out["known@example.org"], 250)
        self.assertIn("Greylisted by rule", out["other@example.org"].text)

    def allow_list_gateway(self, listed: bool):
        nsd = self.start_nsd({"wl.test": zone_text("wl.test", [f"{CLIENT_REV} A 127.0.10.2"] if listed else [])})
        return self.gateway("""
            rules:
              - name: allow-listed-skip-greylisting
                when: {dnswl: testwl}
                then: {skip: [greylist]}
        """, filters={"greylist": {"enabled": True, "delay": "1h"},
                      "dnsbl": {"enabled": True,
                                "lists": [{"name": "testwl", "zone": "wl.test", "type": "ip", "allow": True}]}},
            extra={"state": self.sqlite(),
                   "dns": {"servers": [nsd.server], "timeout": "5s", "transparent_local_zones": ["test"]}})

    def test_a_client_on_a_dns_allow_list_is_never_greylisted(self):
        sink, mx = self.allow_list_gateway(listed=True)
        out = self.send(mx)
        self.assertReply(out["user@example.org"], 250)
        self.assertReply(out["data"], 250)

    def test_a_client_not_on_it_is_greylisted(self):
        sink, mx = self.allow_list_gateway(listed=False)
        self.assertReply(self.send(mx)["user@example.org"], "451 4.7.1")

if __name__ == "__main__":
    unittest.main()
