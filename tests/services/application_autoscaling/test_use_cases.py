"""Targets, policies and activities through the use cases, over a real SQLite store: the
checks and messages a user meets, and the managed alarms a target-tracking policy owns."""

from __future__ import annotations

from typing import Any

import pytest

from modelport.core.errors import InvalidNextToken, InvalidRequest, ResourceNotFound
from modelport.services.application_autoscaling import activities, policies, targets
from modelport.services.cloudwatch import alarms
from modelport.services.context import ServiceContext
from modelport.store.base import Resource

RID = "endpoint/shop/variant/AllTraffic"
TARGET = {
    "ServiceNamespace": "sagemaker",
    "ResourceId": RID,
    "ScalableDimension": "sagemaker:variant:DesiredInstanceCount",
}
TRACKING = {
    "TargetValue": 70.0,
    "PredefinedMetricSpecification": {"PredefinedMetricType": "SageMakerVariantInvocationsPerInstance"},
}


@pytest.fixture
def shop(ctx: ServiceContext) -> ServiceContext:
    """An endpoint ``shop`` with an instance variant and a serverless one."""
    variants = [
        {"VariantName": "AllTraffic", "InstanceCount": 1, "Weight": 1.0},
        {
            "VariantName": "Lambda",
            "InstanceCount": 1,
            "Weight": 0.0,
            "ServerlessConfig": {"MaxConcurrency": 1},
        },
    ]
    body = {"Deployment": {"Variants": variants}}
    ctx.store.insert(Resource("endpoint", "shop", "arn:shop", 1.0, 1.0, body, "InService"))
    return ctx


def register(ctx: ServiceContext, **extra: Any) -> dict[str, Any]:
    return targets.register_scalable_target(ctx, {**TARGET, **extra})


def test_register_describe_update_and_deregister(shop: ServiceContext) -> None:
    arn = register(shop, MinCapacity=1, MaxCapacity=4)["ScalableTargetARN"]
    assert arn.startswith("arn:aws:application-autoscaling:us-east-1:")
    register(shop, MaxCapacity=6, SuspendedState={"DynamicScalingInSuspended": True})
    [shown] = targets.describe_scalable_targets(shop, {"ServiceNamespace": "sagemaker"})["ScalableTargets"]
    assert (shown["MinCapacity"], shown["MaxCapacity"], shown["ScalableTargetARN"]) == (1, 6, arn)
    assert shown["SuspendedState"] == {
        "DynamicScalingInSuspended": True,
        "DynamicScalingOutSuspended": False,
        "ScheduledScalingSuspended": False,
    }
    assert shown["RoleARN"].endswith("/AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint")
    targets.deregister_scalable_target(shop, dict(TARGET))
    with pytest.raises(ResourceNotFound, match="No scalable target registered for service namespace"):
        targets.deregister_scalable_target(shop, dict(TARGET))


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"ServiceNamespace": "ecs"}, "Unsupported service namespace.*ServiceNamespace ecs"),
        (
            {"ScalableDimension": "sagemaker:variant:DesiredProvisionedConcurrency"},
            "DesiredInstanceCount only",
        ),
        ({"ResourceId": "endpoint/shop"}, "endpoint/<endpoint name>/variant/<variant name>"),
        ({"ResourceId": "endpoint/gone/variant/AllTraffic"}, "endpoint gone does not exist"),
        (
            {"ResourceId": "endpoint/shop/variant/Nope"},
            "no variant Nope. Its variants are: AllTraffic, Lambda",
        ),
        ({"ResourceId": "endpoint/shop/variant/Lambda"}, "serverless"),
        ({"MinCapacity": 3, "MaxCapacity": 2}, "Minimum capacity cannot be greater than maximum capacity"),
        ({"MinCapacity": 0, "MaxCapacity": 2}, "MinCapacity must be at least 1"),
        ({"MinCapacity": None}, "MinCapacity and MaxCapacity are required"),
    ],
)
def test_register_refusals(shop: ServiceContext, params: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidRequest, match=message):
        targets.register_scalable_target(shop, {**TARGET, "MinCapacity": 1, "MaxCapacity": 2} | params)


def test_a_target_tracking_policy_owns_its_managed_alarms(shop: ServiceContext) -> None:
    register(shop, MinCapacity=1, MaxCapacity=4)
    put = policies.put_scaling_policy(
        shop,
        {**TARGET, "PolicyName": "p", "PolicyType": "TargetTrackingScaling",
         "TargetTrackingScalingPolicyConfiguration": TRACKING},
    )  # fmt: skip
    assert ":scalingPolicy:" in put["PolicyARN"] and put["PolicyARN"].endswith(f"{RID}:policyName/p")
    high, low = (shop.store.get(alarms.KIND, a["AlarmName"]) for a in put["Alarms"])
    assert high is not None and low is not None
    assert high.name.startswith(f"TargetTracking-{RID}-AlarmHigh-")
    assert (high.body["Threshold"], high.body["EvaluationPeriods"], high.body["MetricName"]) == (
        70.0, 3, "InvocationsPerInstance",
    )  # fmt: skip
    assert (low.body["Threshold"], low.body["EvaluationPeriods"]) == (pytest.approx(63.0), 15)
    assert high.body["AlarmActions"] == [put["PolicyARN"]]
    [shown] = policies.describe_scaling_policies(shop, {"ServiceNamespace": "sagemaker"})["ScalingPolicies"]
    config = shown["TargetTrackingScalingPolicyConfiguration"]
    assert (config["ScaleOutCooldown"], config["ScaleInCooldown"], config["DisableScaleIn"]) == (
        300,
        300,
        False,
    )

    again = policies.put_scaling_policy(
        shop,
        {**TARGET, "PolicyName": "p", "PolicyType": "TargetTrackingScaling",
         "TargetTrackingScalingPolicyConfiguration": {**TRACKING, "DisableScaleIn": True}},
    )  # fmt: skip
    assert again["PolicyARN"] == put["PolicyARN"] and len(again["Alarms"]) == 1  # no AlarmLow
    assert [a.name for a in shop.store.list(alarms.KIND)] == [again["Alarms"][0]["AlarmName"]]
    targets.deregister_scalable_target(shop, dict(TARGET))
    assert shop.store.list(alarms.KIND) == []


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"TargetValue": 0.0, **{k: v for k, v in TRACKING.items() if k != "TargetValue"}}, "greater than 0"),
        ({"TargetValue": 5.0}, "exactly one of PredefinedMetricSpecification"),
        (
            {"TargetValue": 5.0, "PredefinedMetricSpecification": {"PredefinedMetricType": "ECSServiceAverageCPUUtilization"}},
            "use SageMakerVariantInvocationsPerInstance",
        ),
        (
            {"TargetValue": 5.0, "CustomizedMetricSpecification": {
                "MetricName": "QueueDepth", "Namespace": "Shop", "Statistic": "Average",
                "Dimensions": [{"Name": "EndpointName", "Value": "shop"}]}},
            "cannot scale on Shop QueueDepth",
        ),
        (
            {"TargetValue": 5.0, "CustomizedMetricSpecification": {
                "MetricName": "ModelLatency", "Namespace": "AWS/SageMaker", "Statistic": "Maximum",
                "Dimensions": [{"Name": "EndpointName", "Value": "shop"}]}},
            "use one of Sum, SampleCount, Average",
        ),
        ({**TRACKING, "ScaleInCooldown": -1}, "ScaleInCooldown must be 0 or more"),
    ],
)  # fmt: skip
def test_target_tracking_refusals(shop: ServiceContext, config: dict[str, Any], message: str) -> None:
    register(shop, MinCapacity=1, MaxCapacity=4)
    params = {**TARGET, "PolicyName": "p", "PolicyType": "TargetTrackingScaling",
              "TargetTrackingScalingPolicyConfiguration": config}  # fmt: skip
    with pytest.raises(InvalidRequest, match=message):
        policies.put_scaling_policy(shop, params)


def test_a_custom_metric_policy_watches_that_metric(shop: ServiceContext) -> None:
    register(shop, MinCapacity=1, MaxCapacity=4)
    custom = {
        "MetricName": "CPUUtilization",
        "Namespace": "/aws/sagemaker/Endpoints",
        "Dimensions": [
            {"Name": "EndpointName", "Value": "shop"},
            {"Name": "VariantName", "Value": "AllTraffic"},
        ],
        "Statistic": "Average",
    }
    put = policies.put_scaling_policy(
        shop,
        {**TARGET, "PolicyName": "cpu", "PolicyType": "TargetTrackingScaling",
         "TargetTrackingScalingPolicyConfiguration": {"TargetValue": 50.0, "CustomizedMetricSpecification": custom}},
    )  # fmt: skip
    high = shop.store.get(alarms.KIND, put["Alarms"][0]["AlarmName"])
    assert high is not None and high.body["MetricName"] == "CPUUtilization"


def test_step_policy_checks_and_delete(shop: ServiceContext) -> None:
    with pytest.raises(ResourceNotFound, match=f"resource ID: {RID}"):
        policies.put_scaling_policy(shop, {**TARGET, "PolicyName": "s"})
    register(shop, MinCapacity=1, MaxCapacity=4)
    step = {"AdjustmentType": "ChangeInCapacity"}
    gap = [
        {"MetricIntervalLowerBound": 0.0, "MetricIntervalUpperBound": 5.0, "ScalingAdjustment": 1},
        {"MetricIntervalLowerBound": 6.0, "ScalingAdjustment": 2},
    ]
    for config, message in (
        ({}, "StepScalingPolicyConfiguration is required"),
        ({"StepAdjustments": [{"ScalingAdjustment": 1}]}, "AdjustmentType is required"),
        ({**step, "StepAdjustments": gap}, "must not overlap or leave gaps"),
        ({**step, "StepAdjustments": [{"ScalingAdjustment": 1}], "MinAdjustmentMagnitude": 1}, "only to"),
    ):
        with pytest.raises(InvalidRequest, match=message):
            policies.put_scaling_policy(
                shop, {**TARGET, "PolicyName": "s", "StepScalingPolicyConfiguration": config}
            )
    good = {**step, "StepAdjustments": [{"MetricIntervalLowerBound": 0.0, "ScalingAdjustment": 1}]}
    put = policies.put_scaling_policy(
        shop, {**TARGET, "PolicyName": "s", "StepScalingPolicyConfiguration": good}
    )
    assert "Alarms" not in put
    [shown] = policies.describe_scaling_policies(
        shop, {"ServiceNamespace": "sagemaker", "PolicyNames": ["s"]}
    )["ScalingPolicies"]
    assert shown["PolicyType"] == "StepScaling" and shown["StepScalingPolicyConfiguration"]["Cooldown"] == 300
    policies.delete_scaling_policy(shop, {**TARGET, "PolicyName": "s"})
    with pytest.raises(ResourceNotFound, match=r"No scaling policy found for .* policy name: s"):
        policies.delete_scaling_policy(shop, {**TARGET, "PolicyName": "s"})


def test_activities_are_listed_newest_first_and_paged(shop: ServiceContext, clock: Any) -> None:
    for capacity in (2, 3, 4):
        clock.advance(1)
        started = activities.start(shop, RID, capacity, "maximum capacity was set to 4")
        activities.finish(shop, started, capacity=capacity, failure=None if capacity < 4 else "limit reached")
    first = activities.describe_scaling_activities(shop, {"ServiceNamespace": "sagemaker", "MaxResults": 2})
    assert [a["Description"] for a in first["ScalingActivities"]] == [
        "Setting desired instance count to 4.",
        "Setting desired instance count to 3.",
    ]
    assert first["ScalingActivities"][0]["StatusCode"] == "Failed"
    assert first["ScalingActivities"][0]["StatusMessage"] == (
        "Failed to set desired instance count to 4. Reason: limit reached"
    )
    rest = activities.describe_scaling_activities(
        shop, {"ServiceNamespace": "sagemaker", "MaxResults": 2, "NextToken": first["NextToken"]}
    )
    assert [a["StatusCode"] for a in rest["ScalingActivities"]] == ["Successful"] and "NextToken" not in rest
    with pytest.raises(InvalidNextToken):
        activities.describe_scaling_activities(shop, {"ServiceNamespace": "sagemaker", "NextToken": "nope"})
    with pytest.raises(InvalidRequest, match="MaxResults must be between 1 and 50"):
        activities.describe_scaling_activities(shop, {"ServiceNamespace": "sagemaker", "MaxResults": 51})
