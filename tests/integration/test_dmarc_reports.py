"""DMARC aggregate-report rows through the whole gateway (issue 11 item 8): with
filters.dmarc.record_reports, each message whose From: domain publishes a policy leaves one row
in the state store's SQLite file, read here as the future report sender would find it. The
zones, messages and clients are test_content_filters.py's (SPF passes for aligned.test from
127.0.11.x; reject.test, lax.test and quarantine.test publish p=reject, none and quarantine).
"""

import json
import sqlite3
import textwrap
import unittest

from harness import mxgate_config, smtp_backend, wait_for
from test_content_filters import SENDER, ContentGateway, client, message, zones

RETENTION = 2 * 3600  # seconds: filters.dmarc.report_retention below

# A partner's relay whose mail fails DMARC is let through by local policy.
PARTNER_POLICY = f"""
rules:
  - name: partner-relay
    when: {{client_ip: {client(4)}, dmarc: fail}}
    then: {{accept: true}}
"""


class DmarcReportRows(ContentGateway):
    def start(self, policy: str | None = None):
        self.nsd = self.start_nsd(zones())
        self.sink = self.start_sink()
        self.db = self.tmp / "state.db"
        extra = {"dns": {"servers": [self.nsd.server], "timeout": "5s", "transparent_local_zones": ["test"]},
                 "state": {"backend": "sqlite", "sqlite": {"path": str(self.db)}},
                 "filters": {"spf": {"enabled": True}, "dkim": {"enabled": True},
                             "dmarc": {"enabled": True, "record_reports": True, "report_retention": "2h"}}}
        if policy:
            (self.tmp / "policy.yaml").write_text(textwrap.dedent(policy))
            extra["policy"] = {"file": "policy.yaml"}
        self.mx = self.start_mxgate(mxgate_config(domains={"example.org": "sink"},
                                                  backends={"sink": smtp_backend(self.sink.address)},
                                                  trusted_networks=("10.99.0.0/16",), extra=extra))

    def rows(self) -> list[tuple[str, int, int, dict]]:
        """(stream, recorded_at, expires_at, row) of every report row in the file, in order."""
        with sqlite3.connect(self.db) as db:
            found = db.execute("SELECT stream, recorded_at, expires_at, row FROM report_rows ORDER BY id").fetchall()
        return [(stream, recorded, expires, json.loads(row)) for stream, recorded, expires, row in found]

    def test_one_row_per_message_with_a_policy(self):
        self.start()
        self.assertReply(self.send(message("alice@nodmarc.test", subject="no record")), 250)  # no record: no row
        self.assertReply(self.send(message("boss@reject.test", subject="spoofed"), source=client(2)), "550 5.7.1")
        self.assertReply(self.send(message("alice@lax.test", subject="lax"), source=client(3)), 250)
        self.assertReply(self.send(message("alice@quarantine.test", subject="quarantined")), 250)
        rows = wait_for(lambda: (lambda r: r if len(r) >= 3 else None)(self.rows()),
                        what="three report rows in the SQLite file", details=lambda: repr(self.rows()))
        self.assertEqual(len(rows), 3)
        self.assertEqual({stream for stream, _, _, _ in rows}, {"mxgate:dmarc"})
        for _, recorded, expires, _ in rows:
            self.assertEqual(expires - recorded, RETENTION)
        rejected, lax, quarantined = (row for _, _, _, row in rows)
        self.assertEqual(rejected, {"source_ip": client(2), "header_from": "reject.test", "envelope_from": "aligned.test",
                                    "result": "fail", "disposition": "reject", "override": "", "dkim_aligned": False,
                                    "spf_aligned": False, "sampled_out": False, "policy": "reject",
                                    "policy_domain": "reject.test", "spf_result": "pass", "dkim": []})
        self.assertEqual((lax["source_ip"], lax["header_from"], lax["disposition"], lax["policy"]),
                         (client(3), "lax.test", "none", "none"))
        # No quarantine is configured (quarantine.store: none), so it was delivered: the row says so.
        self.assertEqual((quarantined["result"], quarantined["policy"], quarantined["disposition"],
                          quarantined["override"]), ("fail", "quarantine", "none", "local_policy"))
        self.assertEqual(SENDER.partition("@")[2], quarantined["envelope_from"])

    def test_row_names_the_disposition_the_policy_applied(self):
        self.start(PARTNER_POLICY)
        self.assertReply(self.send(message("boss@reject.test", subject="via partner"), source=client(4)), 250)
        self.assertReply(self.send(message("boss@reject.test", subject="spoofed"), source=client(2)), "550 5.7.1")
        rows = wait_for(lambda: (lambda r: r if len(r) >= 2 else None)(self.rows()),
                        what="two report rows in the SQLite file", details=lambda: repr(self.rows()))
        partner, spoofed = (row for _, _, _, row in rows)
        # DMARC asked for reject; what was applied, and why, is what the domain owner is told.
        self.assertEqual((partner["source_ip"], partner["result"], partner["policy"], partner["disposition"],
                          partner["override"]), (client(4), "fail", "reject", "none", "local_policy"))
        self.assertEqual((spoofed["disposition"], spoofed["override"]), ("reject", ""))


if __name__ == "__main__":
    unittest.main()
