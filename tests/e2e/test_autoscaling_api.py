"""boto3's ``application-autoscaling`` on the shared server, as the SageMaker docs write it:
register the iris variant, a target-tracking policy whose managed alarms CloudWatch lists, the
AWS error codes a user meets, IAM on ``application-autoscaling:*``, and the console's endpoint
page showing each variant's scaling. The shared server's
autoscaler evaluates per minute, so nothing here scales; the target is deregistered at the end
so that no other test's load scales iris."""

from __future__ import annotations

import contextlib
import html
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from e2e.conftest import Deployed
from support.console_http import ConsoleClients, csrf
from support.modelport_server import ModelportServer, client

pytestmark = pytest.mark.e2e


@pytest.fixture
def target(server: ModelportServer, iris: Deployed) -> Iterator[dict[str, str]]:
    """iris-ep's variant as a scalable target, for this test only."""
    found = {
        "ServiceNamespace": "sagemaker",
        "ResourceId": f"endpoint/{iris.endpoint}/variant/AllTraffic",
        "ScalableDimension": "sagemaker:variant:DesiredInstanceCount",
    }
    scaling = server.client("application-autoscaling")
    scaling.register_scalable_target(**found, MinCapacity=1, MaxCapacity=2)
    yield found
    scaling.deregister_scalable_target(**found)


def code(caught: pytest.ExceptionInfo[ClientError]) -> tuple[str, int, str]:
    response = caught.value.response
    return (
        response["Error"]["Code"],
        response["ResponseMetadata"]["HTTPStatusCode"],
        response["Error"]["Message"],
    )


def test_policies_and_their_managed_alarms(server: ModelportServer, target: dict[str, str]) -> None:
    scaling, cloudwatch = server.client("application-autoscaling"), server.client("cloudwatch")
    [shown] = scaling.describe_scalable_targets(
        ServiceNamespace="sagemaker", ResourceIds=[target["ResourceId"]]
    )["ScalableTargets"]
    assert (shown["MinCapacity"], shown["MaxCapacity"]) == (1, 2)
    put = scaling.put_scaling_policy(
        PolicyName="iris-invocations",
        PolicyType="TargetTrackingScaling",
        **target,
        TargetTrackingScalingPolicyConfiguration={
            "TargetValue": 70.0,
            "PredefinedMetricSpecification": {
                "PredefinedMetricType": "SageMakerVariantInvocationsPerInstance"
            },
            "ScaleInCooldown": 600,
            "ScaleOutCooldown": 300,
        },
    )
    names = [alarm["AlarmName"] for alarm in put["Alarms"]]
    listed = cloudwatch.describe_alarms(AlarmNames=names)["MetricAlarms"]
    assert sorted(a["AlarmName"] for a in listed) == sorted(names)
    assert {a["AlarmActions"][0] for a in listed} == {put["PolicyARN"]}
    [policy] = scaling.describe_scaling_policies(
        ServiceNamespace="sagemaker", ResourceId=target["ResourceId"]
    )["ScalingPolicies"]
    assert policy["PolicyARN"] == put["PolicyARN"] and policy["Alarms"] == put["Alarms"]
    assert policy["TargetTrackingScalingPolicyConfiguration"]["ScaleInCooldown"] == 600
    scaling.delete_scaling_policy(PolicyName="iris-invocations", **target)
    assert cloudwatch.describe_alarms(AlarmNames=names)["MetricAlarms"] == []


def test_a_customized_metric_policy_as_the_sagemaker_guide_writes_it(
    server: ModelportServer, target: dict[str, str], iris: Deployed
) -> None:
    """The guide's target tracking on the variant's CPUUtilization, a customized metric."""
    scaling, cloudwatch = server.client("application-autoscaling"), server.client("cloudwatch")
    put = scaling.put_scaling_policy(
        PolicyName="iris-cpu",
        ServiceNamespace="sagemaker",
        ResourceId=target["ResourceId"],
        ScalableDimension="sagemaker:variant:DesiredInstanceCount",
        PolicyType="TargetTrackingScaling",
        TargetTrackingScalingPolicyConfiguration={
            "TargetValue": 50.0,
            "CustomizedMetricSpecification": {
                "MetricName": "CPUUtilization",
                "Namespace": "/aws/sagemaker/Endpoints",
                "Dimensions": [
                    {"Name": "EndpointName", "Value": iris.endpoint},
                    {"Name": "VariantName", "Value": "AllTraffic"},
                ],
                "Statistic": "Average",
                "Unit": "Percent",
            },
            "ScaleInCooldown": 600,
            "ScaleOutCooldown": 300,
        },
    )
    alarms = cloudwatch.describe_alarms(AlarmNames=[a["AlarmName"] for a in put["Alarms"]])["MetricAlarms"]
    assert len(alarms) == 2
    assert {(a["Namespace"], a["MetricName"], a["Statistic"]) for a in alarms} == {
        ("/aws/sagemaker/Endpoints", "CPUUtilization", "Average")
    }
    [policy] = scaling.describe_scaling_policies(
        ServiceNamespace="sagemaker", ResourceId=target["ResourceId"], PolicyNames=["iris-cpu"]
    )["ScalingPolicies"]
    spec = policy["TargetTrackingScalingPolicyConfiguration"]["CustomizedMetricSpecification"]
    assert (spec["MetricName"], spec["Unit"]) == ("CPUUtilization", "Percent")
    scaling.delete_scaling_policy(PolicyName="iris-cpu", **target)
    assert (
        cloudwatch.describe_alarms(AlarmNames=[a["AlarmName"] for a in put["Alarms"]])["MetricAlarms"] == []
    )


def test_aws_error_codes(server: ModelportServer, target: dict[str, str]) -> None:
    scaling = server.client("application-autoscaling")
    with pytest.raises(ClientError) as caught:
        scaling.register_scalable_target(
            ServiceNamespace="ecs",
            ResourceId="service/default/web",
            ScalableDimension="ecs:service:DesiredCount",
            MinCapacity=1,
            MaxCapacity=2,
        )
    assert code(caught)[:2] == ("ValidationException", 400)
    assert "SageMaker endpoint variants only" in code(caught)[2]
    with pytest.raises(ClientError) as caught:
        scaling.put_scaling_policy(
            PolicyName="p",
            ServiceNamespace="sagemaker",
            ResourceId="endpoint/e2e-none/variant/AllTraffic",
            ScalableDimension="sagemaker:variant:DesiredInstanceCount",
            PolicyType="StepScaling",
        )
    assert code(caught)[:2] == ("ObjectNotFoundException", 400)
    with pytest.raises(ClientError) as caught:
        scaling.describe_scaling_activities(ServiceNamespace="sagemaker", NextToken="e2e-forged")
    assert code(caught)[:2] == ("InvalidNextTokenException", 400)
    with pytest.raises(ClientError) as caught:
        scaling.register_scalable_target(**target, MinCapacity=3)
    assert code(caught) == (
        "ValidationException",
        400,
        "Minimum capacity cannot be greater than maximum capacity: MinCapacity 3, MaxCapacity 2.",
    )


def test_iam_checks_application_autoscaling_actions(server: ModelportServer, target: dict[str, str]) -> None:
    iam = server.client("iam")
    user = "e2e-scaling-reader"
    iam.create_user(UserName=user)
    reader = {"Effect": "Allow", "Action": "application-autoscaling:Describe*", "Resource": "*"}
    iam.put_user_policy(
        UserName=user,
        PolicyName="read-scaling",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [reader]}),
    )
    key = iam.create_access_key(UserName=user)["AccessKey"]
    scaling: Any = client(server, "application-autoscaling", credentials=key)
    assert scaling.describe_scalable_targets(ServiceNamespace="sagemaker")["ScalableTargets"]
    with pytest.raises(ClientError) as caught:
        scaling.deregister_scalable_target(**target)
    assert code(caught)[:2] == ("AccessDeniedException", 400)
    assert "application-autoscaling:DeregisterScalableTarget" in code(caught)[2]
    iam.delete_user_policy(UserName=user, PolicyName="read-scaling")
    iam.delete_access_key(UserName=user, AccessKeyId=key["AccessKeyId"])
    iam.delete_user(UserName=user)


def _scaling_cell(page: str) -> str:
    """The "Automatic scaling" cell of the endpoint page's one variant row."""
    found = re.search(r'<td class="scaling">(.*?)(?: <a class="configure-scaling"|</td>)', page, re.S)
    assert found is not None, "no automatic scaling column"
    return html.unescape(re.sub(r"<[^>]+>", "", found.group(1))).strip()


def test_the_console_shows_each_variants_scaling(
    server: ModelportServer, iris: Deployed, target: dict[str, str], console_http: ConsoleClients
) -> None:
    scaling, iam = server.client("application-autoscaling"), server.client("iam")
    path = f"/sagemaker/endpoints/{iris.endpoint}"
    console = console_http.root(server)
    page = console.get(path).text
    assert "<td>1 – 2</td>" in page and _scaling_cell(page) == "Yes, no policy"

    scaling.put_scaling_policy(
        PolicyName="iris-console <b>",
        PolicyType="TargetTrackingScaling",
        **target,
        TargetTrackingScalingPolicyConfiguration={
            "TargetValue": 70.0,
            "PredefinedMetricSpecification": {
                "PredefinedMetricType": "SageMakerVariantInvocationsPerInstance"
            },
        },
    )
    scaling.register_scalable_target(**target, SuspendedState={"DynamicScalingInSuspended": True})
    page = console.get(path).text
    assert "iris-console &lt;b&gt;" in page  # a name is text, never markup
    assert _scaling_cell(page) == "Yes: iris-console <b> (scale-in suspended)"

    # A user who may read SageMaker but not Application Auto Scaling is told so, not shown "No".
    user, policy = (
        "e2e-console-sm-only",
        {"Effect": "Allow", "Action": "sagemaker:Describe*", "Resource": "*"},
    )
    iam.create_user(UserName=user)
    iam.put_user_policy(
        UserName=user,
        PolicyName="sagemaker-only",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [policy]}),
    )
    key = iam.create_access_key(UserName=user)["AccessKey"]
    try:
        reader = console_http.sign_in(
            server, access_key_id=key["AccessKeyId"], secret_access_key=key["SecretAccessKey"]
        )
        assert _scaling_cell(reader.get(path).text) == "not readable by this user"
    finally:
        iam.delete_access_key(UserName=user, AccessKeyId=key["AccessKeyId"])
        iam.delete_user_policy(UserName=user, PolicyName="sagemaker-only")
        iam.delete_user(UserName=user)
        scaling.delete_scaling_policy(PolicyName="iris-console <b>", **target)
    assert _scaling_cell(console.get(path).text) == "Yes, no policy (scale-in suspended)"


def test_the_console_configures_and_deregisters_a_variants_scaling(
    server: ModelportServer, iris: Deployed, console_http: ConsoleClients
) -> None:
    """AWS's "Configure auto scaling": bounds and the built-in target-tracking policy, saved with
    RegisterScalableTarget and PutScalingPolicy as the signed-in user; refusals keep what was typed."""
    scaling = server.client("application-autoscaling")
    target = {
        "ServiceNamespace": "sagemaker",
        "ResourceId": f"endpoint/{iris.endpoint}/variant/AllTraffic",
        "ScalableDimension": "sagemaker:variant:DesiredInstanceCount",
    }
    page_path = f"/sagemaker/endpoints/{iris.endpoint}"
    path = f"{page_path}/variants/AllTraffic/autoscaling"
    console = console_http.root(server)
    assert f'href="/console{path}"' in console.get(page_path).text  # the variant row's "Configure"
    form = console.get(path)
    assert form.status_code == 200 and 'name="low" value="1"' in form.text
    assert "deregister-scaling" not in form.text  # nothing to deregister yet
    token = csrf(console, path)
    fields = {
        "csrf_token": token,
        "low": "1",
        "high": "3",
        "target": "250",
        "scale_in_cooldown": "600",
        "scale_out_cooldown": "120",
        "disable_scale_in": "on",
        "registered": "",
    }
    try:
        typo = console.post(path, data={**fields, "high": "many"})
        assert typo.status_code == 400 and "Maximum instance count must be a whole number" in typo.text
        assert 'name="high" value="many"' in typo.text and 'name="target" value="250"' in typo.text
        refused = console.post(path, data={**fields, "low": "4"})  # the API's own check
        assert refused.status_code == 400 and "ValidationException" in refused.text
        assert "Minimum capacity cannot be greater than maximum capacity" in refused.text
        assert (
            scaling.describe_scalable_targets(
                ServiceNamespace="sagemaker", ResourceIds=[target["ResourceId"]]
            )["ScalableTargets"]
            == []
        )

        # The bounds are registered before the policy is refused: the form offers to deregister.
        half = console.post(path, data={**fields, "target": "0"})
        assert half.status_code == 400 and "TargetValue must be greater than 0" in half.text
        assert "deregister-scaling" in half.text

        saved = console.post(path, data=fields)
        assert saved.status_code == 303 and saved.headers["location"] == f"/console{page_path}"
        [registered] = scaling.describe_scalable_targets(
            ServiceNamespace="sagemaker", ResourceIds=[target["ResourceId"]]
        )["ScalableTargets"]
        assert (registered["MinCapacity"], registered["MaxCapacity"]) == (1, 3)
        [policy] = scaling.describe_scaling_policies(
            ServiceNamespace="sagemaker", ResourceId=target["ResourceId"]
        )["ScalingPolicies"]
        tracking = policy["TargetTrackingScalingPolicyConfiguration"]
        assert policy["PolicyName"] == "SageMakerEndpointInvocationScalingPolicy"
        assert tracking["PredefinedMetricSpecification"] == {
            "PredefinedMetricType": "SageMakerVariantInvocationsPerInstance"
        }
        assert (tracking["TargetValue"], tracking["ScaleInCooldown"], tracking["ScaleOutCooldown"]) == (
            250,
            600,
            120,
        )
        assert tracking["DisableScaleIn"] is True
        page = console.get(page_path).text
        assert "saved: 1 to 3 instances" in page  # the flash
        assert _scaling_cell(page) == "Yes: SageMakerEndpointInvocationScalingPolicy"
        again = console.get(path).text  # the form shows what is saved
        assert 'name="high" value="3"' in again and 'name="target" value="250"' in again
        assert 'name="disable_scale_in" checked' in again and "deregister-scaling" in again

        gone = console.post(f"{path}/deregister", data={"csrf_token": token})
        assert gone.status_code == 303
        assert (
            scaling.describe_scalable_targets(
                ServiceNamespace="sagemaker", ResourceIds=[target["ResourceId"]]
            )["ScalableTargets"]
            == []
        )
        assert (
            scaling.describe_scaling_policies(ServiceNamespace="sagemaker", ResourceId=target["ResourceId"])[
                "ScalingPolicies"
            ]
            == []
        )
        assert _scaling_cell(console.get(page_path).text) == "No"
    finally:
        with contextlib.suppress(ClientError):
            scaling.deregister_scalable_target(**target)
