"""The scaling decisions, pure: bounds, DisableScaleIn, cooldowns and monotony in load as
properties, then the cases a user reads in the docs."""

from __future__ import annotations

import dataclasses

from hypothesis import given
from hypothesis import strategies as st

from modelport.services.application_autoscaling.decisions import (
    Scaling,
    step_adjustment,
    step_scaling,
    target_tracking,
)

NOW = 10_000.0
values = st.lists(st.one_of(st.none(), st.floats(0, 10_000)), max_size=20)
loads = st.lists(st.floats(0, 10_000), min_size=1, max_size=20)


@st.composite
def scalings(draw: st.DrawFn) -> Scaling:
    low = draw(st.integers(1, 10))
    high = draw(st.integers(low, 20))
    return Scaling(
        current=draw(st.integers(1, 25)),
        min_capacity=low,
        max_capacity=high,
        now=NOW,
        last_scale_out=draw(st.one_of(st.none(), st.floats(NOW - 1_000, NOW))),
        last_scale_in=draw(st.one_of(st.none(), st.floats(NOW - 1_000, NOW))),
        scale_out_cooldown=draw(st.floats(0, 600)),
        scale_in_cooldown=draw(st.floats(0, 600)),
        disable_scale_in=draw(st.booleans()),
    )


def decide(points: list[float | None], scaling: Scaling, target: float = 70.0) -> int:
    """The capacity after the decision (the current one when nothing changes)."""
    new = target_tracking(points, target, scaling, scale_out_points=3, scale_in_points=5)
    return scaling.current if new is None else new


@given(values, scalings(), st.floats(0.1, 1_000))
def test_never_outside_the_bounds(points: list[float | None], scaling: Scaling, target: float) -> None:
    new = target_tracking(points, target, scaling)
    if new is not None:
        assert scaling.min_capacity <= new <= scaling.max_capacity


@given(values, scalings())
def test_disable_scale_in_never_lowers_a_capacity_within_bounds(
    points: list[float | None], scaling: Scaling
) -> None:
    scaling = dataclasses.replace(scaling, disable_scale_in=True)
    if scaling.min_capacity <= scaling.current <= scaling.max_capacity:
        assert decide(points, scaling) >= scaling.current


@given(values, scalings())
def test_cooldowns_hold(points: list[float | None], scaling: Scaling) -> None:
    if not scaling.min_capacity <= scaling.current <= scaling.max_capacity:
        return  # out of bounds: brought back at once, whatever the cooldowns
    new = decide(points, scaling)
    if scaling.last_scale_out is not None and NOW - scaling.last_scale_out < scaling.scale_out_cooldown:
        assert new <= scaling.current  # no scale-out within the scale-out cooldown ...
        assert new >= scaling.current  # ... nor a scale-in right after a scale-out
    if scaling.last_scale_in is not None and NOW - scaling.last_scale_in < scaling.scale_in_cooldown:
        assert new >= scaling.current


@given(loads, st.lists(st.floats(0, 5_000), min_size=20, max_size=20), scalings())
def test_more_load_never_means_fewer_instances(
    points: list[float], extra: list[float], scaling: Scaling
) -> None:
    heavier: list[float | None] = [value + more for value, more in zip(points, extra, strict=False)]
    assert decide(heavier, scaling) >= decide(list(points), scaling)


def test_scales_out_in_proportion_after_enough_datapoints_above_target() -> None:
    scaling = Scaling(current=2, min_capacity=1, max_capacity=10, now=NOW)
    assert target_tracking([140, 140], 70, scaling) is None  # 2 of the 3 datapoints needed
    assert target_tracking([140, 140, 140], 70, scaling) == 4
    assert target_tracking([140, None, 140], 70, scaling) is None  # a missing datapoint
    assert target_tracking([10_000] * 3, 70, scaling) == 10  # at most MaxCapacity


def test_scales_in_below_ninety_percent_of_target_and_to_the_minimum_when_idle() -> None:
    scaling = Scaling(current=4, min_capacity=2, max_capacity=10, now=NOW)
    assert target_tracking([65.0] * 15, 70, scaling) is None  # 93 %: inside the dead band
    assert target_tracking([35.0] * 15, 70, scaling) == 2
    assert target_tracking([0.0] * 15, 70, scaling) == 2
    assert target_tracking([0.0] * 14, 70, scaling) is None  # 15 datapoints needed


def test_cooldowns_count_from_the_last_change() -> None:
    scaling = Scaling(
        current=2,
        min_capacity=1,
        max_capacity=10,
        now=NOW,
        last_scale_out=NOW - 100,
        scale_out_cooldown=300,
        scale_in_cooldown=300,
    )
    assert target_tracking([200.0] * 3, 70, scaling) is None
    assert target_tracking([200.0] * 3, 70, dataclasses.replace(scaling, now=NOW + 200)) == 6
    assert target_tracking([0.0] * 15, 70, scaling) is None  # not right after a scale-out


def test_bounds_changed_under_the_capacity_apply_at_once() -> None:
    scaling = Scaling(current=5, min_capacity=1, max_capacity=3, now=NOW, disable_scale_in=True)
    assert target_tracking([], 70, scaling) == 3
    assert target_tracking([], 70, dataclasses.replace(scaling, current=1, min_capacity=2)) == 2


STEPS = [
    {"MetricIntervalUpperBound": 0.0, "ScalingAdjustment": -1},
    {"MetricIntervalLowerBound": 0.0, "MetricIntervalUpperBound": 10.0, "ScalingAdjustment": 1},
    {"MetricIntervalLowerBound": 10.0, "ScalingAdjustment": 3},
]


def test_step_bounds_follow_aws_inclusive_rule() -> None:
    assert step_adjustment(STEPS, 0.0) == 1  # above the threshold: lower bound inclusive
    assert step_adjustment(STEPS, 9.99) == 1
    assert step_adjustment(STEPS, 10.0) == 3
    assert step_adjustment(STEPS, -0.5) == -1


def test_step_adjustment_types() -> None:
    scaling = Scaling(current=4, min_capacity=1, max_capacity=20, now=NOW)
    change = {"AdjustmentType": "ChangeInCapacity", "StepAdjustments": STEPS}
    assert step_scaling(change, 12.0, scaling) == 7
    exact = {"AdjustmentType": "ExactCapacity", "StepAdjustments": [{"ScalingAdjustment": 9}]}
    assert step_scaling(exact, 1.0, scaling) == 9
    percent = {
        "AdjustmentType": "PercentChangeInCapacity",
        "StepAdjustments": [{"MetricIntervalLowerBound": 0.0, "ScalingAdjustment": 10}],
    }
    assert step_scaling(percent, 1.0, scaling) == 5  # 0.4 of an instance rounds up to 1
    assert step_scaling({**percent, "MinAdjustmentMagnitude": 3}, 1.0, scaling) == 7
    held = dataclasses.replace(scaling, last_scale_out=NOW - 10, scale_out_cooldown=60)
    assert step_scaling(change, 12.0, held) is None
