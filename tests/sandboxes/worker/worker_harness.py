"""Helpers that start real worker processes on an inherited listening socket."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx


def listening_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    sock.set_inheritable(True)
    return sock


def worker_env(model_dir: Path, fd: int, runtime: str = "xgboost", version: str = "1.7-1") -> dict[str, str]:
    return {
        **os.environ,
        "SM_MODEL_DIR": str(model_dir),
        "MODELPORT_RUNTIME": runtime,
        "MODELPORT_FRAMEWORK_VERSION": version,
        "MODELPORT_LISTEN_FD": str(fd),
    }


def wait_for_ping(base_url: str, timeout: float = 30.0) -> httpx.Response:
    deadline = time.monotonic() + timeout
    while True:
        try:
            return httpx.get(f"{base_url}/ping", timeout=2)
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


class Worker:
    def __init__(self, model_dir: Path, log: Path, **kw: Any) -> None:
        self.sock = listening_socket()
        port = self.sock.getsockname()[1]
        self.base_url = f"http://127.0.0.1:{port}"
        self.log = log.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "modelport.sandboxes.worker"],
            env=worker_env(model_dir, self.sock.fileno(), **kw),
            pass_fds=[self.sock.fileno()],
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self.sock.close()  # the child holds its own copy

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.log.close()
