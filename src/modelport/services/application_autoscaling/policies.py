"""PutScalingPolicy, DescribeScalingPolicies and DeleteScalingPolicy.

A target-tracking policy gets AWS's two managed CloudWatch alarms,
``TargetTracking-<ResourceId>-AlarmHigh-<uuid>`` (3 of 3 one-minute datapoints above the target)
and ``…-AlarmLow-<uuid>`` (15 of 15 below 90 % of it; none with ``DisableScaleIn``), made with
CloudWatch's own PutMetricAlarm so that DescribeAlarms lists them. They are there to be seen:
the autoscaler decides on its own datapoints (``datapoints.py``, every
``autoscaling_period_s``), so a test server can scale in seconds. A step policy acts when an
alarm whose ``AlarmActions`` name its ARN is in ALARM (``alarm_actions.py``).
"""

from __future__ import annotations

import contextlib
import itertools
import secrets
from typing import Any

from modelport.core.errors import InvalidRequest, ResourceNotFound
from modelport.services.application_autoscaling import datapoints, records
from modelport.services.cloudwatch import alarms as cloudwatch_alarms
from modelport.services.context import ServiceContext
from modelport.store.base import Resource

PREDEFINED = "SageMakerVariantInvocationsPerInstance"
DEFAULT_COOLDOWN = 300  # SageMaker variants' ScaleInCooldown and ScaleOutCooldown (spec §11.6)
ALARM_POINTS = {"AlarmHigh": 3, "AlarmLow": 15}


def put_scaling_policy(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    variant = records.variant_of(params)
    records.find_target(ctx, variant.resource_id)
    name = params["PolicyName"]
    kind = params.get("PolicyType") or "StepScaling"
    body: dict[str, Any] = {**records.identity(variant), "PolicyName": name, "PolicyType": kind}
    if kind == "TargetTrackingScaling":
        _only(params, "TargetTrackingScalingPolicyConfiguration", kind)
        body["TargetTrackingScalingPolicyConfiguration"] = _target_tracking(
            params["TargetTrackingScalingPolicyConfiguration"]
        )
    elif kind == "StepScaling":
        _only(params, "StepScalingPolicyConfiguration", kind)
        body["StepScalingPolicyConfiguration"] = _step(params["StepScalingPolicyConfiguration"])
    else:
        raise InvalidRequest(
            f"PolicyType {kind} is not supported for SageMaker variants here: use TargetTrackingScaling "
            "or StepScaling."
        )
    key = records.policy_key(variant.resource_id, name)
    old = ctx.store.get(records.POLICY_KIND, key)
    now = ctx.clock.now()
    if old is not None:
        _delete_alarms(ctx, old)
        policy = old.evolve(body=body, last_modified_time=now)
        ctx.store.update(policy)
    else:
        arn = records.policy_arn(ctx, variant.resource_id, name)
        policy = Resource(records.POLICY_KIND, key, arn, now, now, body)
        ctx.store.insert(policy)
    if kind == "TargetTrackingScaling":
        body["Alarms"] = _managed_alarms(ctx, policy)
        ctx.store.update(policy.evolve(body=body))
    answer: dict[str, Any] = {"PolicyARN": policy.arn}
    if "Alarms" in body:
        answer["Alarms"] = body["Alarms"]
    return answer


def _only(params: dict[str, Any], needed: str, kind: str) -> None:
    if not params.get(needed):
        raise InvalidRequest(f"{needed} is required for a policy of PolicyType {kind}.")
    for other in ("TargetTrackingScalingPolicyConfiguration", "StepScalingPolicyConfiguration"):
        if other != needed and params.get(other):
            raise InvalidRequest(f"{other} does not apply to PolicyType {kind}; remove it.")
    if params.get("PredictiveScalingPolicyConfiguration"):
        raise InvalidRequest("PredictiveScalingPolicyConfiguration is not supported here; remove it.")


def _cooldown(config: dict[str, Any], name: str) -> int:
    value = int(config.get(name, DEFAULT_COOLDOWN))
    if value < 0:
        raise InvalidRequest(f"{name} must be 0 or more seconds; got {value}.")
    return value


def _target_tracking(config: dict[str, Any]) -> dict[str, Any]:
    predefined = config.get("PredefinedMetricSpecification")
    customized = config.get("CustomizedMetricSpecification")
    if bool(predefined) == bool(customized):
        raise InvalidRequest(
            "Give exactly one of PredefinedMetricSpecification and CustomizedMetricSpecification."
        )
    if predefined and predefined["PredefinedMetricType"] != PREDEFINED:
        raise InvalidRequest(
            f"PredefinedMetricType {predefined['PredefinedMetricType']} does not apply to "
            f"sagemaker:variant:DesiredInstanceCount; use {PREDEFINED}."
        )
    if customized:
        datapoints.check_customized(customized)
    if not config["TargetValue"] > 0:
        raise InvalidRequest(f"TargetValue must be greater than 0; got {config['TargetValue']}.")
    checked = dict(config)
    for name in ("ScaleOutCooldown", "ScaleInCooldown"):
        checked[name] = _cooldown(config, name)
    checked["DisableScaleIn"] = bool(config.get("DisableScaleIn", False))
    return checked


def _step(config: dict[str, Any]) -> dict[str, Any]:
    kind = config.get("AdjustmentType")
    if kind is None:
        raise InvalidRequest("AdjustmentType is required in a StepScalingPolicyConfiguration.")
    steps = config.get("StepAdjustments") or []
    if not steps:
        raise InvalidRequest("StepAdjustments must have at least one step.")
    if config.get("MinAdjustmentMagnitude") is not None and kind != "PercentChangeInCapacity":
        raise InvalidRequest("MinAdjustmentMagnitude applies only to AdjustmentType PercentChangeInCapacity.")
    ordered = sorted(steps, key=lambda s: s.get("MetricIntervalLowerBound", float("-inf")))
    for step in ordered:
        lower, upper = step.get("MetricIntervalLowerBound"), step.get("MetricIntervalUpperBound")
        if lower is not None and upper is not None and lower >= upper:
            raise InvalidRequest(
                f"A step's MetricIntervalLowerBound ({lower:g}) must be less than its "
                f"MetricIntervalUpperBound ({upper:g})."
            )
        if kind == "ExactCapacity" and step["ScalingAdjustment"] < 0:
            raise InvalidRequest("With AdjustmentType ExactCapacity, ScalingAdjustment must be 0 or more.")
    for before, after in itertools.pairwise(ordered):
        if before.get("MetricIntervalUpperBound") != after.get("MetricIntervalLowerBound"):
            raise InvalidRequest(
                "Step adjustments must not overlap or leave gaps: each step's MetricIntervalUpperBound "
                "must be the next step's MetricIntervalLowerBound."
            )
    checked = dict(config, StepAdjustments=ordered)
    checked["Cooldown"] = _cooldown(config, "Cooldown")
    checked.setdefault("MetricAggregationType", "Average")
    return checked


def _managed_alarms(ctx: ServiceContext, policy: Resource) -> list[dict[str, str]]:
    """AWS's AlarmHigh and AlarmLow of a target-tracking policy, as CloudWatch alarms."""
    body = policy.body
    config = body["TargetTrackingScalingPolicyConfiguration"]
    target = float(config["TargetValue"])
    metric = datapoints.alarm_metric(config, body["ResourceId"])
    made = []
    for which, points in ALARM_POINTS.items():
        if which == "AlarmLow" and config["DisableScaleIn"]:
            continue
        name = f"TargetTracking-{body['ResourceId']}-{which}-{_uuid()}"
        high = which == "AlarmHigh"
        cloudwatch_alarms.put_metric_alarm(
            ctx,
            {
                "AlarmName": name,
                "AlarmDescription": f"DO NOT EDIT OR DELETE. For TargetTrackingScaling policy {policy.arn}.",
                "AlarmActions": [policy.arn],
                **metric,
                "Period": 60,
                "EvaluationPeriods": points,
                "Threshold": target if high else target * 0.9,
                "ComparisonOperator": "GreaterThanThreshold" if high else "LessThanThreshold",
            },
        )
        made.append({"AlarmName": name, "AlarmARN": cloudwatch_alarms.alarm_arn(ctx, name)})
    return made


def _uuid() -> str:
    return "-".join(secrets.token_hex(n) for n in (4, 2, 2, 2, 6))


def _delete_alarms(ctx: ServiceContext, policy: Resource) -> None:
    for alarm in policy.body.get("Alarms") or []:
        with contextlib.suppress(ResourceNotFound):
            cloudwatch_alarms.delete_alarms(ctx, {"AlarmNames": [alarm["AlarmName"]]})


def remove_policy(ctx: ServiceContext, policy: Resource) -> None:
    _delete_alarms(ctx, policy)
    ctx.store.delete(records.POLICY_KIND, policy.name)


def invoking_alarms(ctx: ServiceContext, policy_arn: str) -> list[dict[str, str]]:
    """The CloudWatch alarms whose AlarmActions name the policy (a step policy's ``Alarms``)."""
    return [
        {"AlarmName": alarm.name, "AlarmARN": alarm.arn}
        for alarm in ctx.store.list(cloudwatch_alarms.KIND)
        if policy_arn in (alarm.body.get("AlarmActions") or [])
    ]


def shown(ctx: ServiceContext, policy: Resource) -> dict[str, Any]:
    body = dict(policy.body)
    if body["PolicyType"] == "StepScaling":
        body["Alarms"] = invoking_alarms(ctx, policy.arn)
    return {**body, "PolicyARN": policy.arn, "CreationTime": policy.creation_time}


def describe_scaling_policies(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    rid = params.get("ResourceId")
    records.variant_of(params, resource_id=rid or "endpoint/x/variant/x")
    names = set(params.get("PolicyNames") or [])
    found = [
        shown(ctx, p)
        for p in ctx.store.list(records.POLICY_KIND)
        if (rid is None or p.body["ResourceId"] == rid) and (not names or p.body["PolicyName"] in names)
    ]
    items, token = records.page(found, params, most=10)
    return {"ScalingPolicies": items, **({"NextToken": token} if token else {})}


def delete_scaling_policy(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    variant = records.variant_of(params)
    policy = ctx.store.get(records.POLICY_KIND, records.policy_key(variant.resource_id, params["PolicyName"]))
    if policy is None:
        raise ResourceNotFound(
            f"No scaling policy found for service namespace: {records.NAMESPACE}, resource ID: "
            f"{variant.resource_id}, scalable dimension: {records.DIMENSION}, policy name: {params['PolicyName']}"
        )
    remove_policy(ctx, policy)
    return {}
