"""SPF through the whole gateway (issue 10 item 6): real clients on their own loopback addresses,
the zones served by a real nsd, mxgate's resolver forwarding to it, smtp-sink as the backend.

No XCLIENT: each client connects from its own 127.0.10.x address (Linux routes all of
127.0.0.0/8 to lo), and the SPF records name those addresses, so loopback clients are evaluated
like any other (RFC 7208 §4.1, no special case). trusted_networks (10.99.0.0/16) does not cover
them, else skip_trusted would skip SPF. The actions are the documented defaults (fail rejects,
temperror tempfails, everything else proceeds), so the tests also pin those down.

A delivered message starts with our Authentication-Results and Received-SPF fields, checked
field by field in every copy. libunbound answers the RFC 6761 name "test." itself unless it is
a transparent local zone, hence `dns.transparent_local_zones: [test]`.
"""

import re
import threading
import time
import unittest

from harness import (MxgateTestCase, RawSmtp, Reply, lf, mxgate_config, simple_message, smtp_backend, split_first_header,
                     unfold, wait_for)
from harness.nsd import txt, zone_text

HELO = "client.spf.test"      # has no SPF record: its own check (RFC 7208 §2.3) says none
RCPT = "user@example.org"
HANG_GUARD = 15               # seconds a client waits for a reply: only turns a hang into a failure
STRANGER = "127.0.10.200"     # named by no record


def client(n: int) -> str:
    return f"127.0.10.{n}"


def include_chain(name: str, depth: int, last: str) -> list[str]:
    """name includes 1.name, which includes 2.name, ...: `depth` includes; the deepest record is `last`."""
    names = [name] + [f"{i}.{name}" for i in range(1, depth + 1)]
    chain = [f"{outer}. TXT {txt(f'v=spf1 include:{inner} -all')}" for outer, inner in zip(names, names[1:])]
    return chain + [f"{names[-1]}. TXT {txt(last)}"]


# Explanations (exp=, RFC 7208 §6.2) are macro-expanded peer text.
EXPLANATION = "%{i} may not send mail for %{d}"
LONG_EXPLANATION = "Mail from %{i} refused \\r\\n250 2.0.0 queued as spoofed " + "and explained at length " * 25
CONTROL_EXPLANATION = "Go away\r\n250 2.0.0 injected\x07"   # control characters: a syntax error (§7.1)

SERVED = "127.0.10.32/29"    # the working domain's clients in the dead-nameserver test
RECORDS = [
    f"pass TXT {txt(f'v=spf1 ip4:{client(1)} -all')}",
    f"fail TXT {txt(f'v=spf1 ip4:{client(1)} -all exp=why.fail.spf.test')}",
    f"why.fail TXT {txt(EXPLANATION)}",
    f"longexp TXT {txt('v=spf1 -all exp=why.longexp.spf.test')}",
    f"why.longexp TXT {txt(LONG_EXPLANATION)}",
    f"ctrlexp TXT {txt('v=spf1 -all exp=why.ctrlexp.spf.test')}",
    f"why.ctrlexp TXT {txt(CONTROL_EXPLANATION)}",
    f"soft TXT {txt(f'v=spf1 ip4:{client(1)} ~all')}",
    f"neutral TXT {txt(f'v=spf1 ip4:{client(1)} ?all')}",
    "nospf A 192.0.2.1",                                          # a domain without any TXT
    f"othertxt TXT {txt('site-verification=0123456789abcdef')}",  # only a TXT that is not SPF
    f"two TXT {txt(f'v=spf1 ip4:{client(9)} -all')}",             # two SPF records: permerror (§4.5)
    f"two TXT {txt(f'v=spf1 ip4:{client(9)} ~all')}",
    # The deepest record authorizes the client: only the limit of §4.6.4 can turn that into permerror.
    *include_chain("inc10.spf.test", 10, f"v=spf1 ip4:{client(10)} -all"),
    *include_chain("inc11.spf.test", 11, f"v=spf1 ip4:{client(10)} -all"),
    f"a TXT {txt('v=spf1 a -all')}",
    f"a A {client(11)}",
    f"mx TXT {txt('v=spf1 mx -all')}",
    "mx MX 10 mail.mx.spf.test.",
    f"mail.mx A {client(12)}",
    f"incl TXT {txt('v=spf1 include:partner.spf.test -all')}",
    f"partner TXT {txt(f'v=spf1 ip4:{client(13)} -all')}",
    f"redir TXT {txt('v=spf1 redirect=target.spf.test')}",
    f"target TXT {txt(f'v=spf1 ip4:{client(14)} -all')}",
    f"exists TXT {txt('v=spf1 exists:%{i}._ip.%{d} -all')}",
    f"{client(15)}._ip.exists A 127.0.0.2",                       # only this client "exists"
    f"helo TXT {txt(f'v=spf1 ip4:{client(16)} -all')}",          # the HELO name's own record
    f"open TXT {txt('v=spf1 +all')}",                            # any client passes
    f"multi TXT {txt(f'v=spf1 ip4:{client(17)} -all')}",
    f"served TXT {txt(f'v=spf1 ip4:{SERVED} -all')}",
]
ZONES = {"spf.test": zone_text("spf.test", RECORDS)}
# Not a zone nsd serves, so nsd answers REFUSED (resolver status servfail, RFC 7208 §4.4 temperror).
REFUSED_DOMAIN = "refused.test"


def received_spf(field: bytes) -> tuple[str, dict[str, str]]:
    """(result, {key: value}) of a Received-SPF field (RFC 7208 §9.1), quotes removed from values."""
    m = re.fullmatch(r"Received-SPF: (\w+) \(.*?\) ((?:[\w-]+=.*)+)", unfold(field))
    if not m:
        raise AssertionError(f"not a Received-SPF field with a comment and key-value pairs: {field!r}")
    pairs = re.findall(r'([\w-]+)=("(?:[^"\\]|\\.)*"|[^;\s]+);?', m.group(2))
    return m.group(1), {key: value.strip('"') for key, value in pairs}


class SpfGateway(MxgateTestCase):
    def gateway(self, *, spf: dict | None = None, dns: dict | None = None,
                routes: tuple[str, ...] = ("example.org",)) -> tuple:
        """nsd serving ZONES, one smtp-sink per routed domain, and mxgate checking SPF through that
        nsd. Returns (mxgate, [sink per route])."""
        self.nsd = self.start_nsd(ZONES)
        sinks = [self.start_sink() for _ in routes]
        dns_cfg = {"servers": [self.nsd.server], "timeout": "5s", "transparent_local_zones": ["test"], **(dns or {})}
        mx = self.start_mxgate(mxgate_config(
            domains={domain: f"sink{n}" for n, domain in enumerate(routes)},
            backends={f"sink{n}": smtp_backend(sink.address) for n, sink in enumerate(sinks)},
            trusted_networks=("10.99.0.0/16",),   # not loopback: SPF must run for our clients
            extra={"dns": dns_cfg, "filters": {"spf": {"enabled": True, **(spf or {})}}}))
        return mx, sinks

    def transaction(self, mx, source: str, sender: str, *, helo: str = HELO) -> dict[str, Reply]:
        """From `source`: EHLO, MAIL, RCPT, DATA and a message, stopping at the first refusal: {step: Reply}."""
        replies = {}
        with RawSmtp(mx.port(), source=source, timeout=HANG_GUARD) as c:
            self.assertReply(c.ehlo(helo), 250)
            for step, line in (("mail", f"MAIL FROM:<{sender}>"), ("rcpt", f"RCPT TO:<{RCPT}>"), ("data", "DATA")):
                replies[step] = c.cmd(line)
                if replies[step].code >= 400:
                    return replies
            replies["end"] = c.message(simple_message(sender=sender or f"postmaster@{helo}", to=RCPT))
        return replies

    def assertDelivered(self, replies: dict, sink, sender: str) -> bytes:
        """The transaction was accepted; the content of the one copy from `sender` at the sink."""
        for step, code in (("mail", 250), ("rcpt", 250), ("data", 354), ("end", 250)):
            self.assertIn(step, replies, f"transaction stopped early: {replies}")
            self.assertReply(replies[step], code, step)
        [m] = wait_for(lambda: [m for m in sink.messages() if m.mail_from == sender],
                       what=f"the message from <{sender}> at {sink.name}", details=sink.describe)
        return m.content

    def assertDeliveredWith(self, result: str, mx, sink, source: str, sender: str):
        content = self.assertDelivered(self.transaction(mx, source, sender), sink, sender)
        self.assertSpfHeaders(content, result, source=source, sender=sender)

    def assertRefusedAtMail(self, replies: dict, expected: str, sink) -> Reply:
        self.assertReply(replies["mail"], expected)
        self.assertNotIn("rcpt", replies)
        # The session is closed: a message or a MAIL at the backend would be there already.
        self.assertEqual(sink.messages(), [])
        self.assertEqual(sink.commands_starting("MAIL"), [], "MAIL reached the backend")
        return replies["mail"]

    def assertSpfHeaders(self, content: bytes, result: str, *, source: str, sender: str, helo: str = HELO,
                         identity: str = "mailfrom"):
        """The message starts with our Authentication-Results (RFC 8601, spf= alone: the other
        checks are off; MAIL FROM's result, then the HELO name's own, which has no record) and
        one Received-SPF (RFC 7208 §9.1), for the MAIL FROM check."""
        ar, rest = split_first_header(content)
        rspf, _ = split_first_header(rest)
        prop = f"smtp.helo={helo}" if identity == "helo" else f"smtp.mailfrom={sender}"
        helo_check = f"; spf=none smtp.helo={helo}" if identity == "mailfrom" else ""
        self.assertEqual(unfold(ar), f"Authentication-Results: mx.test; spf={result} {prop}{helo_check}")
        rspf_result, pairs = received_spf(rspf)
        self.assertEqual(rspf_result, result, rspf)
        expected = {"client-ip": source, "envelope-from": sender, "helo": helo, "receiver": "mx.test",
                    "identity": identity}
        self.assertEqual({key: pairs.get(key) for key in expected}, expected, rspf)


class Results(SpfGateway):
    """One case per result of RFC 7208 §2.6, each with its default action."""

    def test_pass_is_delivered_with_both_fields_and_another_client_fails(self):
        mx, [sink] = self.gateway()
        sender = "a@pass.spf.test"
        content = self.assertDelivered(self.transaction(mx, client(1), sender), sink, sender)
        self.assertSpfHeaders(content, "pass", source=client(1), sender=sender)
        _, rest = split_first_header(split_first_header(content)[1])
        self.assertTrue(rest.startswith(b"Received: from client.spf.test"), rest[:200])
        self.assertIn(f"[{client(1)}]".encode(), split_first_header(rest)[0], "Received: names the real client")
        # The same domain, another loopback client: the record decides, not the address range.
        self.assertReply(self.transaction(mx, client(2), sender)["mail"], "550 5.7.23")
        self.assertEqual(len(sink.messages()), 1, "only the first client's copy")

    def test_fail_is_refused_with_the_domains_explanation(self):
        mx, [sink] = self.gateway()
        reply = self.assertRefusedAtMail(self.transaction(mx, client(2), "a@fail.spf.test"), "550 5.7.23", sink)
        self.assertEqual(reply.lines, [f"5.7.23 SPF validation failed; fail.spf.test explains: "
                                       f"{client(2)} may not send mail for fail.spf.test"])

    def test_long_explanation_is_escaped_and_clipped(self):
        mx, [sink] = self.gateway()
        reply = self.assertRefusedAtMail(self.transaction(mx, client(3), "a@longexp.spf.test"), "550 5.7.23", sink)
        self.assertEqual(len(reply.lines), 1, reply)
        prefix = "5.7.23 SPF validation failed; longexp.spf.test explains: "
        self.assertTrue(reply.lines[0].startswith(prefix), reply)
        explanation = reply.lines[0][len(prefix):]
        self.assertTrue(explanation.startswith(f"Mail from {client(3)} refused \\x5cr\\x5cn250 2.0.0 queued"),
                        "a backslash is escaped, so the text cannot pose as an escape")
        self.assertLessEqual(len(explanation), 200, "cut at 200 characters")
        self.assertTrue(explanation.endswith("..."), "the cut is marked")
        self.assertTrue(all(" " <= ch <= "~" for ch in explanation), explanation)

    def test_explanation_with_control_characters_is_not_shown_and_injects_nothing(self):
        # RFC 7208 §6.2: an explanation with a syntax error (control characters are no
        # macro-literal, §7.1) is treated as if there were no exp=.
        mx, [sink] = self.gateway()
        with RawSmtp(mx.port(), source=client(4), timeout=HANG_GUARD) as c:
            self.assertReply(c.ehlo(HELO), 250)
            reply = c.cmd("MAIL FROM:<a@ctrlexp.spf.test>")
            self.assertEqual(reply.raw, b"550 5.7.23 SPF validation failed\r\n")
            self.assertEqual(c.pending(0.2), b"", "nothing after the one reply line")
            self.assertReply(c.cmd("NOOP"), 250, "the session is in step: no injected reply was queued")
        self.assertEqual(sink.messages(), [])

    def test_softfail_is_delivered(self):
        mx, [sink] = self.gateway()
        self.assertDeliveredWith("softfail", mx, sink, client(5), "a@soft.spf.test")

    def test_neutral_is_delivered(self):
        mx, [sink] = self.gateway()
        self.assertDeliveredWith("neutral", mx, sink, client(6), "a@neutral.spf.test")

    def test_none_without_txt_and_with_only_a_non_spf_txt(self):
        mx, [sink] = self.gateway()
        for sender in ("a@nospf.spf.test", "a@othertxt.spf.test"):
            with self.subTest(sender=sender):
                self.assertDeliveredWith("none", mx, sink, client(7), sender)

    def test_temperror_when_the_nameserver_refuses(self):
        mx, [sink] = self.gateway()
        self.assertEqual(self.nsd.query(REFUSED_DOMAIN, "TXT").rcode, 5, "premise: nsd REFUSES this domain")
        sender = f"a@{REFUSED_DOMAIN}"
        self.assertRefusedAtMail(self.transaction(mx, client(8), sender), "451 4.7.24", sink)
        mx.wait_log("spf_temperror", domain=REFUSED_DOMAIN, client=client(8),
                    problem=f"TXT lookup of {REFUSED_DOMAIN}: servfail")

    def test_permerror_for_two_records_is_delivered(self):
        mx, [sink] = self.gateway()
        self.assertDeliveredWith("permerror", mx, sink, client(9), "a@two.spf.test")

    def test_permerror_past_ten_nested_includes(self):
        # RFC 7208 §4.6.4: at most 10 DNS-querying terms in the whole check_host(). Ten nested
        # includes reach the record that authorizes the client; eleven are a permerror.
        mx, [sink] = self.gateway()
        for sender, result in (("a@inc10.spf.test", "pass"), ("a@inc11.spf.test", "permerror")):
            self.assertDeliveredWith(result, mx, sink, client(10), sender)


class Mechanisms(SpfGateway):
    """A match through each DNS mechanism: the named client passes, a stranger fails on -all."""

    def assertMatches(self, source: str, sender: str):
        mx, [sink] = self.gateway()
        self.assertDeliveredWith("pass", mx, sink, source, sender)
        self.assertReply(self.transaction(mx, STRANGER, sender)["mail"], "550 5.7.23")

    def test_a(self):
        self.assertMatches(client(11), "a@a.spf.test")

    def test_mx(self):
        self.assertMatches(client(12), "a@mx.spf.test")

    def test_include(self):
        self.assertMatches(client(13), "a@incl.spf.test")

    def test_redirect(self):
        self.assertMatches(client(14), "a@redir.spf.test")

    def test_exists_with_client_ip_macro(self):
        # exists:%{i}._ip.%{d}: the zone has 127.0.10.15._ip.exists.spf.test, for this client only.
        self.assertMatches(client(15), "a@exists.spf.test")


class Identities(SpfGateway):
    def test_null_sender_is_checked_by_helo(self):
        # RFC 7208 §2.4: MAIL FROM:<> is checked as postmaster@<HELO name>.
        mx, [sink] = self.gateway()
        content = self.assertDelivered(self.transaction(mx, client(16), "", helo="helo.spf.test"), sink, "")
        self.assertSpfHeaders(content, "pass", source=client(16), sender="postmaster@helo.spf.test",
                              helo="helo.spf.test", identity="helo")
        self.assertReply(self.transaction(mx, STRANGER, "", helo="helo.spf.test")["mail"], "550 5.7.23")

    def test_helo_name_is_checked_as_well(self):
        # RFC 7208 §2.3: MAIL FROM passes (open.spf.test allows every client), but the HELO
        # name's record does not name this client: its fail rejects on its own (on_helo_fail).
        mx, [sink] = self.gateway()
        reply = self.assertRefusedAtMail(self.transaction(mx, STRANGER, "a@open.spf.test", helo="helo.spf.test"),
                                         "550 5.7.23", sink)
        self.assertEqual(reply.lines, ["5.7.23 SPF validation failed for HELO helo.spf.test"])
        # The HELO name's own client: both identities pass and both are reported.
        content = self.assertDelivered(self.transaction(mx, client(16), "a@open.spf.test", helo="helo.spf.test"),
                                       sink, "a@open.spf.test")
        ar, _ = split_first_header(content)
        self.assertEqual(unfold(ar), "Authentication-Results: mx.test; spf=pass smtp.mailfrom=a@open.spf.test; "
                                     "spf=pass smtp.helo=helo.spf.test")

    def test_helo_check_can_be_turned_off_or_only_reported(self):
        for spf, delivered_as in (({"check_helo": False}, ""), ({"on_helo_fail": "proceed"}, "; spf=fail smtp.helo=helo.spf.test")):
            with self.subTest(spf=spf):
                mx, [sink] = self.gateway(spf=spf)
                content = self.assertDelivered(self.transaction(mx, STRANGER, "a@open.spf.test", helo="helo.spf.test"),
                                               sink, "a@open.spf.test")
                ar, _ = split_first_header(content)
                self.assertEqual(unfold(ar), "Authentication-Results: mx.test; spf=pass smtp.mailfrom=a@open.spf.test"
                                             + delivered_as)
                mx.stop()

    def test_every_delivered_copy_carries_the_fields(self):
        # One transaction goes to one backend: the recipient of the other route gets 452 4.5.3
        # and the client sends it a second copy in a new transaction (RFC 5321 §4.5.3.1.10).
        mx, sinks = self.gateway(routes=("example.org", "example.net"))
        sender, source = "a@multi.spf.test", client(17)
        msg = simple_message(subject="two copies", sender=sender, to="u1@example.org")
        with RawSmtp(mx.port(), source=source, timeout=HANG_GUARD) as c:
            self.assertReply(c.ehlo(HELO), 250)
            for batch, refused in ((("u1@example.org", "u2@example.org"), "u3@example.net"), (("u3@example.net",), None)):
                self.assertReply(c.cmd(f"MAIL FROM:<{sender}>"), 250)
                for rcpt in batch:
                    self.assertReply(c.cmd(f"RCPT TO:<{rcpt}>"), 250, rcpt)
                if refused:
                    self.assertReply(c.cmd(f"RCPT TO:<{refused}>"), "452 4.5.3")
                self.assertReply(c.cmd("DATA"), 354)
                self.assertReply(c.message(msg), 250)
        copies = [(m.recipients, m.content) for sink in sinks for m in sink.wait_messages(1)]
        self.assertEqual([rcpts for rcpts, _ in copies], [["u1@example.org", "u2@example.org"], ["u3@example.net"]])
        for _, content in copies:
            self.assertSpfHeaders(content, "pass", source=source, sender=sender)
            self.assertTrue(content.endswith(lf(msg)), "the client's message follows unchanged")


class DeadNameserver(SpfGateway):
    SPF_TIMEOUT = 2.0

    def test_dead_domain_tempfails_while_other_sessions_are_served(self):
        # Only filters.spf.timeout can answer the slow sessions: dns.timeout and the stage
        # timeout are far beyond the clients' HANG_GUARD.
        silent = self.start_silent_dns()
        mx, [sink] = self.gateway(
            spf={"timeout": f"{self.SPF_TIMEOUT:g}s"},
            dns={"timeout": "60s", "stub_zones": [{"zone": "dead.test", "servers": [silent.server]}]})
        slow_clients = [client(n) for n in (40, 41, 42)]   # several at once: none may hold up the others
        slow: dict[str, dict] = {source: {} for source in slow_clients}
        asked = threading.Barrier(len(slow_clients) + 1, timeout=HANG_GUARD)

        def slow_session(source: str):
            out = slow[source]
            try:
                with RawSmtp(mx.port(), source=source, timeout=HANG_GUARD) as c:
                    c.ehlo(HELO)
                    start = time.monotonic()
                    c.send("MAIL FROM:<a@dead.test>\r\n")
                    asked.wait()
                    out["reply"] = c.reply()
                    out["done"] = time.monotonic()
                    out["waited"] = out["done"] - start
            except Exception as exc:   # reported by the assertions below
                out["error"] = exc
                asked.abort()

        threads = [threading.Thread(target=slow_session, args=(s,), daemon=True) for s in slow_clients]
        for t in threads:
            t.start()
        asked.wait()   # every slow session has sent its MAIL
        served_done = []
        served = [client(n) for n in (33, 34, 35)]   # other clients of a working domain, one after the other
        for source in served:
            sender = f"{source}@served.spf.test"
            self.assertDeliveredWith("pass", mx, sink, source, sender)
            served_done.append(time.monotonic())
        for t in threads:
            t.join(HANG_GUARD + 5)
        self.assertFalse(any(t.is_alive() for t in threads), "a slow session never got a reply")
        for source, out in slow.items():
            self.assertNotIn("error", out, f"{source}: {out}")
            self.assertReply(out["reply"], "451 4.7.24", source)
            self.assertGreaterEqual(out["waited"], self.SPF_TIMEOUT - 0.05, "a timer never fires early")
            # Order, not seconds: the other sessions were served while this one waited for DNS.
            self.assertLess(served_done[-1], out["done"], f"{source} got its 451 before the others were served")
        # The cause, logged right after the reply was sent: SPF's own budget, not DNS or the stage.
        wait_for(lambda: len(mx.log_lines("spf_temperror", domain="dead.test",
                                          problem="no result within filters.spf.timeout")) == len(slow_clients),
                 what="an SPF timeout logged per slow session", details=lambda: mx.tail(20))


if __name__ == "__main__":
    unittest.main()
