"""Reusable pieces for mxgate's end-to-end tests (STYLE.md section F: real peers, no doubles).

Every process runs on 127.0.0.1 with an ephemeral port, inside a per-test temporary
directory, and is stopped by its own PID (or its own process group, which it got from
start_new_session=True) - never by name. Every wait is bounded and raises with the
recent log lines of the peers, so a hung or crashed peer fails a test instead of
hanging ctest. docs/testing.md has the overview.

Modules (test files import everything from the package: `from harness import X`):
  process    HarnessError, wait_for, ports, TestDir, ManagedProcess, the Peer mixin
  messages   crlf/lf, dot_stuff, bare CR/LF offsets, header helpers, simple_message
  sink       SmtpSink: Postfix smtp-sink with per-message dump files and a command log
  faulty     FaultyBackend: in-process SMTP/LMTP server that records exact bytes and misbehaves on request
  dovecot    DovecotLmtp: dovecot's LMTP server, standalone, Maildir under the temp dir
  redis      RedisServer: redis-server for the fleet's shared state
  certs      the self-signed test certificate, a non-verifying client TLS context, private CAs
             and server certificates they sign (backend STARTTLS)
  config     mxgate_config() and backend builders, written out by a small YAML writer
  mxgate     Mxgate: the binary under test ($MXGATE_BIN): config writer, log reader, signals
  clients    RawSmtp (byte-exact: pipelining, smuggling, STARTTLS injection), smtp_client(), swaks()
  case       MxgateTestCase: unittest base class wiring the above with addCleanup and debug output

Only the Python standard library; run with Debian's /usr/bin/python3.
"""

from .case import MxgateTestCase, assert_received_prepended
from .certs import OPENSSL, client_tls_context, make_ca, make_server_certificate, server_tls_context, test_certificate
from .clients import SWAKS, ConnectionClosed, RawSmtp, Reply, SwaksResult, lmtp_client, smtp_client, swaks
from .config import lmtp_backend, maildir_backend, mxgate_config, smtp_backend, to_yaml
from .dovecot import DOVECOT, DovecotLmtp
from .faulty import CLOSE, HANG, BackendSession, FaultyBackend, ReceivedMessage
from .messages import (bare_cr_lf_offsets, crlf, dot_stuff, header_names, lf, simple_message, split_first_header,
                       unfold)
from .mxgate import Mxgate, parse_logfmt, run_check_config
from .redis import REDIS_SERVER, RedisServer
from .process import (DEFAULT_WAIT, LOOPBACK, STOP_WAIT, ClosedPort, HarnessError, ManagedProcess, Peer, TestDir,
                      candidate_port, listening_ports, tail, wait_for)
from .sink import SMTP_SINK, SinkMessage, SmtpSink, parse_sink_dump

__all__ = [
    "BackendSession", "CLOSE", "ClosedPort", "ConnectionClosed", "DEFAULT_WAIT", "DOVECOT", "DovecotLmtp", "FaultyBackend", "HANG",
    "HarnessError", "LOOPBACK", "ManagedProcess", "Mxgate", "MxgateTestCase", "OPENSSL", "Peer", "RawSmtp",
    "REDIS_SERVER", "ReceivedMessage", "RedisServer", "Reply", "SMTP_SINK", "STOP_WAIT", "SWAKS", "SinkMessage", "SmtpSink", "SwaksResult",
    "TestDir", "assert_received_prepended", "bare_cr_lf_offsets", "candidate_port", "client_tls_context", "crlf",
    "dot_stuff", "header_names", "lf", "listening_ports", "lmtp_backend", "lmtp_client",
    "maildir_backend", "mxgate_config", "parse_logfmt", "parse_sink_dump", "run_check_config", "simple_message",
    "smtp_backend", "smtp_client", "split_first_header", "swaks", "tail", "test_certificate", "to_yaml", "unfold",
    "wait_for",
]
