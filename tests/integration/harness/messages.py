"""Building and inspecting messages as bytes: line endings, dot-stuffing, header fields."""

from __future__ import annotations

import re
import time


def crlf(text: str | bytes) -> bytes:
    """Normalise any line endings to CRLF (for building test messages)."""
    if isinstance(text, str):
        text = text.encode("utf-8")
    return re.sub(rb"\r?\n", b"\r\n", text)


def lf(data: bytes) -> bytes:
    """CRLF -> LF (smtp-sink and Maildir files store LF line endings)."""
    return data.replace(b"\r\n", b"\n")


def bare_cr_lf_offsets(data: bytes) -> list[int]:
    """Offsets of every CR not followed by LF and every LF not preceded by CR."""
    bad = []
    for i, b in enumerate(data):
        if b == 0x0D and (i + 1 >= len(data) or data[i + 1] != 0x0A):
            bad.append(i)
        elif b == 0x0A and (i == 0 or data[i - 1] != 0x0D):
            bad.append(i)
    return bad


def dot_stuff(content: bytes) -> bytes:
    """SMTP transparency (RFC 5321 4.5.2): a line starting with '.' gets another '.'."""
    return re.sub(rb"(^|\r\n)\.", rb"\1..", content)


def split_first_header(message: bytes) -> tuple[bytes, bytes]:
    """(first header field incl. its continuation lines, rest of the message). Any line endings."""
    m = re.match(rb"([^\r\n]*(?:\r?\n[ \t][^\r\n]*)*\r?\n)", message)
    if not m:
        return b"", message
    return m.group(1), message[m.end():]


def unfold(field: bytes) -> str:
    """A header field on one line with single spaces (RFC 5322 unfolding, whitespace squeezed)."""
    return re.sub(r"\s+", " ", field.decode("ascii")).strip()


def header_names(message: bytes) -> list[str]:
    """Field names of the header section, in order."""
    head = re.split(rb"\r?\n\r?\n", message, maxsplit=1)[0]
    return [line.split(b":", 1)[0].decode("ascii", "replace")
            for line in re.split(rb"\r?\n", head) if line and line[:1] not in (b" ", b"\t")]


def simple_message(subject: str = "test", body: str = "Hello.\n", extra_headers: str = "",
                   sender: str = "sender@example.com", to: str = "rcpt@example.org") -> bytes:
    """An RFC 5322 message with CRLF line endings."""
    return crlf(f"From: <{sender}>\nTo: <{to}>\nSubject: {subject}\nMessage-ID: <{time.monotonic_ns()}@client.test>\n"
                f"{extra_headers}\n{body}")
