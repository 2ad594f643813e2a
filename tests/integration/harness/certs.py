"""The test certificate (self-signed, CN=mx.test) and the matching non-verifying client context."""

from __future__ import annotations

import atexit
import shutil
import ssl
import subprocess
import tempfile
import threading
from pathlib import Path

OPENSSL = shutil.which("openssl") or "/usr/bin/openssl"

_CERT_DIR: tempfile.TemporaryDirectory | None = None
_CERT_LOCK = threading.Lock()


def test_certificate() -> tuple[Path, Path]:
    """A self-signed RSA certificate for CN=mx.test, made once per test process (= per module under ctest)."""
    global _CERT_DIR
    with _CERT_LOCK:
        if _CERT_DIR is None:
            _CERT_DIR = tempfile.TemporaryDirectory(prefix="mxgate-cert-")
            atexit.register(_CERT_DIR.cleanup)
            d = Path(_CERT_DIR.name)
            subprocess.run([OPENSSL, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=mx.test",
                            "-addext", "subjectAltName=DNS:mx.test,IP:127.0.0.1", "-days", "2",
                            "-keyout", str(d / "key.pem"), "-out", str(d / "cert.pem")],
                           check=True, capture_output=True, timeout=60)
        d = Path(_CERT_DIR.name)
        return d / "cert.pem", d / "key.pem"


test_certificate.__test__ = False  # not a test, whatever runners think of the name


def make_ca(directory: Path, name: str) -> tuple[Path, Path]:
    """A private CA (self-signed, CA:TRUE) in directory: (<name>-ca.pem, <name>-ca.key)."""
    cert, key = directory / f"{name}-ca.pem", directory / f"{name}-ca.key"
    subprocess.run([OPENSSL, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={name} test CA",
                    "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
                    "-days", "2", "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True, timeout=60)
    return cert, key


def make_server_certificate(directory: Path, ca: tuple[Path, Path], host: str) -> tuple[Path, Path]:
    """A server certificate for `host` (and 127.0.0.1) signed by `ca` from make_ca: (cert, key)."""
    cert, key = directory / f"{host}.pem", directory / f"{host}.key"
    subprocess.run([OPENSSL, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={host}",
                    "-CA", str(ca[0]), "-CAkey", str(ca[1]), "-addext", f"subjectAltName=DNS:{host},IP:127.0.0.1",
                    "-addext", "basicConstraints=critical,CA:FALSE", "-days", "2",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True, timeout=60)
    return cert, key


def server_tls_context(cert: Path, key: Path) -> ssl.SSLContext:
    """Server context with this certificate chain and key (for FaultyBackend's STARTTLS)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    return ctx


def client_tls_context() -> ssl.SSLContext:
    """Client context for our self-signed test certificate: encrypt, do not verify."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx
