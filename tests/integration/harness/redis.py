"""redis-server as the shared state store of an mxgate fleet: no persistence, its own
port and directory, stopped by PID."""

from __future__ import annotations

from pathlib import Path

from .process import LOOPBACK, STOP_WAIT, ManagedProcess, Peer, start_on_candidate_port

REDIS_SERVER = "/usr/bin/redis-server"


class RedisServer(Peer):
    def __init__(self, workdir: Path, *, name: str = "redis", password: str | None = None, start: bool = True):
        self.password = password  # requirepass: clients must AUTH with it
        self.root = Path(workdir) / name
        self.root.mkdir(exist_ok=True)
        self.name = name
        self.proc: ManagedProcess | None = None
        if start:
            self.start()

    def _argv(self, port: int) -> list:
        return [REDIS_SERVER, "--port", str(port), "--bind", LOOPBACK, "--save", "", "--appendonly", "no",
                "--dir", str(self.root), "--protected-mode", "no"] + (["--requirepass", self.password] if self.password else [])

    def start(self):
        self.proc, self.port = start_on_candidate_port(self._argv, name=self.name, log_path=self.root / "redis.log",
                                                       timeout=10.0)
        return self

    def stop(self):
        if self.proc:
            self.proc.stop(timeout=STOP_WAIT)

    def describe(self) -> str:
        return f"redis-server on {self.address}"
