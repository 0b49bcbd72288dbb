"""Rollbacks in process: CloudWatch alarms during a guarded update (AutoRollbackConfiguration),
a rollback that cannot complete, and restarts in the middle of an update or of its rollback.

The alarms are a fake ``Controller.alarm_states`` (bootstrap wires CloudWatch's); the clock and
the waits are the fake ones of ``test_controller``."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from hosting.test_controller import FakeSupervisor, Lab, call, deploy, settled
from hosting.updates.test_run import FailingOnce, canary, ids, rolling, serving
from modelport.hosting.controller import Controller
from modelport.hosting.updates.guard import AlarmState
from modelport.services.context import ServiceContext


def alarm_after(lab: Lab, seconds: float) -> Callable[[Sequence[str]], Mapping[str, AlarmState]]:
    """``green-errors`` goes into ALARM ``seconds`` after the first look; other names do not exist."""
    first: list[float] = []

    def states(names: Sequence[str]) -> Mapping[str, AlarmState]:
        now = lab.clock.monotonic()
        first[:] = first or [now]
        value = "ALARM" if now - first[0] >= seconds else "OK"
        return {"green-errors": AlarmState(value, "Threshold Crossed: 1 datapoint [3] gave ALARM")}

    return states


def guarded(config: dict[str, Any], *alarms: str) -> dict[str, Any]:
    return config | {"AutoRollbackConfiguration": {"Alarms": [{"AlarmName": a} for a in alarms]}}


def recording(controller: Controller) -> list[str]:
    """The statuses the controller writes, in order."""
    seen: list[str] = []
    real = controller.set_status

    def set_status(name: str, status: Any, **changes: Any) -> None:
        seen.append(str(status))
        real(name, status, **changes)

    controller.set_status = set_status  # type: ignore[method-assign]
    return seen


def test_an_alarm_while_the_canary_bakes_rolls_back_through_rolling_back(tmp_path: Path) -> None:
    lab = Lab(tmp_path)

    async def scenario(controller: Controller, ctx: ServiceContext) -> tuple[list[str], list[str], Any]:
        controller.alarm_states = alarm_after(lab, 5)
        statuses = recording(controller)
        await serving(ctx, controller)
        old = ids(controller)
        await deploy(ctx, "second", instances=2)
        config = guarded(canary(30), "not-created", "green-errors")
        await call(
            ctx, "UpdateEndpoint", EndpointName="ep", EndpointConfigName="second", DeploymentConfig=config
        )
        return old, statuses, (ids(controller), await settled(controller, ctx))

    old, statuses, (after, described) = lab.run(scenario)
    assert lab.sleeps == [1.0] * 5  # one look a second (the default), the fifth saw ALARM
    assert statuses[-2:] == ["RollingBack", "InService"]
    assert after == old
    assert (described["EndpointStatus"], described["EndpointConfigName"]) == ("InService", "first")
    assert described["FailureReason"] == (
        "Update failed; still serving the previous configuration. CloudWatch alarm green-errors went "
        "into ALARM during the update (Threshold Crossed: 1 datapoint [3] gave ALARM)."
    )
    assert len(lab.supervisor.stopped) == 2 and not set(lab.supervisor.stopped) & set(old)


def test_alarms_that_stay_ok_let_the_update_finish(tmp_path: Path) -> None:
    lab = Lab(tmp_path)

    async def scenario(controller: Controller, ctx: ServiceContext) -> dict[str, Any]:
        controller.alarm_states = alarm_after(lab, 3600)
        await serving(ctx, controller)
        await deploy(ctx, "second", instances=2)
        config = guarded(canary(2, TerminationWaitInSeconds=5), "green-errors")
        await call(
            ctx, "UpdateEndpoint", EndpointName="ep", EndpointConfigName="second", DeploymentConfig=config
        )
        return await settled(controller, ctx)

    described = lab.run(scenario)
    assert lab.sleeps == [1.0, 1.0, 1.0, 1.0, 5.0]  # the bakes watched; the termination wait not
    assert (described["EndpointStatus"], described["EndpointConfigName"]) == ("InService", "second")
    assert "FailureReason" not in described


def test_an_alarm_in_a_rolling_bake_whose_rollback_cannot_start_is_update_rollback_failed(
    tmp_path: Path,
) -> None:
    supervisor = FailingOnce()
    lab = Lab(tmp_path, supervisor=supervisor)

    async def scenario(controller: Controller, ctx: ServiceContext) -> tuple[list[str], dict[str, Any]]:
        controller.alarm_states = alarm_after(lab, 2)
        statuses = recording(controller)
        await serving(ctx, controller, instances=2)
        await deploy(ctx, "second", instances=2)
        supervisor.allowed = 1  # the first batch starts; restarting the old instance fails
        config = guarded(rolling(1, 10), "green-errors")
        await call(
            ctx, "UpdateEndpoint", EndpointName="ep", EndpointConfigName="second", DeploymentConfig=config
        )
        described = await settled(controller, ctx)
        fleet = controller.router.fleet("ep")
        assert fleet is not None
        return statuses, described | {"serving": sorted(v.name for v in fleet.variants if v.instances)}

    statuses, described = lab.run(scenario)
    assert statuses[-2:] == ["RollingBack", "UpdateRollbackFailed"]
    assert described["EndpointStatus"] == "UpdateRollbackFailed"
    assert "CloudWatch alarm green-errors went into ALARM" in described["FailureReason"]
    assert "The rollback could not restart the previous instances" in described["FailureReason"]
    assert described["serving"] == ["AllTraffic", "AllTraffic"]  # one old and one new instance

    lab.supervisor = FakeSupervisor()  # a restart: the old config comes back, the status stays

    async def second_life(controller: Controller, ctx: ServiceContext) -> tuple[list[str], str | None]:
        await controller.idle()
        record = lab.store.get("endpoint", "ep")
        assert record is not None
        return ids(controller), record.status

    running, status = lab.run(second_life)
    assert len(running) == 2 and status == "UpdateRollbackFailed"


def stuck_mid_canary(lab: Lab) -> None:
    """A first life that stops (a restart) while the canary of a CANARY update bakes."""
    real_sleep = lab.sleep

    async def forever(seconds: float) -> None:
        await asyncio.Event().wait()

    lab.sleep = forever  # type: ignore[method-assign]

    async def first_life(controller: Controller, ctx: ServiceContext) -> None:
        await serving(ctx, controller, instances=1)
        await deploy(ctx, "second", instances=4)
        update = call(
            ctx, "UpdateEndpoint", EndpointName="ep", EndpointConfigName="second", DeploymentConfig=canary(30)
        )
        asyncio.create_task(update)  # noqa: RUF006 (cancelled by the stop)
        while "RolloutProgress" not in lab.store.get("endpoint", "ep").body:  # type: ignore[union-attr]
            await asyncio.sleep(0.01)

    lab.run(first_life)
    lab.sleep = real_sleep  # type: ignore[method-assign]
    lab.sleeps.clear()
    lab.supervisor = FakeSupervisor()  # the old server's processes are gone


def test_a_restart_mid_canary_resumes_the_schedule_at_the_canary(tmp_path: Path) -> None:
    lab = Lab(tmp_path)
    stuck_mid_canary(lab)
    seen: list[list[tuple[str, float, int]]] = []
    real_sleep = lab.sleep

    async def watching_sleep(seconds: float) -> None:
        fleet = lab.router.fleet("ep")
        assert fleet is not None
        seen.append([(v.name, round(v.weight, 3), len(v.instances)) for v in fleet.variants])
        await real_sleep(seconds)

    lab.sleep = watching_sleep  # type: ignore[method-assign]

    async def second_life(controller: Controller, ctx: ServiceContext) -> dict[str, Any]:
        return await settled(controller, ctx)

    described = lab.run(second_life)
    assert lab.sleeps == [30.0, 30.0]  # the canary bakes again from the start, then the rest
    assert seen[0] == [("AllTraffic", 0.75, 1), ("AllTraffic", 0.25, 4)]  # the old fleet came back
    assert (described["EndpointStatus"], described["EndpointConfigName"]) == ("InService", "second")
    assert "FailureReason" not in described


def test_a_restart_mid_rollback_finishes_the_rollback(tmp_path: Path) -> None:
    lab = Lab(tmp_path)
    stuck_mid_canary(lab)
    record = lab.store.get("endpoint", "ep")
    assert record is not None
    lab.store.update(  # as a rollback leaves it when the server dies before it ends
        record.evolve(status="RollingBack", body=record.body | {"FailureReason": "Update failed; alarm."})
    )

    async def second_life(controller: Controller, ctx: ServiceContext) -> tuple[list[str], dict[str, Any]]:
        described = await settled(controller, ctx)
        return ids(controller), described

    running, described = lab.run(second_life)
    assert (described["EndpointStatus"], described["EndpointConfigName"]) == ("InService", "first")
    assert described["FailureReason"] == "Update failed; alarm."
    assert "PendingDeploymentSummary" not in described
    assert len(running) == 1 and lab.sleeps == []
