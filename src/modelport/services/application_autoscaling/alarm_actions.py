"""Alarm actions: a CloudWatch alarm in ALARM runs the step scaling policies its AlarmActions name.

CloudWatch (``services/cloudwatch``) evaluates alarms and stores their actions; this module is
where actions are delivered. Only scaling-policy ARNs are: SNS topics, EC2 and Systems Manager
actions are kept and shown by DescribeAlarms, never sent. As on AWS, an alarm that stays in
ALARM invokes its policy again every period (the autoscaler's round), the policy's cooldown
deciding whether capacity changes. Target-tracking policies' managed alarms are not delivered
here: those policies decide on their own datapoints (``datapoints.py``).
"""

from __future__ import annotations

from collections.abc import Iterator

from modelport.services.application_autoscaling import records
from modelport.services.cloudwatch import alarms as cloudwatch_alarms
from modelport.services.cloudwatch import statistics
from modelport.services.context import ServiceContext
from modelport.store.base import Resource

ALARM = "ALARM"


def firing(ctx: ServiceContext) -> Iterator[tuple[Resource, Resource]]:
    """(alarm, step policy) for every enabled alarm in ALARM whose actions name the policy."""
    steps = {p.arn: p for p in ctx.store.list(records.POLICY_KIND) if p.body["PolicyType"] == "StepScaling"}
    if not steps:
        return
    for alarm in ctx.store.list(cloudwatch_alarms.KIND):
        if alarm.status != ALARM or not alarm.body.get("ActionsEnabled", True):
            continue
        for action in alarm.body.get("AlarmActions") or []:
            if action in steps:
                yield alarm, steps[action]


def breach(ctx: ServiceContext, alarm: Resource) -> float:
    """How far the alarm's latest datapoint is past its threshold (0 when it has none)."""
    body = alarm.body
    if ctx.metrics is None:
        return 0.0
    period = int(body["Period"])
    now = ctx.clock.now()
    end = now - now % 60 + 60
    start = end - int(body.get("EvaluationPeriods", 1)) * period
    metric = {key: body.get(key) for key in ("Namespace", "MetricName", "Dimensions")}
    found = statistics.periods(ctx, metric, start, end, period)
    if not found:
        return 0.0
    return statistics.value(found[-1], body["Statistic"]) - float(body["Threshold"])
