"""The README's two commands (issue 8 item 19): either one works after the other in the same clone.

`.ci/start` (install, build, run) and `.ci/test` (install, build, run every test) share the
folder build/. When the first configured it with MXGATE_TESTS=OFF and the second reused that
cache, the test command built no test and ctest's "No tests were found" still exited 0. Both now
configure through `.ci/configure`, which states every option, and ctest runs with
--no-tests=error. Only configuring is done here (seconds): building is what .ci/test itself does.
"""

import os
import re
import subprocess
import unittest
from pathlib import Path

from harness import MxgateTestCase

SOURCE = Path(os.environ.get("MXGATE_SOURCE_DIR", Path(__file__).resolve().parents[2]))


def run(*args: str, cwd: Path = SOURCE) -> subprocess.CompletedProcess:
    return subprocess.run(list(args), cwd=cwd, capture_output=True, text=True, timeout=120)


def cache_value(build: Path, key: str) -> str:
    m = re.search(rf"^{key}:\w+=(.*)$", (build / "CMakeCache.txt").read_text(), re.M)
    return m.group(1) if m else ""


class ReadmeCommands(MxgateTestCase):
    def test_test_command_configures_tests_after_a_cache_without_them(self):
        build = self.tmp / "build"
        # What the start command used to leave behind.
        r = run("cmake", "-S", str(SOURCE), "-B", str(build), "-G", "Ninja", "-DMXGATE_TESTS=OFF")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(cache_value(build, "MXGATE_TESTS"), "OFF")
        r = run("bash", ".ci/configure", str(build))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(cache_value(build, "MXGATE_TESTS"), "ON", "every option is stated, none inherited")
        listed = run("ctest", "--test-dir", str(build), "-N").stdout
        self.assertRegex(listed, r"integration\.test_ci_commands", listed)

    def test_ctest_fails_when_it_finds_no_test(self):
        build = self.tmp / "no-tests"
        self.assertEqual(run("cmake", "-S", str(SOURCE), "-B", str(build), "-G", "Ninja",
                             "-DMXGATE_TESTS=OFF").returncode, 0)
        r = run("ctest", "--test-dir", str(build), "--no-tests=error")
        self.assertNotEqual(r.returncode, 0, "no test found must be a failure: " + r.stdout + r.stderr)

    def test_both_commands_configure_the_same_folder_the_same_way(self):
        for script in ("start", "test"):
            text = (SOURCE / ".ci" / script).read_text()
            with self.subTest(script):
                self.assertIn("bash .ci/configure build\n", text)
                self.assertNotRegex(text, r"cmake -S \. -B build\s", "configured only through .ci/configure")
        self.assertIn("--no-tests=error", (SOURCE / ".ci" / "test").read_text())


if __name__ == "__main__":
    unittest.main()
