"""Secrets stay secret: the Redis password never appears in --check-config's dump, in a
config diagnostic about it, or in the log of a running mxgate that uses it."""

import unittest

from harness import Mxgate, MxgateTestCase, RawSmtp, mxgate_config, run_check_config, smtp_backend

PASSWORD = "s3cret-Pw-4711"


class RedisPassword(MxgateTestCase):
    def config(self, backend, *, password, port=6379, rate_limit=None):
        state = {"backend": "redis", "redis": {"host": "127.0.0.1", "port": port, "password": password}}
        extra = {"state": state}
        if rate_limit is not None:
            extra["filters"] = {"rate_limit": {"enabled": True, **rate_limit}}
        return mxgate_config(domains={"example.org": "sink"}, backends={"sink": smtp_backend(backend)},
                             extra=extra)

    def check(self, config: dict | str):
        mx = Mxgate(self.tmp, config, start=False)  # writes the config and the certificate only
        return run_check_config(mx.config_path)

    def test_check_config_dump_redacts_the_password(self):
        result = self.check(self.config("127.0.0.1:2526", password=PASSWORD))
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn('password: "<redacted>"', result.stdout)
        self.assertNotIn(PASSWORD, result.stdout + result.stderr)

    def test_empty_password_is_shown_as_empty(self):
        result = self.check(self.config("127.0.0.1:2526", password=""))
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn('password: ""', result.stdout, "no password is no secret: the dump says so")

    def test_bad_password_value_is_not_echoed(self):
        # A tab inside the password: refused as a control character, without quoting it.
        bad = self.config("127.0.0.1:2526", password=PASSWORD + "\t")
        result = self.check(bad)
        self.assertEqual(result.returncode, 1)
        self.assertIn("state.redis.password: expected a string without control characters, got <redacted>",
                      result.stderr)
        self.assertNotIn(PASSWORD, result.stdout + result.stderr)

    def test_password_of_the_wrong_type_is_not_echoed(self):
        bad = self.config("127.0.0.1:2526", password=[PASSWORD])
        result = self.check(bad)
        self.assertEqual(result.returncode, 1)
        self.assertIn("state.redis.password: expected a string without control characters, got a list",
                      result.stderr)
        self.assertNotIn(PASSWORD, result.stdout + result.stderr)

    def test_running_gateway_authenticates_without_logging_the_password(self):
        redis = self.start_redis(password=PASSWORD)
        sink = self.start_sink()
        mx = self.start_mxgate(self.config(sink.address, password=PASSWORD, port=redis.port,
                                           rate_limit={"max_messages_per_window": 1, "window": "60s"}))
        with RawSmtp(mx.port()) as c:
            c.ehlo()
            self.assertReply(c.cmd("MAIL FROM:<a@example.com>"), 250)
            self.assertReply(c.cmd("RSET"), 250)
            self.assertReply(c.cmd("MAIL FROM:<a@example.com>"), "451 4.7.0",
                             "the second MAIL is over the limit: the count lives in the Redis that needs AUTH")
        mx.reload()  # a reload logs the config's effect too
        self.assertNotIn(PASSWORD, "\n".join(mx.lines()))

    def test_wrong_password_is_not_logged(self):
        redis = self.start_redis(password="the-real-one")
        sink = self.start_sink()
        mx = self.start_mxgate(self.config(sink.address, password=PASSWORD, port=redis.port,
                                           rate_limit={"max_messages_per_window": 1, "window": "60s"}))
        with RawSmtp(mx.port()) as c:
            c.ehlo()
            self.assertReply(c.cmd("MAIL FROM:<a@example.com>"), 250, "store down: the rate limit fails open")
        mx.wait_log("state_store_error")
        self.assertNotIn(PASSWORD, "\n".join(mx.lines()))


if __name__ == "__main__":
    unittest.main()
