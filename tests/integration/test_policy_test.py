"""`mxgate policy test` end to end, through the real binary (issue 12 item 7).

The trace of one transaction walked offline through good_policy/policy.yaml with
the findings given on the command line, and `--cases DIR` on policy_cases/
(every case passes: exit 0) and policy_cases_failing/ (one wrong expectation and
one case file with errors: exit 1). Exit codes: 0 trace printed, 1 the policy
does not compile, 2 a bad command line.

With --run-filters the config's real filters find the results: SPF, the DNS lists,
DKIM and DMARC against a real nsd serving test_content_filters' zones (keys made and
messages signed at test time with python3-dkim), plus a DNS block list.

Environment: MXGATE_BIN (the mxgate binary). Run with /usr/bin/python3 -m unittest
from tests/integration.
"""

import os
import pathlib
import subprocess
import textwrap
import unittest

from harness import MxgateTestCase, lf, maildir_backend, mxgate_config, to_yaml
from harness.nsd import reversed_ipv4, zone_text
from test_content_filters import SENDER, client, message, sign, zones

HERE = pathlib.Path(__file__).resolve().parent
POLICY = "good_policy/policy.yaml"
TIMEOUT = 60  # seconds per run; a walk takes milliseconds
STRANGER = ["--client-ip", "198.51.100.7", "--helo", "mx.stranger.example", "--sender", "news@stranger.example",
            "--rcpt", "bob@example.org"]


def policy_test(*arguments):
    binary = os.environ.get("MXGATE_BIN")
    if not binary:
        raise RuntimeError("MXGATE_BIN is not set (path of the mxgate binary)")
    return subprocess.run([binary, "policy", "test", *arguments], cwd=HERE, capture_output=True, text=True,
                          timeout=TIMEOUT, check=False)


class Trace(unittest.TestCase):
    def test_a_greylisted_stranger_is_traced_stage_by_stage(self):
        result = policy_test(POLICY, *STRANGER, "--finding", "greylist=softfail")
        self.assertEqual(result.returncode, 0, result.stderr)
        lines = result.stdout.splitlines()
        headings = [line.split(":")[0] for line in lines if not line.startswith(" ")]
        self.assertEqual(headings, ["connect", "helo", "mail_from", "rcpt", "verdict"])
        result = policy_test(POLICY, *STRANGER)
        self.assertIn("\nend_of_data: no message given (size 0, no header fields)\n", result.stdout)
        self.assertIn("  rule relay-internal: no: client_ip in list internal [198.51.100.7]: no", lines)
        self.assertIn("  findings: greylist=softfail", lines)
        self.assertIn("  decided: tempfail by rule greylist-strangers", lines)
        self.assertIn("  monitored: rule no-fcrdns would score +2", lines)
        self.assertEqual(lines[-1], "verdict: tempfail by rule greylist-strangers (score 0): "
                                    "451 4.7.1 Greylisted, please try again later")

    def test_a_dnswl_hit_at_connect_spares_greylisting_and_the_message_is_read(self):
        result = policy_test(POLICY, *STRANGER, "--finding", "greylist=softfail", "--finding", "dnswl.dnswl=pass",
                             "--message", "policy_cases/spf-fail-unaligned/message.eml", "--tls", "1.3")
        self.assertEqual(result.returncode, 0, result.stderr)
        message = (HERE / "policy_cases" / "spf-fail-unaligned" / "message.eml").read_bytes()
        self.assertNotIn(b"\r", message, "an LF file: counted with CRLF, as the session sees it")
        size = len(message) + message.count(b"\n")
        self.assertIn(f"end_of_data: {size} bytes, 3 header fields\n", result.stdout)
        self.assertIn("\n  findings: dnswl.dnswl=pass\n", result.stdout)
        self.assertTrue(result.stdout.endswith("verdict: deliver by rule none (score 0): 250 2.0.0 Ok\n"),
                        result.stdout)

    def test_without_a_quarantine_in_the_config_a_quarantined_message_is_delivered(self):
        dmarc = ["--finding", "dmarc=fail;policy=quarantine"]
        result = policy_test(POLICY, *STRANGER, *dmarc)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertTrue(result.stdout.endswith("verdict: quarantine by rule dmarc-quarantine (score 0): "
                                               "250 2.0.0 Ok\n"), result.stdout)
        result = policy_test(POLICY, *STRANGER, *dmarc, "--config", "good_policy/mxgate.yaml")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("  quarantine ignored: no quarantine store configured; delivered\n", result.stdout)
        self.assertTrue(result.stdout.endswith("verdict: deliver by rule none (score 0): 250 2.0.0 Ok\n"),
                        result.stdout)


class Cases(unittest.TestCase):
    def test_every_case_of_the_folder_passes(self):
        result = policy_test(POLICY, "--cases", "policy_cases")
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        lines = result.stdout.splitlines()
        cases = sorted(p.name for p in (HERE / "policy_cases").iterdir() if p.is_dir())
        self.assertGreaterEqual(len(cases), 6)
        self.assertEqual(lines, [f"PASS {name}" for name in cases] +
                         [f"{len(cases)} cases: {len(cases)} passed, 0 failed"])

    def test_a_failing_case_and_a_broken_case_file_fail_the_run(self):
        result = policy_test(POLICY, "--cases", "policy_cases_failing")
        self.assertEqual(result.returncode, 1, result.stdout + result.stderr)
        self.assertEqual(result.stdout.splitlines(), [
            "PASS as-expected",
            "FAIL bad-case: the case does not load",
            "FAIL wrong-expectation: expected deliver, got reject (rule blocked-by-zen at stage rcpt: "
            "554 5.7.1 Service unavailable; client blocked using zen)",
            "3 cases: 1 passed, 2 failed",
        ])
        self.assertEqual(result.stderr.splitlines(), [
            "policy_cases_failing/bad-case/case.yaml:4:12: findings[0]: unknown outcome 'fial' (one of pass, "
            "fail, softfail, neutral, none, temperror, permerror, skipped, policy)",
            "policy_cases_failing/bad-case/case.yaml:5:28: unknown key 'rulle' in expect; did you mean 'rule'?",
        ])


LISTED = client(2)     # in bl.test
STRANGER_IP = "192.0.2.10"   # not in aligned.test's SPF record (-all): SPF fail for SENDER
DELIVERED = "deliver by rule none (score 0): 250 2.0.0 Ok"


class RunFilters(MxgateTestCase):
    """--run-filters: the filters of a config, resolving through nsd, decide the rules."""

    def run_filters(self, policy: str, filters: dict, *arguments: str, extra: dict | None = None):
        """nsd + a config with these filters + this policy.yaml, then `policy test --run-filters`."""
        if not hasattr(self, "nsd"):
            served = zones()
            served["bl.test"] = zone_text("bl.test", [f"{reversed_ipv4(LISTED)} A 127.0.0.2"])
            self.nsd = self.start_nsd(served)
        config = mxgate_config(domains={"example.org": "store"}, backends={"store": maildir_backend()}, tls=False,
                               listeners=(("127.0.0.1:0", "none"),),
                               extra={"dns": {"servers": [self.nsd.server], "timeout": "5s",
                                              "transparent_local_zones": ["test"]},
                                      "filters": filters, **(extra or {})})
        (self.tmp / "mxgate.yaml").write_text(to_yaml(config))
        (self.tmp / "policy.yaml").write_text(textwrap.dedent(policy))
        result = policy_test(str(self.tmp / "policy.yaml"), "--config", str(self.tmp / "mxgate.yaml"),
                             "--run-filters", *arguments)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        return result.stdout

    def assertVerdict(self, out: str, verdict: str, found: str = "^filters run: "):
        """The trace ends with this summary line (after "verdict: "), and `found` (a regex) is in it."""
        self.assertTrue(out.endswith(f"verdict: {verdict}\n"), out)
        self.assertRegex(out, found)

    def envelope(self, client_ip: str, sender: str = SENDER) -> list[str]:
        return ["--client-ip", client_ip, "--helo", "client.aligned.test", "--sender", sender,
                "--rcpt", "bob@example.org"]

    SPF_POLICY = """
        rules:
          - name: spf-refused
            when: {spf: fail}
            then: {reject: {code: 550, enhanced: 5.7.23, text: "SPF says no"}}
    """
    SPF = {"spf": {"enabled": True, "check_helo": False, "on_fail": "proceed"}}

    def test_an_spf_fail_of_the_real_filter_decides_a_rule_and_a_finding_given_replaces_it(self):
        out = self.run_filters(self.SPF_POLICY, self.SPF, *self.envelope(STRANGER_IP))
        self.assertIn("filters run: spf\n", out)
        self.assertRegex(out, r"\nfilters at mail_from:\n  spf=fail;[^\n]*domain=aligned\.test")
        self.assertIn("  decided: reject by rule spf-refused\n", out)
        self.assertVerdict(out, "reject by rule spf-refused (score 0): 550 5.7.23 SPF says no")

        out = self.run_filters(self.SPF_POLICY, self.SPF, *self.envelope(client(1)))
        self.assertVerdict(out, DELIVERED, r"\nfilters at mail_from:\n  spf=pass;")

        out = self.run_filters(self.SPF_POLICY, self.SPF, *self.envelope(STRANGER_IP), "--finding", "spf=pass")
        self.assertVerdict(out, DELIVERED,
                           r"\n  spf=fail;[^\n]* \(replaced by --finding\)\n  spf=pass \(from --finding\)\n")

    def test_a_dnsbl_hit_at_connect_adds_score_that_a_later_rule_reads(self):
        policy = """
            rules:
              - name: listed-scores
                when: {dnsbl: {list: testbl}}
                then: {score: 5}
              - name: too-much-score
                stage: rcpt
                when: {score: {at_least: 5}}
                then: {reject: {code: 554, enhanced: 5.7.1, text: "Score too high"}}
        """
        dnsbl = {"dnsbl": {"enabled": True, "lists": [{"name": "testbl", "zone": "bl.test", "type": "ip", "weight": 1}],
                           "fcrdns": {"enabled": False}}}
        out = self.run_filters(policy, dnsbl, *self.envelope(LISTED))
        self.assertRegex(out, r"filters at connect:\n  dnsbl\.testbl=fail;")
        self.assertIn("  actions: score +5 (now 5)\n", out)
        self.assertVerdict(out, "reject by rule too-much-score (score 5): 554 5.7.1 Score too high")
        out = self.run_filters(policy, dnsbl, *self.envelope(client(1)))
        self.assertVerdict(out, DELIVERED, r"filters at connect:\n  dnsbl\.testbl=pass;[^\n]*listed=no")

    def test_a_list_the_dns_cannot_answer_is_a_temperror_finding_not_an_exit_code(self):
        # refused.test is no zone of nsd's: REFUSED, the resolver's servfail.
        dnsbl = {"dnsbl": {"enabled": True, "reject_score": 0, "fcrdns": {"enabled": False},
                           "lists": [{"name": "gone", "zone": "refused.test", "type": "ip", "weight": 1}]}}
        out = self.run_filters(self.SPF_POLICY, dnsbl, *self.envelope(client(1)))
        self.assertVerdict(out, DELIVERED, r"filters at connect:\n  dnsbl\.gone=temperror;")

    def test_a_signed_message_passes_dkim_and_dmarc_and_a_changed_body_is_refused_by_the_rule(self):
        policy = """
            rules:
              - name: dmarc-refused
                when: {dmarc: {result: fail, policy: reject}}
                then: {reject: {code: 550, enhanced: 5.7.1, text: "DMARC policy refuses this message"}}
        """
        content = {"spf": {"enabled": True, "check_helo": False}, "dkim": {"enabled": True},
                   "dmarc": {"enabled": True}}
        # A line that starts with a dot: the client doubles it, the session's splitter takes one off.
        signed = sign(message("alice@aligned.test", subject="policy test", body=b"Hello.\r\n.dot line\r\n"), "rsa")
        (self.tmp / "signed.eml").write_bytes(lf(signed))   # LF: read as CRLF, as the session sees it
        (self.tmp / "changed.eml").write_bytes(signed.replace(b"Hello.", b"Hullo."))
        # nodmarc.test has no SPF record: DMARC rests on the DKIM signature alone.
        envelope = self.envelope(STRANGER_IP, sender="bounces@nodmarc.test")
        out = self.run_filters(policy, content, *envelope, "--message", str(self.tmp / "signed.eml"))
        self.assertNotIn("auth_results=", out, "the header text the filters add is not printed")
        self.assertVerdict(out, DELIVERED, r"\nfilters at end_of_data:\n  dkim=pass;[^\n]*\n  dmarc=pass\b")

        out = self.run_filters(policy, content, *envelope, "--message", str(self.tmp / "changed.eml"))
        self.assertVerdict(out, "reject by rule dmarc-refused (score 0): 550 5.7.1 DMARC policy refuses this message",
                           r"\nfilters at end_of_data:\n  dkim=fail;[^\n]*\n  dmarc=fail\b")

    def test_greylisting_is_not_run_and_its_finding_is_given(self):
        policy = """
            rules:
              - name: greylisted
                when: {greylist: defer}
                then: {tempfail: {code: 451, enhanced: 4.7.1, text: "Greylisted, please try again later"}}
        """
        state = self.tmp / "state.db"
        filters = {"greylist": {"enabled": True}, **self.SPF}
        extra = {"state": {"backend": "sqlite", "sqlite": {"path": str(state)}}}
        out = self.run_filters(policy, filters, *self.envelope(client(1)), extra=extra)
        self.assertIn("\n  greylist: not run (it records state); give --finding greylist=...\n", out)
        self.assertVerdict(out, DELIVERED)
        out = self.run_filters(policy, filters, *self.envelope(client(1)), "--finding",
                               "greylist=softfail;retry_after=300", extra=extra)
        self.assertIn("filters at rcpt <bob@example.org>:\n"
                      "  greylist=softfail;retry_after=300 (from --finding)\n", out)
        self.assertVerdict(out, "tempfail by rule greylisted (score 0): 451 4.7.1 Greylisted, please try again later")
        self.assertFalse(state.exists(), "the state store was opened")


class Errors(unittest.TestCase):
    def test_a_policy_that_does_not_compile_is_exit_1_with_its_diagnostics(self):
        result = policy_test("bad_policies/unknown_key/policy.yaml", *STRANGER)
        self.assertEqual(result.returncode, 1)
        expected = (HERE / "bad_policies" / "unknown_key" / "expected-error").read_text().strip()
        self.assertEqual(result.stderr.splitlines()[0], "bad_policies/" + expected)
        self.assertEqual(result.stdout, "")

    def test_a_bad_command_line_is_exit_2_and_says_which_part_is_wrong(self):
        for arguments, error in [
            ([*STRANGER, "--finding", "spf=fial"],
             "--finding 'spf=fial': unknown outcome 'fial' (one of pass, fail, softfail, neutral, none, "
             "temperror, permerror, skipped, policy)"),
            ([*STRANGER, "--finding", "dkim=pass;domain"], "--finding 'dkim=pass;domain': attribute 'domain': "
                                                           "expected attr=value"),
            ([*STRANGER, "--finding", "spf=fail@mailfrom"],
             "--finding 'spf=fail@mailfrom': unknown stage 'mailfrom' after '@' "
             "(connect, helo, mail_from, rcpt, end_of_data)"),
            (["--sender", "a@example.org"], "--sender and at least one --rcpt are needed (or --cases DIR)"),
            ([*STRANGER[2:], "--client-ip", "192.0.2.300"],
             "--client-ip '192.0.2.300': expected an IPv4 or IPv6 address, got '192.0.2.300'"),
            ([*STRANGER, "--bogus"], "unknown argument '--bogus'"),
            (["--cases", "policy_cases", "--rcpt", "a@example.org"],
             "--cases takes the envelope from the cases, not --rcpt"),
            ([*STRANGER, "--run-filters"],
             "--run-filters needs --config CONF: the filters, their settings and the resolver are CONF's"),
        ]:
            with self.subTest(arguments=arguments):
                result = policy_test(POLICY, *arguments)
                self.assertEqual(result.returncode, 2, result.stdout)
                self.assertEqual(result.stderr, "mxgate policy test: " + error + "\n")
                self.assertEqual(result.stdout, "")


if __name__ == "__main__":
    unittest.main()
