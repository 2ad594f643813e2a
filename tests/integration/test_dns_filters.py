"""The DNS filters through the whole gateway: SPF and DNS block/allow lists, with mxgate's
resolver (libunbound) forwarding to a real nsd that serves the test zones, and a silent DNS
server standing in for a dead one.

Clients come from 127.0.0.1, which is NOT a trusted network here (trusted clients skip the
filters), so the DNSBL query for the client is 1.0.0.127.<zone>. Because that address is fixed,
each test starts its own nsd + mxgate with the zone data it needs.

The SPF tests here name their client with XCLIENT ADDR=192.0.2.10 (loopback is in
xclient_networks here), the address the SPF records authorize, so they also cover SPF of a
client named by a front-end. test_spf.py checks SPF of clients on their own loopback addresses.

libunbound answers the RFC 6761 name "test." itself (NXDOMAIN) unless it is a transparent local
zone, hence `dns.transparent_local_zones: [test]` in every config. It also answers
127.in-addr.arpa itself ("localhost"), so FCrDNS of the client is only required not to break
anything.
"""

import ipaddress
import re
import threading
import time
import unittest

from harness import (MxgateTestCase, RawSmtp, crlf, lf, mxgate_config, simple_message, smtp_backend,
                     split_first_header)
from harness.nsd import reversed_ipv4, zone_text

HELO = "client.spf.test"                 # inside an nsd zone with no SPF record: HELO check gives "none"
RCPT = "user@example.org"
CLIENT_REV = reversed_ipv4("127.0.0.1")  # "1.0.0.127"
SPF_CLIENT = "192.0.2.10"                # the SPF tests' client, named with XCLIENT
PASS_ALL = f'"v=spf1 ip4:{SPF_CLIENT} -all"'

SPF_ZONES = {
    "spf.test": zone_text("spf.test", [f"spf.test. TXT {PASS_ALL}", f"helo.spf.test. TXT {PASS_ALL}"]),
    "fail.test": zone_text("fail.test", ['fail.test. TXT "v=spf1 -all"']),
    "soft.test": zone_text("soft.test", ['soft.test. TXT "v=spf1 ~all"']),
}
SPF = {"enabled": True, "timeout": "10s", "on_fail": "reject", "on_softfail": "proceed",
       "on_temperror": "tempfail", "on_permerror": "proceed", "skip_trusted": True}


def dnsbl_config(*extra_lists: dict) -> dict:
    return {"enabled": True, "reject_score": 1,
            "lists": [{"name": "testbl", "zone": "bl.test", "type": "ip", "weight": 1, "timeout": "2s"},
                      {"name": "testwl", "zone": "wl.test", "type": "ip", "allow": True, "weight": -5},
                      {"name": "dbl", "zone": "dbl.test", "type": "sender_domain", "weight": 1},
                      *extra_lists],
            "fcrdns": {"enabled": True, "timeout": "3s"}}


def dnsbl_zones(*, listed: bool = False, allowed: bool = False) -> dict[str, str]:
    """bl.test / wl.test listing the client (or empty), dbl.test listing the domain spam.test."""
    bl = [f"{CLIENT_REV} A 127.0.0.2", f'{CLIENT_REV} TXT "listed for testing"'] if listed else []
    wl = [f"{CLIENT_REV} A 127.0.10.2"] if allowed else []
    return {"bl.test": zone_text("bl.test", bl), "wl.test": zone_text("wl.test", wl),
            "dbl.test": zone_text("dbl.test", ["spam.test A 127.0.0.2"])}


def unfold(field: bytes) -> bytes:
    """A header field on one line with single spaces (RFC 5322 unfolding, whitespace squeezed)."""
    return re.sub(rb"\s+", b" ", field).strip()


class DnsFilterCase(MxgateTestCase):
    def gateway(self, zones: dict[str, str], filters: dict, *, dns: dict | None = None):
        """nsd serving zones + smtp-sink + mxgate with these filters, resolving through that nsd."""
        nsd, sink = self.start_nsd(zones), self.start_sink()
        dns_cfg = {"servers": [nsd.server], "timeout": "5s", "transparent_local_zones": ["test"], **(dns or {})}
        mx = self.start_mxgate(mxgate_config(
            domains={"example.org": "sink"}, backends={"sink": smtp_backend(sink.address)},
            trusted_networks=("10.99.0.0/16",),   # not loopback: the filters must run for our clients
            extra={"dns": dns_cfg, "filters": filters, "xclient_networks": ["127.0.0.0/8"]}))
        return sink, mx

    def transaction(self, mx, sender: str, *, helo: str = HELO, msg: bytes | None = None,
                    client: str | None = None) -> dict:
        """[XCLIENT ADDR=client,] EHLO, MAIL, RCPT, DATA and the message, stopping at the first refusal:
        {step: Reply}."""
        replies = {}
        with RawSmtp(mx.port(), timeout=15) as c:
            if client:
                self.assertReply(c.xclient(addr=client), 220)
            self.assertReply(c.ehlo(helo), 250)
            for step, line in (("mail", f"MAIL FROM:<{sender}>"), ("rcpt", f"RCPT TO:<{RCPT}>"), ("data", "DATA")):
                replies[step] = c.cmd(line)
                if replies[step].code >= 400:
                    return replies
            replies["end"] = c.message(msg or simple_message(sender=sender or "postmaster@example.com", to=RCPT))
        return replies

    def assertDelivered(self, replies: dict, sink) -> bytes:
        for step, code in (("mail", 250), ("rcpt", 250), ("data", 354), ("end", 250)):
            self.assertIn(step, replies, f"transaction stopped early: {replies}")
            self.assertReply(replies[step], code, step)
        [m] = sink.wait_messages(1)
        return m.content

    def assertNothingDelivered(self, sink, sender: str):
        time.sleep(0.2)   # a wrongly relayed message would be at the sink by now
        self.assertEqual(sink.messages(), [])
        self.assertEqual(sink.data_ends(), 0)
        self.assertFalse([c for c in sink.commands_starting("MAIL") if sender in c], "MAIL reached the backend")

    def our_headers(self, content: bytes, n: int) -> tuple[list[bytes], bytes]:
        """The first n header fields of a delivered message (as stored, LF) and the rest."""
        fields = []
        for _ in range(n):
            field, content = split_first_header(content)
            fields.append(field)
        return fields, content


class Spf(DnsFilterCase):
    def transaction(self, mx, sender: str, **kw) -> dict:
        return super().transaction(mx, sender, client=SPF_CLIENT, **kw)

    def test_pass_adds_authentication_results_and_received_spf(self):
        sink, mx = self.gateway(SPF_ZONES, {"spf": SPF})
        msg = simple_message(subject="spf pass", sender="a@spf.test", to=RCPT)
        content = self.assertDelivered(self.transaction(mx, "a@spf.test", msg=msg), sink)
        (ar, rspf, received), rest = self.our_headers(content, 3)
        self.assertTrue(ar.startswith(b"Authentication-Results: mx.test;"), ar)
        self.assertIn(b"spf=pass smtp.mailfrom=a@spf.test", unfold(ar))
        self.assertTrue(rspf.startswith(b"Received-SPF: pass"), rspf)
        self.assertTrue(received.startswith(b"Received:"), received)
        self.assertIn(f"[{SPF_CLIENT}]".encode(), received)
        self.assertEqual(rest, lf(msg), "the client's message follows our three header fields unchanged")

    def test_unknown_client_is_not_checked_with_the_front_ends_address(self):
        # XCLIENT ADDR=[UNAVAILABLE]: no address to check, so no SPF result at all (the front-end's
        # loopback address would have given a "pass" nobody earned).
        sink, mx = self.gateway(SPF_ZONES, {"spf": SPF})
        replies = super().transaction(mx, "a@spf.test", client="[UNAVAILABLE]")
        content = self.assertDelivered(replies, sink)
        (received,), _ = self.our_headers(content, 1)
        self.assertTrue(received.startswith(b"Received: from client.spf.test (unknown [unknown])"), received)
        self.assertNotIn(b"Received-SPF:", content)
        self.assertNotIn(b"spf=", content)

    def test_fail_is_rejected_at_mail(self):
        sink, mx = self.gateway(SPF_ZONES, {"spf": SPF})
        replies = self.transaction(mx, "a@fail.test")
        self.assertReply(replies["mail"], "550 5.7.23")
        self.assertNotIn("rcpt", replies)
        self.assertNothingDelivered(sink, "a@fail.test")

    def test_softfail_proceeds_with_received_spf(self):
        sink, mx = self.gateway(SPF_ZONES, {"spf": SPF})
        content = self.assertDelivered(self.transaction(mx, "a@soft.test"), sink)
        (ar, rspf), _ = self.our_headers(content, 2)
        self.assertIn(b"spf=softfail", unfold(ar))
        self.assertTrue(rspf.startswith(b"Received-SPF: softfail"), rspf)

    def test_temperror_tempfails_in_bounded_time_without_stalling_others(self):
        silent = self.start_silent_dns()
        dead_zone = {"zone": "dead.test", "servers": [silent.server]}
        sink, mx = self.gateway(SPF_ZONES, {"spf": {**SPF, "timeout": "3s"}},
                                dns={"timeout": "1s", "stub_zones": [dead_zone]})
        slow, sent = {}, threading.Event()

        def slow_session():
            try:
                with RawSmtp(mx.port(), timeout=15) as c:
                    c.xclient(addr=SPF_CLIENT)
                    c.ehlo(HELO)
                    start = time.monotonic()
                    c.send("MAIL FROM:<a@dead.test>\r\n")
                    sent.set()
                    slow["reply"] = c.reply(15)
                    slow["elapsed"], slow["done"] = time.monotonic() - start, time.monotonic()
            except Exception as exc:   # reported by the assertions below
                slow["error"] = exc
            finally:
                sent.set()

        thread = threading.Thread(target=slow_session, name="slow-session", daemon=True)
        thread.start()
        self.assertTrue(sent.wait(10))
        good = self.transaction(mx, "a@spf.test")
        good_done = time.monotonic()
        thread.join(20)
        self.assertFalse(thread.is_alive(), "the session with the dead sender domain never got a reply")
        self.assertNotIn("error", slow, slow)
        self.assertReply(slow["reply"], "451 4.7.24")   # a reply at all: the timeouts bound the wait
        self.assertGreater(slow["elapsed"], 0.8, "the reply came before the 1 s DNS timeout: not a timeout?")
        self.assertDelivered(good, sink)
        # Order, not seconds: another session is served while one waits for DNS.
        self.assertLess(good_done, slow["done"], "the good session finished while the slow one still waited")

    def test_stage_timeout_cuts_off_spf_that_would_wait_longer(self):
        # SPF and the resolver would wait 20 s for the dead domain; the stage deadline (1 s)
        # cancels SPF, and its timeout is an SPF temperror: on_temperror tempfail, 451 4.7.24.
        silent = self.start_silent_dns()
        dead_zone = {"zone": "dead.test", "servers": [silent.server]}
        sink, mx = self.gateway(SPF_ZONES, {"stage_timeout": "1s", "spf": {**SPF, "timeout": "20s"}},
                                dns={"timeout": "20s", "stub_zones": [dead_zone]})
        # A reply within transaction()'s 15 s read timeout can only come from the stage deadline.
        replies = self.transaction(mx, "a@dead.test")
        self.assertReply(replies["mail"], "451 4.7.24")
        self.assertNothingDelivered(sink, "a@dead.test")
        self.assertDelivered(self.transaction(mx, "a@spf.test"), sink)   # the gateway still works

    def test_null_sender_uses_helo_identity(self):
        sink, mx = self.gateway(SPF_ZONES, {"spf": SPF})
        content = self.assertDelivered(self.transaction(mx, "", helo="helo.spf.test"), sink)
        (ar, rspf), _ = self.our_headers(content, 2)
        self.assertTrue(ar.startswith(b"Authentication-Results: mx.test;"), ar)
        self.assertIn(b"spf=pass smtp.helo=helo.spf.test", unfold(ar))
        self.assertTrue(rspf.startswith(b"Received-SPF: pass"), rspf)

    def test_long_helo_keeps_received_spf_lines_within_998_octets(self):
        sink, mx = self.gateway(SPF_ZONES, {"spf": SPF})
        content = self.assertDelivered(self.transaction(mx, "", helo="h" * 2000), sink)
        (ar, rspf, _received), _ = self.our_headers(content, 3)
        self.assertTrue(rspf.startswith(b"Received-SPF: "), rspf)
        for field in (ar, rspf):
            self.assertEqual([len(line) for line in field.split(b"\n") if len(line) > 998], [], field[:300])
        self.assertIn(b"helo=" + b"h" * 255 + b";", rspf, "cut at the longest domain, not dropped")

    def test_incoming_results_naming_us_are_removed(self):
        sink, mx = self.gateway(SPF_ZONES, {"spf": SPF})
        kept = "Authentication-Results: other.example; spf=pass\n"
        head = "From: <a@spf.test>\nTo: <user@example.org>\nSubject: forged results\nMessage-ID: <ar@client.test>\n"
        msg = crlf("Authentication-Results: mx.test; spf=pass smtp.mailfrom=forged@spf.test\n" + head
                   + "authentication-results : MX.TEST; spf=pass smtp.mailfrom=forged2@spf.test\n" + kept
                   + "Authentication-Results: mx.test;\n\tspf=pass smtp.mailfrom=folded@spf.test\n"
                   + "\nbody mentioning Authentication-Results: mx.test; spf=pass\n")
        content = self.assertDelivered(self.transaction(mx, "a@spf.test", msg=msg), sink)
        (ar, _rspf, _received), rest = self.our_headers(content, 3)
        self.assertIn(b"smtp.mailfrom=a@spf.test", unfold(ar))
        self.assertEqual(rest, lf(crlf(head + kept + "\nbody mentioning Authentication-Results: mx.test; spf=pass\n")),
                         "our authserv-id's fields are gone (any case, spacing, folding); others and the body kept")

    def test_forged_results_are_removed_from_bdat_chunks_too(self):
        sink, mx = self.gateway(SPF_ZONES, {"spf": SPF})
        head = "From: <a@spf.test>\nSubject: bdat\n"
        msg = crlf("Authentication-Results: mx.test; dkim=pass\n" + head + "\nbody\n")
        cut = msg.index(b"mx.test") + 3   # a chunk boundary inside the forged field
        with RawSmtp(mx.port(), timeout=15) as c:
            self.assertReply(c.xclient(addr=SPF_CLIENT), 220)
            self.assertReply(c.ehlo(HELO), 250)
            self.assertReply(c.cmd("MAIL FROM:<a@spf.test>"), 250)
            self.assertReply(c.cmd(f"RCPT TO:<{RCPT}>"), 250)
            c.send(b"BDAT %d\r\n" % cut + msg[:cut])
            self.assertReply(c.reply(), 250)
            c.send(b"BDAT %d LAST\r\n" % (len(msg) - cut) + msg[cut:])
            self.assertReply(c.reply(), 250)
        [m] = sink.wait_messages(1)
        (ar, _rspf, _received), rest = self.our_headers(m.content, 3)
        self.assertIn(b"spf=pass smtp.mailfrom=a@spf.test", unfold(ar))
        self.assertEqual(rest, lf(crlf(head + "\nbody\n")))

    def test_spf_pass_skips_greylisting_when_configured(self):
        greylist = {"enabled": True, "delay": "5m", "skip_spf_pass": True}
        state = {"backend": "sqlite", "sqlite": {"path": str(self.tmp / "state.db")}}
        nsd, sink = self.start_nsd(SPF_ZONES), self.start_sink()
        mx = self.start_mxgate(mxgate_config(
            domains={"example.org": "sink"}, backends={"sink": smtp_backend(sink.address)},
            extra={"dns": {"servers": [nsd.server], "transparent_local_zones": ["test"]}, "state": state,
                   "filters": {"spf": SPF, "greylist": greylist}, "xclient_networks": ["127.0.0.0/8"]}))
        self.assertDelivered(self.transaction(mx, "a@spf.test"), sink)      # SPF pass: not greylisted
        softfail = self.transaction(mx, "a@soft.test")                         # softfail: greylisted
        self.assertReply(softfail["rcpt"], "451 4.7.1")


class Dnsbl(DnsFilterCase):
    def test_listed_client_is_refused_at_rcpt(self):
        sink, mx = self.gateway(dnsbl_zones(listed=True), {"dnsbl": dnsbl_config()})
        replies = self.transaction(mx, "sender@example.com")
        self.assertReply(replies["mail"], 250)
        self.assertReply(replies["rcpt"], "554 5.7.1")
        self.assertIn("bl.test", replies["rcpt"].text)
        self.assertNothingDelivered(sink, "sender@example.com")

    def test_unlisted_client_is_delivered(self):
        sink, mx = self.gateway(dnsbl_zones(), {"dnsbl": dnsbl_config()})
        self.assertDelivered(self.transaction(mx, "sender@example.com"), sink)

    def test_allow_list_outweighs_block_list(self):
        sink, mx = self.gateway(dnsbl_zones(listed=True, allowed=True), {"dnsbl": dnsbl_config()})
        self.assertDelivered(self.transaction(mx, "sender@example.com"), sink)

    def test_listed_sender_domain_is_refused_at_rcpt(self):
        sink, mx = self.gateway(dnsbl_zones(), {"dnsbl": dnsbl_config()})
        replies = self.transaction(mx, "a@spam.test")
        self.assertReply(replies["mail"], 250)
        self.assertReply(replies["rcpt"], "554 5.7.1")
        self.assertNothingDelivered(sink, "a@spam.test")

    def test_ipv6_client_is_asked_by_nibbles(self):
        # RFC 5782 section 2.4: 32 reversed nibbles of 2001:db8::10.
        nibbles = ".".join(reversed(ipaddress.ip_address("2001:db8::10").exploded.replace(":", "")))
        zones = dnsbl_zones()
        zones["bl.test"] = zone_text("bl.test", [f"{nibbles} A 127.0.0.2"])
        sink, mx = self.gateway(zones, {"dnsbl": dnsbl_config()})
        listed = self.transaction(mx, "sender@example.com", client="IPV6:2001:db8::10")
        self.assertReply(listed["rcpt"], "554 5.7.1")
        self.assertIn("client [2001:db8::10] blocked using bl.test", listed["rcpt"].text)
        self.assertDelivered(self.transaction(mx, "sender@example.com", client="IPV6:2001:db8::11"), sink)

    def test_stage_timeout_cuts_off_a_list_that_would_wait_longer(self):
        # The dead list would wait 20 s; the stage deadline (1 s) cancels it and, like an
        # unanswered list, its timeout is no hit: the message is delivered.
        silent = self.start_silent_dns()
        dead = {"name": "deadbl", "zone": "dead.test", "type": "ip", "weight": 1, "timeout": "20s"}
        sink, mx = self.gateway(dnsbl_zones(), {"stage_timeout": "1s", "dnsbl": dnsbl_config(dead)},
                                dns={"timeout": "20s", "stub_zones": [{"zone": "dead.test", "servers": [silent.server]}]})
        # Read timeout 15 s, under the list's 20 s: only the stage deadline can let a reply come.
        with RawSmtp(mx.port(), timeout=15) as c:
            self.open_transaction(c, rcpts=(RCPT,))
            self.assertReply(c.message(simple_message(subject="cut off list")), 250)
        self.assertEqual(len(sink.wait_messages(1)), 1)

    def test_dead_list_is_no_hit_and_costs_only_its_timeout(self):
        silent = self.start_silent_dns()
        dead = {"name": "deadbl", "zone": "dead.test", "type": "ip", "weight": 1, "timeout": "1s"}
        # dns.timeout 20 s, over the 15 s read timeout: only the list's own 1 s lets replies come.
        sink, mx = self.gateway(dnsbl_zones(), {"dnsbl": dnsbl_config(dead)},
                                dns={"timeout": "20s", "stub_zones": [{"zone": "dead.test", "servers": [silent.server]}]})
        with RawSmtp(mx.port(), timeout=15) as c:
            self.open_transaction(c, rcpts=(RCPT,))
            self.assertReply(c.message(simple_message(subject="dead list")), 250)
        self.assertEqual(len(mx.log_lines("dnsbl_unanswered")), 1, "the session waited on the dead list more than once")
        self.assertEqual(len(sink.wait_messages(1)), 1)

    def test_repeated_ehlo_replaces_the_helo_list_findings(self):
        # A HELO-name list of weight 1 and reject_score 2: only with the listed sender domain
        # (weight 1) does the score reach 2. A second EHLO replaces the first one's findings, so
        # the HELO list never counts twice, and a clean name after a listed one clears it.
        zones = dnsbl_zones()
        zones["hbl.test"] = zone_text("hbl.test", [f"{HELO} A 127.0.0.2"])
        lists = [{"name": "hbl", "zone": "hbl.test", "type": "helo", "weight": 1},
                 {"name": "dbl", "zone": "dbl.test", "type": "sender_domain", "weight": 1}]
        sink, mx = self.gateway(zones, {"dnsbl": {"enabled": True, "reject_score": 2, "lists": lists,
                                                  "fcrdns": {"enabled": False}}})

        def rcpt_after(helos: tuple, sender: str):
            with RawSmtp(mx.port(), timeout=15) as c:
                for name in helos:
                    self.assertReply(c.ehlo(name), 250)
                self.assertReply(c.cmd(f"MAIL FROM:<{sender}>"), 250)
                return c.cmd(f"RCPT TO:<{RCPT}>")

        self.assertReply(rcpt_after((HELO, HELO), "sender@example.com"), 250,
                         "a listed HELO name sent twice counts once: score 1 of 2")
        self.assertReply(rcpt_after((HELO, HELO), "a@spam.test"), "554 5.7.1",
                         "the HELO list still counts after the second EHLO: 1 + 1 for the sender domain")
        self.assertReply(rcpt_after((HELO, "clean.example"), "a@spam.test"), 250,
                         "the last greeting's findings count, not the first one's")


class ReverseDns(DnsFilterCase):
    """FCrDNS through the gateway: the confirmed name in Received:, and a list keyed by it.
    The client is named with XCLIENT; its reverse zone is served by nsd (2.0.192.in-addr.arpa is
    one of libunbound's own local zones, hence transparent)."""

    ZONES = {
        "2.0.192.in-addr.arpa": zone_text("2.0.192.in-addr.arpa", ["10 PTR mail.client.test.",
                                                                   "11 PTR mail.client.test."]),
        "client.test": zone_text("client.test", ["mail A 192.0.2.10"]),
        "rdnsbl.test": zone_text("rdnsbl.test", []),
    }
    DNS = {"transparent_local_zones": ["test", "2.0.192.in-addr.arpa"]}

    def deliver_from(self, client: str, zones: dict, lists: tuple = ()) -> tuple:
        sink, mx = self.gateway(zones, {"dnsbl": {"enabled": True, "lists": list(lists),
                                                  "fcrdns": {"enabled": True, "timeout": "3s"}}}, dns=self.DNS)
        return sink, self.transaction(mx, "sender@example.com", client=client)

    def test_confirmed_name_is_in_received(self):
        sink, replies = self.deliver_from("192.0.2.10", self.ZONES)
        content = self.assertDelivered(replies, sink)
        (received,), _ = self.our_headers(content, 1)
        self.assertTrue(received.startswith(b"Received: from client.spf.test (mail.client.test [192.0.2.10])"),
                        received)

    def test_name_that_does_not_map_back_is_unknown(self):
        sink, replies = self.deliver_from("192.0.2.11", self.ZONES)   # its PTR name resolves to .10
        (received,), _ = self.our_headers(self.assertDelivered(replies, sink), 1)
        self.assertTrue(received.startswith(b"Received: from client.spf.test (unknown [192.0.2.11])"), received)

    def test_list_of_confirmed_names_refuses_at_rcpt(self):
        zones = dict(self.ZONES)
        zones["rdnsbl.test"] = zone_text("rdnsbl.test", ["mail.client.test A 127.0.0.2"])
        sink, replies = self.deliver_from("192.0.2.10", zones,
                                          ({"name": "rdnsbl", "zone": "rdnsbl.test", "type": "rdns"},))
        self.assertReply(replies["rcpt"], "554 5.7.1")
        self.assertIn("client name [mail.client.test] blocked using rdnsbl.test", replies["rcpt"].text)
        self.assertNothingDelivered(sink, "sender@example.com")


if __name__ == "__main__":
    unittest.main()
