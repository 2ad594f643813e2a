"""Config validation end to end, through the real binary (chasquid t-20-bad_configs style).

Each folder bad_configs/<case>/ holds a mxgate.yaml that must be refused and an
expected-error file with the exact first diagnostic line. The test runs
`$MXGATE_BIN --check-config <case>/mxgate.yaml` from bad_configs/, so the file
name in the diagnostic is "<case>/mxgate.yaml", and expects exit code 1 with
that line on stderr.

The shipped conf/mxgate.yaml and conf/examples/*.yaml must pass: they are copied
to a temp dir next to a var/tls/ with a fresh self-signed certificate, since
they reference ../var/tls (and ../../var/tls).

Environment: MXGATE_BIN (the mxgate binary), MXGATE_SOURCE_DIR (repo root).
Stdlib only; run with /usr/bin/python3 -m unittest from tests/integration.
"""

import os
import pathlib
import pwd
import shutil
import subprocess
import tempfile
import unittest

HERE = pathlib.Path(__file__).resolve().parent
BAD_CONFIGS = HERE / "bad_configs"
TIMEOUT = 60  # seconds per mxgate run; config checking takes milliseconds


def mxgate_bin():
    path = os.environ.get("MXGATE_BIN")
    if not path:
        raise RuntimeError("MXGATE_BIN is not set (path of the mxgate binary)")
    return path


def source_dir():
    return pathlib.Path(os.environ.get("MXGATE_SOURCE_DIR", HERE.parent.parent))


def check_config(config, cwd):
    return subprocess.run(
        [mxgate_bin(), "--check-config", str(config)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )


def make_certificate(tls_dir):
    tls_dir.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-days", "2", "-subj", "/CN=localhost",
         "-keyout", str(tls_dir / "key.pem"), "-out", str(tls_dir / "cert.pem")],
        capture_output=True,
        timeout=TIMEOUT,
        check=True,
    )


def without_comments(text):
    return "\n".join(line for line in text.splitlines() if not line.startswith("#"))


class BadConfigs(unittest.TestCase):
    def test_cases_exist(self):
        cases = [p for p in BAD_CONFIGS.iterdir() if p.is_dir()]
        self.assertGreaterEqual(len(cases), 10)
        for case in cases:
            self.assertTrue((case / "mxgate.yaml").is_file(), case)
            self.assertTrue((case / "expected-error").is_file(), case)

    def test_each_bad_config_is_refused_with_its_error(self):
        for case in sorted(p.name for p in BAD_CONFIGS.iterdir() if p.is_dir()):
            with self.subTest(case=case):
                expected = (BAD_CONFIGS / case / "expected-error").read_text().strip("\n")
                result = check_config(f"{case}/mxgate.yaml", BAD_CONFIGS)
                self.assertEqual(result.returncode, 1, f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}")
                self.assertIn(expected, result.stderr.splitlines(), f"stderr:\n{result.stderr}")
                self.assertEqual(result.stdout, "", "a refused config must not print a dump")

    def test_missing_file_is_refused(self):
        result = check_config("no-such-dir/mxgate.yaml", BAD_CONFIGS)
        self.assertEqual(result.returncode, 1)
        self.assertIn("no-such-dir/mxgate.yaml: cannot read the config file: No such file or directory",
                      result.stderr.splitlines())


class ShippedConfigs(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if shutil.which("openssl") is None:
            raise unittest.SkipTest("the openssl command is needed to make a test certificate")
        cls.tmp = tempfile.TemporaryDirectory(prefix="mxgate-config-")
        cls.root = pathlib.Path(cls.tmp.name).resolve()
        shutil.copytree(source_dir() / "conf", cls.root / "conf")
        make_certificate(cls.root / "var" / "tls")
        if os.geteuid() == 0:
            # As .ci/start sets it up: the check opens var/ as server.user (mxgate), as the daemon would.
            service = pwd.getpwnam("mxgate")
            cls.root.chmod(0o755)
            for path in [cls.root / "var", *(cls.root / "var").rglob("*")]:
                os.chown(path, service.pw_uid, service.pw_gid)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def configs(self):
        found = [self.root / "conf" / "mxgate.yaml"]
        found += sorted((self.root / "conf" / "examples").glob("*.yaml"))
        return found

    def test_default_and_example_configs_pass(self):
        self.assertGreaterEqual(len(self.configs()), 3)
        for config in self.configs():
            with self.subTest(config=config.name):
                result = check_config(config.relative_to(self.root), self.root)
                self.assertEqual(result.returncode, 0, f"stderr:\n{result.stderr}")
                self.assertEqual(result.stderr, "")
                self.assertIn("listeners:", result.stdout)

    def test_dump_is_a_valid_config_that_dumps_the_same(self):
        first = check_config("conf/mxgate.yaml", self.root)
        self.assertEqual(first.returncode, 0, first.stderr)
        dumped = self.root / "conf" / "dumped.yaml"
        dumped.write_text(first.stdout)
        second = check_config("conf/dumped.yaml", self.root)
        self.assertEqual(second.returncode, 0, second.stderr)
        self.assertEqual(without_comments(second.stdout), without_comments(first.stdout))
        # Paths in the dump are absolute, resolved next to the config file.
        self.assertIn(str(self.root / "var" / "tls" / "cert.pem"), first.stdout)


if __name__ == "__main__":
    unittest.main()
