"""Updating a serving endpoint: a new fleet moved in by its schedule, or the same fleet resized.

Two kinds of update leave an endpoint ``Updating`` (the controller hands both here):

- **UpdateEndpoint** wrote a ``PendingDeployment``. The new (green) fleet starts beside the old
  (blue) one, which keeps serving. If green fails to start, blue never stopped serving: the
  endpoint is ``InService`` on the old config with ``FailureReason``. Otherwise traffic moves
  to green step by step (``shifting.traffic_schedule`` of the ``DeploymentConfig``), the router
  serving a blend of both fleets (``fleet.blend``) meanwhile; a rollback (the update ran past
  ``MaximumExecutionTimeoutInSeconds``, or a green variant lost every instance) puts blue back
  at once. So does a CloudWatch alarm of ``AutoRollbackConfiguration`` in ``ALARM`` while traffic
  shifts or bakes (``guard.py``). A rollback goes through ``RollingBack`` to ``InService`` on
  the old config with ``FailureReason``. After the last bake and ``TerminationWaitInSeconds``,
  blue is drained and stopped.
- With a ``RollingUpdatePolicy`` the new fleet replaces the old one batch by batch instead
  (``rolling.py``).
- **UpdateEndpointWeightsAndCapacities** changed the counts and weights of ``Deployment`` in
  place. The running fleet converges without restarting a healthy instance: missing instances
  start first, then the weights change, then surplus instances are taken out of routing,
  drained and stopped. If an instance cannot start, the ones just started stop again and the
  endpoint is ``InService`` on its previous counts and weights, with ``FailureReason``.

A server restart mid-update loses both fleets. The update then resumes: the old fleet starts
again, then the new one, and the schedule goes on from the step it had reached (that step's bake
starts over, ``MaximumExecutionTimeoutInSeconds`` counts from the restart; a rolling update
starts its batches again). An endpoint caught ``RollingBack`` finishes its rollback: the old
fleet starts again and the endpoint is ``InService`` with the ``FailureReason`` it had.

*Drained* means taken out of routing, then stopped once the requests it is serving have
finished (at most the invocation timeout later); the worker's graceful shutdown covers the rest.
Progress of a blue/green update is written to the endpoint record (``RolloutProgress``) so
DescribeEndpoint can show each pending variant's ``VariantStatus``.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from modelport.core.errors import ArtifactError
from modelport.hosting.deployments import model_source
from modelport.hosting.fleet import Fleet, Instance, VariantFleet, blend
from modelport.hosting.serverless import ServerlessSpec
from modelport.hosting.status import EndpointStatus
from modelport.hosting.updates import guard
from modelport.hosting.updates.guard import watched_alarms
from modelport.hosting.updates.shifting import resumed, traffic_schedule
from modelport.sandboxes.supervisor import StartupFailed

if TYPE_CHECKING:
    from modelport.hosting.controller import Controller

_DRAIN_POLL_S = 0.01
ROLLED_BACK = "Update failed; still serving the previous configuration."


async def update(ctl: Controller, name: str, body: dict[str, Any], *, rolling_back: bool = False) -> None:
    if rolling_back:  # a restart while rolling back: finish the rollback on the old config
        if ctl.router.fleet(name) is None:
            await ctl.restore(name, body["Deployment"])
        if ctl.router.fleet(name) is not None:
            finish(ctl, name, failure=body.get("FailureReason") or ROLLED_BACK)
    elif "PendingDeployment" in body:
        if ctl.router.fleet(name) is None:  # a restart mid-update: the old fleet comes back first
            await ctl.restore(name, body["Deployment"], keep_status=True)
        try:
            await _blue_green(ctl, name, body)
        finally:
            ctl.router.arrivals.settle(name)
    else:
        await _resize(ctl, name, body["Deployment"])


async def drain(ctl: Controller, instances: list[Instance]) -> None:
    """Wait (bounded) until no request is in flight on ``instances``, then stop them."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + ctl.router.timeout_s + 1.0
    while any(i.outstanding for i in instances) and loop.time() < deadline:
        await asyncio.sleep(_DRAIN_POLL_S)
    for instance in instances:
        await ctl.supervisor.stop(instance.worker)
        await instance.client.aclose()


# -- UpdateEndpoint -----------------------------------------------------------------------------


async def _blue_green(ctl: Controller, name: str, body: dict[str, Any]) -> None:
    pending = body["PendingDeployment"]
    started = ctl.clock.monotonic()
    config = body.get("DeploymentConfig") or {}
    serving = ctl.router.fleet(name)
    if "RollingUpdatePolicy" in config and serving is not None:
        from modelport.hosting.updates import rolling  # it builds on this module's steps

        await rolling.roll(ctl, name, body, serving, started)
        return
    try:
        green = await ctl.launch(name, pending)
    except (StartupFailed, ArtifactError) as exc:
        if ctl.router.fleet(name) is None:  # after a restart the old fleet must come back first
            await ctl.restore(name, body["Deployment"], keep_status=True)
        finish(ctl, name, failure=f"{ROLLED_BACK} {exc}")
        return
    blue = ctl.router.fleet(name)
    if blue is None:  # the old fleet could not start again after a restart: nothing to shift from
        ctl.router.install(green)
        finish(ctl, name, deployment=pending)
        return
    # Sizes count production instances: a shadow's take no traffic share.
    schedule = traffic_schedule(config, sum(len(v.instances) for v in green.variants))
    reached = float((body.get("RolloutProgress") or {}).get("GreenShare", 0.0))  # before a restart
    schedule = resumed(schedule, reached)
    limit = (config.get("BlueGreenUpdatePolicy") or {}).get("MaximumExecutionTimeoutInSeconds")
    watch = Watch(green, None if limit is None else started + float(limit), limit, watched_alarms(config))
    shifted = ctl.clock.monotonic()  # the schedule counts from the moment green is healthy
    for step in schedule.shifts:
        if reason := await watch.until(ctl, shifted + step.at_s):
            await _roll_back(ctl, name, blue, green, reason)
            return
        ctl.router.install(green if step.green_share >= 1.0 else blend(blue, green, step.green_share))
        progress(ctl, name, step.green_share)
    if reason := await watch.until(ctl, shifted + schedule.done_at_s):
        await _roll_back(ctl, name, blue, green, reason)
        return
    await _sleep_until(ctl, shifted + schedule.terminate_at_s)
    await drain(ctl, blue.instances())
    finish(ctl, name, deployment=pending)


@dataclass(frozen=True)
class Watch:
    """What can roll an update back while it waits: the new fleet dying, the time limit, alarms."""

    green: Fleet
    deadline: float | None
    limit: object
    alarms: tuple[str, ...]

    async def until(self, ctl: Controller, moment: float) -> str | None:
        """Wait until ``moment`` (looking at the alarms meanwhile, if any are named); the
        FailureReason to roll back with, or None."""
        states = ctl.alarm_states
        if not self.alarms or states is None:
            await _sleep_until(ctl, moment)
            return trouble(ctl, self.green, self.deadline, self.limit)
        while True:
            reason = guard.tripped(self.alarms, states(self.alarms), ROLLED_BACK)
            if reason := reason or trouble(ctl, self.green, self.deadline, self.limit):
                return reason
            now = ctl.clock.monotonic()
            if now >= moment:
                return None
            interval = ctl.settings.limits.deployment_alarm_check_interval_s
            await ctl.sleep(guard.next_look(now, moment, interval) - now)


def trouble(ctl: Controller, green: Fleet, deadline: float | None, limit: object) -> str | None:
    if deadline is not None and ctl.clock.monotonic() > deadline:
        return f"{ROLLED_BACK} The update took longer than MaximumExecutionTimeoutInSeconds ({limit} s)."
    for variant in green.variants:
        if variant.instances and not any(i.alive for i in variant.instances):  # started, then all died
            return (
                f"{ROLLED_BACK} Every instance of production variant {variant.name} in the new fleet "
                f"stopped while traffic was being shifted. See the instance log with: modelport logs {green.endpoint_name}"
            )
    return None


async def _roll_back(ctl: Controller, name: str, blue: Fleet, green: Fleet, reason: str) -> None:
    ctl.set_status(name, EndpointStatus.ROLLING_BACK, failure_reason=reason)
    ctl.router.install(blue)
    await drain(ctl, green.instances())
    finish(ctl, name, failure=reason)


def progress(ctl: Controller, name: str, green_share: float) -> None:
    status = "ActivatingTraffic" if green_share < 1.0 else "Baking"
    progress = {"Status": status, "GreenShare": green_share, "StartTime": ctl.clock.now()}
    ctl.set_status(name, EndpointStatus.UPDATING, body_changes={"RolloutProgress": progress})


def finish(
    ctl: Controller, name: str, *, deployment: dict[str, Any] | None = None, failure: str | None = None
) -> None:
    changes: dict[str, Any] = {"PendingDeployment": None, "RolloutProgress": None}
    if deployment is not None:
        changes["Deployment"] = deployment
    ctl.set_status(name, EndpointStatus.IN_SERVICE, failure_reason=failure, body_changes=changes)


async def _sleep_until(ctl: Controller, moment: float) -> None:
    delay = moment - ctl.clock.monotonic()
    if delay > 0:
        await ctl.sleep(delay)


# -- UpdateEndpointWeightsAndCapacities ---------------------------------------------------------


async def _resize(ctl: Controller, name: str, desired: dict[str, Any]) -> None:
    fleet = ctl.router.fleet(name)
    if fleet is None:  # after a restart: start the fleet at its desired size
        await ctl.restore(name, desired)
        if ctl.router.fleet(name) is not None:
            finish(ctl, name)
        return
    previous = fleet.deployment
    wanted = {v["VariantName"]: v for v in desired["Variants"]}
    started: list[Instance] = []
    try:
        for variant in fleet.variants:
            target = wanted[variant.name]
            model_dir = variant.instances[0].worker.spec.model_dir if variant.instances else None
            if model_dir is None:
                snapshot = variant.snapshot
                model_dir = await asyncio.to_thread(ctl.artifacts.prepare, *model_source(snapshot))
            if variant.gate is not None:  # serverless: a new MaxConcurrency takes effect at once
                variant.gate.spec = ServerlessSpec.from_config(target["ServerlessConfig"])
            missing = _wanted_instances(variant, target) - len(variant.instances)
            first = len(variant.instances)
            results = await asyncio.gather(
                *(ctl.start_instance(name, variant, first + k, model_dir, missing) for k in range(missing)),
                return_exceptions=True,
            )
            fresh = [r[1] for r in results if isinstance(r, tuple)]
            started += fresh
            failures = [r for r in results if isinstance(r, BaseException)]
            if failures:
                raise failures[0]
            variant.instances.extend(fresh)  # they take traffic from now on
    except (StartupFailed, ArtifactError) as exc:
        for variant in fleet.variants:
            variant.instances[:] = [i for i in variant.instances if i not in started]
        await drain(ctl, started)
        finish(ctl, name, deployment=previous, failure=f"{ROLLED_BACK} {exc}")
        return
    surplus: list[Instance] = []
    for variant in fleet.variants:
        target = wanted[variant.name]
        variant.weight = float(target["Weight"])
        variant.desired_count = int(target["InstanceCount"])
        variant.snapshot = target
        keep = variant.desired_count
        surplus += variant.instances[keep:]
        del variant.instances[keep:]  # out of routing first: no new request reaches them
    fleet.deployment = desired
    await drain(ctl, surplus)
    finish(ctl, name)


def _wanted_instances(variant: VariantFleet, target: dict[str, Any]) -> int:
    """The instances a resize starts up to: the count asked for; for a serverless variant, the one
    it has, or one when it is scaled to zero and now has ProvisionedConcurrency (kept warm)."""
    if variant.gate is None:
        return int(target["InstanceCount"])
    if variant.instances or not variant.gate.spec.provisioned_concurrency:
        return len(variant.instances)
    return 1
