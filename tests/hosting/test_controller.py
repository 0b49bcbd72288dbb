"""The controller in process, driven through the SageMaker use cases as the server drives it, over
a real store, with a fake supervisor (no processes: a "worker" is a record the test can kill) and a
fake clock. Waits are on conditions, never on time."""

from __future__ import annotations

import asyncio
import inspect
import itertools
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from modelport.aws.auth.sqlite_keys import SqliteKeyStore
from modelport.bootstrap import build_function_host, build_router
from modelport.core.clock import FakeClock
from modelport.core.config import Settings
from modelport.hosting.controller import Controller
from modelport.hosting.router import Router
from modelport.sandboxes.supervisor import InstanceSpec, StartupFailed
from modelport.services.context import ServiceContext
from modelport.services.sagemaker.operations import OPERATIONS
from modelport.store.sqlite import SqliteStore

ACCOUNT = "123456789012"
T = TypeVar("T")
_pids = itertools.count(1000)


@dataclass
class FakeProcess:
    pid: int = field(default_factory=lambda: next(_pids))
    returncode: int | None = None

    def poll(self) -> int | None:
        return self.returncode


@dataclass
class FakeWorker:
    spec: InstanceSpec
    process: FakeProcess = field(default_factory=FakeProcess)
    port: int = 9
    stopping: bool = False
    host: str = "127.0.0.1"

    def alive(self) -> bool:
        return self.process.returncode is None

    def die(self) -> None:
        self.process.returncode = -9


class FakeSupervisor:
    """Starts "workers" at once; a runtime named in ``failing`` fails its ping health check."""

    def __init__(self) -> None:
        self.workers: dict[str, FakeWorker] = {}
        self.failing: set[str] = set()
        self.stopped: list[str] = []

    def fill_pool(self) -> None:
        pass

    async def start(self, spec: InstanceSpec) -> FakeWorker:
        if spec.runtime in self.failing:
            raise StartupFailed("/ping answered 500.")
        worker = self.workers[spec.instance_id] = FakeWorker(spec)
        return worker

    async def stop(self, worker: FakeWorker) -> None:
        worker.stopping = True
        self.workers.pop(worker.spec.instance_id, None)
        self.stopped.append(worker.spec.instance_id)

    def kill_all(self) -> None:
        self.workers.clear()


class FakeArtifacts:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def prepare(self, model_key: str, model_data_url: str | None, code_url: str | None = None) -> Path:
        return self.folder

    def collect(self, live_keys: Collection[str]) -> list[Path]:
        return []


@dataclass
class Lab:
    tmp_path: Path
    supervisor: FakeSupervisor = field(default_factory=FakeSupervisor)

    def __post_init__(self) -> None:
        self.settings = Settings(data_dir=self.tmp_path, account_id=ACCOUNT, auth_enabled=False)
        self.store = SqliteStore(self.settings.store_path)
        self.clock = FakeClock()
        self.sleeps: list[float] = []  # the controller's waits between update steps, in order

    async def sleep(self, seconds: float) -> None:
        """The controller's sleep: the fake clock moves on at once."""
        self.sleeps.append(seconds)
        self.clock.advance(seconds)
        await asyncio.sleep(0)

    def controller(self) -> tuple[Controller, ServiceContext]:
        """A controller (a server start) over the lab's store, and the context that drives it."""
        router: Router = build_router(self.settings)
        self.router = router
        controller = Controller(
            store=self.store,
            settings=self.settings,
            clock=self.clock,
            supervisor=self.supervisor,  # type: ignore[arg-type]
            router=router,
            artifacts=FakeArtifacts(self.tmp_path),
            sleep=self.sleep,
        )
        ctx = ServiceContext(
            store=self.store,
            settings=self.settings,
            clock=self.clock,
            engine=controller,
            keys=SqliteKeyStore(self.store.connection),
            router=router,
            functions=build_function_host(self.settings),
        )
        return controller, ctx

    def run(self, scenario: Callable[[Controller, ServiceContext], Awaitable[T]]) -> T:
        async def main() -> T:
            controller, ctx = self.controller()
            await controller.start()
            try:
                return await scenario(controller, ctx)
            finally:
                await controller.stop()

        return asyncio.run(main())


async def call(ctx: ServiceContext, operation: str, **params: Any) -> dict[str, Any]:
    result = OPERATIONS[operation](ctx, params)
    return await result if inspect.isawaitable(result) else result


async def deploy(ctx: ServiceContext, config: str, *, image: str = "xgboost", instances: int = 1) -> None:
    await call(
        ctx,
        "CreateModel",
        ModelName=f"{config}-model",
        PrimaryContainer={"Image": image, "ModelDataUrl": "s3://bucket/model.tar.gz"},
        ExecutionRoleArn=f"arn:aws:iam::{ACCOUNT}:role/r",
    )
    await call(
        ctx,
        "CreateEndpointConfig",
        EndpointConfigName=config,
        ProductionVariants=[
            {
                "VariantName": "AllTraffic",
                "ModelName": f"{config}-model",
                "InitialInstanceCount": instances,
                "InstanceType": "ml.m5.large",
            }
        ],
    )


async def settled(controller: Controller, ctx: ServiceContext, name: str = "ep") -> dict[str, Any]:
    await controller.idle()
    return await call(ctx, "DescribeEndpoint", EndpointName=name)


def test_create_starts_every_instance_then_serves(tmp_path: Path) -> None:
    lab = Lab(tmp_path)

    async def scenario(controller: Controller, ctx: ServiceContext) -> dict[str, Any]:
        await deploy(ctx, "two", instances=2)
        await call(ctx, "CreateEndpoint", EndpointName="ep", EndpointConfigName="two")
        return await settled(controller, ctx)

    described = lab.run(scenario)
    assert described["EndpointStatus"] == "InService"
    assert described["ProductionVariants"][0]["CurrentInstanceCount"] == 2
    assert len(lab.supervisor.stopped) == 0


def test_an_instance_failing_its_health_check_fails_the_endpoint(tmp_path: Path) -> None:
    lab = Lab(tmp_path)
    lab.supervisor.failing.add("xgboost")

    async def scenario(controller: Controller, ctx: ServiceContext) -> dict[str, Any]:
        await deploy(ctx, "bad")
        await call(ctx, "CreateEndpoint", EndpointName="ep", EndpointConfigName="bad")
        return await settled(controller, ctx)

    described = lab.run(scenario)
    assert described["EndpointStatus"] == "Failed"
    assert "did not pass the ping health check: /ping answered 500." in described["FailureReason"]
    assert "modelport logs ep" in described["FailureReason"]


def test_a_failed_update_rolls_back_to_the_running_fleet(tmp_path: Path) -> None:
    lab = Lab(tmp_path)

    async def scenario(controller: Controller, ctx: ServiceContext) -> tuple[dict[str, Any], bool]:
        await deploy(ctx, "good")
        await call(ctx, "CreateEndpoint", EndpointName="ep", EndpointConfigName="good")
        await settled(controller, ctx)
        serving = controller.router.fleet("ep")
        await deploy(ctx, "sklearn-config", image="sklearn")
        lab.supervisor.failing.add("sklearn")
        await call(ctx, "UpdateEndpoint", EndpointName="ep", EndpointConfigName="sklearn-config")
        described = await settled(controller, ctx)
        return described, controller.router.fleet("ep") is serving

    described, same_fleet = lab.run(scenario)
    assert described["EndpointStatus"] == "InService"
    assert described["EndpointConfigName"] == "good"
    assert described["FailureReason"].startswith("Update failed; still serving the previous configuration.")
    assert same_fleet  # the old instances never stopped serving


def test_an_update_switches_to_the_new_fleet_and_stops_the_old(tmp_path: Path) -> None:
    lab = Lab(tmp_path)

    async def scenario(controller: Controller, ctx: ServiceContext) -> tuple[dict[str, Any], list[str]]:
        await deploy(ctx, "first")
        await call(ctx, "CreateEndpoint", EndpointName="ep", EndpointConfigName="first")
        await settled(controller, ctx)
        old = [i.worker.spec.instance_id for i in controller.router.fleet("ep").instances()]  # type: ignore[union-attr]
        await deploy(ctx, "second", instances=2)
        await call(ctx, "UpdateEndpoint", EndpointName="ep", EndpointConfigName="second")
        return await settled(controller, ctx), old

    described, old = lab.run(scenario)
    assert (described["EndpointStatus"], described["EndpointConfigName"]) == ("InService", "second")
    assert described["ProductionVariants"][0]["CurrentInstanceCount"] == 2
    assert lab.supervisor.stopped == old


def test_a_dead_instance_is_replaced_in_its_slot(tmp_path: Path) -> None:
    lab = Lab(tmp_path)

    async def scenario(controller: Controller, ctx: ServiceContext) -> tuple[str, str]:
        await deploy(ctx, "one")
        await call(ctx, "CreateEndpoint", EndpointName="ep", EndpointConfigName="one")
        await settled(controller, ctx)
        variant = controller.router.fleet("ep").variants[0]  # type: ignore[union-attr]
        dead = variant.instances[0]
        dead.worker.die()  # type: ignore[attr-defined]

        async def replaced() -> None:  # the health loop notices and starts a replacement
            while variant.instances[0] is dead:
                await asyncio.sleep(0.01)

        await asyncio.wait_for(replaced(), 60)  # a bound for a broken loop, not a timing claim
        return dead.worker.spec.instance_id, variant.instances[0].worker.spec.instance_id

    dead_id, fresh_id = lab.run(scenario)
    assert dead_id != fresh_id and fresh_id.startswith("ep/AllTraffic/0-")


def test_a_restart_brings_in_service_endpoints_back(tmp_path: Path) -> None:
    lab = Lab(tmp_path)

    async def first_life(controller: Controller, ctx: ServiceContext) -> None:
        await deploy(ctx, "one")
        await call(ctx, "CreateEndpoint", EndpointName="ep", EndpointConfigName="one")
        await settled(controller, ctx)

    lab.run(first_life)
    lab.supervisor = FakeSupervisor()  # the old server's processes are gone

    async def second_life(controller: Controller, ctx: ServiceContext) -> tuple[dict[str, Any], int]:
        described = await settled(controller, ctx)
        return described, len(lab.supervisor.workers)

    described, running = lab.run(second_life)
    assert described["EndpointStatus"] == "InService"
    assert described["ProductionVariants"][0]["CurrentInstanceCount"] == 1
    assert running == 1
