"""The supervisor: starts and stops model worker processes, with a warm pool of spares.

The other processes modelport starts are Lambda runners (``sandboxes/lambda_``: ``environment``
and ``spares``) and the server itself (``launcher``, ``cli/background``).

Each instance is a worker process (``python -m modelport.sandboxes.worker``) serving the SageMaker
container contract on a loopback socket that the supervisor binds first and hands over as an
inherited file descriptor — so the port is known before the process starts and no two
instances can race for one. The worker's stdout and stderr go to a per-instance log file.

Start-up is kept short by a *warm pool*: a few spare workers per runtime that have already
imported their libraries and wait for an instance spec on stdin (``modelport.sandboxes.worker.warm``).
Taking a spare turns a multi-second cold start into the time it takes to load the model; a new
spare is started at once to take its place. The pool is ``sandboxes/spares.SparePool`` (the one
Lambda's execution environments use too), kind = the runtime, with ``WorkerStarter`` as its
process factory; which instance variables rule a spare out is the pool's one list.

A model that ships ``code/requirements.txt`` runs on an interpreter of its own, whose environment
``model_environments`` installs before the launch (never from the warm pool).

Workers die with the server: they ask the kernel for SIGTERM when their parent dies
(``PR_SET_PDEATHSIG``) and also watch their parent id, so a kill -9 of the server leaves no
orphan behind.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from modelport.sandboxes.model_environments import ModelEnvironments, RequirementsFailed
from modelport.sandboxes.spares import SparePool

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
    # What a backend that fetches model data on another machine needs (the Ray backend):
    # the ml.* type, and the model's cache key, ModelDataUrl and S3 code URL.
    instance_type: str = ""
    model_source: tuple[str, str | None, str | None] | None = None
    together: int = 1  # how many of its variant's instances start with it (the Ray backend's placement group)


@dataclass
class WorkerProcess:
    spec: InstanceSpec
    process: subprocess.Popen[bytes]
    port: int
    log_file_size_at_start: int = 0
    stopping: bool = field(default=False)
    host: str = "127.0.0.1"  # where the router reaches it; another node's address on the Ray backend
    node: str | None = None  # the Ray node it runs on (None: this machine)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def alive(self) -> bool:
        return self.process.poll() is None


@dataclass
class Spare:
    """A warm worker that has imported its runtime and waits for a spec on stdin."""

    runtime: str
    process: subprocess.Popen[bytes]
    port: int


class WorkerStarter:
    """The ``Starter`` of spare workers: kind = the runtime whose libraries they import.

    A spare counts as ready as soon as its process is started: one still importing is taken all
    the same (it reads its spec once the import ends), which is never slower than a cold start.
    """

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir

    async def start(self, runtime: str) -> Spare:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        env = {"MODELPORT_RUNTIME": runtime, "MODELPORT_WAIT_FOR_SPEC": "1"}
        process, port = launch_worker(env, self.log_dir / f"{runtime}.log", cwd=self.log_dir, stdin_pipe=True)
        return Spare(runtime=runtime, process=process, port=port)

    def alive(self, spare: Spare) -> bool:
        return spare.process.poll() is None

    async def stop(self, spare: Spare) -> None:
        await _terminate(spare.process)


class StartupFailed(Exception):
    """The instance did not become healthy; the message is the endpoint's FailureReason."""


class Supervisor:
    def __init__(
        self,
        *,
        startup_timeout_s: float,
        ping_timeout_s: float,
        warm_per_runtime: int = 0,
        pool_log_dir: Path,
        environments: ModelEnvironments | None = None,
    ) -> None:
        self.startup_timeout_s = startup_timeout_s
        self.ping_timeout_s = ping_timeout_s
        self.warm_per_runtime = warm_per_runtime
        self.pool_log_dir = pool_log_dir
        self.environments = environments
        self.workers: dict[str, WorkerProcess] = {}
        # Told about each worker once it has been stopped (bootstrap: its last log lines go to
        # CloudWatch Logs, even when it failed before anyone looked). Must not block.
        self.on_stopped: Callable[[WorkerProcess], None] | None = None
        # Called with an instance and the seconds it took from start to its first healthy ping.
        self.on_started: Callable[[WorkerProcess, float], None] | None = None
        self.spares = SparePool(WorkerStarter(pool_log_dir), warm_per_runtime, what="model worker")

    def fill_pool(self, runtimes: tuple[str, ...] = ("xgboost",)) -> None:
        """Start spares until each runtime has ``warm_per_runtime`` of them, on the running loop (a
        worker dies with the thread that started it). At start-up only XGBoost, the seed's
        runtime, is warmed; another runtime's pool starts with its first instance."""
        for runtime in runtimes:
            self.spares.refill(runtime)

    async def start(self, spec: InstanceSpec) -> WorkerProcess:
        """Start one instance and return once it answers ``/ping`` with 200."""
        began = time.monotonic()
        python = await self._python_for(spec)
        # A model with its own interpreter never uses (nor starts) a spare.
        spare = self.spares.take(spec.runtime, variables=spec.environment) if python is None else None
        worker = self._adopt(spare, spec) if spare is not None else self._spawn(spec, python)
        try:
            await self._wait_healthy(worker)
        except BaseException:
            await self.stop(worker)
            raise
        if self.on_started is not None:
            try:
                self.on_started(worker, time.monotonic() - began)
            except Exception:
                log.exception("on_started failed for %s", spec.instance_id)
        return worker

    async def _python_for(self, spec: InstanceSpec) -> str | None:
        """The model's own interpreter when it ships ``code/requirements.txt`` (installed first)."""
        if self.environments is None:
            return None
        try:
            return await self.environments.python_for(spec.model_dir, spec.log_path)
        except RequirementsFailed as exc:
            raise StartupFailed(str(exc)) from exc

    def _adopt(self, spare: Spare, spec: InstanceSpec) -> WorkerProcess:
        spec.log_path.parent.mkdir(parents=True, exist_ok=True)
        start_size = spec.log_path.stat().st_size if spec.log_path.exists() else 0
        message = {"environ": instance_environment(spec), "log_path": str(spec.log_path)}
        assert spare.process.stdin is not None
        spare.process.stdin.write(json.dumps(message).encode() + b"\n")
        spare.process.stdin.close()
        worker = WorkerProcess(
            spec=spec, process=spare.process, port=spare.port, log_file_size_at_start=start_size
        )
        self.workers[spec.instance_id] = worker
        log.info(
            "started instance %s from a warm worker (pid %d, port %d)",
            spec.instance_id,
            spare.process.pid,
            spare.port,
        )
        return worker

    def _spawn(self, spec: InstanceSpec, python: str | None = None) -> WorkerProcess:
        spec.log_path.parent.mkdir(parents=True, exist_ok=True)
        start_size = spec.log_path.stat().st_size if spec.log_path.exists() else 0
        process, port = launch_worker(
            instance_environment(spec), spec.log_path, cwd=spec.model_dir, python=python
        )
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
        await self._halt(worker)
        log.info("stopped instance %s", worker.spec.instance_id)
        if self.on_stopped is not None:
            try:
                self.on_stopped(worker)
            except Exception:
                log.exception("on_stopped failed for %s", worker.spec.instance_id)

    async def _halt(self, worker: WorkerProcess) -> None:
        """End the worker's process: what ``stop`` does besides the bookkeeping (a backend's own)."""
        await _terminate(worker.process)

    def collect_nodes(self, live_keys: Collection[str]) -> list[Path]:
        """Delete the model folders other machines cache that no key in ``live_keys`` names (the
        Ray backend's nodes); this machine's cache is the controller's. Blocking."""
        return []

    def kill_all(self) -> None:
        """Stop every worker and spare now (server shutdown)."""
        processes = [w.process for w in self.workers.values()]
        processes += [spare.process for spare in self.spares.close_now()]
        self.workers.clear()
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=_STOP_GRACE_S)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            if process.stdin is not None:  # a spare's, never given a spec
                process.stdin.close()


def launch_worker(
    env: dict[str, str],
    log_path: Path,
    *,
    cwd: Path,
    stdin_pipe: bool = False,
    python: str | None = None,
    host: str = "127.0.0.1",
) -> tuple[subprocess.Popen[bytes], int]:
    """Bind a socket (loopback, unless a Ray node's address is given) and start a worker that inherits it."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((host, 0))
    listener.listen(1024)
    port: int = listener.getsockname()[1]
    try:
        with open(log_path, "ab") as log_file:
            process = subprocess.Popen(
                [python or sys.executable, "-m", "modelport.sandboxes.worker"],
                env={**_base_environment(), **env, "MODELPORT_LISTEN_FD": str(listener.fileno())},
                stdin=subprocess.PIPE if stdin_pipe else subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                pass_fds=(listener.fileno(),),
                cwd=cwd,
            )
    finally:
        listener.close()  # the worker holds its own copy of the descriptor
    return process, port


async def _terminate(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM, then SIGKILL after a grace period (SageMaker waits 30 s; we wait less)."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(asyncio.to_thread(process.wait), _STOP_GRACE_S)
        except TimeoutError:
            process.kill()
            await asyncio.to_thread(process.wait)
    if process.stdin is not None and not process.stdin.closed:  # a spare's, never given a spec
        process.stdin.close()


def instance_environment(spec: InstanceSpec) -> dict[str, str]:
    return {
        **spec.environment,
        "SM_MODEL_DIR": str(spec.model_dir),
        "MODELPORT_RUNTIME": spec.runtime,
        "MODELPORT_FRAMEWORK_VERSION": spec.framework_version,
        "MODELPORT_INSTANCE_ID": spec.instance_id,
    }


def _base_environment() -> dict[str, str]:
    """The worker's environment before the model's: enough for Python, nothing secret."""
    keep = (
        "PATH",
        "HOME",
        "LANG",
        "LC_ALL",
        "TMPDIR",
        "PYTHONPATH",
        "VIRTUAL_ENV",
        "OPENBLAS_CORETYPE",
        "OPENBLAS_L2_SIZE",
    )
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
