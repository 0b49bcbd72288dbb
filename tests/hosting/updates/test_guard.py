"""The pure decisions of auto-rollback on CloudWatch alarms."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from modelport.hosting.updates.guard import AlarmState, next_look, tripped, watched_alarms

PREFIX = "Update failed; still serving the previous configuration."


def test_the_watched_alarms_are_the_deployment_configs_in_order() -> None:
    config = {"AutoRollbackConfiguration": {"Alarms": [{"AlarmName": "b"}, {"AlarmName": "a"}]}}
    assert watched_alarms(config) == ("b", "a")
    assert watched_alarms({"BlueGreenUpdatePolicy": {}}) == ()
    assert watched_alarms(None) == ()


def test_the_first_named_alarm_in_alarm_trips_the_update() -> None:
    states = {
        "latency": AlarmState("ALARM", "Threshold Crossed"),
        "errors": AlarmState("ALARM"),
        "cpu": AlarmState("OK"),
    }
    assert tripped(("cpu", "errors", "latency"), states, PREFIX) == (
        f"{PREFIX} CloudWatch alarm errors went into ALARM during the update."
    )
    assert tripped(("latency",), states, PREFIX) == (
        f"{PREFIX} CloudWatch alarm latency went into ALARM during the update (Threshold Crossed)."
    )


def test_ok_insufficient_data_and_missing_alarms_do_not_trip() -> None:
    states = {"cpu": AlarmState("OK"), "new": AlarmState("INSUFFICIENT_DATA")}
    assert tripped(("cpu", "new", "never-created"), states, PREFIX) is None


@given(st.floats(0, 1e6), st.floats(0, 1e4), st.floats(0, 60))
def test_a_wait_is_looked_at_within_every_interval_and_at_its_end(
    now: float, left: float, interval: float
) -> None:
    until = now + left
    look = next_look(now, until, interval)
    assert now < look or look == until
    assert look <= until
    assert look - now <= max(interval, 0.01) + 1e-9
