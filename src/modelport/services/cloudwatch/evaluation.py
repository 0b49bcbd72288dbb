"""An alarm's state from its metric's recent periods: a pure function, CloudWatch's "M out of N".

The last ``EvaluationPeriods`` (N) periods are looked at, oldest first, each a value or
``None`` (no datapoint). A period *breaches* when its value compares true against the
threshold. ``DatapointsToAlarm`` (M, default N) breaching periods make ``ALARM``. Otherwise the
alarm is ``OK`` once enough periods are known not to breach that M can no longer be reached,
and ``INSUFFICIENT_DATA`` while it could still go either way. ``TreatMissingData`` says what an
empty period counts as: ``missing`` (nothing; the default), ``breaching``, ``notBreaching``,
or ``ignore`` (the current state is kept when no period has data).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

OK = "OK"
ALARM = "ALARM"
INSUFFICIENT_DATA = "INSUFFICIENT_DATA"

COMPARISONS: dict[str, Callable[[float, float], bool]] = {
    "GreaterThanOrEqualToThreshold": lambda value, threshold: value >= threshold,
    "GreaterThanThreshold": lambda value, threshold: value > threshold,
    "LessThanThreshold": lambda value, threshold: value < threshold,
    "LessThanOrEqualToThreshold": lambda value, threshold: value <= threshold,
}
TREAT_MISSING = ("missing", "breaching", "notBreaching", "ignore")


def alarm_state(
    values: Sequence[float | None],
    *,
    threshold: float,
    comparison: str,
    datapoints_to_alarm: int,
    treat_missing: str = "missing",
    current: str = INSUFFICIENT_DATA,
) -> str:
    compare = COMPARISONS[comparison]
    if treat_missing == "ignore" and all(value is None for value in values):
        return current
    breaching = not_breaching = 0
    for value in values:
        if value is None:
            if treat_missing == "breaching":
                breaching += 1
            elif treat_missing == "notBreaching":
                not_breaching += 1
        elif compare(value, threshold):
            breaching += 1
        else:
            not_breaching += 1
    if breaching >= datapoints_to_alarm:
        return ALARM
    if not_breaching > len(values) - datapoints_to_alarm:
        return OK
    return INSUFFICIENT_DATA
