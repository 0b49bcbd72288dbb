"""The supervisor: the only module that starts and stops processes.

Each instance is a worker process (``python -m modelport.worker``) serving the SageMaker
container contract on a loopback socket that the supervisor binds first and hands over as an
inherited file descriptor — so the port is known before the process starts and no two
instances can race for one. The worker's stdout and stderr go to a per-instance log file.

Workers die with the server: they ask the kernel for SIGTERM when their parent dies
(``PR_SET_PDEATHSIG``) and also watch their parent id, so a kill -9 of the server leaves no
orphan behind.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import httpx

log = logging.getLogger(__name__)

_PING_INTERVAL_S = 0.02
_STOP_GRACE_S = 5.0


@dataclass(frozen=True)
class InstanceSpec:
    """What one instance runs."""

    instance_id: str  # unique, e.g. "<endpoint>/<variant>/<n>-<generation>"
    runtime: str
    framework_version: str
    model_dir: Path
    environment: dict[str, str]
    log_path: Path


@dataclass
class WorkerProcess:
    spec: InstanceSpec
    process: subprocess.Popen[bytes]
    port: int
    log_file_size_at_start: int = 0
    stopping: bool = field(default=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def alive(self) -> bool:
        return self.process.poll() is None


class StartupFailed(Exception):
    """The instance did not become healthy; the message is the endpoint's FailureReason."""


class Supervisor:
    def __init__(self, *, startup_timeout_s: float, ping_timeout_s: float) -> None:
        self.startup_timeout_s = startup_timeout_s
        self.ping_timeout_s = ping_timeout_s
        self.workers: dict[str, WorkerProcess] = {}

    async def start(self, spec: InstanceSpec) -> WorkerProcess:
        """Start one instance and return once it answers ``/ping`` with 200."""
        worker = self._spawn(spec)
        try:
            await self._wait_healthy(worker)
        except BaseException:
            await self.stop(worker)
            raise
        return worker

    def _spawn(self, spec: InstanceSpec) -> WorkerProcess:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", 0))
        listener.listen(1024)
        port = listener.getsockname()[1]
        spec.log_path.parent.mkdir(parents=True, exist_ok=True)
        env = {
            **_base_environment(),
            **spec.environment,
            "SM_MODEL_DIR": str(spec.model_dir),
            "MODELPORT_RUNTIME": spec.runtime,
            "MODELPORT_FRAMEWORK_VERSION": spec.framework_version,
            "MODELPORT_LISTEN_FD": str(listener.fileno()),
            "MODELPORT_INSTANCE_ID": spec.instance_id,
        }
        with open(spec.log_path, "ab") as log_file:
            start_size = log_file.tell()
            process = subprocess.Popen(
                [sys.executable, "-m", "modelport.worker"],
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                pass_fds=(listener.fileno(),),
                cwd=spec.model_dir,
            )
        listener.close()  # the worker holds its own copy of the descriptor
        worker = WorkerProcess(spec=spec, process=process, port=port, log_file_size_at_start=start_size)
        self.workers[spec.instance_id] = worker
        log.info("started instance %s (pid %d, port %d)", spec.instance_id, process.pid, port)
        return worker

    async def _wait_healthy(self, worker: WorkerProcess) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.startup_timeout_s
        async with httpx.AsyncClient(base_url=worker.url, timeout=self.ping_timeout_s) as client:
            while True:
                if not worker.alive():
                    raise StartupFailed(
                        f"The instance exited with code {worker.process.returncode} while loading the model: "
                        f"{_log_tail(worker)}"
                    )
                try:
                    response = await client.get("/ping")
                except httpx.TransportError:
                    response = None
                if response is not None:
                    if response.status_code == 200:
                        return
                    if response.status_code >= 500:
                        reason = response.text.strip() or f"/ping answered {response.status_code}"
                        raise StartupFailed(reason)
                if loop.time() > deadline:
                    raise StartupFailed(
                        f"The instance did not pass the ping health check within {self.startup_timeout_s:.0f} s."
                    )
                await asyncio.sleep(_PING_INTERVAL_S)

    async def stop(self, worker: WorkerProcess) -> None:
        """SIGTERM, then SIGKILL after a grace period (SageMaker waits 30 s; we wait less)."""
        worker.stopping = True
        self.workers.pop(worker.spec.instance_id, None)
        if worker.alive():
            worker.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(asyncio.to_thread(worker.process.wait), _STOP_GRACE_S)
            except TimeoutError:
                worker.process.kill()
                await asyncio.to_thread(worker.process.wait)
        log.info("stopped instance %s", worker.spec.instance_id)

    def kill_all(self) -> None:
        """Stop every worker now (server shutdown). Synchronous on purpose: runs in signal paths."""
        workers = list(self.workers.values())
        self.workers.clear()
        for worker in workers:
            if worker.alive():
                worker.process.send_signal(signal.SIGTERM)
        for worker in workers:
            try:
                worker.process.wait(timeout=_STOP_GRACE_S)
            except subprocess.TimeoutExpired:
                worker.process.kill()
                worker.process.wait()


def _base_environment() -> dict[str, str]:
    """The worker's environment before the model's: enough for Python, nothing secret."""
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "PYTHONPATH", "VIRTUAL_ENV", "OPENBLAS_CORETYPE",
            "OPENBLAS_L2_SIZE")
    env = {k: os.environ[k] for k in keep if k in os.environ}
    env.setdefault("OMP_NUM_THREADS", "1")
    env["PYTHONUNBUFFERED"] = "1"
    return env


def _log_tail(worker: WorkerProcess, limit: int = 600) -> str:
    try:
        with open(worker.spec.log_path, "rb") as f:
            f.seek(worker.log_file_size_at_start)
            text = f.read().decode("utf-8", "replace").strip()
    except OSError:
        return "(no log)"
    lines = [line for line in text.splitlines() if line.strip()]
    tail = " | ".join(lines[-3:]) if lines else "(no output)"
    return tail[-limit:]
