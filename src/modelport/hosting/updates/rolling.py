"""A rolling update (``RollingUpdatePolicy``): the new fleet replaces the old one batch by batch.

Unlike a blue/green update, the two fleets never run in full side by side:

    for each batch (``shifting.rolling_batches`` of ``MaximumBatchSize``):
        start the batch's new instances (all healthy, or roll back)
        route by capacity (``fleet.by_capacity``), the old fleet's surplus out of routing
        drain and stop that surplus; bake ``WaitIntervalInSeconds``

so at most one batch more than the old fleet runs at any time. A rollback (a batch that cannot
start, the update past ``MaximumExecutionTimeoutInSeconds``, a new variant with no live
instance, an ``AutoRollbackConfiguration`` alarm in ``ALARM`` during a bake) starts the old
instances that were stopped again, in batches of ``RollbackMaximumBatchSize`` (default: all at
once), routes to the old fleet alone, and drains the new one: ``RollingBack``, then
``InService`` on the old config with ``FailureReason``. When the old instances cannot start
again, the endpoint is ``UpdateRollbackFailed`` and serves with what runs of both fleets, as
SageMaker's does, until the next UpdateEndpoint.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any

from modelport.core.errors import ArtifactError
from modelport.hosting.deployments import model_source
from modelport.hosting.fleet import Fleet, Instance, VariantFleet, by_capacity
from modelport.hosting.status import EndpointStatus
from modelport.hosting.updates import run as updates
from modelport.hosting.updates.guard import watched_alarms
from modelport.hosting.updates.shifting import rolling_batches
from modelport.sandboxes.supervisor import StartupFailed

if TYPE_CHECKING:
    from modelport.hosting.controller import Controller


async def roll(ctl: Controller, name: str, body: dict[str, Any], blue: Fleet, started: float) -> None:
    pending = body["PendingDeployment"]
    policy = body["DeploymentConfig"]["RollingUpdatePolicy"]
    green = Fleet(
        endpoint_name=name,
        deployment=pending,
        variants=[
            VariantFleet(
                name=v["VariantName"], weight=v["Weight"], desired_count=v["InstanceCount"], snapshot=v
            )
            for v in pending["Variants"]
        ],
    )
    total = sum(v.desired_count for v in green.variants)
    limit = policy.get("MaximumExecutionTimeoutInSeconds")
    deadline = None if limit is None else started + float(limit)
    watch = updates.Watch(green, deadline, limit, watched_alarms(body["DeploymentConfig"]))
    wait = float(policy["WaitIntervalInSeconds"])
    for step, running in enumerate(rolling_batches(policy["MaximumBatchSize"], total)):
        if step and (reason := await watch.until(ctl, ctl.clock.monotonic() + wait)):  # bake the batch
            await _roll_back(ctl, name, blue, green, policy, reason)
            return
        try:
            await _grow(ctl, name, green, running - len(green.instances()))
        except (StartupFailed, ArtifactError) as exc:
            await _roll_back(ctl, name, blue, green, policy, f"{updates.ROLLED_BACK} {exc}")
            return
        share = running / total
        surplus: list[Instance] = []
        for variant in blue.variants:  # out of routing, and the new routing installed, in one step
            keep = math.ceil(variant.desired_count * (1.0 - share) - 1e-9)
            surplus += variant.instances[keep:]
            del variant.instances[keep:]
        ctl.router.install(green if share >= 1.0 else by_capacity(blue, green))
        updates.progress(ctl, name, share)
        await updates.drain(ctl, surplus)
    if reason := await watch.until(ctl, ctl.clock.monotonic() + wait):
        await _roll_back(ctl, name, blue, green, policy, reason)
        return
    updates.finish(ctl, name, deployment=pending)


async def _grow(ctl: Controller, name: str, fleet: Fleet, count: int) -> None:
    """Start ``count`` more instances of ``fleet``, filling its variants in order; all or none."""
    starts: list[Coroutine[Any, Any, tuple[VariantFleet, Instance]]] = []
    for variant in fleet.variants:
        missing = min(count - len(starts), variant.desired_count - len(variant.instances))
        if missing <= 0:
            continue
        snapshot = variant.snapshot
        model_dir = await asyncio.to_thread(ctl.artifacts.prepare, *model_source(snapshot))
        first = len(variant.instances)
        starts += [ctl.start_instance(name, variant, first + k, model_dir, missing) for k in range(missing)]
    results = await asyncio.gather(*starts, return_exceptions=True)
    fresh = [r for r in results if isinstance(r, tuple)]
    failures = [r for r in results if isinstance(r, BaseException)]
    if failures:
        await updates.drain(ctl, [instance for _, instance in fresh])
        raise failures[0]
    for variant, instance in fresh:
        variant.instances.append(instance)


async def _roll_back(
    ctl: Controller, name: str, blue: Fleet, green: Fleet, policy: dict[str, Any], reason: str
) -> None:
    ctl.set_status(name, EndpointStatus.ROLLING_BACK, failure_reason=reason)
    missing = sum(v.desired_count - len(v.instances) for v in blue.variants)
    size = policy.get("RollbackMaximumBatchSize")
    batches = rolling_batches(size, missing) if size and missing else [missing]
    done = 0
    try:
        for running in batches:
            await _grow(ctl, name, blue, running - done)
            done = running
            ctl.router.install(by_capacity(blue, green))
    except (StartupFailed, ArtifactError) as exc:
        # The old fleet cannot come back in full: keep serving what runs of both.
        ctl.set_status(
            name,
            EndpointStatus.UPDATE_ROLLBACK_FAILED,
            failure_reason=f"{reason} The rollback could not restart the previous instances: {exc}",
            body_changes={"PendingDeployment": None, "RolloutProgress": None},
        )
        return
    ctl.router.install(blue)
    await updates.drain(ctl, green.instances())
    updates.finish(ctl, name, failure=reason)
