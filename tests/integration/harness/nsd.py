"""Real DNS peers for the DNS filters: Nsd (NLnet Labs' authoritative server, serving the zone
files a test hands it) and SilentDns (a UDP+TCP port that takes queries and never answers).

Mirrors tests/integration/native/filters/dns/nsd_fixture.hpp: `nsd -d -c nsd.conf` in the
foreground, all of its files in its own temp dir (kept when MXGATE_KEEP_ZONES is set), 127.0.0.1 on
a candidate port (a new one when another process took it first), remembered by PID and stopped with SIGTERM. Start-up is checked with a real query (the SOA of
every zone, answered authoritatively), which also catches a zone file nsd refused.
Also: zone_text() to write a zone quickly, txt() for a TXT rdata of any length, and query(), a tiny stdlib DNS client (UDP).
"""

from __future__ import annotations

import ipaddress
import os
import random
import re
import shutil
import socket
import struct
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from .process import (LOOPBACK, START_ATTEMPTS, HarnessError, ManagedProcess, Peer, candidate_port, log_port_taken,
                      tail, wait_for)

NSD = "/usr/sbin/nsd"
START_WAIT = 10.0          # seconds for nsd to load its zones and answer
TYPES = {"A": 1, "NS": 2, "CNAME": 5, "SOA": 6, "PTR": 12, "MX": 15, "TXT": 16, "AAAA": 28}


def zone_text(origin: str, records: list[str] | tuple[str, ...] = (), ttl: int = 300) -> str:
    """A zone file for origin: $ORIGIN/$TTL, SOA, NS ns.<origin> with A 127.0.0.1 glue, then records
    (one zone-file line each; names relative to origin unless they end with a dot)."""
    origin = origin.rstrip(".")
    head = [f"$ORIGIN {origin}.", f"$TTL {ttl}",
            f"@ IN SOA ns.{origin}. hostmaster.{origin}. 1 3600 600 86400 60",
            f"@ IN NS ns.{origin}.", "ns IN A 127.0.0.1"]
    return "\n".join(head + list(records)) + "\n"


def zone_escape(ch: str) -> str:
    """One character of a zone-file string (RFC 1035 §5.1): '\\DDD' for control characters."""
    if ch in '\\"':
        return "\\" + ch
    return ch if " " <= ch <= "~" else f"\\{ord(ch):03d}"


def txt(text: str) -> str:
    """A TXT rdata in zone-file syntax: character-strings of at most 255 octets (joined again by
    the reader, RFC 7208 §3.3)."""
    chunks = [text[i:i + 255] for i in range(0, len(text), 255)] or [""]
    return " ".join('"' + "".join(map(zone_escape, c)) + '"' for c in chunks)


def reversed_ipv4(address: str) -> str:
    """'127.0.0.1' -> '1.0.0.127': the label sequence DNSBLs (RFC 5782) and in-addr.arpa use."""
    return ".".join(reversed(str(ipaddress.IPv4Address(address)).split(".")))


@dataclass
class DnsReply:
    rcode: int                 # 0 NOERROR, 2 SERVFAIL, 3 NXDOMAIN, 5 REFUSED
    authoritative: bool
    answers: list[tuple[str, int, bytes]] = field(default_factory=list)   # (owner, type, rdata)

    def values(self, qtype: str) -> list[str]:
        """Answer rdata of that type as text: A/AAAA addresses, TXT strings joined."""
        out = []
        for _name, t, rdata in self.answers:
            if t != TYPES[qtype]:
                continue
            if qtype in ("A", "AAAA"):
                out.append(str(ipaddress.ip_address(rdata)))
            elif qtype == "TXT":
                parts, i = [], 0
                while i < len(rdata):
                    parts.append(rdata[i + 1:i + 1 + rdata[i]].decode("utf-8", "replace"))
                    i += 1 + rdata[i]
                out.append("".join(parts))
            else:
                out.append(rdata.hex())
        return out


def _read_name(msg: bytes, pos: int) -> tuple[str, int]:
    """A possibly compressed name at pos (RFC 1035 4.1.4); (name, position after it)."""
    labels, end, hops = [], None, 0
    while True:
        n = msg[pos]
        if n & 0xC0 == 0xC0:
            if end is None:
                end = pos + 2
            pos = ((n & 0x3F) << 8) | msg[pos + 1]
            hops += 1
            if hops > 64:
                raise ValueError("compression loop")
            continue
        if n == 0:
            return ".".join(labels) + ".", end if end is not None else pos + 1
        labels.append(msg[pos + 1:pos + 1 + n].decode("ascii", "replace"))
        pos += 1 + n


def query(port: int, name: str, qtype: str = "A", *, host: str = LOOPBACK, timeout: float = 2.0,
          recursion: bool = False) -> DnsReply:
    """One DNS query over UDP (hand-built packet, no packages); raises socket.timeout when unanswered."""
    qid = random.getrandbits(16)
    qname = b"".join(bytes([len(l)]) + l.encode("ascii") for l in name.rstrip(".").split(".") if l) + b"\0"
    packet = struct.pack("!HHHHHH", qid, 0x0100 if recursion else 0, 1, 0, 0, 0) + qname + \
        struct.pack("!HH", TYPES[qtype], 1)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        s.sendto(packet, (host, port))
        while True:
            msg, _ = s.recvfrom(65535)
            if len(msg) >= 12 and struct.unpack("!H", msg[:2])[0] == qid:
                break
    _, flags, qd, an, _ns, _ar = struct.unpack("!HHHHHH", msg[:12])
    pos = 12
    for _ in range(qd):
        _, pos = _read_name(msg, pos)
        pos += 4
    answers = []
    for _ in range(an):
        owner, pos = _read_name(msg, pos)
        rtype, _cls, _ttl, rdlen = struct.unpack("!HHIH", msg[pos:pos + 10])
        pos += 10
        answers.append((owner, rtype, msg[pos:pos + rdlen]))
        pos += rdlen
    return DnsReply(rcode=flags & 0xF, authoritative=bool(flags & 0x0400), answers=answers)


class Nsd(Peer):
    """nsd on 127.0.0.1:<ephemeral> serving zones {zone name: zone file text}."""

    def __init__(self, zones: dict[str, str], *, name: str = "nsd", start: bool = True):
        if not zones:
            raise HarnessError("Nsd needs at least one zone")
        self.zones = dict(zones)
        self.name = name
        self.dir = Path(tempfile.mkdtemp(prefix=f"mxgate-{name}-"))
        self.proc: ManagedProcess | None = None
        self.port = 0
        self._last_log = ""
        if start:
            self.start()

    @property
    def server(self) -> str:
        """'127.0.0.1@PORT': the form of mxgate's dns.servers and dns.stub_zones[].servers."""
        return f"{LOOPBACK}@{self.port}"

    def _write_conf(self, port: int) -> Path:
        d = self.dir
        lines = ["server:", f"  ip-address: {LOOPBACK}@{port}", "  do-ip6: no", '  username: ""',
                 f'  zonesdir: "{d}"', f'  pidfile: "{d / "nsd.pid"}"', '  database: ""',
                 f'  zonelistfile: "{d / "zone.list"}"', f'  xfrdfile: "{d / "xfrd.state"}"', f'  xfrdir: "{d}"',
                 f'  logfile: "{d / "nsd.log"}"', "  verbosity: 1", "  server-count: 1",
                 "remote-control:", "  control-enable: no"]
        for n, (zone, text) in enumerate(self.zones.items()):
            # Numbered files: a zone name need not be a good file name.
            (d / f"zone{n}.zone").write_text(text)
            lines += ["zone:", f'  name: "{zone}"', f"  zonefile: zone{n}.zone"]
        conf = d / "nsd.conf"
        conf.write_text("\n".join(lines) + "\n")
        return conf

    def _zone_errors(self) -> bool:
        return re.search(r"zone \S+ file \S+ read with \d+ errors", self.log()) is not None

    def _serves_all_zones(self) -> bool:
        for zone in self.zones:
            try:
                r = query(self.port, zone, "SOA", timeout=0.3)
            except OSError:      # socket.timeout included: not listening yet
                return False
            if r.rcode != 0 or not r.authoritative or not r.answers:
                return False
        return True

    def start(self):
        """Start nsd and wait (bounded) until it answers for every zone. nsd cannot bind port 0 (it
        needs one port for UDP and TCP), so it starts on a candidate port, and on a new one when
        another process took that port first."""
        for attempt in range(1, START_ATTEMPTS + 1):
            self.port = candidate_port()
            for stale in ("nsd.log", "nsd.out", "nsd.pid", "zone.list", "xfrd.state"):
                (self.dir / stale).unlink(missing_ok=True)
            conf = self._write_conf(self.port)
            self.proc = ManagedProcess([NSD, "-d", "-c", conf], name=self.name, cwd=self.dir,
                                       log_path=self.dir / "nsd.out")
            try:
                wait_for(lambda: not self.proc.alive() or self._zone_errors() or self._serves_all_zones(),
                         START_WAIT, f"{self.name} on {self.server} to serve {sorted(self.zones)}", details=self.log)
                if self._zone_errors():
                    raise HarnessError(f"{self.name}: a zone file has errors; log:\n{self.log()}")
            except HarnessError:
                self.stop()
                raise
            if self.proc.alive():
                return self
            log = self.log()
            self.proc.stop()
            if "in use" not in log:
                break
            log_port_taken(self.name, self.port, attempt)
        status = self.proc.proc.returncode
        self.stop()
        raise HarnessError(f"{self.name} did not start (exit status {status}); log:\n{log}")

    def log(self) -> str:
        """nsd's log file and its stdout/stderr (or what was kept of them after stop())."""
        parts = []
        for f in ("nsd.log", "nsd.out"):
            p = self.dir / f
            if p.exists():
                parts.append(p.read_text(errors="replace"))
        return "".join(parts) or self._last_log

    def query(self, name: str, qtype: str = "A", timeout: float = 2.0) -> DnsReply:
        return query(self.port, name, qtype, timeout=timeout)

    def stop(self):
        if self.proc:
            self.proc.stop()
        if self.dir.exists():
            self._last_log = self.log()
            if os.environ.get("MXGATE_KEEP_ZONES"):
                sys.stderr.write(f"[harness] keeping {self.dir}\n")
            else:
                shutil.rmtree(self.dir, ignore_errors=True)

    def describe(self) -> str:
        return f"nsd {self.name} on {self.server}, zones {sorted(self.zones)}; log:\n" + \
            tail(self.log().splitlines(), 20)


class SilentDns(Peer):
    """A UDP socket and a listening TCP socket on one free loopback port, never read or accepted:
    a DNS server that takes every query and answers none (for "a dead server must not stall")."""

    def __init__(self, name: str = "silent-dns"):
        self.name = name
        for _attempt in range(20):
            udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            udp.bind((LOOPBACK, 0))
            tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            try:
                tcp.bind(udp.getsockname())
                tcp.listen(16)
            except OSError:
                udp.close()
                tcp.close()
                continue
            self.udp, self.tcp, self.port = udp, tcp, udp.getsockname()[1]
            return
        raise HarnessError("SilentDns: no loopback port free for both UDP and TCP")

    @property
    def server(self) -> str:
        return f"{LOOPBACK}@{self.port}"

    def stop(self):
        self.udp.close()
        self.tcp.close()

    def describe(self) -> str:
        return f"silent DNS server on {self.server}"
