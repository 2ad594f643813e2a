"""Hold N plain SMTP sessions open to mxgate, for bench/run.sh's memory figures.

    hold_sessions.py PORT N STATUS [MESSAGE_FILE]

Opens N sessions and reads each 220 greeting; with MESSAGE_FILE, each then goes through
EHLO, MAIL, RCPT and DATA (354). Writes "<ok> <failed>" to STATUS.1 and, with MESSAGE_FILE,
waits (60 s at most) for STATUS.go to exist, then sends the message on every session that reached DATA, as
smtp-source -F does (LF -> CRLF, leading dots doubled), without the final ".", so mxgate
holds every message in its spool, and writes "<sent> <failed>" to STATUS.2. Then holds
everything open, 120 s at most (run.sh stops it by PID).
"""
import os
import socket
import sys
import time

port, count, status = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
message_file = sys.argv[4] if len(sys.argv) > 4 else None
COMMANDS = [(b"EHLO bench.test\r\n", b"250"), (b"MAIL FROM:<bar@bench.test>\r\n", b"250"),
            (b"RCPT TO:<foo@bench.test>\r\n", b"250"), (b"DATA\r\n", b"354")]


def report(phase: int, ok: int, failed: int):
    with open(f"{status}.{phase}.tmp", "w") as f:
        f.write(f"{ok} {failed}\n")
    os.rename(f"{status}.{phase}.tmp", f"{status}.{phase}")


def reply(reader) -> bytes:
    """The last line of one (possibly multi-line) reply."""
    while True:
        line = reader.readline()
        if len(line) < 4 or line[3:4] != b"-":
            return line


def open_session():
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    reader = s.makefile("rb")
    if not reply(reader).startswith(b"220"):
        return None
    for command, code in COMMANDS if message_file else []:
        s.sendall(command)
        if not reply(reader).startswith(code):
            return None
    return s


sessions, failed = [], 0
deadline = time.monotonic() + 60
for _ in range(count):
    if time.monotonic() > deadline:
        break
    try:
        s = open_session()
    except OSError:
        s = None
    if s is None:
        failed += 1
        if failed > 50:
            break
    else:
        sessions.append(s)
report(1, len(sessions), failed)

if message_file:
    with open(message_file, "rb") as f:
        lines = f.read().split(b"\n")[:-1]
    content = b"".join((b"." + line if line.startswith(b".") else line) + b"\r\n" for line in lines)
    deadline = time.monotonic() + 60
    while not os.path.exists(f"{status}.go"):
        if time.monotonic() > deadline:
            sys.exit("no go from run.sh within 60 s")
        time.sleep(0.05)
    sent = 0
    for s in sessions:
        try:
            s.sendall(content)
            sent += 1
        except OSError:
            pass
    report(2, sent, len(sessions) - sent)
time.sleep(120)
