"""The catalogue: which IAM action on which ARN each modelport operation is checked against."""

from __future__ import annotations

from typing import Any

import pytest

from modelport.core.errors import InvalidRequest, UnknownOperation
from modelport.services.iam.actions import (
    CATALOGUE,
    LAMBDA,
    SAGEMAKER,
    Permission,
    function_arn,
    required_permission,
)
from modelport.services.iam.policy import Decision, evaluate
from modelport.services.iam.policy_parse import parse_policy

R, A = "us-east-1", "123456789012"
MEMBERS = [
    "Bucket",
    "AlarmName",
    "Key",
    "ModelName",
    "UserName",
    "EndpointConfigName",
    "EndpointName",
    "ResourceArn",
    "FunctionName",
    "restApiId",
    "resourceId",
    "parentId",
    "httpMethod",
    "statusCode",
    "stageName",
    "deploymentId",
    "ApiId",
    "Stage",
    "Method",
    "RoleName",
    "PolicyName",
    "PolicyArn",
    "RoleArn",
    "NotebookInstanceName",
    "NotebookInstanceLifecycleConfigName",
    "TransformJobName",
    "logGroupName",
    "logStreamName",
]


def need(service: str, operation: str, **params: Any) -> Permission:
    return required_permission(service, operation, params, region=R, account_id=A)


def test_sagemaker_covers_every_operation_served() -> None:
    from modelport.services.sagemaker.operations import OPERATIONS

    assert set(SAGEMAKER) == set(OPERATIONS)
    assert all(rule.action == f"sagemaker:{op}" for op, rule in SAGEMAKER.items())


@pytest.mark.parametrize(
    ("operation", "params", "resource"),
    [
        ("CreateModel", {"ModelName": "Iris"}, f"arn:aws:sagemaker:{R}:{A}:model/iris"),
        ("DeleteModel", {"ModelName": "iris"}, f"arn:aws:sagemaker:{R}:{A}:model/iris"),
        ("CreateEndpointConfig", {"EndpointConfigName": "C"}, f"arn:aws:sagemaker:{R}:{A}:endpoint-config/c"),
        (
            "CreateEndpoint",
            {"EndpointName": "E", "EndpointConfigName": "C"},
            f"arn:aws:sagemaker:{R}:{A}:endpoint/e",
        ),
        ("UpdateEndpoint", {"EndpointName": "e"}, f"arn:aws:sagemaker:{R}:{A}:endpoint/e"),
        ("ListEndpoints", {}, "*"),
        ("ListModels", {}, "*"),
        (
            "DeleteNotebookInstance",
            {"NotebookInstanceName": "NB"},
            f"arn:aws:sagemaker:{R}:{A}:notebook-instance/nb",
        ),
        (
            "CreatePresignedNotebookInstanceUrl",
            {"NotebookInstanceName": "nb"},
            f"arn:aws:sagemaker:{R}:{A}:notebook-instance/nb",
        ),
        (
            "CreateNotebookInstanceLifecycleConfig",
            {"NotebookInstanceLifecycleConfigName": "Marks"},
            f"arn:aws:sagemaker:{R}:{A}:notebook-instance-lifecycle-config/marks",
        ),
        ("ListNotebookInstances", {}, "*"),
        (
            "CreateTransformJob",
            {"TransformJobName": "Nightly"},
            f"arn:aws:sagemaker:{R}:{A}:transform-job/nightly",
        ),
        ("ListTransformJobs", {}, "*"),
        (
            "AddTags",
            {"ResourceArn": f"arn:aws:sagemaker:{R}:{A}:model/m"},
            f"arn:aws:sagemaker:{R}:{A}:model/m",
        ),
    ],
)
def test_sagemaker_resources(operation: str, params: dict[str, Any], resource: str) -> None:
    assert need("sagemaker", operation, **params) == Permission(f"sagemaker:{operation}", resource)


def test_invoke_endpoint() -> None:
    got = need("sagemaker-runtime", "InvokeEndpoint", EndpointName="Iris", Body=b"1,2")
    assert got == Permission("sagemaker:InvokeEndpoint", f"arn:aws:sagemaker:{R}:{A}:endpoint/iris")


def test_lambda_invoke_is_invoke_function_on_the_function_arn() -> None:
    arn = f"arn:aws:lambda:{R}:{A}:function:classify"
    assert need("lambda", "Invoke", FunctionName="classify") == Permission("lambda:InvokeFunction", arn)
    assert need("lambda", "Invoke", FunctionName=arn).resource == arn
    assert need("lambda", "Invoke", FunctionName=f"{A}:function:classify").resource == arn
    assert need("lambda", "Invoke", FunctionName="classify", Qualifier="prod").resource == f"{arn}:prod"
    assert need("lambda", "Invoke", FunctionName="classify:prod", Qualifier="prod").resource == f"{arn}:prod"
    assert need("lambda", "ListFunctions") == Permission("lambda:ListFunctions", "*")
    assert {"CreateFunction", "GetFunction", "GetFunctionConfiguration", "UpdateFunctionCode"} <= set(LAMBDA)
    assert {"UpdateFunctionConfiguration", "DeleteFunction", "Invoke", "ListFunctions"} <= set(LAMBDA)


def test_function_arn_keeps_a_full_arn() -> None:
    other = "arn:aws:lambda:eu-west-1:999999999999:function:f:3"
    assert function_arn(other, "4", region=R, account_id=A) == other


def test_apigateway_control_plane_is_verb_on_path() -> None:
    assert need("apigateway", "CreateRestApi", name="x") == Permission(
        "apigateway:POST", f"arn:aws:apigateway:{R}::/restapis"
    )
    got = need("apigateway", "PutIntegration", restApiId="a1", resourceId="r1", httpMethod="POST")
    assert got == Permission(
        "apigateway:PUT", f"arn:aws:apigateway:{R}::/restapis/a1/resources/r1/methods/POST/integration"
    )
    assert need("apigateway", "GetStage", restApiId="a1", stageName="prod").action == "apigateway:GET"
    assert need("apigateway", "DeleteRestApi", restApiId="a1").action == "apigateway:DELETE"


def test_execute_api_invoke() -> None:
    got = need("execute-api", "Invoke", ApiId="a1", Stage="prod", Method="post", Path="/predict/iris")
    assert got == Permission("execute-api:Invoke", f"arn:aws:execute-api:{R}:{A}:a1/prod/POST/predict/iris")
    assert need("execute-api", "Invoke", ApiId="a1", Stage="prod", Method="GET", Path="/").resource.endswith(
        "a1/prod/GET/"
    )


def test_iam_and_sts() -> None:
    role = f"arn:aws:iam::{A}:role/classify"
    assert need("iam", "CreateRole", RoleName="classify") == Permission("iam:CreateRole", role)
    assert need("iam", "CreateRole", RoleName="c", Path="/service-role/").resource == (
        f"arn:aws:iam::{A}:role/service-role/c"
    )
    assert need("iam", "AttachRolePolicy", RoleName="classify", PolicyArn="p").resource == role
    assert need("iam", "CreatePolicy", PolicyName="p").resource == f"arn:aws:iam::{A}:policy/p"
    assert (
        need("iam", "GetPolicy", PolicyArn=f"arn:aws:iam::{A}:policy/p").resource
        == f"arn:aws:iam::{A}:policy/p"
    )
    user = f"arn:aws:iam::{A}:user/ann"
    for operation in ("GetUserPolicy", "DeleteUserPolicy", "ListUserPolicies"):
        assert need("iam", operation, UserName="ann", PolicyName="p") == Permission(f"iam:{operation}", user)
    # ChangePassword names no user: authorization supplies the caller's own name.
    assert need("iam", "ChangePassword", UserName="ann") == Permission("iam:ChangePassword", user)
    assert need("sts", "AssumeRole", RoleArn=role, RoleSessionName="s") == Permission("sts:AssumeRole", role)
    who = need("sts", "GetCallerIdentity")
    assert who.always_allowed and not need("sts", "AssumeRole", RoleArn=role).always_allowed


def test_unknown_operations_fail_closed_and_missing_members_are_refused() -> None:
    with pytest.raises(UnknownOperation, match="no IAM action for sagemaker operation CreateTrainingJob"):
        need("sagemaker", "CreateTrainingJob")
    with pytest.raises(UnknownOperation):
        need("s3", "SelectObjectContent")  # S3 is served, but this operation is not in the catalogue
    with pytest.raises(InvalidRequest, match="EndpointName is required"):
        need("sagemaker-runtime", "InvokeEndpoint")


def test_every_catalogue_action_is_a_valid_policy_action() -> None:
    every = sorted({rule.action for rules in CATALOGUE.values() for rule in rules.values()})
    parse_policy({"Statement": {"Effect": "Allow", "Action": every, "Resource": "*"}})


def test_tutorial_policy_against_the_catalogue() -> None:
    tutorial = parse_policy(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "VisualEditor0",
                    "Effect": "Allow",
                    "Action": "sagemaker:InvokeEndpoint",
                    "Resource": "*",
                }
            ],
        }
    )
    allowed = []
    for service, rules in CATALOGUE.items():
        for operation in rules:
            params: dict[str, Any] = {k: "x" for k in MEMBERS}
            permission = required_permission(service, operation, params, region=R, account_id=A)
            if evaluate([tutorial], permission.action, permission.resource) is Decision.ALLOW:
                allowed.append((service, operation))
    assert allowed == [("sagemaker-runtime", "InvokeEndpoint")]


def test_logs_operations_are_checked_on_group_and_stream_arns() -> None:
    group = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/f"
    params = {"logGroupName": "/aws/lambda/f", "logStreamName": "2026/01/01/[$LATEST]ab"}
    assert (
        required_permission("logs", "DeleteLogGroup", params, region=R, account_id=A).resource == group + ":*"
    )
    put = required_permission("logs", "PutLogEvents", params, region=R, account_id=A)
    assert put.action == "logs:PutLogEvents"
    assert put.resource == group + ":log-stream:2026/01/01/[$LATEST]ab"
    by_arn = {"logGroupIdentifier": group + ":*"}
    assert (
        required_permission("logs", "FilterLogEvents", by_arn, region=R, account_id=A).resource
        == group + ":*"
    )
    listing = required_permission("logs", "DescribeLogGroups", {}, region=R, account_id=A)
    assert listing.resource == "arn:aws:logs:us-east-1:123456789012:log-group:*"
