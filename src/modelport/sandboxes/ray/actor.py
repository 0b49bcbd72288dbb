"""One endpoint instance on a Ray node: an actor that runs the same worker the local backend runs.

``InstanceActor.start`` fetches the model data on this node (through the ``ModelSource`` it is
handed: the server's artifact cache code with a folder of this node, so the same safe
extraction and limits apply and each model is unpacked once per node), installs a model's
``code/requirements.txt`` environment if it ships one, and starts ``python -m
modelport.sandboxes.worker`` on a TCP port of the node's address. It answers once the worker
passes ``/ping`` with where it listens, or with why it could not start (``Failed``): a model's
failure is data, not an exception, so that it reaches the endpoint's FailureReason intact.

The worker dies with this actor (it watches its parent, ``sandboxes/lifeline.py``), so
``ray.kill`` of the actor, or the loss of its node, takes the worker with it. The actor is
asynchronous: the worker is started from its event loop's thread, which lives as long as the
actor (a child process gets its parent-death signal when the *thread* that started it ends).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import signal
import subprocess
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import httpx

from modelport.core.errors import ArtifactError
from modelport.sandboxes.model_environments import ModelEnvironments, RequirementsFailed
from modelport.sandboxes.supervisor import InstanceSpec, instance_environment, launch_worker

_PING_INTERVAL_S = 0.05
_STOP_GRACE_S = 5.0
SUBMIT_DIRECTORY = "SAGEMAKER_SUBMIT_DIRECTORY"
NODE_ROOT = Path("/tmp/modelport-ray")  # on every node: cached model data and fallback logs


class ModelSource(Protocol):
    """Fetches and unpacks a model on this node (the server hands its ``ArtifactCache`` type)."""

    def prepare(self, model_key: str, model_data_url: str | None, code_url: str | None = None) -> Path: ...

    def collect(self, live_keys: Collection[str]) -> list[Path]: ...


def collect_here(models: ModelSource, live_keys: list[str]) -> list[str]:
    """A Ray task on one node: delete the node's model folders no key names (the collector's round)."""
    return [str(path) for path in models.collect(live_keys)]


@dataclass(frozen=True)
class Launch:
    """Everything an actor needs to start its instance (sent to the node, so picklable)."""

    spec: InstanceSpec
    models: ModelSource | None  # None: use spec.model_dir as it is (a path on every node)
    env_dir: Path  # code/requirements.txt environments on this node
    startup_timeout_s: float
    ping_timeout_s: float
    install_timeout_s: float


@dataclass(frozen=True)
class Started:
    host: str
    port: int
    pid: int
    node_id: str
    boot_id: str  # tells the server whether the worker runs on its own machine
    log_path: str
    log_start: int


@dataclass(frozen=True)
class Failed:
    reason: str


class InstanceActor:
    def __init__(self) -> None:
        self._process: subprocess.Popen[bytes] | None = None

    async def start(self, launch: Launch) -> Started | Failed:
        import ray  # inside the actor's process, where Ray is running

        spec = launch.spec
        try:
            spec = await asyncio.to_thread(_on_this_node, launch)
        except (ArtifactError, OSError) as exc:
            return Failed(str(exc))
        start_size = spec.log_path.stat().st_size if spec.log_path.exists() else 0
        try:
            environments = ModelEnvironments(launch.env_dir, install_timeout_s=launch.install_timeout_s)
            python = await environments.python_for(spec.model_dir, spec.log_path)
        except RequirementsFailed as exc:
            return Failed(str(exc))
        host: str = ray.util.get_node_ip_address()  # type: ignore[no-untyped-call]
        process, port = launch_worker(
            instance_environment(spec), spec.log_path, cwd=spec.model_dir, python=python, host=host
        )
        self._process = process
        reason = await _wait_healthy(process, f"http://{host}:{port}", launch, spec.log_path, start_size)
        if reason is not None:
            await self.stop()
            return Failed(reason)
        return Started(
            host=host,
            port=port,
            pid=process.pid,
            node_id=ray.get_runtime_context().get_node_id(),
            boot_id=boot_id(),
            log_path=str(spec.log_path),
            log_start=start_size,
        )

    async def wait(self) -> int:
        """Return the worker's exit code once it exits (the server's watch on this instance)."""
        while self._process is not None and self._process.poll() is None:
            await asyncio.sleep(0.2)
        return self._process.returncode if self._process is not None else 0

    async def stop(self) -> None:
        """SIGTERM, then SIGKILL after a grace period, as the local supervisor does."""
        process = self._process
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(asyncio.to_thread(process.wait), _STOP_GRACE_S)
        except TimeoutError:
            process.kill()
            await asyncio.to_thread(process.wait)


def _on_this_node(launch: Launch) -> InstanceSpec:
    """The spec with this node's model folder, code folder and log file."""
    spec = launch.spec
    model_dir, environment = spec.model_dir, dict(spec.environment)
    if launch.models is not None and spec.model_source is not None:
        key, url, code_url = spec.model_source
        model_dir = launch.models.prepare(key, url, code_url)
        if code_url is not None:  # the cache unpacks S3 code beside the model (hosting/artifacts/code.py)
            environment[SUBMIT_DIRECTORY] = str(model_dir.parent / "code")
    log_path = spec.log_path
    try:
        log_path.parent.mkdir(parents=True, exist_ok=True)
    except OSError:  # the server's data folder does not exist on this node
        log_path = NODE_ROOT / "logs" / f"{spec.instance_id.replace('/', '_')}.log"
        log_path.parent.mkdir(parents=True, exist_ok=True)
    return dataclasses.replace(spec, model_dir=model_dir, environment=environment, log_path=log_path)


async def _wait_healthy(
    process: subprocess.Popen[bytes], url: str, launch: Launch, log_path: Path, start: int
) -> str | None:
    """None once ``/ping`` answers 200; else why the instance did not become healthy."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + launch.startup_timeout_s
    async with httpx.AsyncClient(base_url=url, timeout=launch.ping_timeout_s) as client:
        while True:
            if process.poll() is not None:
                return (
                    f"The instance exited with code {process.returncode} while loading the model: "
                    f"{log_tail(log_path, start)}"
                )
            with contextlib.suppress(httpx.TransportError):
                response = await client.get("/ping")
                if response.status_code == 200:
                    return None
                if response.status_code >= 500:
                    return response.text.strip() or f"/ping answered {response.status_code}"
            if loop.time() > deadline:
                return f"The instance did not pass the ping health check within {launch.startup_timeout_s:.0f} s."
            await asyncio.sleep(_PING_INTERVAL_S)


def log_tail(log_path: Path, start: int, limit: int = 600) -> str:
    try:
        with open(log_path, "rb") as f:
            f.seek(start)
            text = f.read().decode("utf-8", "replace")
    except OSError:
        return "(no log)"
    lines = [line for line in text.splitlines() if line.strip()]
    return (" | ".join(lines[-3:]) if lines else "(no output)")[-limit:]


def boot_id() -> str:
    """This machine's boot id: the same on every Ray node of one machine, different across machines."""
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return os.uname().nodename
