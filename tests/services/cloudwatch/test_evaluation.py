"""CloudWatch's M-out-of-N alarm evaluation, as a pure function."""

from __future__ import annotations

import pytest

from modelport.services.cloudwatch.evaluation import ALARM, INSUFFICIENT_DATA, OK, alarm_state


def state(
    values: list[float | None], m: int = 3, treat: str = "missing", current: str = INSUFFICIENT_DATA
) -> str:
    return alarm_state(
        values,
        threshold=10.0,
        comparison="GreaterThanThreshold",
        datapoints_to_alarm=m,
        treat_missing=treat,
        current=current,
    )


@pytest.mark.parametrize(
    ("values", "m", "expected"),
    [
        ([11, 12, 13], 3, ALARM),
        ([11, 5, 13], 3, OK),  # one period below: three of three can no longer breach
        ([11, 5, 13], 2, ALARM),  # two of three
        ([10, 10, 10], 1, OK),  # the threshold itself does not breach GreaterThan
        ([None, None, None], 3, INSUFFICIENT_DATA),
        ([None, 11, 12], 3, INSUFFICIENT_DATA),  # could still go either way
        ([None, 11, 12], 2, ALARM),
        ([None, None, 5], 3, OK),
    ],
)
def test_m_out_of_n(values: list[float | None], m: int, expected: str) -> None:
    assert state(values, m) == expected


def test_missing_data_treatments() -> None:
    assert state([None, None, None], treat="breaching") == ALARM
    assert state([None, None, None], treat="notBreaching") == OK
    assert state([None, None, None], treat="ignore", current=ALARM) == ALARM
    assert state([None, 5, None], treat="ignore", current=ALARM) == OK


def test_every_comparison() -> None:
    def with_operator(comparison: str, value: float) -> str:
        return alarm_state([value], threshold=1.0, comparison=comparison, datapoints_to_alarm=1)

    assert with_operator("GreaterThanOrEqualToThreshold", 1.0) == ALARM
    assert with_operator("LessThanThreshold", 0.5) == ALARM
    assert with_operator("LessThanOrEqualToThreshold", 1.0) == ALARM
    assert with_operator("LessThanThreshold", 1.0) == OK
