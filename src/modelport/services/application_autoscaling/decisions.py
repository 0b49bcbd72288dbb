"""How many instances a variant should have: pure functions, no I/O, no clock.

``target_tracking`` is a target-tracking policy's decision over its recent datapoints (oldest
first, ``None`` where a datapoint is missing); ``step_scaling`` is a step policy's answer to its
alarm. Both return the new capacity, or ``None`` when nothing should change, and both keep the
answer inside ``[min_capacity, max_capacity]``. A capacity outside the bounds (the bounds were
just changed) is brought back to the nearest bound at once, whatever the cooldowns say.

Target tracking, as AWS's managed alarms do it: scale out when the last ``scale_out_points``
datapoints are all above the target; scale in when the last ``scale_in_points`` are all below
90 % of it. The new capacity is proportional: ``ceil(current × mean / target)``. Cooldowns
count from the end of the last scale-out (``last_scale_out``) and scale-in (``last_scale_in``):
no scale-out within ``scale_out_cooldown`` of a scale-out; no scale-in within
``scale_in_cooldown`` of a scale-in, nor within ``scale_out_cooldown`` of a scale-out (so a
fleet that just grew is not shrunk back before its new instances carry load).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

SCALE_IN_RATIO = 0.9  # the managed AlarmLow's threshold, as a share of the target


@dataclass(frozen=True)
class Scaling:
    """What a decision needs besides the metric: the capacity, its bounds and the cooldowns."""

    current: int
    min_capacity: int
    max_capacity: int
    now: float
    last_scale_out: float | None = None
    last_scale_in: float | None = None
    scale_out_cooldown: float = 0.0
    scale_in_cooldown: float = 0.0
    disable_scale_in: bool = False
    disable_scale_out: bool = False

    def clamp(self, capacity: int) -> int:
        return max(self.min_capacity, min(self.max_capacity, capacity))

    def out_of_bounds(self) -> int | None:
        """The nearest bound when the current capacity is outside them."""
        bounded = self.clamp(self.current)
        return bounded if bounded != self.current else None

    def may_scale_out(self) -> bool:
        return not self.disable_scale_out and _elapsed(self.last_scale_out, self.now, self.scale_out_cooldown)

    def may_scale_in(self) -> bool:
        return (
            not self.disable_scale_in
            and _elapsed(self.last_scale_in, self.now, self.scale_in_cooldown)
            and _elapsed(self.last_scale_out, self.now, self.scale_out_cooldown)
        )

    def move_to(self, capacity: int) -> int | None:
        """``capacity`` within the bounds, if the cooldowns allow that direction; else None."""
        wanted = self.clamp(capacity)
        if wanted > self.current and self.may_scale_out():
            return wanted
        if wanted < self.current and self.may_scale_in():
            return wanted
        return None


def _elapsed(last: float | None, now: float, cooldown: float) -> bool:
    return last is None or now - last >= cooldown


def target_tracking(
    values: Sequence[float | None],
    target: float,
    scaling: Scaling,
    *,
    scale_out_points: int = 3,
    scale_in_points: int = 15,
) -> int | None:
    """The capacity that brings the metric back to ``target``, or None."""
    fixed = scaling.out_of_bounds()
    if fixed is not None:
        return fixed
    recent_out = _complete(values, scale_out_points)
    if recent_out is not None and all(value > target for value in recent_out):
        return scaling.move_to(_proportional(scaling.current, recent_out, target))
    recent_in = _complete(values, scale_in_points)
    if recent_in is not None and all(value < SCALE_IN_RATIO * target for value in recent_in):
        return scaling.move_to(_proportional(scaling.current, recent_in, target))
    return None


def _complete(values: Sequence[float | None], count: int) -> list[float] | None:
    """The last ``count`` datapoints, when none of them is missing."""
    recent = list(values[-count:])
    if len(recent) < count or any(value is None for value in recent):
        return None
    return [value for value in recent if value is not None]


def _proportional(current: int, values: Sequence[float], target: float) -> int:
    mean = sum(values) / len(values)
    return max(0, math.ceil(current * mean / target - 1e-9))


def step_adjustment(steps: Sequence[dict[str, Any]], breach: float) -> float | None:
    """The ``ScalingAdjustment`` of the step whose interval holds ``breach`` (metric − threshold).

    Above the threshold a step's lower bound is inclusive and its upper bound exclusive; below
    it, the other way round (AWS's StepAdjustment rule). A missing bound is infinite.
    """
    for step in steps:
        lower = step.get("MetricIntervalLowerBound")
        upper = step.get("MetricIntervalUpperBound")
        low = -math.inf if lower is None else float(lower)
        high = math.inf if upper is None else float(upper)
        inside = low <= breach < high if breach >= 0 else low < breach <= high
        if inside:
            return float(step["ScalingAdjustment"])
    return None


def step_scaling(config: dict[str, Any], breach: float, scaling: Scaling) -> int | None:
    """A step policy's new capacity for an alarm whose metric is ``breach`` past its threshold."""
    fixed = scaling.out_of_bounds()
    if fixed is not None:
        return fixed
    adjustment = step_adjustment(config.get("StepAdjustments") or [], breach)
    if adjustment is None:
        return None
    current = scaling.current
    kind = config.get("AdjustmentType", "ChangeInCapacity")
    if kind == "ExactCapacity":
        wanted = int(adjustment)
    elif kind == "PercentChangeInCapacity":
        change = _percent_change(current, adjustment)
        minimum = int(config.get("MinAdjustmentMagnitude") or 0)
        if change and abs(change) < minimum:
            change = minimum if change > 0 else -minimum
        wanted = current + change
    else:
        wanted = current + int(adjustment)
    return scaling.move_to(wanted)


def _percent_change(current: int, percent: float) -> int:
    """AWS's rounding: a change between 0 and 1 (or -1 and 0) is 1 (-1); beyond, toward zero."""
    change = current * percent / 100
    if change == 0:
        return 0
    if -1 < change < 1:
        return 1 if change > 0 else -1
    return int(change)
