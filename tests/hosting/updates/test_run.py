"""Updates in process: UpdateEndpointWeightsAndCapacities and deployment guardrails, through the
SageMaker use cases, over the fake supervisor and the fake clock of ``test_controller`` (the
controller's waits advance the clock at once, and are recorded)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from hosting.test_controller import FakeSupervisor, FakeWorker, Lab, call, deploy, settled
from modelport.core.errors import InvalidRequest, ResourceLimitExceeded
from modelport.hosting.controller import Controller
from modelport.sandboxes.supervisor import InstanceSpec, StartupFailed
from modelport.services.context import ServiceContext


def ids(controller: Controller) -> list[str]:
    fleet = controller.router.fleet("ep")
    assert fleet is not None
    return [i.worker.spec.instance_id for i in fleet.instances()]


async def serving(
    ctx: ServiceContext, controller: Controller, config: str = "first", instances: int = 2
) -> None:
    await deploy(ctx, config, instances=instances)
    await call(ctx, "CreateEndpoint", EndpointName="ep", EndpointConfigName=config)
    await settled(controller, ctx)


async def resize(ctx: ServiceContext, **desired: Any) -> dict[str, Any]:
    return await call(
        ctx,
        "UpdateEndpointWeightsAndCapacities",
        EndpointName="ep",
        DesiredWeightsAndCapacities=[{"VariantName": "AllTraffic", **desired}],
    )


def test_scaling_out_starts_only_the_missing_instances(tmp_path: Path) -> None:
    lab = Lab(tmp_path)

    async def scenario(
        controller: Controller, ctx: ServiceContext
    ) -> tuple[list[str], list[str], dict[str, Any]]:
        await serving(ctx, controller)
        before = ids(controller)
        await resize(ctx, DesiredInstanceCount=3, DesiredWeight=2.0)
        return before, ids(controller), await settled(controller, ctx)

    before, after, described = lab.run(scenario)
    assert after[:2] == before and len(after) == 3  # the healthy instances kept running
    assert lab.supervisor.stopped == []
    variant = described["ProductionVariants"][0]
    assert described["EndpointStatus"] == "InService"
    assert (variant["CurrentInstanceCount"], variant["DesiredInstanceCount"]) == (3, 3)
    assert (variant["CurrentWeight"], variant["DesiredWeight"]) == (2.0, 2.0)


def test_scaling_in_drains_the_surplus_instances_and_keeps_the_rest(tmp_path: Path) -> None:
    lab = Lab(tmp_path)

    async def scenario(controller: Controller, ctx: ServiceContext) -> tuple[list[str], list[str]]:
        await serving(ctx, controller, instances=3)
        before = ids(controller)
        await resize(ctx, DesiredInstanceCount=1)
        await settled(controller, ctx)
        return before, ids(controller)

    before, after = lab.run(scenario)
    assert after == before[:1]
    assert lab.supervisor.stopped == before[1:]


class GatedSupervisor(FakeSupervisor):
    """Starts wait for ``gate`` once it is set up, so a test can look at a half-done change."""

    def __init__(self) -> None:
        super().__init__()
        self.gate: asyncio.Event | None = None

    async def start(self, spec: InstanceSpec) -> FakeWorker:
        if self.gate is not None:
            await self.gate.wait()
        return await super().start(spec)


def test_describe_shows_current_and_desired_while_they_converge(tmp_path: Path) -> None:
    supervisor = GatedSupervisor()
    lab = Lab(tmp_path, supervisor=supervisor)

    async def scenario(controller: Controller, ctx: ServiceContext) -> tuple[dict[str, Any], dict[str, Any]]:
        await serving(ctx, controller, instances=1)
        supervisor.gate = asyncio.Event()
        update = asyncio.create_task(resize(ctx, DesiredInstanceCount=2, DesiredWeight=0.5))
        while lab.store.get("endpoint", "ep").status != "Updating":  # type: ignore[union-attr]
            await asyncio.sleep(0.01)
        during = await call(ctx, "DescribeEndpoint", EndpointName="ep")
        supervisor.gate.set()
        await update
        return during, await settled(controller, ctx)

    during, after = lab.run(scenario)
    assert during["EndpointStatus"] == "Updating"
    variant = during["ProductionVariants"][0]
    assert (variant["CurrentInstanceCount"], variant["DesiredInstanceCount"]) == (1, 2)
    assert (variant["CurrentWeight"], variant["DesiredWeight"]) == (1.0, 0.5)
    assert after["EndpointStatus"] == "InService"
    assert after["ProductionVariants"][0]["CurrentInstanceCount"] == 2


def test_a_scale_out_that_cannot_start_returns_to_the_previous_capacity(tmp_path: Path) -> None:
    lab = Lab(tmp_path)

    async def scenario(controller: Controller, ctx: ServiceContext) -> tuple[list[str], dict[str, Any]]:
        await serving(ctx, controller)
        before = ids(controller)
        lab.supervisor.failing.add("xgboost")
        await resize(ctx, DesiredInstanceCount=4)
        described = await settled(controller, ctx)
        assert ids(controller) == before
        return before, described

    _, described = lab.run(scenario)
    assert described["EndpointStatus"] == "InService"
    assert described["FailureReason"].startswith("Update failed; still serving the previous configuration.")
    assert described["ProductionVariants"][0]["DesiredInstanceCount"] == 2


@pytest.mark.parametrize(
    ("desired", "error", "text"),
    [
        (
            {"VariantName": "Nope", "DesiredWeight": 1.0},
            InvalidRequest,
            'The variant(s) "[Nope]" are not present',
        ),
        ({"VariantName": "AllTraffic"}, InvalidRequest, "needs DesiredWeight, DesiredInstanceCount or both"),
        ({"VariantName": "AllTraffic", "DesiredInstanceCount": 0}, InvalidRequest, "must be at least 1"),
        (
            {"VariantName": "AllTraffic", "DesiredInstanceCount": 99},
            ResourceLimitExceeded,
            "instances per variant",
        ),
    ],
)
def test_bad_weights_and_capacities_are_refused(
    tmp_path: Path, desired: dict[str, Any], error: type[Exception], text: str
) -> None:
    lab = Lab(tmp_path)

    async def scenario(controller: Controller, ctx: ServiceContext) -> None:
        await serving(ctx, controller)
        with pytest.raises(error, match=None) as raised:
            await call(
                ctx,
                "UpdateEndpointWeightsAndCapacities",
                EndpointName="ep",
                DesiredWeightsAndCapacities=[desired],
            )
        assert text in str(raised.value)

    lab.run(scenario)


def test_weights_of_a_failed_endpoint_cannot_change(tmp_path: Path) -> None:
    lab = Lab(tmp_path)
    lab.supervisor.failing.add("xgboost")

    async def scenario(controller: Controller, ctx: ServiceContext) -> None:
        await serving(ctx, controller)
        with pytest.raises(InvalidRequest, match="because it is in Failed status"):
            await resize(ctx, DesiredWeight=1.0)

    lab.run(scenario)


def canary(wait: int, **policy: Any) -> dict[str, Any]:
    routing = {
        "Type": "CANARY",
        "WaitIntervalInSeconds": wait,
        "CanarySize": {"Type": "INSTANCE_COUNT", "Value": 1},
    }
    return {"BlueGreenUpdatePolicy": {"TrafficRoutingConfiguration": routing, **policy}}


def test_a_canary_update_shifts_a_share_bakes_then_moves_the_rest(tmp_path: Path) -> None:
    lab = Lab(tmp_path)
    seen: list[list[tuple[str, float, int]]] = []
    real_sleep = lab.sleep

    async def watching_sleep(seconds: float) -> None:  # what the router serves at each wait
        fleet = lab.router.fleet("ep")
        assert fleet is not None
        seen.append([(v.name, round(v.weight, 3), len(v.instances)) for v in fleet.variants])
        await real_sleep(seconds)

    lab.sleep = watching_sleep  # type: ignore[method-assign]

    async def scenario(controller: Controller, ctx: ServiceContext) -> tuple[list[str], dict[str, Any]]:
        await serving(ctx, controller, instances=1)
        old = ids(controller)
        await deploy(ctx, "second", instances=4)
        config = canary(30, TerminationWaitInSeconds=60)
        await call(
            ctx, "UpdateEndpoint", EndpointName="ep", EndpointConfigName="second", DeploymentConfig=config
        )
        return old, await settled(controller, ctx)

    old, described = lab.run(scenario)
    assert lab.sleeps == [30.0, 30.0, 60.0]  # bake the canary, bake the rest, keep the old fleet
    assert seen[0] == [("AllTraffic", 0.75, 1), ("AllTraffic", 0.25, 4)]  # one of four instances' worth
    assert seen[1] == [("AllTraffic", 1.0, 4)] == seen[2]
    assert (described["EndpointStatus"], described["EndpointConfigName"]) == ("InService", "second")
    assert described["LastDeploymentConfig"]["BlueGreenUpdatePolicy"]["TerminationWaitInSeconds"] == 60
    assert lab.supervisor.stopped == old


def test_an_update_past_its_maximum_execution_time_rolls_back(tmp_path: Path) -> None:
    lab = Lab(tmp_path)

    async def scenario(
        controller: Controller, ctx: ServiceContext
    ) -> tuple[list[str], list[str], dict[str, Any]]:
        await serving(ctx, controller)
        old = ids(controller)
        await deploy(ctx, "second", instances=2)
        config = canary(3600, MaximumExecutionTimeoutInSeconds=600)
        await call(
            ctx, "UpdateEndpoint", EndpointName="ep", EndpointConfigName="second", DeploymentConfig=config
        )
        return old, ids(controller), await settled(controller, ctx)

    old, after, described = lab.run(scenario)
    assert after == old  # the old fleet serves alone again
    assert (described["EndpointStatus"], described["EndpointConfigName"]) == ("InService", "first")
    assert "MaximumExecutionTimeoutInSeconds (600 s)" in described["FailureReason"]
    assert len(lab.supervisor.stopped) == 2 and not set(lab.supervisor.stopped) & set(old)


def test_a_new_fleet_that_fails_to_start_never_takes_traffic(tmp_path: Path) -> None:
    lab = Lab(tmp_path)

    async def scenario(controller: Controller, ctx: ServiceContext) -> dict[str, Any]:
        await serving(ctx, controller)
        await deploy(ctx, "broken", image="sklearn", instances=2)
        lab.supervisor.failing.add("sklearn")
        await call(
            ctx, "UpdateEndpoint", EndpointName="ep", EndpointConfigName="broken", DeploymentConfig=canary(5)
        )
        return await settled(controller, ctx)

    described = lab.run(scenario)
    assert lab.sleeps == []
    assert (described["EndpointStatus"], described["EndpointConfigName"]) == ("InService", "first")
    assert "did not pass the ping health check" in described["FailureReason"]


@pytest.mark.parametrize(
    ("config", "text"),
    [
        (
            canary(5)
            | {
                "RollingUpdatePolicy": {
                    "MaximumBatchSize": {"Type": "INSTANCE_COUNT", "Value": 1},
                    "WaitIntervalInSeconds": 1,
                }
            },
            "not both",
        ),
        (
            {
                "BlueGreenUpdatePolicy": {
                    "TrafficRoutingConfiguration": {"Type": "CANARY", "WaitIntervalInSeconds": 1}
                }
            },
            "needs CanarySize",
        ),
        (
            {
                "BlueGreenUpdatePolicy": {
                    "TrafficRoutingConfiguration": {
                        "Type": "LINEAR",
                        "WaitIntervalInSeconds": 1,
                        "LinearStepSize": {"Type": "CAPACITY_PERCENT", "Value": 5},
                    }
                }
            },
            "between 10% and 50%",
        ),
        (canary(1), "between 0% and 50% of the new fleet's 1 instances; it is 100%"),
    ],
)
def test_a_deployment_config_that_cannot_be_followed_is_refused(
    tmp_path: Path, config: dict[str, Any], text: str
) -> None:
    lab = Lab(tmp_path)

    async def scenario(controller: Controller, ctx: ServiceContext) -> str:
        await serving(ctx, controller)
        await deploy(ctx, "second", instances=1)
        with pytest.raises(InvalidRequest) as raised:
            await call(
                ctx, "UpdateEndpoint", EndpointName="ep", EndpointConfigName="second", DeploymentConfig=config
            )
        return (await call(ctx, "DescribeEndpoint", EndpointName="ep"))["EndpointStatus"] + str(raised.value)

    answer = lab.run(scenario)
    assert answer.startswith("InService") and text in answer


def test_a_restart_mid_resize_starts_the_fleet_at_its_desired_size(tmp_path: Path) -> None:
    supervisor = GatedSupervisor()
    lab = Lab(tmp_path, supervisor=supervisor)

    async def first_life(controller: Controller, ctx: ServiceContext) -> None:
        await serving(ctx, controller, instances=1)
        supervisor.gate = asyncio.Event()  # the new instance never gets started in this life
        asyncio.create_task(resize(ctx, DesiredInstanceCount=3))  # noqa: RUF006 (cancelled by the stop)
        while lab.store.get("endpoint", "ep").status != "Updating":  # type: ignore[union-attr]
            await asyncio.sleep(0.01)

    lab.run(first_life)
    lab.supervisor = FakeSupervisor()  # the old server's processes are gone

    async def second_life(controller: Controller, ctx: ServiceContext) -> dict[str, Any]:
        return await settled(controller, ctx)

    described = lab.run(second_life)
    assert described["EndpointStatus"] == "InService"
    assert described["ProductionVariants"][0]["CurrentInstanceCount"] == 3


def test_a_new_fleet_that_dies_while_baking_rolls_back(tmp_path: Path) -> None:
    lab = Lab(tmp_path)
    real_sleep = lab.sleep

    async def killing_sleep(seconds: float) -> None:  # the canary's instances all die while it bakes
        fleet = lab.router.fleet("ep")
        assert fleet is not None
        for variant in fleet.variants[1:]:
            for instance in variant.instances:
                instance.worker.die()  # type: ignore[attr-defined]
        await real_sleep(seconds)

    lab.sleep = killing_sleep  # type: ignore[method-assign]

    async def scenario(
        controller: Controller, ctx: ServiceContext
    ) -> tuple[list[str], list[str], dict[str, Any]]:
        await serving(ctx, controller)
        old = ids(controller)
        await deploy(ctx, "second", instances=2)
        await call(
            ctx, "UpdateEndpoint", EndpointName="ep", EndpointConfigName="second", DeploymentConfig=canary(60)
        )
        return old, ids(controller), await settled(controller, ctx)

    old, after, described = lab.run(scenario)
    assert after == old
    assert (described["EndpointStatus"], described["EndpointConfigName"]) == ("InService", "first")
    assert (
        "Every instance of production variant AllTraffic in the new fleet stopped"
        in described["FailureReason"]
    )


def test_scale_in_waits_for_the_requests_in_flight_before_stopping(tmp_path: Path) -> None:
    lab = Lab(tmp_path)

    async def scenario(controller: Controller, ctx: ServiceContext) -> tuple[list[str], list[str], str]:
        await serving(ctx, controller)
        fleet = controller.router.fleet("ep")
        assert fleet is not None
        busy = fleet.variants[0].instances[1]
        busy.outstanding = 1  # a request the router sent it is still being answered
        update = asyncio.create_task(resize(ctx, DesiredInstanceCount=1))
        while busy in fleet.variants[0].instances:  # out of routing first
            await asyncio.sleep(0.01)
        stopped_while_busy = list(lab.supervisor.stopped)
        busy.outstanding = 0  # the answer went back
        await update
        return stopped_while_busy, list(lab.supervisor.stopped), busy.worker.spec.instance_id

    while_busy, after, busy_id = lab.run(scenario)
    assert while_busy == []
    assert after == [busy_id]


class FailingOnce(FakeSupervisor):
    """One start fails: the one after ``allowed`` more have succeeded (None: none fails)."""

    def __init__(self) -> None:
        super().__init__()
        self.allowed: int | None = None

    async def start(self, spec: InstanceSpec) -> FakeWorker:
        if self.allowed is not None:
            self.allowed -= 1
            if self.allowed < 0:
                self.allowed = None
                raise StartupFailed("/ping answered 500.")
        return await super().start(spec)


def rolling(batch: int, wait: int) -> dict[str, Any]:
    size = {"Type": "INSTANCE_COUNT", "Value": batch}
    return {"RollingUpdatePolicy": {"MaximumBatchSize": size, "WaitIntervalInSeconds": wait}}


def test_a_rolling_update_replaces_the_fleet_one_batch_at_a_time(tmp_path: Path) -> None:
    lab = Lab(tmp_path)
    running: list[int] = []
    real_sleep = lab.sleep

    async def counting_sleep(seconds: float) -> None:
        running.append(len(lab.supervisor.workers))
        await real_sleep(seconds)

    lab.sleep = counting_sleep  # type: ignore[method-assign]

    async def scenario(controller: Controller, ctx: ServiceContext) -> tuple[list[str], dict[str, Any]]:
        await serving(ctx, controller, instances=4)
        old = ids(controller)
        await deploy(ctx, "second", instances=4)
        await call(
            ctx,
            "UpdateEndpoint",
            EndpointName="ep",
            EndpointConfigName="second",
            DeploymentConfig=rolling(2, 10),
        )
        return old, await settled(controller, ctx)

    old, described = lab.run(scenario)
    assert lab.sleeps == [10.0, 10.0]  # between the two batches, and the last bake
    assert running == [4, 4]  # never both fleets in full: 2 new + 2 old, then 4 new
    assert (described["EndpointStatus"], described["EndpointConfigName"]) == ("InService", "second")
    assert sorted(lab.supervisor.stopped) == sorted(old)


def test_a_rolling_update_whose_second_batch_fails_restarts_the_old_instances(tmp_path: Path) -> None:
    supervisor = FailingOnce()
    lab = Lab(tmp_path, supervisor=supervisor)

    async def scenario(controller: Controller, ctx: ServiceContext) -> dict[str, Any]:
        await serving(ctx, controller, instances=2)
        await deploy(ctx, "second", instances=2)
        supervisor.allowed = 1  # the first batch starts; the second fails
        config = rolling(1, 5)
        config["RollingUpdatePolicy"]["RollbackMaximumBatchSize"] = {"Type": "INSTANCE_COUNT", "Value": 1}
        await call(
            ctx, "UpdateEndpoint", EndpointName="ep", EndpointConfigName="second", DeploymentConfig=config
        )
        supervisor.allowed = None
        return await settled(controller, ctx)

    described = lab.run(scenario)
    assert "FailureReason" in described
    assert (described["EndpointStatus"], described["EndpointConfigName"]) == ("InService", "first")
    assert described["FailureReason"].startswith("Update failed; still serving the previous configuration.")
