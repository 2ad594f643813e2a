"""Privilege drop: mxgate binds as root, then runs as server.user; the state database,
the Maildir folders and the mail in them are created afterwards, owned by that user and
closed to everyone else. Still root after that step is refused unless server.allow_root."""

import os
import pwd
import stat
import subprocess
import unittest
from pathlib import Path

from harness import (Mxgate, MxgateTestCase, maildir_backend, mxgate_config, run_check_config, simple_message,
                     smtp_client)


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
        Mxgate(self.tmp, cfg, start=False)  # writes the certificate: read as the user (and again on reload)
        for name in ("cert.pem", "key.pem"):
            os.chown(self.tmp / name, nobody.pw_uid, nobody.pw_gid)
        mx = self.start_mxgate(cfg)
        self.assertEqual(uids(mx.pid), [nobody.pw_uid] * 4, "real, effective, saved and fs uid all dropped")
        with smtp_client(mx.port()) as c:
            c.sendmail("sender@example.org", ["alice@example.com"], simple_message())
        delivered = list((store / "example.com" / "alice" / "new").iterdir())
        self.assertEqual(len(delivered), 1)
        self.assertEqual(delivered[0].stat().st_uid, nobody.pw_uid)

    def test_files_are_created_after_the_drop_and_closed_to_others(self):
        nobody = pwd.getpwnam("nobody")
        data = self.tmp / "data"  # the only folder nobody may write; mxgate creates everything in it
        data.mkdir(mode=0o700)
        os.chown(data, nobody.pw_uid, nobody.pw_gid)
        cfg = mxgate_config(domains={"example.com": "local"}, backends={"local": maildir_backend(str(data / "maildir"))},
                            listeners=[("127.0.0.1:0", "none")], tls=False, server={"user": "nobody"},
                            extra={"state": {"sqlite": {"path": str(data / "state.db")}},
                                   "filters": {"rate_limit": {"enabled": True}}})
        mx = self.start_mxgate(cfg)
        with smtp_client(mx.port()) as c:
            c.sendmail("sender@example.org", ["alice@example.com"], simple_message())
        mailbox = data / "maildir" / "example.com" / "alice"
        folders = [data / "maildir", mailbox.parent, mailbox] + [mailbox / sub for sub in ("tmp", "new", "cur")]
        files = [p for p in data.iterdir() if p.name.startswith("state.db")] + list((mailbox / "new").iterdir())
        self.assertEqual(len([p for p in files if p.name == "state.db"]), 1, files)
        for path, mode in [(p, 0o700) for p in folders] + [(p, 0o600) for p in files]:
            st = path.stat()
            self.assertEqual((st.st_uid, st.st_gid), (nobody.pw_uid, nobody.pw_gid), path)
            self.assertEqual(stat.S_IMODE(st.st_mode), mode, f"{path}: {oct(stat.S_IMODE(st.st_mode))}")

    def test_check_config_opens_the_store_as_the_user(self):
        nobody = pwd.getpwnam("nobody")
        os.chmod(self.tmp, 0o755)
        data = self.tmp / "data"
        data.mkdir(mode=0o700)
        os.chown(data, nobody.pw_uid, nobody.pw_gid)
        cfg = mxgate_config(domains={"example.com": "local"}, backends={"local": maildir_backend(str(data / "md"))},
                            listeners=[("127.0.0.1:0", "none")], tls=False, server={"user": "nobody"},
                            extra={"state": {"sqlite": {"path": str(data / "state.db")}},
                                   "filters": {"rate_limit": {"enabled": True}}})
        mx = Mxgate(self.tmp, cfg, start=False)
        check = run_check_config(mx.config_path)
        self.assertEqual(check.returncode, 0, check.stderr)
        st = (data / "state.db").stat()
        self.assertEqual((st.st_uid, st.st_gid), (nobody.pw_uid, nobody.pw_gid), "created as server.user, not root")
        # A folder only root may write: the daemon as nobody could not open it, so neither may the check.
        os.chown(data, 0, 0)
        (data / "state.db").unlink()
        check = run_check_config(mx.config_path)
        self.assertEqual(check.returncode, 1, check.stdout)
        self.assertIn("state.db", check.stderr)
        self.assertFalse((data / "state.db").exists())

    def test_root_is_refused_without_allow_root(self):
        cfg = mxgate_config(domains={"example.com": "local"}, backends={"local": maildir_backend("maildir")},
                            server={"user": "", "allow_root": False})
        mx = Mxgate(self.tmp, cfg, start=False)
        run = subprocess.run([Mxgate.check_binary(), "-c", str(mx.config_path)], capture_output=True, text=True,
                             timeout=10)
        self.assertEqual(run.returncode, 1)
        self.assertIn("refusing to run as root", run.stderr)
        self.assertIn("server.allow_root", run.stderr)
        self.assertNotIn("event=ready", run.stderr)

    def test_root_with_allow_root_starts_with_a_warning(self):
        cfg = mxgate_config(domains={"example.com": "local"}, backends={"local": maildir_backend("maildir")},
                            server={"user": "", "allow_root": True})
        mx = self.start_mxgate(cfg)
        self.assertEqual(uids(mx.pid)[1], 0)
        mx.wait_log("running_as_root")
        self.assertTrue([l for l in mx.lines() if "warning event=running_as_root" in l], mx.tail())

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
