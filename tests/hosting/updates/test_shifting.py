"""The traffic-shifting schedule: examples from SageMaker's guide, and properties of every schedule."""

from __future__ import annotations

import itertools
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from modelport.hosting.updates.shifting import Shift, resumed, rolling_batches, traffic_schedule


def blue_green(routing: dict[str, Any], termination: int = 0) -> dict[str, Any]:
    return {
        "BlueGreenUpdatePolicy": {
            "TrafficRoutingConfiguration": routing,
            "TerminationWaitInSeconds": termination,
        }
    }


def test_no_config_moves_everything_at_once_without_waiting() -> None:
    schedule = traffic_schedule(None, 3)
    assert schedule.shifts == (Shift(0.0, 1.0),)
    assert (schedule.done_at_s, schedule.terminate_at_s) == (0.0, 0.0)


def test_all_at_once_bakes_then_keeps_the_old_fleet_for_the_termination_wait() -> None:
    schedule = traffic_schedule(blue_green({"Type": "ALL_AT_ONCE", "WaitIntervalInSeconds": 300}, 120), 2)
    assert schedule.shifts == (Shift(0.0, 1.0),)
    assert (schedule.done_at_s, schedule.terminate_at_s) == (300.0, 420.0)


def test_a_canary_of_one_instance_in_four_gets_a_quarter_of_the_traffic_first() -> None:
    routing = {
        "Type": "CANARY",
        "WaitIntervalInSeconds": 60,
        "CanarySize": {"Type": "INSTANCE_COUNT", "Value": 1},
    }
    schedule = traffic_schedule(blue_green(routing), 4)
    assert schedule.shifts == (Shift(0.0, 0.25), Shift(60.0, 1.0))
    assert schedule.done_at_s == 120.0


def test_linear_steps_of_a_third_take_three_steps() -> None:
    size = {"Type": "CAPACITY_PERCENT", "Value": 34}
    schedule = traffic_schedule(
        blue_green({"Type": "LINEAR", "WaitIntervalInSeconds": 10, "LinearStepSize": size}), 3
    )
    assert [s.green_share for s in schedule.shifts] == [0.34, 0.68, 1.0]
    assert [s.at_s for s in schedule.shifts] == [0.0, 10.0, 20.0]


def test_a_rolling_update_runs_batches_of_new_instances() -> None:
    assert rolling_batches({"Type": "INSTANCE_COUNT", "Value": 2}, 5) == [2, 4, 5]
    assert rolling_batches({"Type": "CAPACITY_PERCENT", "Value": 50}, 3) == [
        2,
        3,
    ]  # a batch is whole instances
    assert rolling_batches({"Type": "CAPACITY_PERCENT", "Value": 1}, 4) == [1, 2, 3, 4]  # at least one


sizes = st.fixed_dictionaries(
    {"Type": st.sampled_from(["INSTANCE_COUNT", "CAPACITY_PERCENT"]), "Value": st.integers(1, 200)}
)
routings = st.one_of(
    st.fixed_dictionaries({"Type": st.just("ALL_AT_ONCE"), "WaitIntervalInSeconds": st.integers(0, 3600)}),
    st.fixed_dictionaries(
        {"Type": st.just("CANARY"), "WaitIntervalInSeconds": st.integers(0, 3600), "CanarySize": sizes}
    ),
    st.fixed_dictionaries(
        {"Type": st.just("LINEAR"), "WaitIntervalInSeconds": st.integers(0, 3600), "LinearStepSize": sizes}
    ),
)


@given(routing=routings, termination=st.integers(0, 3600), instances=st.integers(1, 16))
def test_every_schedule_moves_all_traffic_forward_in_time_order(
    routing: dict[str, Any], termination: int, instances: int
) -> None:
    schedule = traffic_schedule(blue_green(routing, termination), instances)
    shares = [s.green_share for s in schedule.shifts]
    times = [s.at_s for s in schedule.shifts]
    assert shares[-1] == 1.0  # the update always ends with all traffic on the new fleet
    assert all(0.0 < share <= 1.0 for share in shares)
    assert shares == sorted(set(shares))  # traffic only moves forward, and every step moves some
    assert times == sorted(times) and times[0] == 0.0
    wait = routing["WaitIntervalInSeconds"]
    assert all(later - earlier == wait for earlier, later in itertools.pairwise(times))
    assert schedule.done_at_s == times[-1] + wait  # the last step bakes too
    assert schedule.terminate_at_s == schedule.done_at_s + termination
    assert len(shares) <= 1_000_000  # a step of at least 1e-6 of the traffic


@given(size=sizes, instances=st.integers(1, 40))
def test_rolling_batches_grow_to_the_whole_fleet(size: dict[str, Any], instances: int) -> None:
    batches = rolling_batches(size, instances)
    assert batches[-1] == instances
    assert batches == sorted(set(batches)) and batches[0] >= 1
    steps = [later - earlier for earlier, later in itertools.pairwise([0, *batches])]
    assert max(steps) == steps[0] and all(
        step >= 1 for step in steps
    )  # equal batches, the last may be smaller


def test_a_resumed_schedule_starts_again_at_the_step_it_had_reached() -> None:
    canary = {
        "BlueGreenUpdatePolicy": {
            "TrafficRoutingConfiguration": {
                "Type": "CANARY",
                "WaitIntervalInSeconds": 30,
                "CanarySize": {"Type": "INSTANCE_COUNT", "Value": 1},
            },
            "TerminationWaitInSeconds": 60,
        }
    }
    schedule = traffic_schedule(canary, 4)
    assert resumed(schedule, 0.0) == schedule  # nothing had moved: all of it
    at_canary = resumed(schedule, 0.25)
    assert at_canary == schedule  # the canary step is the first: its bake starts over
    at_rest = resumed(schedule, 1.0)
    assert at_rest.shifts == (Shift(at_s=0.0, green_share=1.0),)
    assert (at_rest.done_at_s, at_rest.terminate_at_s) == (30.0, 90.0)


@given(st.integers(1, 20), st.integers(10, 50), st.floats(0.0, 1.0))
def test_a_resumed_schedule_never_moves_traffic_back(instances: int, percent: int, reached: float) -> None:
    linear = {
        "BlueGreenUpdatePolicy": {
            "TrafficRoutingConfiguration": {
                "Type": "LINEAR",
                "WaitIntervalInSeconds": 10,
                "LinearStepSize": {"Type": "CAPACITY_PERCENT", "Value": percent},
            }
        }
    }
    rest = resumed(traffic_schedule(linear, instances), reached)
    assert rest.shifts[0].at_s == 0.0 and rest.shifts[-1].green_share == 1.0
    assert all(s.green_share >= min(reached, 1.0) - 1e-9 for s in rest.shifts)
    assert rest.done_at_s == len(rest.shifts) * 10.0
