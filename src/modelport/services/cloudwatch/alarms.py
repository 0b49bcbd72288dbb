"""PutMetricAlarm, DescribeAlarms and DeleteAlarms, on the endpoint metrics.

An alarm is a resource of kind ``cloudwatch_alarm`` in the control plane's store: its
definition in the body, its state in ``status``. States are evaluated (``evaluate``) when an
alarm is put, when alarms are described, and every flush of the metrics loop (wired by
``bootstrap.py``); ``evaluation.alarm_state`` decides, over the last ``EvaluationPeriods``
periods up to the minute in progress. Alarm actions are stored and echoed; those that name a
step scaling policy are run by Application Auto Scaling (``application_autoscaling/alarm_actions.py``).
``alarm_states`` evaluates named alarms for a guarded update (``hosting/updates/guard.py``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from modelport.core.errors import InvalidRequest, ResourceNotFound
from modelport.hosting.updates.guard import AlarmState
from modelport.services.cloudwatch import statistics
from modelport.services.cloudwatch.evaluation import (
    COMPARISONS,
    INSUFFICIENT_DATA,
    TREAT_MISSING,
    alarm_state,
)
from modelport.services.context import ServiceContext
from modelport.store.base import Resource

KIND = "cloudwatch_alarm"
# What PutMetricAlarm keeps and DescribeAlarms echoes.
DEFINITION = (
    "AlarmName", "AlarmDescription", "ActionsEnabled", "OKActions", "AlarmActions", "InsufficientDataActions",
    "MetricName", "Namespace", "Statistic", "Dimensions", "Period", "Unit", "EvaluationPeriods",
    "DatapointsToAlarm", "Threshold", "ComparisonOperator", "TreatMissingData",
)  # fmt: skip


def alarm_arn(ctx: ServiceContext, name: str) -> str:
    return f"arn:aws:cloudwatch:{ctx.settings.region}:{ctx.settings.account_id}:alarm:{name}"


def put_metric_alarm(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    for unsupported in (
        "Metrics",
        "ExtendedStatistic",
        "ThresholdMetricId",
        "EvaluateLowSampleCountPercentile",
    ):
        if params.get(unsupported):
            raise InvalidRequest(
                f"{unsupported} is not supported here: give MetricName, Namespace and Statistic."
            )
    for required in ("MetricName", "Namespace", "Statistic", "Period", "Threshold"):
        if params.get(required) is None:
            raise InvalidRequest(f"The parameter {required} is required for a metric alarm.")
    if params["Statistic"] not in statistics.STATISTICS:
        raise InvalidRequest(f"Statistic must be one of {', '.join(statistics.STATISTICS)}.")
    if params["ComparisonOperator"] not in COMPARISONS:
        raise InvalidRequest(f"ComparisonOperator must be one of {', '.join(COMPARISONS)}.")
    if params.get("TreatMissingData", "missing") not in TREAT_MISSING:
        raise InvalidRequest(f"TreatMissingData must be one of {', '.join(TREAT_MISSING)}.")
    statistics.check_period(params["Period"])
    points = params.get("DatapointsToAlarm", params["EvaluationPeriods"])
    if points > params["EvaluationPeriods"]:
        raise InvalidRequest("DatapointsToAlarm must be less than or equal to EvaluationPeriods.")
    name = params["AlarmName"]
    now = ctx.clock.now()
    body = {key: params[key] for key in DEFINITION if key in params}
    body.setdefault("ActionsEnabled", True)
    body["DatapointsToAlarm"] = points
    body.setdefault("TreatMissingData", "missing")
    body["AlarmConfigurationUpdatedTimestamp"] = now
    old = ctx.store.get(KIND, name)
    if old is None:
        body.update(StateReason="Unchecked: Initial alarm creation", StateUpdatedTimestamp=now)
        resource = Resource(KIND, name, alarm_arn(ctx, name), now, now, body, INSUFFICIENT_DATA)
        if not ctx.store.insert(resource):
            old = ctx.store.get(KIND, name)
    if old is not None:
        body.update(
            StateReason=old.body.get("StateReason"),
            StateUpdatedTimestamp=old.body.get("StateUpdatedTimestamp"),
        )
        ctx.store.update(old.evolve(body=body, last_modified_time=now))
    evaluate(ctx, name)
    return {}


def evaluate(ctx: ServiceContext, name: str) -> None:
    """Set one alarm's state from its metric now."""
    alarm = ctx.store.get(KIND, name)
    if alarm is None or ctx.metrics is None:
        return
    body = alarm.body
    period = int(body["Period"])
    count = int(body.get("EvaluationPeriods", 1))
    now = ctx.clock.now()
    end = now - now % 60 + 60
    # The last ``count`` complete periods, as CloudWatch looks at them, and the period in progress
    # once it has data (which it replaces the oldest of): a datapoint flushed just after a period
    # ended is still seen, and a fresh one counts at once.
    start = end - (count + 1) * period
    metric = {
        "Namespace": body["Namespace"],
        "MetricName": body["MetricName"],
        "Dimensions": body.get("Dimensions"),
    }
    found = {p.timestamp: p for p in statistics.periods(ctx, metric, start, end, period)}
    slots = [
        statistics.value(found[slot], body["Statistic"]) if slot in found else None
        for slot in range(int(start), int(end), period)
    ]
    values = slots[:-1] if slots[-1] is None else slots[1:]
    state = alarm_state(
        values,
        threshold=float(body["Threshold"]),
        comparison=body["ComparisonOperator"],
        datapoints_to_alarm=int(body["DatapointsToAlarm"]),
        treat_missing=body.get("TreatMissingData", "missing"),
        current=alarm.status or INSUFFICIENT_DATA,
    )
    if state != alarm.status:
        shown = ", ".join("-" if v is None else f"{v:g}" for v in values)
        reason = f"Threshold Crossed: the last {count} datapoints [{shown}] gave {state}."
        body = {**body, "StateReason": reason, "StateUpdatedTimestamp": now}
        ctx.store.update(alarm.evolve(status=state, body=body))


def evaluate_all(ctx: ServiceContext) -> None:
    for alarm in ctx.store.list(KIND):
        evaluate(ctx, alarm.name)


def describe_alarms(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    names = set(params.get("AlarmNames") or [])
    prefix = params.get("AlarmNamePrefix") or ""
    wanted_state = params.get("StateValue")
    alarms = []
    for alarm in sorted(ctx.store.list(KIND), key=lambda a: a.name):
        if (names and alarm.name not in names) or not alarm.name.startswith(prefix):
            continue
        evaluate(ctx, alarm.name)
        alarm = ctx.store.get(KIND, alarm.name) or alarm
        if wanted_state not in (None, alarm.status):
            continue
        alarms.append(_shown(alarm))
    types = params.get("AlarmTypes") or ["MetricAlarm"]
    return {"MetricAlarms": alarms if "MetricAlarm" in types else [], "CompositeAlarms": []}


def _shown(alarm: Resource) -> dict[str, Any]:
    body = dict(alarm.body)
    for key in ("StateUpdatedTimestamp", "AlarmConfigurationUpdatedTimestamp"):
        if key in body:
            body[key] = dt.datetime.fromtimestamp(body[key], dt.UTC)
    return {**body, "AlarmArn": alarm.arn, "StateValue": alarm.status}


def delete_alarms(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    names = params["AlarmNames"]
    missing = [name for name in names if ctx.store.get(KIND, name) is None]
    if missing:
        raise ResourceNotFound(f"No alarm named {', '.join(missing)}: nothing was deleted.")
    for name in names:
        ctx.store.delete(KIND, name)
    return {}


def alarm_states(ctx: ServiceContext, names: Sequence[str]) -> dict[str, AlarmState]:
    """The named alarms evaluated now, the metrics counted so far flushed first: what a guarded
    update watches (``AutoRollbackConfiguration``). Alarms that do not exist are left out."""
    if ctx.metrics is not None:
        ctx.metrics.flush()
    states = {}
    for name in names:
        evaluate(ctx, name)
        if (alarm := ctx.store.get(KIND, name)) is not None:
            states[name] = AlarmState(alarm.status or INSUFFICIENT_DATA, alarm.body.get("StateReason") or "")
    return states
