"""Quarantine end to end (issue 11 item 10, item 8's p=quarantine): a message that fails DMARC
for a domain publishing p=quarantine gets 250 and lands in mxgate's quarantine folder, never at
the backend; `mxgate quarantine list/show/release/delete/purge` work that folder; a release
delivers through the normal route exactly once; a folder that cannot be written is a 451 with
nothing at the backend; `store: backend` hands the message to another backend instead.

Peers: nsd serves the `_dmarc` records (the zones of test_content_filters.py), smtp-sink is the
route's backend (and, in one case, the quarantine backend). The sender's SPF passes for
aligned.test, which is not aligned with the From: domain quarantine.test: DMARC fails.
"""

import json
import os
import subprocess
import unittest

from harness import MxgateTestCase, RawSmtp, dot_stuff, lmtp_backend, mxgate_config, smtp_backend, wait_for
from test_content_filters import HANG_GUARD, HELO, RCPT, SENDER, client, message, zones

CLI_TIMEOUT = 30   # seconds for one `mxgate quarantine` run: only turns a hang into a failure


class Quarantine(MxgateTestCase):
    def gateway(self, quarantine: dict, *, backends: dict | None = None, domains: dict | None = None):
        self.nsd = self.start_nsd(zones())
        self.sink = self.start_sink()
        extra = {"dns": {"servers": [self.nsd.server], "timeout": "5s", "transparent_local_zones": ["test"]},
                 "filters": {"spf": {"enabled": True}, "dkim": {"enabled": True}, "dmarc": {"enabled": True}},
                 "quarantine": quarantine, "state": {"sqlite": {"path": str(self.tmp / "state.db")}}}
        self.mx = self.start_mxgate(mxgate_config(domains={"example.org": "sink", **(domains or {})},
                                                  backends={"sink": smtp_backend(self.sink.address), **(backends or {})},
                                                  extra=extra))
        return self.mx

    def folder_gateway(self, **quarantine):
        return self.gateway({"store": "maildir", "directory": "quarantine", **quarantine})

    def folder_gateway_to(self, domains: dict, backends: dict):
        """A folder quarantine, with more routes than example.org's sink."""
        return self.gateway({"store": "maildir", "directory": "quarantine"}, backends=backends, domains=domains)

    def send(self, subject: str, author: str = "alice@quarantine.test", *, bdat: bool = False,
             body: bytes = b".starts with a dot\r\nHello.\r\n", rcpts: tuple[str, ...] = (RCPT,)):
        content = message(author, subject=subject, body=body)
        with RawSmtp(self.mx.port(), source=client(1), timeout=HANG_GUARD) as c:
            self.assertReply(c.ehlo(HELO), 250)
            self.assertReply(c.cmd(f"MAIL FROM:<{SENDER}>"), 250)
            for rcpt in rcpts:
                self.assertReply(c.cmd(f"RCPT TO:<{rcpt}>"), 250)
            if bdat:   # RFC 3030: the same message in one chunk, unstuffed
                c.send(f"BDAT {len(content)} LAST\r\n".encode() + content)
                return c.reply()
            self.assertReply(c.cmd("DATA"), 354)
            return c.message(dot_stuff(content))

    def cli(self, *args: str, text: bool = True) -> subprocess.CompletedProcess:
        """`mxgate quarantine ARGS`; text=False keeps the stored message's CRLF."""
        return subprocess.run([self.mx.binary, "-c", str(self.mx.config_path), "quarantine", *args],
                              cwd=self.tmp, capture_output=True, text=text, timeout=CLI_TIMEOUT, check=False)

    def listed(self, *filters: str) -> list[list[str]]:
        run = self.cli("list", *filters)
        self.assertEqual(run.returncode, 0, run.stderr)
        return [line.split("\t") for line in run.stdout.splitlines()]

    def quarantined(self, subject: str) -> str:
        """Sends a failing message: 250, nothing at the backend, one item more. Its id."""
        before = {row[0] for row in self.listed()}
        self.assertReply(self.send(subject), 250)
        [item] = [row for row in self.listed() if row[0] not in before]
        return item[0]

    def age(self, item_id: str, *, days: int):
        """Makes an item look `days` older, as retention sees it."""
        meta_path = self.tmp / "quarantine" / "meta" / f"{item_id}.json"
        meta = json.loads(meta_path.read_text())
        meta["received"] -= days * 86400
        meta_path.write_text(json.dumps(meta))

    def assertNothingAtTheBackend(self):
        self.assertEqual(self.sink.messages(), [])
        self.assertEqual([c for c in self.sink.commands() if c.upper() in ("DATA", ".")], [])

    def test_a_dmarc_quarantine_failure_is_accepted_into_the_folder_not_the_backend(self):
        self.folder_gateway()
        item_id = self.quarantined("held back")
        self.assertNothingAtTheBackend()
        [row] = self.listed()
        self.assertEqual(row[2], "held")
        self.assertEqual(row[3], f"<{SENDER}>")
        self.assertEqual(row[4], RCPT)
        self.assertEqual(row[5], "dmarc.on_quarantine_fail")
        line = self.mx.wait_log("transaction", quarantined=item_id)
        self.assertEqual(line["quarantine_rule"], "dmarc.on_quarantine_fail")
        self.assertTrue(line["reply"].startswith("250"), line)

        shown = self.cli("show", item_id, text=False)
        self.assertEqual(shown.returncode, 0, shown.stderr)
        metadata, _, stored = shown.stdout.decode().partition("\n\n")
        self.assertIn(f"client: {client(1)}", metadata)
        self.assertIn(f"helo: {HELO}", metadata)
        self.assertIn(f"recipient: <{RCPT}> backend sink", metadata)
        # The message as the backend would have had it: our fields, the quarantine field, then it unchanged.
        fields = [f.split(":", 1)[0] for f in stored.split("\r\n\r\n", 1)[0].replace("\r\n\t", " ").split("\r\n")]
        self.assertEqual(fields[:4], ["Authentication-Results", "Received-SPF", "Received", "X-Mxgate-Quarantine"])
        self.assertIn("X-Mxgate-Quarantine: dmarc.on_quarantine_fail; dmarc fail for quarantine.test", stored)
        self.assertTrue(stored.endswith("\r\n\r\n.starts with a dot\r\nHello.\r\n"), stored[-80:])
        meta = json.loads((self.tmp / "quarantine" / "meta" / f"{item_id}.json").read_text())
        self.assertEqual(meta["recipients"], [{"address": RCPT, "backend": "sink", "delivered": False}])
        self.assertEqual(os.stat(self.tmp / "quarantine").st_mode & 0o777, 0o700)

    def test_by_bdat_the_stored_message_is_the_same(self):
        self.folder_gateway()
        self.assertReply(self.send("by bdat", bdat=True), 250)
        [row] = self.listed()
        stored = (self.tmp / "quarantine" / "new" / row[0]).read_bytes()
        self.assertTrue(stored.endswith(b"\r\n\r\n.starts with a dot\r\nHello.\r\n"), stored[-80:])
        self.assertNothingAtTheBackend()

    def test_show_keeps_the_senders_escape_sequences_off_the_terminal(self):
        self.folder_gateway()
        self.assertReply(self.send("escapes", body=b"\x1b[2J\x1b]0;owned\x07 Hello.\r\n"), 250)
        [row] = self.listed()
        shown = self.cli("show", row[0], text=False)
        self.assertEqual(shown.returncode, 0, shown.stderr)
        self.assertNotIn(b"\x1b", shown.stdout)
        self.assertIn(b"\\x1B[2J\\x1B]0;owned\\x07 Hello.\r\n", shown.stdout)
        raw = self.cli("show", "--raw", row[0], text=False)
        self.assertTrue(raw.stdout.endswith(b"\x1b[2J\x1b]0;owned\x07 Hello.\r\n"))

    def test_list_filters_by_sender_recipient_reason_and_date(self):
        self.folder_gateway()
        item_id = self.quarantined("to filter")
        for matching in (["--sender", "BOUNCES@aligned"], ["--recipient", "user@"], ["--reason", "dmarc"],
                         ["--since", "2020-01-01"], ["--until", "2999-01-01T00:00:00Z"]):
            self.assertEqual([row[0] for row in self.listed(*matching)], [item_id], matching)
        for other in (["--sender", "mallory"], ["--recipient", "nobody"], ["--reason", "spf"],
                      ["--since", "2999-01-01"], ["--until", "2020-01-01"]):
            self.assertEqual(self.listed(*other), [], other)
        bad = self.cli("list", "--since", "yesterday")
        self.assertEqual(bad.returncode, 1)

    def test_release_delivers_once_through_the_route(self):
        self.folder_gateway()
        item_id = self.quarantined("released")
        run = self.cli("release", item_id)
        self.assertEqual(run.returncode, 0, run.stdout + run.stderr)
        self.assertIn(f"delivered: {RCPT}: 250", run.stdout)
        [copy] = wait_for(lambda: self.sink.messages(), what="the released copy", details=self.sink.describe)
        self.assertIn(b"\nX-Mxgate-Quarantine: dmarc.on_quarantine_fail; ", copy.content)
        self.assertIn(b"\n\n.starts with a dot\nHello.\n", copy.content)   # unstuffed again by the sink
        self.assertEqual(self.listed(), [])
        again = self.cli("release", item_id)
        self.assertEqual(again.returncode, 2)
        self.assertRegex(again.stderr, rf'quarantine_command_failed command=release id={item_id} error="no such item"')
        self.assertEqual(len(self.sink.messages()), 1)
        self.assertEqual(len(self.sink.commands_starting("DATA")), 1)
        self.assertRegex(run.stderr, rf"quarantine_released.*id={item_id}")   # the CLI's log line

    def test_release_to_lmtp_marks_each_recipient_by_its_own_reply(self):
        # Dovecot takes alice and refuses bob (over quota) after the one final dot: alice is
        # marked delivered, the item stays for bob, and a second release sends alice nothing.
        dovecot = self.start_dovecot(users=("alice@example.net", "bob@example.net"), quota={"bob@example.net": "1k"})
        self.folder_gateway_to({"example.net": "store"}, {"store": lmtp_backend(dovecot.address)})
        rcpts = ("alice@example.net", "bob@example.net")
        self.assertReply(self.send("to the store", rcpts=rcpts, body=b"over a kilobyte\r\n" * 100), 250)
        [[item_id, *_]] = self.listed()
        run = self.cli("release", item_id)
        self.assertEqual(run.returncode, 3, run.stdout + run.stderr)
        self.assertIn("delivered: alice@example.net: 250", run.stdout)
        self.assertIn("bob@example.net: 552", run.stdout)
        self.assertEqual(len(dovecot.wait_messages("alice@example.net", 1)), 1)
        [[_, _, state, _, recipients, *_]] = self.listed()
        self.assertEqual((state, recipients), ("held", "alice@example.net(delivered),bob@example.net"))
        again = self.cli("release", item_id)
        self.assertEqual(again.returncode, 3, again.stdout + again.stderr)
        self.assertNotIn("alice", again.stdout)
        self.assertEqual(len(dovecot.messages("alice@example.net")), 1, "no second copy for alice")
        self.assertEqual(dovecot.messages("bob@example.net"), [])

    def test_a_failed_release_keeps_the_item(self):
        self.folder_gateway()
        item_id = self.quarantined("kept")
        self.sink.stop()
        run = self.cli("release", item_id)
        self.assertEqual(run.returncode, 3, run.stdout + run.stderr)
        self.assertIn(f"failed: {RCPT}: 451", run.stdout)
        [row] = self.listed()
        self.assertEqual((row[0], row[2]), (item_id, "held"))

    def test_a_crashed_release_is_listed_and_retried_with_force(self):
        self.folder_gateway()
        item_id = self.quarantined("crashed")
        folder = self.tmp / "quarantine"
        os.rename(folder / "new" / item_id, folder / "releasing" / item_id)   # what a crash mid-release leaves
        [row] = self.listed()
        self.assertEqual(row[2], "releasing")
        self.assertEqual(self.cli("release", item_id).returncode, 2)
        self.assertEqual(self.cli("delete", item_id).returncode, 2)
        run = self.cli("release", "--force", item_id)
        self.assertEqual(run.returncode, 0, run.stdout + run.stderr)
        wait_for(lambda: self.sink.messages(), what="the released copy", details=self.sink.describe)
        self.assertEqual(self.listed(), [])

    def test_delete(self):
        self.folder_gateway()
        item_id = self.quarantined("deleted")
        run = self.cli("delete", item_id)
        self.assertEqual(run.returncode, 0, run.stderr)
        self.assertEqual(self.listed(), [])
        self.assertEqual(self.cli("show", item_id).returncode, 2)
        self.assertEqual(self.cli("delete", "../../etc/passwd").returncode, 2)
        self.assertNothingAtTheBackend()

    def test_purge_deletes_what_retention_no_longer_covers(self):
        self.folder_gateway(retention="2d")
        old_id = self.quarantined("old")
        young_id = self.quarantined("young")
        self.age(old_id, days=3)
        run = self.cli("purge")
        self.assertEqual(run.returncode, 0, run.stderr)
        self.assertIn("purged 1 item", run.stdout)
        self.assertEqual([row[0] for row in self.listed()], [young_id])

    def test_the_daemon_purges_by_retention_itself(self):
        self.folder_gateway(retention="2d")
        old_id = self.quarantined("old")
        young_id = self.quarantined("young")
        self.age(old_id, days=3)
        self.mx.stop()
        self.folder_gateway(retention="2d")   # the hourly purge runs once at start
        line = self.mx.wait_log("quarantine_deleted")
        self.assertEqual((line.get("id"), line.get("why"), line.get("by")), (old_id, "retention", "mxgate"))
        self.assertEqual([row[0] for row in self.listed()], [young_id])

    def test_an_unwritable_folder_is_a_451_and_nothing_reaches_the_backend(self):
        folder = self.tmp / "quarantine"
        folder.mkdir()
        (folder / "tmp").write_text("a file where the folder's tmp/ must be\n")  # even root cannot mkdir here
        self.folder_gateway()
        self.assertReply(self.send("not storable"), 451)
        self.mx.wait_log("quarantine_failed")
        self.assertNothingAtTheBackend()

    def test_store_backend_hands_the_message_to_that_backend(self):
        quarantine_sink = self.start_sink()
        self.gateway({"store": "backend", "backend": "held"}, backends={"held": smtp_backend(quarantine_sink.address)})
        self.assertReply(self.send("to the quarantine backend"), 250)
        [copy] = wait_for(lambda: quarantine_sink.messages(), what="the quarantined copy",
                          details=quarantine_sink.describe)
        self.assertIn(b"\nX-Mxgate-Quarantine: dmarc.on_quarantine_fail; ", copy.content)
        self.assertNothingAtTheBackend()
        self.mx.wait_log("transaction", quarantined="backend:held")
        run = self.cli("list")
        self.assertEqual(run.returncode, 1)
        self.assertIn("live in backend 'held'", run.stderr)   # a log line on stderr

    def test_a_quarantine_backend_that_refuses_is_a_451_never_its_reply(self):
        quarantine_sink = self.start_sink(hard_reject=["DATA"])
        self.gateway({"store": "backend", "backend": "held"}, backends={"held": smtp_backend(quarantine_sink.address)})
        reply = self.send("refused by the quarantine backend")
        self.assertReply(reply, 451)
        self.assertIn("4.3.0", str(reply))
        self.assertEqual(quarantine_sink.messages(), [])
        self.assertNothingAtTheBackend()
        self.assertNotIn("quarantined", self.mx.wait_log("transaction"))

    def test_a_passing_message_is_not_quarantined(self):
        self.folder_gateway()
        self.assertReply(self.send("not quarantined", author="alice@lax.test"), 250)
        wait_for(lambda: self.sink.messages(), what="the delivered copy", details=self.sink.describe)
        self.assertEqual(self.listed(), [])


if __name__ == "__main__":
    unittest.main()
