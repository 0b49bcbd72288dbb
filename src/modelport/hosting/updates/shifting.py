"""The traffic-shifting schedule of a blue/green update: a pure function of its DeploymentConfig.

SageMaker's ``BlueGreenUpdatePolicy`` starts the new (green) fleet beside the old (blue) one,
then moves traffic to it in steps, each followed by a *baking* period of
``WaitIntervalInSeconds`` during which the update may still roll back:

    ALL_AT_ONCE  one step: all traffic at once, then bake
    CANARY       ``CanarySize`` of the traffic, bake; then the rest, bake
    LINEAR       ``LinearStepSize`` more at each step, baking after each, until all is moved

A size is a share of the new fleet's capacity: ``CAPACITY_PERCENT`` directly, ``INSTANCE_COUNT``
as that many of its instances. After the last bake the old fleet is kept
``TerminationWaitInSeconds`` longer (a quick way back), then stopped. No config at all behaves as
ALL_AT_ONCE without waits, which is what UpdateEndpoint did before guardrails.

A ``RollingUpdatePolicy`` instead replaces the fleet batch by batch (``rolling.py``):
``rolling_batches`` says how many new instances run after each batch.

Times are seconds after the green fleet passed its health checks; the controller sleeps until
each step and applies it (``run.py``). Nothing here reads a clock.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Shift:
    at_s: float  # when this step starts, after the green fleet is healthy
    green_share: float  # fraction of the traffic on the green fleet from then on (0 < share <= 1)


@dataclass(frozen=True)
class Schedule:
    shifts: tuple[Shift, ...]  # in time order; the last moves all traffic (share 1.0)
    done_at_s: float  # the last bake ends: the update has succeeded
    terminate_at_s: float  # the old fleet is stopped (done + TerminationWaitInSeconds)


def traffic_schedule(deployment_config: dict[str, Any] | None, green_instances: int) -> Schedule:
    """The steps of an update's ``DeploymentConfig`` (None or empty: all at once, no waits)."""
    config = deployment_config or {}
    if rolling := config.get("RollingUpdatePolicy"):
        # Batches of the fleet in turn; modelport starts the whole new fleet first (see docs/hosting.md).
        return _steps(
            _linear(rolling["MaximumBatchSize"], green_instances), rolling["WaitIntervalInSeconds"], 0
        )
    policy = config.get("BlueGreenUpdatePolicy") or {}
    routing = policy.get("TrafficRoutingConfiguration") or {"Type": "ALL_AT_ONCE"}
    kind = routing.get("Type", "ALL_AT_ONCE")
    if kind == "CANARY":
        shares = [_share(routing["CanarySize"], green_instances), 1.0]
    elif kind == "LINEAR":
        shares = _linear(routing["LinearStepSize"], green_instances)
    else:
        shares = [1.0]
    return _steps(shares, routing.get("WaitIntervalInSeconds", 0), policy.get("TerminationWaitInSeconds", 0))


def _steps(shares: list[float], wait_s: float, termination_s: float) -> Schedule:
    shifts = tuple(Shift(at_s=k * float(wait_s), green_share=s) for k, s in enumerate(_deduplicated(shares)))
    done = len(shifts) * float(wait_s)
    return Schedule(shifts=shifts, done_at_s=done, terminate_at_s=done + float(termination_s))


def resumed(schedule: Schedule, green_share: float) -> Schedule:
    """The rest of ``schedule`` once ``green_share`` of the traffic had moved (after a restart):
    the step that had moved it is applied again at once and its bake starts over; 0 (nothing
    moved yet) keeps the whole schedule."""
    rest = [shift for shift in schedule.shifts if shift.green_share >= green_share - 1e-9] or [
        schedule.shifts[-1]
    ]
    offset = rest[0].at_s
    return Schedule(
        shifts=tuple(Shift(at_s=s.at_s - offset, green_share=s.green_share) for s in rest),
        done_at_s=schedule.done_at_s - offset,
        terminate_at_s=schedule.terminate_at_s - offset,
    )


def _linear(size: dict[str, Any], green_instances: int) -> list[float]:
    step = _share(size, green_instances)
    count = math.ceil(1.0 / step - 1e-9)
    shares = [min(1.0, step * (k + 1)) for k in range(count)]
    shares[-1] = 1.0
    return shares


def rolling_batches(batch_size: dict[str, Any], green_instances: int) -> list[int]:
    """How many new instances run after each batch of ``MaximumBatchSize`` (at least one a batch)."""
    value = float(batch_size["Value"])
    if batch_size["Type"] == "INSTANCE_COUNT":
        step = int(value)
    else:
        step = math.ceil(green_instances * value / 100.0 - 1e-9)
    step = max(1, step)
    return [min(green_instances, k) for k in range(step, green_instances + step, step)]


def capacity_share(size: dict[str, Any], green_instances: int) -> float:
    """The unclamped share of the new fleet's capacity a ``CapacitySize`` names."""
    value = float(size["Value"])
    if size["Type"] == "INSTANCE_COUNT":
        return value / max(1, green_instances)
    return value / 100.0


def _share(size: dict[str, Any], green_instances: int) -> float:
    return min(1.0, max(capacity_share(size, green_instances), 1e-6))


def _deduplicated(shares: list[float]) -> list[float]:
    """Drop steps that would not move any traffic (a canary of the whole fleet is one step)."""
    kept: list[float] = []
    for share in shares:
        if not kept or share > kept[-1]:
            kept.append(share)
    return kept
