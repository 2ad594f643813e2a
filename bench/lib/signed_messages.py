"""Signed messages for bench/run.sh's "content" target (python3-dkim), made before any timed run.

    signed_messages.py PRIVATE_KEY_PEM PUBLIC_KEY_BASE64 OUTDIR SIZE...

For each SIZE writes OUTDIR/signed-SIZE.eml: From: bar@bench.test (the DMARC domain, aligned
with d=bench.test), a body of SIZE bytes, signed rsa-sha256 relaxed/relaxed with selector
"bench". The files have LF line ends because smtp-source -F turns each line into line + CRLF;
it also sends one empty line after the last one, which DKIM's body canonicalization drops
(RFC 6376 §3.4.3, §3.4.4), so what mxgate receives verifies: checked here before writing.
Prints the zone-file line of the public key (character-strings of at most 255 octets).
"""
import sys
from pathlib import Path

import dkim

SELECTOR, DOMAIN = b"bench", b"bench.test"
SIGNED_FIELDS = [b"From", b"To", b"Subject", b"Date", b"Message-ID"]
LINE = b"The quick brown fox jumps over the lazy dog; line %06d of a benchmark message body"


def body(size: int) -> bytes:
    lines = b"".join(LINE % n + b"\r\n" for n in range(size // 80 + 1))
    return lines[:size - 2] + b"\r\n"


def message(size: int) -> bytes:
    header = (f"From: Bench <bar@bench.test>\r\nTo: <foo@bench.test>\r\nSubject: bench {size} bytes\r\n"
              f"Date: Sat, 05 Dec 2026 12:00:00 +0000\r\nMessage-ID: <bench.{size}@bench.test>\r\n\r\n")
    return header.encode() + body(size)


def main():
    private_key, public_key, outdir, sizes = Path(sys.argv[1]).read_bytes(), sys.argv[2], Path(sys.argv[3]), sys.argv[4:]
    record = f"v=DKIM1; k=rsa; p={public_key}"
    for size in map(int, sizes):
        unsigned = message(size)
        signed = dkim.sign(unsigned, SELECTOR, DOMAIN, private_key, canonicalize=(b"relaxed", b"relaxed"),
                           signature_algorithm=b"rsa-sha256", include_headers=SIGNED_FIELDS) + unsigned
        as_sent = signed + b"\r\n"
        if not dkim.verify(as_sent, dnsfunc=lambda name, timeout=5: record.encode()):
            sys.exit(f"the {size}-byte message does not verify as smtp-source sends it")
        (outdir / f"signed-{size}.eml").write_bytes(signed.replace(b"\r\n", b"\n"))
    chunks = [record[i:i + 255] for i in range(0, len(record), 255)]
    print("bench._domainkey IN TXT " + " ".join(f'"{c}"' for c in chunks))


main()
