"""Processes and ports: bounded waits, loopback ports, per-test temp dirs, child processes
stopped by their own PID (then their own process group) - never by name."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Callable

LOOPBACK = "127.0.0.1"
DEFAULT_WAIT = 5.0        # seconds; every wait in the harness is bounded
STOP_WAIT = 5.0           # SIGTERM -> SIGKILL grace for helper processes
START_ATTEMPTS = 5        # candidate ports tried before a peer that cannot bind port 0 is given up


class HarnessError(AssertionError):
    """A peer or the harness itself misbehaved (timeout, crash, bad setup).

    Subclasses AssertionError so unittest reports it as a test failure with its message.
    """


def wait_for(predicate: Callable[[], object], timeout: float = DEFAULT_WAIT, what: str = "condition",
             interval: float = 0.02, details: Callable[[], str] | None = None):
    """Poll predicate() until it returns something truthy; return that. Raise after timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            extra = ""
            if details is not None:
                try:
                    extra = "\n" + details()
                except Exception as exc:  # details are best effort
                    extra = f"\n(details unavailable: {exc!r})"
            raise HarnessError(f"timed out after {timeout:.1f}s waiting for {what}{extra}")
        time.sleep(interval)


def candidate_port() -> int:
    """A port that was free a moment ago (bind 0, read it, close): only a guess, for peers that
    cannot bind port 0 themselves. Another process may take it first, so callers start the peer
    on it and retry on a new one when the bind failed (start_on_candidate_port)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]


def log_port_taken(name: str, port: int, attempt: int):
    """Why a peer is started again: the candidate port was lost to another process."""
    sys.stderr.write(f"[harness] {name}: port {port} was taken before it bound it "
                     f"(attempt {attempt} of {START_ATTEMPTS}), retrying on another port\n")


def _socket_inodes(pid: int) -> set[str]:
    inodes = set()
    fd_dir = Path(f"/proc/{pid}/fd")
    try:
        for fd in fd_dir.iterdir():
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    except OSError:
        pass
    return inodes


def listening_ports(pid: int) -> set[int]:
    """TCP ports in LISTEN state whose socket is held by process pid (Linux /proc)."""
    inodes = _socket_inodes(pid)
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            parts = line.split()
            if len(parts) > 9 and parts[3] == "0A" and parts[9] in inodes:
                ports.add(int(parts[1].rsplit(":", 1)[1], 16))
    return ports


def tail(lines: list[str], n: int = 40) -> str:
    return "\n".join(lines[-n:]) if lines else "(no output)"


class TestDir:
    """A temporary directory for one test; removed on exit unless MXGATE_KEEP_TMP=1.

    Mode 0711 so helpers that drop privileges (smtp-sink -u nobody, dovecot's mail
    user nobody) can reach their own subdirectories.
    """

    def __init__(self, prefix: str = "mxgate-it-"):
        self.path = Path(tempfile.mkdtemp(prefix=prefix))
        os.chmod(self.path, 0o711)

    def __enter__(self) -> Path:
        return self.path

    def __exit__(self, *exc):
        self.cleanup()

    def cleanup(self):
        if os.environ.get("MXGATE_KEEP_TMP") == "1":
            sys.stderr.write(f"[harness] keeping {self.path}\n")
            return
        shutil.rmtree(self.path, ignore_errors=True)


class Peer:
    """Mixin for the peers: stop() ends it, close() is the cleanup hook, and `with peer:` works."""

    port = 0

    @property
    def address(self) -> str:
        return f"{LOOPBACK}:{self.port}"

    def stop(self):
        raise NotImplementedError

    def close(self):
        self.stop()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class ClosedPort(Peer):
    """A loopback TCP port that refuses connections (for 'backend down' tests): a socket bound
    and never listening, held until close(), so no other process can take the port meanwhile."""

    def __init__(self):
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.bind((LOOPBACK, 0))
        self.port = self._socket.getsockname()[1]

    def stop(self):
        self._socket.close()

    def describe(self) -> str:
        return f"closed port {self.address}"


class ManagedProcess:
    """A child process in its own session; stopped by PID, then by its own process group."""

    def __init__(self, argv: list[str], *, name: str, cwd: Path | None = None, env: dict | None = None,
                 log_path: Path | None = None, capture_lines: bool = False):
        self.name = name
        self.argv = [str(a) for a in argv]
        self.lines: list[str] = []          # merged stdout+stderr lines when capture_lines
        self._cond = threading.Condition()
        self._log_file = open(log_path, "ab") if log_path else None
        self.log_path = log_path
        self.proc = subprocess.Popen(
            self.argv, cwd=cwd, env=env, start_new_session=True,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE if capture_lines else (self._log_file or subprocess.DEVNULL),
            stderr=subprocess.STDOUT if capture_lines else (self._log_file or subprocess.DEVNULL))
        self.pid = self.proc.pid
        self.we_killed = False
        self._reader = None
        if capture_lines:
            self._reader = threading.Thread(target=self._read, name=f"{name}-reader", daemon=True)
            self._reader.start()

    def _read(self):
        for raw in iter(self.proc.stdout.readline, b""):
            if self._log_file:
                self._log_file.write(raw)
                self._log_file.flush()
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            with self._cond:
                self.lines.append(line)
                self._cond.notify_all()
        with self._cond:
            self._cond.notify_all()

    def wait_line(self, predicate: Callable[[str], bool], timeout: float, what: str,
                  start: int = 0) -> tuple[int, str]:
        """Index and text of the first captured line (from index start) matching predicate."""
        deadline = time.monotonic() + timeout
        with self._cond:
            i = start
            while True:
                while i < len(self.lines):
                    if predicate(self.lines[i]):
                        return i, self.lines[i]
                    i += 1
                if self.proc.poll() is not None and (self._reader is None or not self._reader.is_alive()):
                    raise HarnessError(f"{self.name} exited with status {self.proc.returncode} while waiting "
                                       f"for {what}; last output:\n{tail(self.lines)}")
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise HarnessError(f"timed out after {timeout:.1f}s waiting for {what} from {self.name}; "
                                       f"last output:\n{tail(self.lines)}")
                self._cond.wait(min(remaining, 0.1))

    def alive(self) -> bool:
        return self.proc.poll() is None

    def send_signal(self, sig: int):
        if self.alive():
            os.kill(self.pid, sig)

    def _group_alive(self) -> bool:
        try:
            os.killpg(self.pid, 0)
            return True
        except (ProcessLookupError, PermissionError):
            return False

    def stop(self, timeout: float = STOP_WAIT, sig: int = signal.SIGTERM) -> int | None:
        """sig to the PID, wait up to timeout, then SIGKILL the process group we created."""
        if self.alive():
            try:
                os.kill(self.pid, sig)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.we_killed = True
        if self.alive() or self._group_alive():
            # Children that outlived the leader (dovecot's) share its process group.
            deadline = time.monotonic() + 1.0
            while self._group_alive() and time.monotonic() < deadline and not self.we_killed:
                time.sleep(0.05)
            try:
                os.killpg(self.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(2.0)
        if self._reader is not None:
            self._reader.join(2.0)
            if not self._reader.is_alive() and self.proc.stdout:
                self.proc.stdout.close()
        if self._log_file:
            self._log_file.close()
            self._log_file = None
        return self.proc.returncode

    def output(self) -> str:
        if self._reader is not None:
            return "\n".join(self.lines)
        if self.log_path and self.log_path.exists():
            return self.log_path.read_text(errors="replace")
        return ""


def start_on_port_zero(argv: list, *, name: str, log_path: Path, timeout: float,
                       details: Callable[[], str] | None = None) -> tuple[ManagedProcess, int]:
    """Start a server whose argv makes it bind port 0 and learn its port from /proc, where that
    PID's listening socket shows it (smtp-sink opens one). Returns (process, port)."""
    proc = ManagedProcess(argv, name=name, log_path=log_path)
    try:
        ports = wait_for(lambda: listening_ports(proc.pid) or not proc.alive(), timeout,
                         f"{name} to listen", details=details)
        if not proc.alive():
            raise HarnessError(f"{name} did not start: {' '.join(proc.argv)}\n{proc.output()}")
    except HarnessError:
        proc.stop()
        raise
    return proc, min(ports)


def start_on_candidate_port(make_argv: Callable[[int], list], *, name: str, log_path: Path, timeout: float,
                            details: Callable[[], str] | None = None,
                            failure_output: Callable[[ManagedProcess], str] | None = None
                            ) -> tuple[ManagedProcess, int]:
    """Start a server that cannot bind port 0 (redis-server takes 0 as "no TCP", dovecot as
    "no listener") on a candidate port, and wait until it listens there.

    make_argv(port) gives the command line (and may write a config for that port). When the
    process exits instead because another process took the port first ("in use" in its
    output), try again on a new candidate, START_ATTEMPTS times in all. Returns (process, port).
    """
    last_output, argv = "", []
    for attempt in range(1, START_ATTEMPTS + 1):
        port = candidate_port()
        argv = make_argv(port)
        proc = ManagedProcess(argv, name=name, log_path=log_path)
        try:
            wait_for(lambda: port in listening_ports(proc.pid) or not proc.alive(), timeout,
                     f"{name} to listen on {port}", details=details)
        except HarnessError:
            proc.stop()
            raise
        if proc.alive():
            return proc, port
        last_output = failure_output(proc) if failure_output else proc.output()
        proc.stop()
        if "in use" not in last_output:
            break
        log_port_taken(name, port, attempt)
    raise HarnessError(f"{name} did not start: {' '.join(str(a) for a in argv)}\n{last_output}")
