"""The controller: makes each endpoint's running fleet match the desired state in the store.

Service calls write desired state (status Creating, Updating or Deleting, with a deployment
snapshot) and call ``wake``. The controller then reconciles that one endpoint:

    Creating  -> start every instance; all healthy: InService; otherwise Failed + FailureReason
    Updating  -> UpdateEndpoint: start the new fleet beside the old (blue/green), shift traffic
                 by the DeploymentConfig's schedule, drain and stop the old; on failure or an
                 alarm keep (or bring back) the old fleet: RollingBack, InService with
                 FailureReason. UpdateEndpointWeightsAndCapacities: resize the running fleet in
                 place. Both in ``updates/run.py``, which also resumes them after a restart
    InService -> make sure the fleet runs (after a restart it is started again), as UpdateRollbackFailed
    Deleting  -> stop the fleet, remove the record
    Failed    -> nothing runs

After each pass ``changes`` fires: ``settled`` waits on it, so CreateEndpoint, UpdateEndpoint and
DeleteEndpoint can answer once the change is done (within ``Limits.settle_timeout_s``).

On start-up every endpoint in the store is reconciled, so a restart brings InService endpoints
back and resumes anything caught mid-transition. Until an endpoint that serves has its fleet
back, invocations wait for it in ``router.arrivals`` rather than being turned away (``waiting.py``). A health loop replaces instances whose process died while the endpoint
stays InService, and keeps each instance's log under ``Limits.max_endpoint_log_bytes`` (model
code may print on every request). The artifact collector (``collector.py``) runs beside them and
deletes the model folders nothing uses.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from typing import Any

from modelport.core.clock import Clock
from modelport.core.config import Settings
from modelport.core.errors import ArtifactError
from modelport.core.logfiles import shorten
from modelport.hosting import serverless
from modelport.hosting.artifacts.cache import ArtifactPreparer
from modelport.hosting.artifacts.code import worker_environment
from modelport.hosting.collector import ArtifactCollector
from modelport.hosting.deployments import ENDPOINT_KIND as KIND
from modelport.hosting.deployments import model_source, variant_summaries
from modelport.hosting.fleet import Fleet, Instance, VariantFleet
from modelport.hosting.router import Router
from modelport.hosting.status import IN_PROGRESS, SERVING, EndpointStatus, S
from modelport.hosting.updates import run as updates
from modelport.hosting.updates.guard import AlarmStates
from modelport.hosting.waiting import Changes
from modelport.sandboxes.supervisor import InstanceSpec, StartupFailed, Supervisor
from modelport.store.base import Store

log = logging.getLogger(__name__)

_HEALTH_INTERVAL_S = 0.25
_LOG_CHECK_EVERY = 4  # health rounds between two checks of the instances' log sizes (1 s)
_MAX_REASON = 1024


class Controller:
    def __init__(
        self,
        *,
        store: Store,
        settings: Settings,
        clock: Clock,
        supervisor: Supervisor,
        router: Router,
        artifacts: ArtifactPreparer,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.store = store
        self.settings = settings
        self.clock = clock
        self.supervisor = supervisor
        self.router = router
        self.artifacts = artifacts
        self.sleep = sleep  # waits between the steps of an update (a fake clock's in tests)
        self.alarm_states: AlarmStates | None = None  # CloudWatch's, for AutoRollbackConfiguration
        self.collector = ArtifactCollector(store=store, router=router, collect=artifacts.collect)
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._dirty: set[str] = set()
        self._background: set[asyncio.Task[None]] = set()
        self._health_task: asyncio.Task[None] | None = None
        self._collector_task: asyncio.Task[None] | None = None
        self._generation = 0
        self._replacing: set[str] = set()
        self.changes = Changes()

    # -- entry points -------------------------------------------------------------------------

    async def start(self) -> None:
        self.supervisor.fill_pool()
        endpoints = self.store.list(KIND)
        for endpoint in endpoints:
            # Before the server takes requests: invocations wait for these fleets from the start.
            if endpoint.status in SERVING and self.router.fleet(endpoint.name) is None:
                self.expect_fleet(endpoint.name, endpoint.body["Deployment"])
        for endpoint in endpoints:
            self.wake(endpoint.name)
        self._health_task = asyncio.create_task(self._health_loop())
        self._collector_task = asyncio.create_task(self.collector.run())

    async def stop(self) -> None:
        tasks = [*self._tasks.values(), *self._background]
        tasks.extend(task for task in (self._health_task, self._collector_task) if task is not None)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(BaseException):
                await task
        for fleet in list(self.router.fleets.values()):
            for instance in fleet.instances():
                await instance.client.aclose()
        self.router.fleets.clear()
        self.supervisor.kill_all()

    def wake(self, endpoint_name: str) -> None:
        key = endpoint_name.lower()
        running = self._tasks.get(key)
        if running is not None and not running.done():
            self._dirty.add(key)  # reconcile again when the current pass ends
            return
        self._tasks[key] = asyncio.create_task(self._reconcile_until_clean(endpoint_name))

    async def settled(self, endpoint_name: str, timeout_s: float) -> bool:
        """Wait until the endpoint is no longer Creating, Updating or Deleting (or is gone);
        False when ``timeout_s`` passed first. Never holds up other requests: it awaits ``changes``."""

        def done() -> bool:
            record = self.store.get(KIND, endpoint_name)
            return record is None or record.status not in IN_PROGRESS

        return await self.changes.wait_until(done, timeout_s)

    def model_deleted(self) -> None:
        self.collector.request()  # its folder goes now unless an endpoint still uses it

    def live_variants(self, endpoint_name: str) -> list[dict[str, object]] | None:
        """Desired counts and weights from the store, current ones from the fleet that serves."""
        fleet = self.router.fleet(endpoint_name)
        record = self.store.get(KIND, endpoint_name)
        if fleet is None or record is None:
            return None
        # During a shift the router serves a blend of two fleets: the old fleet's variants are current.
        serving = [v for v in fleet.variants if any(v.snapshot is s for s in fleet.deployment["Variants"])]
        current = {
            v.name: (float(v.snapshot["Weight"]), sum(1 for i in v.instances if i.alive)) for v in serving
        }
        return variant_summaries(record.body["Deployment"], running=True, current=current)

    async def idle(self) -> None:
        """Wait until no reconcile is running (tests and the CLI's shutdown use this)."""
        while any(not t.done() for t in self._tasks.values()):
            await asyncio.sleep(0.01)

    # -- reconciling ----------------------------------------------------------------------------

    async def _reconcile_until_clean(self, endpoint_name: str) -> None:
        key = endpoint_name.lower()
        while True:
            self._dirty.discard(key)
            try:
                await self._reconcile(endpoint_name)
            except Exception:
                # The loop must never die; a bug here is logged and the endpoint left as it is.
                log.exception("reconcile of endpoint %s failed", endpoint_name)
            self.changes.fire()
            if key not in self._dirty:
                return

    async def _reconcile(self, endpoint_name: str) -> None:
        record = self.store.get(KIND, endpoint_name)
        if record is None:
            await self.retire(self.router.remove(endpoint_name))
            return
        status = EndpointStatus(record.status or EndpointStatus.FAILED)
        if status is EndpointStatus.CREATING:
            await self._create(record.name, record.body["Deployment"])
        elif status in (EndpointStatus.UPDATING, EndpointStatus.ROLLING_BACK):
            await updates.update(self, record.name, record.body, rolling_back=status is S.ROLLING_BACK)
        elif status in (EndpointStatus.IN_SERVICE, EndpointStatus.UPDATE_ROLLBACK_FAILED):
            if self.router.fleet(record.name) is None:
                await self.restore(record.name, record.body["Deployment"])
        elif status is EndpointStatus.DELETING:
            await self.retire(self.router.remove(record.name))
            self.store.delete(KIND, record.name)
            self.store.delete_tags(record.arn)
            self.collector.request()  # its model folders may be unused now
        elif status is EndpointStatus.FAILED:
            await self.retire(self.router.remove(record.name))

    async def _create(self, name: str, deployment: dict[str, Any]) -> None:
        try:
            fleet = await self.launch(name, deployment)
        except (StartupFailed, ArtifactError) as exc:
            self.set_status(name, EndpointStatus.FAILED, failure_reason=str(exc))
            return
        await self.retire(self.router.install(fleet))
        self.set_status(name, EndpointStatus.IN_SERVICE)

    async def restore(self, name: str, deployment: dict[str, Any], *, keep_status: bool = False) -> None:
        """Bring back the fleet of an InService endpoint (after a restart)."""
        self.expect_fleet(name, deployment)
        try:
            fleet = await self.launch(name, deployment)
            await self.retire(self.router.install(fleet))
        except (StartupFailed, ArtifactError) as exc:
            if not keep_status:
                self.set_status(name, S.FAILED, failure_reason=f"Could not restart the endpoint: {exc}")
        finally:
            self.router.arrivals.settle(name)  # installed, or failed: waiting requests go on

    def expect_fleet(self, name: str, deployment: dict[str, Any]) -> None:
        instances = sum(int(v["InstanceCount"]) for v in deployment["Variants"])
        self.router.arrivals.expect(name, instances * self.settings.limits.max_in_flight_per_instance)

    async def launch(self, name: str, deployment: dict[str, Any]) -> Fleet:
        """Start every instance of a deployment; all healthy, or none left running."""
        variants, shadows = (
            [
                VariantFleet(
                    name=v["VariantName"], weight=v["Weight"], desired_count=v["InstanceCount"], snapshot=v
                )
                for v in deployment.get(key, [])
            ]
            for key in ("Variants", "ShadowVariants")
        )
        fleet = Fleet(endpoint_name=name, deployment=deployment, variants=variants, shadows=shadows)
        await self.collector.idle()  # a running round may not count this endpoint's models as live
        starts = []
        for variant in (*variants, *shadows):
            snapshot = variant.snapshot
            model_dir = await asyncio.to_thread(self.artifacts.prepare, *model_source(snapshot))
            for index in range(variant.desired_count):
                starts.append(self.start_instance(name, variant, index, model_dir, variant.desired_count))
            if "ServerlessConfig" in snapshot:
                variant.gate = self._serverless_gate(name, variant, model_dir)
        results = await asyncio.gather(*starts, return_exceptions=True)
        failures = [r for r in results if isinstance(r, BaseException)]
        for result in results:
            if isinstance(result, tuple):
                variant, instance = result
                variant.instances.append(instance)
        if failures:
            await self.retire(fleet)
            first = failures[0]
            if isinstance(first, StartupFailed | ArtifactError):
                raise first
            raise StartupFailed(f"An instance could not be started: {first}") from first
        return fleet

    def _serverless_gate(
        self, name: str, variant: VariantFleet, model_dir: Path
    ) -> serverless.ServerlessGate:
        async def cold_start() -> None:
            _, instance = await self.start_instance(name, variant, 0, model_dir)
            serving = self.router.fleet(name)
            if serving is None or not any(v.instances is variant.instances for v in serving.variants):
                await updates.drain(self, [instance])  # the fleet was replaced or removed meanwhile
                raise StartupFailed(f"The endpoint {name} changed while variant {variant.name} was starting.")
            variant.instances.append(instance)

        return serverless.gate_for(
            variant, clock=self.clock, start=cold_start, cold_start_timeout_s=self.router.timeout_s
        )

    async def start_instance(
        self, name: str, variant: VariantFleet, index: int, model_dir: Path, together: int = 1
    ) -> tuple[VariantFleet, Instance]:
        self._generation += 1
        snapshot = variant.snapshot
        spec = InstanceSpec(
            instance_id=f"{name}/{variant.name}/{index}-{self._generation}",
            runtime=snapshot["Runtime"],
            framework_version=snapshot["FrameworkVersion"],
            model_dir=model_dir,
            environment=worker_environment(snapshot["Environment"], model_dir),
            log_path=self.settings.log_dir / name.lower() / f"{variant.name}-{index}.log",
            instance_type=str(snapshot.get("InstanceType") or ""),
            model_source=model_source(snapshot),
            together=together,
        )
        try:
            worker = await self.supervisor.start(spec)
        except StartupFailed as exc:
            raise StartupFailed(
                f"The primary container for production variant {variant.name} did not pass the ping health "
                f"check: {exc} See the instance log with: modelport logs {name}"[:_MAX_REASON]
            ) from exc
        return variant, Instance(worker=worker, client=self.router.new_client(worker.port, host=worker.host))

    async def retire(self, fleet: Fleet | None) -> None:
        if fleet is not None:
            await updates.drain(self, fleet.instances())

    def set_status(
        self,
        name: str,
        status: EndpointStatus,
        *,
        failure_reason: str | None = None,
        body_changes: dict[str, Any] | None = None,
    ) -> None:
        record = self.store.get(KIND, name)
        if record is None:
            return
        body = dict(record.body)
        for key, value in (body_changes or {}).items():
            if value is None:
                body.pop(key, None)
            else:
                body[key] = value
        if failure_reason is not None:
            body["FailureReason"] = failure_reason[:_MAX_REASON]
        self.store.update(record.evolve(status=status, body=body, last_modified_time=self.clock.now()))
        log.info("endpoint %s is %s%s", name, status, f": {failure_reason}" if failure_reason else "")

    # -- health ---------------------------------------------------------------------------------

    async def _health_loop(self) -> None:
        rounds = 0
        while True:
            await asyncio.sleep(_HEALTH_INTERVAL_S)
            rounds += 1
            for fleet in list(self.router.fleets.values()):
                for variant in (*fleet.variants, *fleet.shadows):
                    for instance in list(variant.instances):
                        if not instance.worker.alive() and not instance.worker.stopping:
                            self._replace(fleet, variant, instance)
            if rounds % _LOG_CHECK_EVERY == 0:
                self._bound_logs()
            idle_s = self.settings.limits.serverless_idle_timeout_s
            if idle := serverless.take_idle_instances(self.router.fleets.values(), idle_s):
                for instance in idle:
                    log.info(
                        "serverless instance %s idle for %g s: scaling to zero",
                        instance.worker.spec.instance_id,
                        idle_s,
                    )
                self._in_background(updates.drain(self, idle))

    def _bound_logs(self) -> None:
        limit = self.settings.limits.max_endpoint_log_bytes
        for fleet in list(self.router.fleets.values()):
            for instance in fleet.instances():
                try:
                    if shorten(instance.worker.spec.log_path, limit):
                        log.info("shortened the log of instance %s", instance.worker.spec.instance_id)
                except OSError:
                    log.exception("cannot shorten the log of %s", instance.worker.spec.log_path)

    def _replace(self, fleet: Fleet, variant: VariantFleet, dead: Instance) -> None:
        instance_id = dead.worker.spec.instance_id
        if instance_id in self._replacing:
            return
        self._replacing.add(instance_id)
        log.warning(
            "instance %s died (exit code %s); starting a replacement",
            instance_id,
            dead.worker.process.returncode,
        )
        self.supervisor.workers.pop(instance_id, None)
        index = variant.instances.index(dead)

        async def replace() -> None:
            try:
                _, fresh = await self.start_instance(
                    fleet.endpoint_name, variant, index, dead.worker.spec.model_dir
                )
            except StartupFailed:
                log.exception("replacement for %s failed; the health loop will try again", instance_id)
                return
            finally:
                self._replacing.discard(instance_id)
            await dead.client.aclose()
            if self.router.fleet(fleet.endpoint_name) is fleet and dead in variant.instances:
                variant.instances[variant.instances.index(dead)] = fresh
            else:
                await self.supervisor.stop(fresh.worker)
                await fresh.client.aclose()

        self._in_background(replace())

    def _in_background(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
