"""Privilege drop: mxgate binds as root, then runs as server.user; mail delivered to
the Maildir afterwards belongs to that user."""

import os
import pwd
import subprocess
import unittest
from pathlib import Path

from harness import Mxgate, MxgateTestCase, maildir_backend, mxgate_config, simple_message, smtp_client


def uids(pid: int) -> list[int]:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Uid:"):
            return [int(v) for v in line.split()[1:]]
    raise AssertionError("no Uid line")


@unittest.skipUnless(os.geteuid() == 0, "privilege drop needs root")
class DropPrivileges(MxgateTestCase):
    def test_runs_as_configured_user_and_delivers(self):
        nobody = pwd.getpwnam("nobody")
        os.chmod(self.tmp, 0o755)  # the unprivileged process must reach its Maildir
        store = self.tmp / "maildir"
        store.mkdir()
        os.chown(store, nobody.pw_uid, nobody.pw_gid)
        cfg = mxgate_config(domains={"example.com": "local"}, backends={"local": maildir_backend(str(store))},
                            server={"user": "nobody"})
        mx = self.start_mxgate(cfg)
        self.assertEqual(uids(mx.pid), [nobody.pw_uid] * 4, "real, effective, saved and fs uid all dropped")
        with smtp_client(mx.port()) as c:
            c.sendmail("sender@example.org", ["alice@example.com"], simple_message())
        delivered = list((store / "example.com" / "alice" / "new").iterdir())
        self.assertEqual(len(delivered), 1)
        self.assertEqual(delivered[0].stat().st_uid, nobody.pw_uid)

    def test_unknown_user_refuses_to_start(self):
        cfg = mxgate_config(domains={"example.com": "local"}, backends={"local": maildir_backend("maildir")},
                            server={"user": "no-such-user-mxgate"})
        mx = Mxgate(self.tmp, cfg, start=False)  # writes the config and certificate only
        run = subprocess.run([Mxgate.check_binary(), "-c", str(mx.config_path)], capture_output=True, text=True,
                             timeout=10)
        self.assertEqual(run.returncode, 1)
        self.assertIn("no-such-user-mxgate", run.stderr)


if __name__ == "__main__":
    unittest.main()
