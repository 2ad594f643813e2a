"""mxgate configs as Python dicts: backend and config builders, and a small block-YAML writer
(no PyYAML in the standard library)."""

from __future__ import annotations

import json
import re
from typing import Iterable

_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")


def _yaml_scalar(v) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return str(v)
    return json.dumps(str(v), ensure_ascii=False)   # JSON strings are valid YAML double-quoted scalars


def to_yaml(value, indent: int = 0) -> str:
    """Block-style YAML for dicts/lists/scalars (enough for mxgate configs)."""
    pad = "  " * indent
    if isinstance(value, dict):
        if not value:
            return pad + "{}\n"
        out = []
        for k, v in value.items():
            key = k if _PLAIN_KEY.match(str(k)) and str(k) not in ("true", "false", "null", "yes", "no", "on", "off") \
                else json.dumps(str(k))
            if isinstance(v, (dict, list)) and v:
                out.append(f"{pad}{key}:\n{to_yaml(v, indent + 1)}")
            elif isinstance(v, dict):
                out.append(f"{pad}{key}: {{}}\n")
            elif isinstance(v, list):
                out.append(f"{pad}{key}: []\n")
            else:
                out.append(f"{pad}{key}: {_yaml_scalar(v)}\n")
        return "".join(out)
    if isinstance(value, list):
        if not value:
            return pad + "[]\n"
        out = []
        for item in value:
            if isinstance(item, (dict, list)) and item:
                body = to_yaml(item, indent + 1)
                out.append(f"{pad}- {body.lstrip()}")
            else:
                out.append(f"{pad}- {_yaml_scalar(item) if not isinstance(item, (dict, list)) else '{}'}\n")
        return "".join(out)
    return pad + _yaml_scalar(value) + "\n"


def smtp_backend(*servers: str, **extra) -> dict:
    return {"type": "smtp", "servers": list(servers), **extra}


def lmtp_backend(*servers: str, **extra) -> dict:
    return {"type": "lmtp", "servers": list(servers), **extra}


def maildir_backend(path: str = "maildir", **extra) -> dict:
    return {"type": "maildir", "path": path, **extra}


def mxgate_config(*, domains: dict[str, str], backends: dict[str, dict],
                  listeners: Iterable[tuple[str, str]] = (("127.0.0.1:0", "starttls"),),
                  trusted_networks: Iterable[str] = ("10.99.0.0/16",), limits: dict | None = None,
                  timeouts: dict | None = None, tls: bool = True, hostname: str = "mx.test",
                  server: dict | None = None, logging: dict | None = None, extra: dict | None = None) -> dict:
    """A config dict with test-friendly short timeouts. Loopback is NOT trusted unless you say so.
    Tests run as root (CI) without server.user, so allow_root is true unless `server` says otherwise."""
    cfg = {
        "server": {"hostname": hostname, "allow_root": True, **(server or {})},
        "listeners": [{"address": addr, "tls": mode} for addr, mode in listeners],
    }
    if tls:
        cfg["tls"] = {"certificate": "cert.pem", "private_key": "key.pem"}
    cfg["trusted_networks"] = list(trusted_networks)
    cfg["domains"] = dict(domains)
    cfg["backends"] = backends
    cfg["timeouts"] = {"command": "5s", "data": "10s", "tls_handshake": "5s", "shutdown": "5s",
                       "backend_connect": "3s", "backend_reply": "5s", "backend_data_done": "5s",
                       **(timeouts or {})}
    if limits:
        cfg["limits"] = dict(limits)
    cfg["logging"] = {"level": "info", **(logging or {})}
    if extra:
        cfg.update(extra)
    return cfg
