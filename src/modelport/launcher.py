"""Starting a modelport server as a child process and waiting until it answers.

Used by the CLI (which starts a server when none is running), the main job, the benchmark and
the end-to-end tests — all of them meet the real server over HTTP, as a user would.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class PrivateKeys:
    """Fresh root keys for a private server (the demo's, the benchmark's), which writes no profile."""

    access_key: str
    secret_key: str

    @classmethod
    def new(cls) -> PrivateKeys:
        return cls("AKIA" + secrets.token_hex(8).upper(), secrets.token_urlsafe(30))

    def server_env(self) -> dict[str, str]:
        return {
            "MODELPORT_ROOT_ACCESS_KEY_ID": self.access_key,
            "MODELPORT_ROOT_SECRET_ACCESS_KEY": self.secret_key,
            "MODELPORT_WRITE_PROFILE": "0",
        }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def is_running(url: str, timeout_s: float = 0.5) -> bool:
    """Does a server answer ``GET /health`` at ``url`` with 200?

    The standard library's client, which honours the proxy variables and ``NO_PROXY`` as httpx
    does: every CLI command that talks to a server asks this first, and importing httpx cost
    each of them about 100 ms (docs/benchmarks.md, "CLI start-up")."""
    import http.client
    import urllib.request

    try:
        with urllib.request.urlopen(f"{url}/health", timeout=timeout_s) as answer:
            return bool(answer.status == 200)
    except (OSError, ValueError, http.client.HTTPException):  # URLError and HTTPError are OSErrors
        return False


@dataclass
class ServerProcess:
    process: subprocess.Popen[bytes]
    url: str
    data_dir: Path
    log_path: Path

    def stop(self, timeout_s: float = 15.0) -> int:
        """SIGTERM and wait: the server stops its workers before it exits."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode

    def kill(self) -> None:
        """SIGKILL, as a crash would."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def start_server(
    data_dir: Path,
    *,
    port: int | None = None,
    env: dict[str, str] | None = None,
    log_path: Path | None = None,
    timeout_s: float = 30.0,
) -> ServerProcess:
    """Start ``modelport server`` and wait for its health check; raise with its log if it fails.

    Without an explicit ``port`` a free one is picked; if another process takes it before the
    server binds it (workers bind ephemeral ports too), the start is retried on a new port.
    """
    attempts = 1 if port is not None else 3
    for attempt in range(attempts):
        try:
            return _start_once(data_dir, port or free_port(), env, log_path, timeout_s)
        except PortTaken:
            if attempt == attempts - 1:
                raise
    raise AssertionError("unreachable")


class PortTaken(RuntimeError):
    """The server could not bind its port: another process took it."""


def _start_once(
    data_dir: Path, port: int, env: dict[str, str] | None, log_path: Path | None, timeout_s: float
) -> ServerProcess:
    data_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_path or data_dir / "server.log"
    with open(log_path, "ab") as log:
        start = log.tell()
        process = subprocess.Popen(
            [sys.executable, "-m", "modelport", "server", "--port", str(port), "--data-dir", str(data_dir)],
            env={**os.environ, **(env or {})},
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    server = ServerProcess(
        process=process, url=f"http://127.0.0.1:{port}", data_dir=data_dir, log_path=log_path
    )
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = server.log()
            if "address already in use" in output[start:]:
                raise PortTaken(f"port {port} was taken before modelport could bind it")
            raise RuntimeError(f"modelport server exited with code {process.returncode}:\n{output}")
        if is_running(server.url, timeout_s=0.2):
            return server
        time.sleep(0.05)
    server.kill()
    raise RuntimeError(f"modelport server did not answer within {timeout_s:.0f} s:\n{server.log()}")
