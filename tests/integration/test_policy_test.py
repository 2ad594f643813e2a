"""`mxgate policy test` end to end, through the real binary (issue 12 item 7).

The trace of one transaction walked offline through good_policy/policy.yaml with
the findings given on the command line, and `--cases DIR` on policy_cases/
(every case passes: exit 0) and policy_cases_failing/ (one wrong expectation and
one case file with errors: exit 1). Exit codes: 0 trace printed, 1 the policy
does not compile, 2 a bad command line.

Environment: MXGATE_BIN (the mxgate binary). Stdlib only; run with
/usr/bin/python3 -m unittest from tests/integration.
"""

import os
import pathlib
import subprocess
import unittest

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
        ]:
            with self.subTest(arguments=arguments):
                result = policy_test(POLICY, *arguments)
                self.assertEqual(result.returncode, 2, result.stdout)
                self.assertEqual(result.stderr, "mxgate policy test: " + error + "\n")
                self.assertEqual(result.stdout, "")


if __name__ == "__main__":
    unittest.main()
