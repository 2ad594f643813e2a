"""`mxgate policy check FILE` end to end, through the real binary (issue 12).

Each folder bad_policies/<case>/ holds a policy.yaml that must be refused (list
files beside it) and an expected-error file with the exact first diagnostic line.
The test runs `$MXGATE_BIN policy check <case>/policy.yaml` from bad_policies/,
so the file name in the diagnostic is "<case>/policy.yaml", and expects exit
code 1 with that line first on stderr. good_policy/ must pass, printing
expected-summary (its rules per stage) on stdout. With --config, `route:` must
name a backend of that config (good_policy/mxgate.yaml).

Environment: MXGATE_BIN (the mxgate binary). Stdlib only; run with
/usr/bin/python3 -m unittest from tests/integration.
"""

import os
import pathlib
import shutil
import subprocess
import tempfile
import unittest

HERE = pathlib.Path(__file__).resolve().parent
BAD_POLICIES = HERE / "bad_policies"
TIMEOUT = 60  # seconds per run; compiling a policy takes milliseconds


def run_mxgate(cwd, *arguments):
    binary = os.environ.get("MXGATE_BIN")
    if not binary:
        raise RuntimeError("MXGATE_BIN is not set (path of the mxgate binary)")
    return subprocess.run([binary, *arguments], cwd=cwd, capture_output=True, text=True, timeout=TIMEOUT,
                          check=False)


def policy_check(policy, cwd, *options):
    return run_mxgate(cwd, "policy", "check", str(policy), *options)


class BadPolicies(unittest.TestCase):
    def test_each_case_is_refused_with_its_located_error(self):
        cases = sorted(p for p in BAD_POLICIES.iterdir() if p.is_dir())
        self.assertGreaterEqual(len(cases), 8)
        for case in cases:
            with self.subTest(case=case.name):
                expected = (case / "expected-error").read_text().strip()
                result = policy_check(f"{case.name}/policy.yaml", BAD_POLICIES)
                self.assertEqual(result.returncode, 1, result.stderr)
                self.assertEqual(result.stderr.splitlines()[0], expected)
                self.assertEqual(result.stdout, "")

    def test_a_missing_file_is_an_error(self):
        result = policy_check("absent/policy.yaml", BAD_POLICIES)
        self.assertEqual(result.returncode, 1)
        self.assertEqual(result.stderr.strip(), "absent/policy.yaml: cannot read the policy file")


class GoodPolicy(unittest.TestCase):
    def test_the_example_compiles_and_its_rules_are_listed_per_stage(self):
        result = policy_check("good_policy/policy.yaml", HERE)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout, (HERE / "good_policy" / "expected-summary").read_text())
        self.assertEqual(result.stderr, "")


class ShippedPolicy(unittest.TestCase):
    def test_conf_policy_compiles(self):
        # The configs that name it compile it too (test_bad_configs.ShippedConfigs, with var/ made there).
        root = HERE.parent.parent
        result = policy_check("conf/policy.yaml", root)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("end_of_data (1): spf-fail-unless-dkim-aligned", result.stdout)


class Routes(unittest.TestCase):
    def test_route_names_a_backend_of_the_config_given(self):
        config = HERE / "good_policy" / "mxgate.yaml"
        with tempfile.TemporaryDirectory() as folder:
            policy = pathlib.Path(folder) / "policy.yaml"
            policy.write_text("rules:\n  - name: r\n    when: {sender: example.org}\n    then: {route: mailstor}\n")
            result = policy_check(policy, folder, "--config", str(config))
            self.assertEqual(result.returncode, 1, result.stdout)
            self.assertEqual(result.stderr.strip(), f"{policy}:4:19: rules[0].then.route: unknown backend 'mailstor'; "
                                                    "did you mean 'mailstore'?")
            self.assertEqual(policy_check(policy, folder).returncode, 0)  # without a config, any name
            policy.write_text(policy.read_text().replace("mailstor", "mailstore"))
            self.assertEqual(policy_check(policy, folder, "--config", str(config)).returncode, 0)


class CheckConfig(unittest.TestCase):
    def test_the_main_configs_policy_is_summarized_after_the_dump(self):
        with tempfile.TemporaryDirectory() as folder:
            folder = pathlib.Path(folder)
            shutil.copytree(HERE / "good_policy", folder / "good_policy")
            config = folder / "good_policy" / "mxgate.yaml"
            config.write_text(config.read_text() + "policy:\n  file: policy.yaml\n")
            result = run_mxgate(folder, "--check-config", "good_policy/mxgate.yaml")
            self.assertEqual(result.returncode, 0, result.stderr)
            summary = "".join(f"# {line}\n" for line in (HERE / "good_policy" / "expected-summary").read_text()
                              .splitlines())
            self.assertTrue(result.stdout.endswith(summary), result.stdout)
            self.assertIn(f'  file: "{folder / "good_policy" / "policy.yaml"}"\n', result.stdout)
            # As comments, the summary leaves the dump a config that loads.
            dumped = folder / "dumped.yaml"
            dumped.write_text(result.stdout)
            self.assertEqual(run_mxgate(folder, "--check-config", "dumped.yaml").returncode, 0)


if __name__ == "__main__":
    unittest.main()
