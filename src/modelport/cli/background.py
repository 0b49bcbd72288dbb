"""Starting a detached local server for ``deploy`` when none answers at a loopback URL.

Unlike ``launcher.start_server`` (whose children die with the tests or job that own them), this
server outlives the CLI: it runs in a session of its own, logs to ``<data_dir>/server.log`` and
records its pid in ``<data_dir>/server.pid``; ``modelport stop`` (``stop_process``) stops it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from modelport.cli.failures import CommandFailed
from modelport.core.config import DEFAULT_PORT
from modelport.launcher import is_running


@dataclass(frozen=True)
class DetachedServer:
    pid: int
    url: str
    log_path: Path
    pid_path: Path


def start_detached(url: str, data_dir: Path, *, timeout_s: float = 60.0) -> DetachedServer:
    """Start ``modelport server`` for ``url`` in the background and wait until it answers."""
    port = urlsplit(url).port or DEFAULT_PORT
    data_dir.mkdir(parents=True, exist_ok=True)
    log_path = data_dir / "server.log"
    pid_path = data_dir / "server.pid"
    command = [
        sys.executable, "-m", "modelport", "server",
        "--host", "127.0.0.1", "--port", str(port), "--data-dir", str(data_dir),
    ]  # fmt: skip
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C in this terminal must not reach the server
            env=dict(os.environ),
        )
    pid_path.write_text(f"{process.pid}\n")
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        code = process.poll()
        if code is not None:
            raise CommandFailed(
                f"the modelport server exited with code {code} while starting: {_last_line(log_path)} "
                f"(log: {log_path})"
            )
        if is_running(url, timeout_s=0.3):
            # Forget the child: it is meant to outlive us, and Popen would warn about it.
            process.returncode = 0
            return DetachedServer(pid=process.pid, url=url, log_path=log_path, pid_path=pid_path)
        time.sleep(0.1)
    raise CommandFailed(
        f"the modelport server did not answer at {url} within {timeout_s:.0f} s (log: {log_path})"
    )


def _last_line(path: Path) -> str:
    try:
        lines = [line for line in path.read_text(errors="replace").splitlines() if line.strip()]
    except OSError:
        return "(no log)"
    return lines[-1].strip() if lines else "(empty log)"


def stop_process(pid: int, *, timeout_s: float = 30.0) -> bool:
    """SIGTERM ``pid`` and wait until it has exited; False if it still runs after ``timeout_s``."""
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return True
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not _alive(pid):
            return True
        time.sleep(0.05)
    return not _alive(pid)


def _alive(pid: int) -> bool:
    """True while ``pid`` runs; a zombie nobody has reaped yet (state Z) counts as exited."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True  # no /proc: the signal check is all there is
    return stat.rsplit(")", 1)[-1].split()[:1] != ["Z"]
