"""RFC 3030 §4.2: a BDAT chunk follows its command whatever the server answers, so a
refused BDAT must consume exactly its chunk: the bytes are never read as commands, and
the session stays in step afterwards."""

import unittest

from harness import MxgateTestCase, RawSmtp, mxgate_config, smtp_backend


class RefusedChunkIsConsumed(MxgateTestCase):
    def setUp(self):
        super().setUp()
        self.sink = self.start_sink()
        self.mx = self.start_mxgate(mxgate_config(domains={"example.org": "sink"},
                                                  backends={"sink": smtp_backend(self.sink.address)}))

    def test_chunk_that_looks_like_commands_is_not_executed(self):
        smuggled = b"MAIL FROM:<evil@example.com>\r\nRCPT TO:<victim@example.org>\r\nQUIT\r\n"
        with RawSmtp(self.mx.port()) as c:
            c.ehlo()
            c.send(b"BDAT %d\r\n" % len(smuggled) + smuggled)
            self.assertReply(c.reply(), 503, "BDAT without a transaction")
            self.assertReply(c.cmd("NOOP"), 250, "the session is still in step: QUIT inside the chunk was data")
        self.assertEqual(self.sink.commands_starting("MAIL"), [], "nothing from the chunk reached the backend")

    def test_empty_refused_chunk(self):
        with RawSmtp(self.mx.port()) as c:
            c.ehlo()
            self.assertReply(c.cmd("BDAT 0 LAST"), 503)
            self.assertReply(c.cmd("NOOP"), 250)

    def test_refused_chunks_in_one_write(self):
        with RawSmtp(self.mx.port()) as c:
            c.ehlo()
            c.send(b"BDAT 4\r\nNOOPBDAT 3 LAST\r\nxyzNOOP\r\n")
            self.assertEqual([r.code for r in c.replies(3)], [503, 503, 250])


if __name__ == "__main__":
    unittest.main()
