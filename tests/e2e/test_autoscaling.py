"""Autoscaling on a real server, as a user drives it with boto3: a target-tracking policy on
``SageMakerVariantInvocationsPerInstance`` scales a variant out under load and back in when idle
(the console's endpoint page lists those activities); a step policy runs when a CloudWatch alarm
naming it goes to ALARM.

The module's server evaluates every half second instead of every minute
(``MODELPORT_AUTOSCALING_PERIOD_S=0.5``), scales out after 2 periods above the target and in
after 3 below, and flushes metrics every second, so each test takes seconds. Clients never
retry: every failed invocation during the scaling is counted.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from e2e.conftest import GOOD_ROW, deploy
from support.console_http import ConsoleClients
from support.fixtures import ServerPool
from support.modelport_server import ModelportServer

pytestmark = pytest.mark.e2e

FAST = {
    "MODELPORT_AUTOSCALING_PERIOD_S": "0.5",
    "MODELPORT_AUTOSCALING_SCALE_OUT_PERIODS": "2",
    "MODELPORT_AUTOSCALING_SCALE_IN_PERIODS": "3",
    "MODELPORT_METRICS_FLUSH_INTERVAL_S": "1",
}


@pytest.fixture(scope="module")
def fast(module_servers: ServerPool) -> ModelportServer:
    return module_servers.start(env=FAST)


def resource(endpoint: str) -> dict[str, str]:
    return {
        "ServiceNamespace": "sagemaker",
        "ResourceId": f"endpoint/{endpoint}/variant/AllTraffic",
        "ScalableDimension": "sagemaker:variant:DesiredInstanceCount",
    }


def wait_for(what: Callable[[], Any], timeout_s: float, message: str) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = what()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(message)


def finished(scaling: Any, endpoint: str) -> list[dict[str, Any]]:
    """The variant's activities, newest first, once the newest is no longer InProgress."""

    def listed() -> list[dict[str, Any]]:
        rid = resource(endpoint)["ResourceId"]
        found: list[dict[str, Any]] = scaling.describe_scaling_activities(
            ServiceNamespace="sagemaker", ResourceId=rid
        )["ScalingActivities"]
        return found if found and found[0]["StatusCode"] != "InProgress" else []

    result: list[dict[str, Any]] = wait_for(listed, 15, "the newest scaling activity did not finish")
    return result


class Load:
    """Clients invoking the endpoint as fast as they can, counting answers and failures."""

    def __init__(self, server: ModelportServer, endpoint: str, clients: int) -> None:
        self.runtime = server.client("sagemaker-runtime")
        self.endpoint = endpoint
        self.stop = threading.Event()
        self.answered = 0
        self.failures: list[str] = []
        self.threads = [threading.Thread(target=self._run, daemon=True) for _ in range(clients)]

    def _run(self) -> None:
        while not self.stop.is_set():
            try:
                self.runtime.invoke_endpoint(
                    EndpointName=self.endpoint, ContentType="text/csv", Body=GOOD_ROW
                )
                self.answered += 1
            except ClientError as error:
                self.failures.append(error.response["Error"]["Code"])

    def __enter__(self) -> Load:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join()


def test_target_tracking_scales_out_under_load_and_back_in_when_idle(
    fast: ModelportServer, model_archive: Path, console_http: ConsoleClients
) -> None:
    sm, scaling = fast.client("sagemaker"), fast.client("application-autoscaling")
    endpoint = deploy(sm, model_archive, "tracked").endpoint
    scaling.register_scalable_target(**resource(endpoint), MinCapacity=1, MaxCapacity=3)
    policy = scaling.put_scaling_policy(
        PolicyName="invocations-per-instance",
        PolicyType="TargetTrackingScaling",
        **resource(endpoint),
        TargetTrackingScalingPolicyConfiguration={
            "TargetValue": 60.0,  # invocations per instance per minute: 1 a second
            "PredefinedMetricSpecification": {
                "PredefinedMetricType": "SageMakerVariantInvocationsPerInstance"
            },
            "ScaleOutCooldown": 1,
            "ScaleInCooldown": 1,
        },
    )
    assert [a["AlarmName"].split("-")[-6] for a in policy["Alarms"]] == ["AlarmHigh", "AlarmLow"]

    def counts() -> tuple[int, int]:
        variant = sm.describe_endpoint(EndpointName=endpoint)["ProductionVariants"][0]
        return variant["CurrentInstanceCount"], variant["DesiredInstanceCount"]

    assert counts() == (1, 1)
    with Load(fast, endpoint, clients=3) as load:
        wait_for(lambda: counts() == (3, 3), 20, "the variant did not scale out to 3 instances")
    assert load.failures == [] and load.answered > 50
    wait_for(lambda: counts() == (1, 1), 20, "the idle variant did not scale back in to 1 instance")

    activities = finished(scaling, endpoint)  # 1 → 3 at once, or 1 → 2 → 3 on a slow machine; → 1
    assert {a["StatusCode"] for a in activities} == {"Successful"}
    counts_set = [int(a["Description"].split()[-1].rstrip(".")) for a in reversed(activities)]
    assert counts_set[-2:] == [3, 1] and all(1 <= n <= 3 for n in counts_set)
    newest, out = activities[0], activities[-1]
    assert out["Cause"].startswith("monitor alarm TargetTracking-endpoint/")
    assert "-AlarmHigh-" in out["Cause"] and out["Cause"].endswith(
        "triggered policy invocations-per-instance"
    )
    assert newest["Description"] == "Setting desired instance count to 1." and "-AlarmLow-" in newest["Cause"]
    assert newest["StatusMessage"].startswith("Successfully set desired instance count to 1.")
    # The console's endpoint page lists the same activities, newest first.
    page = console_http.root(fast).get(f"/sagemaker/endpoints/{endpoint}").text
    shown = page.split('<table id="scaling-activities">', 1)[1].split("</table>", 1)[0]
    assert shown.count("<tr>") == len(activities) + 1  # the header row, then one per activity
    assert shown.index("Setting desired instance count to 1.") < shown.index(
        "Setting desired instance count to 3."
    )
    assert "Successful" in shown and "triggered policy invocations-per-instance" in shown

    scaling.deregister_scalable_target(**resource(endpoint))
    rid = resource(endpoint)["ResourceId"]
    assert (
        scaling.describe_scaling_policies(ServiceNamespace="sagemaker", ResourceId=rid)["ScalingPolicies"]
        == []
    )
    sm.delete_endpoint(EndpointName=endpoint)


def test_a_step_policy_runs_when_its_alarm_goes_to_alarm(fast: ModelportServer, model_archive: Path) -> None:
    sm, scaling = fast.client("sagemaker"), fast.client("application-autoscaling")
    cloudwatch = fast.client("cloudwatch")
    endpoint = deploy(sm, model_archive, "stepped").endpoint
    scaling.register_scalable_target(**resource(endpoint), MinCapacity=1, MaxCapacity=2)
    arn = scaling.put_scaling_policy(
        PolicyName="busy-add-one",
        PolicyType="StepScaling",
        **resource(endpoint),
        StepScalingPolicyConfiguration={
            "AdjustmentType": "ChangeInCapacity",
            "StepAdjustments": [{"MetricIntervalLowerBound": 0.0, "ScalingAdjustment": 1}],
            "Cooldown": 60,
        },
    )["PolicyARN"]
    assert arn.startswith("arn:aws:autoscaling:us-east-1:")
    assert arn.endswith(f":resource/sagemaker/endpoint/{endpoint}/variant/AllTraffic:policyName/busy-add-one")
    cloudwatch.put_metric_alarm(
        AlarmName=f"{endpoint}-busy",
        Namespace="AWS/SageMaker",
        MetricName="Invocations",
        Dimensions=[
            {"Name": "EndpointName", "Value": endpoint},
            {"Name": "VariantName", "Value": "AllTraffic"},
        ],
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=0.0,
        ComparisonOperator="GreaterThanThreshold",
        AlarmActions=[arn],
    )
    described = scaling.describe_scaling_policies(ServiceNamespace="sagemaker", PolicyNames=["busy-add-one"])
    assert described["ScalingPolicies"][0]["Alarms"][0]["AlarmName"] == f"{endpoint}-busy"
    fast.client("sagemaker-runtime").invoke_endpoint(
        EndpointName=endpoint, ContentType="text/csv", Body=GOOD_ROW
    )

    def variant() -> dict[str, Any]:
        return sm.describe_endpoint(EndpointName=endpoint)["ProductionVariants"][0]

    wait_for(
        lambda: variant()["CurrentInstanceCount"] == 2, 15, "the alarm's step policy did not add an instance"
    )
    activity = finished(scaling, endpoint)[0]
    assert activity["Cause"] == f"monitor alarm {endpoint}-busy in state ALARM triggered policy busy-add-one"
    time.sleep(2)  # the alarm stays in ALARM, but the policy's cooldown (60 s) holds
    assert variant()["DesiredInstanceCount"] == 2

    with Load(fast, endpoint, clients=2) as load:  # the scale-in drains: no request fails
        scaling.register_scalable_target(**resource(endpoint), MaxCapacity=1, MinCapacity=1)
        wait_for(lambda: variant()["CurrentInstanceCount"] == 1, 15, "a lower MaxCapacity did not scale in")
        newest = finished(scaling, endpoint)[0]
    assert load.failures == [] and load.answered > 0
    assert (newest["Cause"], newest["StatusCode"]) == ("maximum capacity was set to 1", "Successful")
    cloudwatch.delete_alarms(AlarmNames=[f"{endpoint}-busy"])
    scaling.deregister_scalable_target(**resource(endpoint))
    sm.delete_endpoint(EndpointName=endpoint)


def test_targets_and_policies_survive_a_kill_and_still_scale(
    servers: ServerPool, model_archive: Path
) -> None:
    """kill -9 right after the last acknowledged PutScalingPolicy: after the restart the target,
    the policy and its managed alarms are described as before, and the policy scales out."""
    server = servers.start(env=FAST)
    sm, scaling = server.client("sagemaker"), server.client("application-autoscaling")
    endpoint = deploy(sm, model_archive, "kept").endpoint
    scaling.register_scalable_target(**resource(endpoint), MinCapacity=1, MaxCapacity=2)
    scaling.put_scaling_policy(
        PolicyName="kept-invocations",
        PolicyType="TargetTrackingScaling",
        **resource(endpoint),
        TargetTrackingScalingPolicyConfiguration={
            "TargetValue": 60.0,
            "PredefinedMetricSpecification": {
                "PredefinedMetricType": "SageMakerVariantInvocationsPerInstance"
            },
            "ScaleOutCooldown": 1,
            "ScaleInCooldown": 600,
        },
    )

    def described() -> tuple[Any, Any, Any]:
        scaling = server.client("application-autoscaling")
        rid = resource(endpoint)["ResourceId"]
        targets = scaling.describe_scalable_targets(ServiceNamespace="sagemaker", ResourceIds=[rid])
        policies = scaling.describe_scaling_policies(ServiceNamespace="sagemaker", ResourceId=rid)
        names = [a["AlarmName"] for p in policies["ScalingPolicies"] for a in p["Alarms"]]
        alarms = server.client("cloudwatch").describe_alarms(AlarmNames=names)["MetricAlarms"]
        return (
            targets["ScalableTargets"],
            policies["ScalingPolicies"],
            sorted((a["AlarmName"], a["Threshold"], a["AlarmActions"]) for a in alarms),
        )

    before = described()
    server.kill()
    server.start()
    after = described()
    assert after == before and len(after[2]) == 2
    sm = server.client("sagemaker")  # a new client: the port may have changed
    wait_for(
        lambda: sm.describe_endpoint(EndpointName=endpoint)["EndpointStatus"] == "InService", 60, "not back"
    )
    with Load(server, endpoint, clients=3) as load:
        wait_for(
            lambda: (
                sm.describe_endpoint(EndpointName=endpoint)["ProductionVariants"][0]["CurrentInstanceCount"]
                == 2
            ),
            30,
            "the policy did not scale out after the restart",
        )
    assert load.failures == [] and load.answered > 0
    newest = finished(server.client("application-autoscaling"), endpoint)[0]
    assert newest["Description"] == "Setting desired instance count to 2."
