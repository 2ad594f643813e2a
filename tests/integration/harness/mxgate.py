"""The binary under test: Mxgate starts $MXGATE_BIN on a written config, reads its logfmt
stderr, sends it signals; run_check_config() runs --check-config."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
from pathlib import Path

from .certs import test_certificate
from .config import to_yaml
from .process import DEFAULT_WAIT, HarnessError, ManagedProcess, tail

_LOGFMT = re.compile(r'([A-Za-z_][\w.\-]*)=("(?:[^"\\]|\\.)*"|[^\s"]*)')


def parse_logfmt(line: str) -> dict[str, str]:
    """key=value pairs anywhere in the line; quoted values are unescaped. Prefixes are ignored."""
    out = {}
    for key, value in _LOGFMT.findall(line):
        if value.startswith('"'):
            try:
                value = json.loads(value)
            except ValueError:
                value = value[1:-1].replace('\\"', '"').replace("\\\\", "\\")
        out.setdefault(key, value)
    return out


def parse_log_line(line: str) -> dict[str, str]:
    """One mxgate log line in either logging.format: a JSON object, or logfmt."""
    if line.startswith("{"):
        try:
            fields = json.loads(line)
        except ValueError:
            return {}
        return fields if isinstance(fields, dict) else {}
    return parse_logfmt(line)


# Lines an AddressSanitizer, LeakSanitizer or UndefinedBehaviorSanitizer build prints on a finding.
SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error: ",
                     "SUMMARY: UndefinedBehaviorSanitizer")

class Mxgate:
    """The binary under test, started as `$MXGATE_BIN -c <workdir>/<name>.yaml` in the foreground.

    Reads its stderr (logfmt or JSON lines, per logging.format) in a thread. start() waits for one `event=listening
    address=A:P tls=T` per listener and `event=ready`. Ports in the config may be 0; the
    real ones come from those lines (port(tls)). Listeners cannot change on reload, so a
    reload test rewrites everything but `listeners`; pin_ports() gives a config with the real
    ports, for restarting a second process on the same addresses.
    """

    def __init__(self, workdir: Path, config: dict | str, *, name: str = "mxgate", start: bool = True,
                 binary: str | None = None, ready_timeout: float = 10.0):
        self.workdir = Path(workdir)
        self.name = name
        self.binary = binary or os.environ.get("MXGATE_BIN", "")
        self.config_path = self.workdir / f"{name}.yaml"
        self.config: dict | str = config
        cert, key = test_certificate()
        for src, dst in ((cert, "cert.pem"), (key, "key.pem")):
            if not (self.workdir / dst).exists():
                shutil.copy(src, self.workdir / dst)
        self.write_config(config)
        self.proc: ManagedProcess | None = None
        self.listeners: list[tuple[str, int, str]] = []   # (host, port, tls)
        self.ready_timeout = ready_timeout
        self.exit_code: int | None = None
        if start:
            self.start()

    # -- config

    def write_config(self, config: dict | str):
        self.config = config
        text = config if isinstance(config, str) else to_yaml(config)
        tmp = self.config_path.with_suffix(".tmp")
        tmp.write_text(text)
        os.replace(tmp, self.config_path)    # atomic: a reload never sees half a file

    def pin_ports(self, config: dict | None = None) -> dict:
        """The config (default: the current one) with listener ports replaced by the real ones."""
        cfg = json.loads(json.dumps(config if config is not None else self.config))
        for listener, (host, port, _tls) in zip(cfg["listeners"], self.listeners):
            listener["address"] = f"{host}:{port}" if ":" not in host else f"[{host}]:{port}"
        return cfg

    # -- process

    @staticmethod
    def check_binary(binary: str | None = None) -> str:
        binary = binary if binary is not None else os.environ.get("MXGATE_BIN", "")
        if not binary:
            raise HarnessError("MXGATE_BIN is not set: run these tests through ctest (it sets MXGATE_BIN to the "
                               "built mxgate) or export MXGATE_BIN=/path/to/build/mxgate")
        if not os.access(binary, os.X_OK):
            raise HarnessError(f"MXGATE_BIN={binary} is not an executable file: build mxgate first")
        return binary

    def start(self):
        self.check_binary(self.binary)
        self.proc = ManagedProcess([self.binary, "-c", str(self.config_path)], name=self.name, cwd=self.workdir,
                                   log_path=self.workdir / f"{self.name}.log", capture_lines=True)
        expected = len(self.config["listeners"]) if isinstance(self.config, dict) else 1
        self.listeners = []
        seen = 0
        for _ in range(expected):
            i, line = self.proc.wait_line(lambda l: parse_log_line(l).get("event") == "listening",
                                          self.ready_timeout, "an event=listening line", start=seen)
            seen = i + 1
            self._add_listener(parse_log_line(line), line)
        self.proc.wait_line(lambda l: parse_log_line(l).get("event") == "ready", self.ready_timeout,
                            "event=ready")
        return self

    def _add_listener(self, fields: dict, line: str):
        addr = fields.get("address", "")
        m = re.match(r"^\[?([^\]]*)\]?:(\d+)$", addr)
        if not m:
            raise HarnessError(f"cannot parse listener address in: {line}")
        self.listeners.append((m.group(1), int(m.group(2)), fields.get("tls", "none")))

    def port(self, tls: str | None = None) -> int:
        """Port of the first listener with this tls mode (none|starttls|implicit); any when None."""
        for _host, port, mode in self.listeners:
            if tls is None or mode == tls:
                return port
        raise HarnessError(f"no listener with tls={tls}; have {self.listeners}")

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc is not None and self.proc.alive()

    def assert_alive(self):
        if not self.alive():
            raise HarnessError(f"mxgate died (exit status {self.proc.proc.returncode if self.proc else None}); "
                               f"last log lines:\n{self.tail()}")

    def reload(self, wait_log: bool = True, timeout: float = 5.0) -> dict | None:
        """SIGHUP; with wait_log, wait for a new log line whose event mentions 'reload'
        (config_reloaded / config_reload_failed, docs/configuration.md) and return its fields."""
        start = len(self.proc.lines)
        self.proc.send_signal(signal.SIGHUP)
        if not wait_log:
            return None
        try:
            _, line = self.proc.wait_line(lambda l: "reload" in parse_log_line(l).get("event", ""), timeout,
                                          "a log line with event=*reload* after SIGHUP", start=start)
            return parse_log_line(line)
        except HarnessError:
            return None

    def terminate(self):
        """SIGTERM only (graceful drain); use wait_exit() afterwards."""
        self.proc.send_signal(signal.SIGTERM)

    def wait_exit(self, timeout: float) -> int:
        try:
            self.exit_code = self.proc.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            raise HarnessError(f"mxgate did not exit within {timeout:.1f}s; last log lines:\n{self.tail()}")
        return self.exit_code

    def stop(self, timeout: float = 10.0) -> int | None:
        """SIGTERM, wait up to timeout, then SIGKILL. Returns the exit status (negative = signal)."""
        if self.proc is None:
            return None
        self.exit_code = self.proc.stop(timeout=timeout)
        return self.exit_code

    def close(self):
        """Cleanup hook: stop, and report a crash (death by a signal we did not send) as a failure."""
        if self.proc is None:
            return
        was_alive = self.proc.alive()
        rc = self.stop()
        reports = [line for line in self.lines() if any(marker in line for marker in SANITIZER_MARKERS)]
        if reports:
            # CI's sanitizer build: a report fails the test even when mxgate went on or exited 0.
            raise HarnessError(f"mxgate printed a sanitizer report: {reports[0]}; last log lines:\n{self.tail()}")
        crashed = rc is not None and rc < 0 and not (self.proc.we_killed and rc == -signal.SIGKILL)
        if crashed or (not was_alive and rc not in (0, None)):
            hint = ""
            if rc == -signal.SIGTERM:
                hint = " - killed by SIGTERM's default action: are signal handlers installed before event=ready?"
            elif rc is not None and rc < 0:
                hint = f" - died of signal {signal.Signals(-rc).name}"
            raise HarnessError(f"mxgate ended abnormally (status {rc}){hint}; last log lines:\n{self.tail()}")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- logs

    def lines(self) -> list[str]:
        return list(self.proc.lines) if self.proc else []

    def tail(self, n: int = 40) -> str:
        return tail(self.lines(), n)

    def log_lines(self, event: str | None = None, **match: str) -> list[dict]:
        out = []
        for line in self.lines():
            fields = parse_log_line(line)
            if event is not None and fields.get("event") != event:
                continue
            if all(fields.get(k) == v for k, v in match.items()):
                out.append(fields)
        return out

    def wait_log(self, event: str, timeout: float = DEFAULT_WAIT, **match: str) -> dict:
        _, line = self.proc.wait_line(
            lambda l: (f := parse_log_line(l)).get("event") == event and all(f.get(k) == v for k, v in match.items()),
            timeout, f"event={event} {match}")
        return parse_log_line(line)


def run_check_config(path: Path, binary: str | None = None, timeout: float = 30.0) -> subprocess.CompletedProcess:
    binary = Mxgate.check_binary(binary)
    return subprocess.run([binary, "--check-config", str(path)], capture_output=True, text=True, timeout=timeout,
                          cwd=Path(path).parent)
