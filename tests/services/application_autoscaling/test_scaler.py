"""The autoscaler's rounds over a real controller and a fake supervisor (``hosting/test_controller``'s
lab): bounds brought back at once without restarting healthy instances, a failed change recorded
and not retried at once, an idle variant scaled in to its minimum, a step policy run by its alarm."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from hosting.test_controller import Lab, call, deploy, settled
from modelport.core.config import Limits
from modelport.hosting.controller import Controller
from modelport.services.application_autoscaling import activities, policies, targets
from modelport.services.application_autoscaling.scaler import Autoscaler
from modelport.services.cloudwatch.alarms import KIND as ALARM_KIND
from modelport.services.context import ServiceContext
from modelport.store.base import Resource

TARGET = {
    "ServiceNamespace": "sagemaker",
    "ResourceId": "endpoint/ep/variant/AllTraffic",
    "ScalableDimension": "sagemaker:variant:DesiredInstanceCount",
}


async def serving(ctx: ServiceContext, controller: Controller) -> Autoscaler:
    await deploy(ctx, "first", instances=1)
    await call(ctx, "CreateEndpoint", EndpointName="ep", EndpointConfigName="first")
    await settled(controller, ctx)
    return Autoscaler(ctx)


async def one_round(scaler: Autoscaler, *, sampled: bool = False) -> None:
    """A round, and the change it started (if any) to its end."""
    scaler.round(sampled=sampled)
    for task in list(scaler.changing.values()):
        await task


def history(ctx: ServiceContext) -> list[dict[str, Any]]:
    listed: list[dict[str, Any]] = activities.describe_scaling_activities(
        ctx, {"ServiceNamespace": "sagemaker"}
    )["ScalingActivities"]
    return listed


def test_new_bounds_apply_at_once_and_keep_healthy_instances(tmp_path: Path) -> None:
    lab = Lab(tmp_path)

    async def scenario(controller: Controller, ctx: ServiceContext) -> tuple[list[str], list[str], Any]:
        scaler = await serving(ctx, controller)
        before = [i.worker.spec.instance_id for i in controller.router.fleet("ep").instances()]  # type: ignore[union-attr]
        targets.register_scalable_target(ctx, {**TARGET, "MinCapacity": 3, "MaxCapacity": 4})
        await one_round(scaler)
        after = [i.worker.spec.instance_id for i in controller.router.fleet("ep").instances()]  # type: ignore[union-attr]
        return (
            before,
            after,
            (
                await settled(controller, ctx),
                history(ctx),
                ctx.store.get("scalable_target", TARGET["ResourceId"]),
            ),
        )

    before, after, (described, listed, target) = lab.run(scenario)
    assert after[:1] == before and len(after) == 3 and lab.supervisor.stopped == []
    assert described["ProductionVariants"][0]["CurrentInstanceCount"] == 3
    assert [(a["Cause"], a["StatusCode"]) for a in listed] == [
        ("minimum capacity was set to 3", "Successful")
    ]
    assert "LastScaleOut" not in target.body  # bounds start no cooldown


def test_a_failed_change_is_recorded_and_not_retried_at_once(tmp_path: Path) -> None:
    lab = Lab(tmp_path)
    lab.settings = dataclasses.replace(lab.settings, limits=Limits(max_instances_per_variant=2))

    async def scenario(controller: Controller, ctx: ServiceContext) -> list[dict[str, Any]]:
        scaler = await serving(ctx, controller)
        targets.register_scalable_target(ctx, {**TARGET, "MinCapacity": 5, "MaxCapacity": 5})
        await one_round(scaler)
        await one_round(scaler)  # within RETRY_S: nothing new
        return history(ctx)

    [failed] = lab.run(scenario)
    assert failed["StatusCode"] == "Failed"
    assert failed["StatusMessage"].startswith(
        "Failed to set desired instance count to 5. Reason: The account-level"
    )


def test_an_idle_variant_scales_in_to_its_minimum(tmp_path: Path) -> None:
    lab = Lab(tmp_path)
    lab.settings = dataclasses.replace(
        lab.settings, limits=Limits(autoscaling_scale_out_periods=2, autoscaling_scale_in_periods=3)
    )

    async def scenario(controller: Controller, ctx: ServiceContext) -> list[int]:
        scaler = await serving(ctx, controller)
        targets.register_scalable_target(ctx, {**TARGET, "MinCapacity": 3, "MaxCapacity": 4})
        await one_round(scaler)
        targets.register_scalable_target(ctx, {**TARGET, "MinCapacity": 1})
        policies.put_scaling_policy(
            ctx,
            {
                **TARGET,
                "PolicyName": "tracking",
                "PolicyType": "TargetTrackingScaling",
                "TargetTrackingScalingPolicyConfiguration": {
                    "TargetValue": 70.0,
                    "PredefinedMetricSpecification": {
                        "PredefinedMetricType": "SageMakerVariantInvocationsPerInstance"
                    },
                    "ScaleInCooldown": 0,
                },
            },
        )
        counts = []
        for _ in range(5):  # a baseline, then 3 idle datapoints
            lab.clock.advance(1)
            await one_round(scaler, sampled=True)
            counts.append((await settled(controller, ctx))["ProductionVariants"][0]["CurrentInstanceCount"])
        return counts

    assert lab.run(scenario) == [3, 3, 3, 1, 1]


def test_a_step_policy_runs_when_its_alarm_is_in_alarm(tmp_path: Path) -> None:
    lab = Lab(tmp_path)

    async def scenario(controller: Controller, ctx: ServiceContext) -> tuple[list[dict[str, Any]], int]:
        scaler = await serving(ctx, controller)
        targets.register_scalable_target(ctx, {**TARGET, "MinCapacity": 1, "MaxCapacity": 3})
        arn = policies.put_scaling_policy(
            ctx,
            {
                **TARGET,
                "PolicyName": "step",
                "StepScalingPolicyConfiguration": {
                    "AdjustmentType": "ExactCapacity",
                    "StepAdjustments": [{"ScalingAdjustment": 2}],
                },
            },
        )["PolicyARN"]
        body = {
            "AlarmActions": [arn],
            "ActionsEnabled": True,
            "Period": 60,
            "Statistic": "Sum",
            "Threshold": 1,
        }
        ctx.store.insert(Resource(ALARM_KIND, "busy", "arn:alarm:busy", 1.0, 1.0, body, "OK"))
        await one_round(scaler)
        alarm = ctx.store.get(ALARM_KIND, "busy")
        assert alarm is not None
        ctx.store.update(alarm.evolve(status="ALARM", body={**body, "StateUpdatedTimestamp": 2.0}))
        await one_round(scaler)
        described = await settled(controller, ctx)
        return history(ctx), described["ProductionVariants"][0]["CurrentInstanceCount"]

    listed, count = lab.run(scenario)
    assert count == 2
    assert listed[0]["Cause"] == "monitor alarm busy in state ALARM triggered policy step"
