"""``RaySupervisor``: the supervisor of the Ray backend, one actor per endpoint instance.

It keeps the local ``Supervisor``'s contract (``start`` returns once the instance passes
``/ping``; ``stop``; ``kill_all``; ``workers``; ``on_started``/``on_stopped``), so the controller,
the router and the updates drive both backends with the same code. Differences:

- each instance is an ``actor.InstanceActor`` created with ``max_restarts=0``: Ray never restarts
  it behind the controller's back (which could double a variant's count); the controller's
  health loop sees it dead and starts a replacement, as it does for a local process;
- the actor asks for the CPUs and memory of its instance type (``resources.py``) and runs in a
  bundle of one of its variant's placement groups (``placement.py``, strategy ``SPREAD``), so a
  variant's instances go to different nodes where the cluster allows;
- a ``RayWorker`` is a ``WorkerProcess`` whose ``process`` is a ``RemoteProcess``: its return
  code is set by a watch on the actor (``InstanceActor.wait``), which ends when the worker exits
  or the actor (or its node) is lost. Its ``host`` is the node's address, where the router
  speaks HTTP to it; its ``node`` is the Ray node id.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import subprocess
import time
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from modelport.sandboxes.ray import cluster
from modelport.sandboxes.ray.actor import (
    Failed,
    InstanceActor,
    Launch,
    ModelSource,
    Started,
    boot_id,
    collect_here,
)
from modelport.sandboxes.ray.placement import Placements, remove_leftovers
from modelport.sandboxes.ray.resources import resources_for
from modelport.sandboxes.supervisor import InstanceSpec, StartupFailed, Supervisor, WorkerProcess

log = logging.getLogger(__name__)

LOST = -9  # the return code of an instance whose actor or node was lost
_STOP_TIMEOUT_S = 10.0
_COLLECT_TIMEOUT_S = 30.0
_PLACEMENT_S = 30.0  # beyond the startup window: Ray starting the actor's process on its node


@dataclass
class RemoteProcess:
    """What the control plane reads of a worker process that may run on another machine."""

    pid: int  # -1 when the worker runs on another machine (no /proc to read here)
    returncode: int | None = None

    def poll(self) -> int | None:
        return self.returncode


@dataclass
class RayWorker(WorkerProcess):
    actor: Any = None  # the actor's handle
    watch: asyncio.Task[None] | None = field(default=None, repr=False)


class RaySupervisor(Supervisor):
    def __init__(
        self,
        *,
        address: str,
        owner: str,
        resource_scale: float,
        models: ModelSource | None,
        env_dir: Path,
        startup_timeout_s: float,
        ping_timeout_s: float,
        install_timeout_s: float,
        pool_log_dir: Path,
    ) -> None:
        super().__init__(
            startup_timeout_s=startup_timeout_s,
            ping_timeout_s=ping_timeout_s,
            warm_per_runtime=0,
            pool_log_dir=pool_log_dir,
        )
        self.owner = owner
        self.resource_scale = resource_scale
        self.models = models
        self.env_dir = env_dir
        self.install_timeout_s = install_timeout_s
        self.address = address
        self.ray: Any = None
        self._actor_class: Any = None
        self.placements: Placements | None = None
        self._connecting: asyncio.Task[None] | None = None
        self._boot_id = boot_id()

    def fill_pool(self, runtimes: tuple[str, ...] = ("xgboost",)) -> None:
        """Join the cluster in the background (the server answers meanwhile; instances wait for it).
        No warm pool: a spare would have to sit on the node its instance is placed on."""
        if self._connecting is None:
            self._connecting = asyncio.create_task(asyncio.to_thread(self._connect))

    def _connect(self) -> None:
        ray = cluster.connect(self.address)
        cluster.kill_leftovers(ray, self.owner)  # before any new actor of ours exists
        remove_leftovers(ray, self.owner)
        self._actor_class = ray.remote(InstanceActor)
        self.placements = Placements(ray, self.owner)
        self.ray = ray

    async def start(self, spec: InstanceSpec) -> WorkerProcess:
        began = time.monotonic()
        self.fill_pool()
        assert self._connecting is not None
        try:
            await asyncio.shield(self._connecting)
        except Exception as exc:
            raise StartupFailed(
                f"Could not join the Ray cluster at {self.address or 'a local Ray'}: {exc}"
            ) from exc
        need = resources_for(spec.instance_type, self.resource_scale)
        assert self.placements is not None
        slot = self.placements.claim(spec.instance_id, need, spec.together)
        actor = self._actor_class.options(
            name=cluster.actor_name(spec.instance_id, self.owner),
            namespace=cluster.NAMESPACE,
            max_restarts=0,
            max_task_retries=0,
            num_cpus=need.num_cpus,
            memory=need.memory_bytes,
            scheduling_strategy=self.placements.strategy(slot),
        ).remote()
        launch = Launch(
            spec=spec,
            models=self.models,
            env_dir=self.env_dir,
            startup_timeout_s=self.startup_timeout_s,
            ping_timeout_s=self.ping_timeout_s,
            install_timeout_s=self.install_timeout_s,
        )
        try:
            result = await asyncio.wait_for(
                self._result(actor.start.remote(launch)), self.startup_timeout_s + _PLACEMENT_S
            )
        except TimeoutError:
            self._kill(actor, spec.instance_id)
            raise StartupFailed(
                f"Ray did not start the instance within {self.startup_timeout_s + _PLACEMENT_S:.0f} s: no node may have "
                f"{need.num_cpus:g} CPUs and {need.memory_bytes / 1024**3:.2f} GiB of memory free for "
                f"{spec.instance_type or 'it'} (see docs/ray.md)."
            ) from None
        except Exception as exc:  # the actor died, or Ray refused it
            self._kill(actor, spec.instance_id)
            raise StartupFailed(f"The instance's Ray actor failed: {exc}") from exc
        if isinstance(result, Failed):
            self._kill(actor, spec.instance_id)
            raise StartupFailed(result.reason)
        worker = self._worker(spec, actor, result)
        self.workers[spec.instance_id] = worker
        worker.watch = asyncio.create_task(self._watch(worker))
        where = (
            f"started instance {spec.instance_id} as Ray actor {cluster.actor_name(spec.instance_id, self.owner)} "
            f"on node {worker.node} ({worker.host}:{worker.port})"
        )
        log.info("%s", where)
        _note(spec.log_path, f"modelport: {where}")  # the instance's log stream says where it runs
        if self.on_started is not None:
            try:
                self.on_started(worker, time.monotonic() - began)
            except Exception:
                log.exception("on_started failed for %s", spec.instance_id)
        return worker

    def _worker(self, spec: InstanceSpec, actor: Any, started: Started) -> RayWorker:
        here = started.boot_id == self._boot_id  # the same machine: its /proc entry is the worker's
        return RayWorker(
            spec=spec,
            process=cast("subprocess.Popen[bytes]", RemoteProcess(pid=started.pid if here else -1)),
            port=started.port,
            # Elsewhere the worker's log stays on its node: here the file holds only our notes.
            log_file_size_at_start=started.log_start if here else _size(spec.log_path),
            host=started.host,
            node=started.node_id,
            actor=actor,
        )

    async def _result(self, ref: Any) -> Any:
        return await asyncio.wrap_future(ref.future())

    async def _watch(self, worker: RayWorker) -> None:
        """Set the worker's return code when its process exits or its actor (or node) is lost."""
        try:
            code = int(await self._result(worker.actor.wait.remote()))
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            code = LOST
            if not worker.stopping:
                log.warning("the Ray actor of instance %s was lost: %s", worker.spec.instance_id, exc)
        worker.process.returncode = code
        if self.placements is not None:  # its bundle is free for the replacement
            self.placements.release(worker.spec.instance_id)

    async def _halt(self, worker: WorkerProcess) -> None:
        if not isinstance(worker, RayWorker):
            return
        if worker.watch is not None:
            worker.watch.cancel()
        with contextlib.suppress(Exception):  # an actor already gone has nothing to stop
            await asyncio.wait_for(self._result(worker.actor.stop.remote()), _STOP_TIMEOUT_S)
        self._kill(worker.actor, worker.spec.instance_id)
        if worker.process.returncode is None:
            worker.process.returncode = 0

    def collect_nodes(self, live_keys: Collection[str]) -> list[Path]:
        """One task on each live node deletes the model folders there that no key names (called in
        the collector's thread; a node that does not answer in time is left for the next round)."""
        ray = self.ray
        if ray is None or self.models is None:
            return []
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        task = ray.remote(collect_here)
        refs = [
            task.options(
                num_cpus=0, scheduling_strategy=NodeAffinitySchedulingStrategy(node["NodeID"], soft=False)
            ).remote(self.models, sorted(live_keys))
            for node in ray.nodes()
            if node.get("Alive")
        ]
        done, _ = ray.wait(refs, num_returns=len(refs), timeout=_COLLECT_TIMEOUT_S)
        deleted: list[Path] = []
        for ref in done:
            try:
                deleted += [Path(path) for path in ray.get(ref)]
            except Exception as exc:
                log.warning("collecting a Ray node's model folders failed: %s", exc)
        return deleted

    def kill_all(self) -> None:
        """Kill every actor now (server shutdown); their workers die with them."""
        if self.ray is None:
            return
        workers = list(self.workers.values())
        self.workers.clear()
        for worker in workers:
            if isinstance(worker, RayWorker):
                if worker.watch is not None:
                    worker.watch.cancel()
                self._kill(worker.actor)
        if self.placements is not None:
            self.placements.release_all()
        with contextlib.suppress(Exception):
            self.ray.shutdown()  # leaves the cluster (and stops a Ray this server started)

    def _kill(self, actor: Any, instance_id: str | None = None) -> None:
        with contextlib.suppress(Exception):
            self.ray.kill(actor, no_restart=True)
        if instance_id is not None and self.placements is not None:
            self.placements.release(instance_id)


def _note(log_path: Path, line: str) -> None:
    """Append a line to the instance's log on the server's machine (CloudWatch Logs follows it)."""
    try:
        log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(log_path, "a", encoding="utf-8") as handle:
            handle.write(line + "\n")
    except OSError:
        log.warning("cannot write to %s", log_path)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0
