"""IAM users, roles and policies enforced on real requests (boto3 against a real server)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from support.modelport_server import ModelportServer, client, deploy, invoke, wait_in_service

pytestmark = pytest.mark.e2e

TUTORIAL_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {"Sid": "VisualEditor0", "Effect": "Allow", "Action": "sagemaker:InvokeEndpoint", "Resource": "*"}
    ],
}
LAMBDA_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ],
}


def denied(call: Any) -> dict[str, Any]:
    with pytest.raises(ClientError) as caught:
        call()
    error: dict[str, Any] = caught.value.response["Error"]
    return error


@pytest.fixture(scope="module")
def endpoints(server: ModelportServer, model_archive: Path) -> tuple[str, str]:
    sagemaker = server.client("sagemaker")
    for name in ("iris-allowed", "iris-other"):
        deploy(sagemaker, name, str(model_archive))
    for name in ("iris-allowed", "iris-other"):
        wait_in_service(sagemaker, name)
    return "iris-allowed", "iris-other"


def test_caller_identity_of_root(server: ModelportServer) -> None:
    identity = server.client("sts").get_caller_identity()
    assert identity["Account"] == "123456789012"
    assert identity["Arn"] == "arn:aws:iam::123456789012:root"


def test_a_user_limited_to_one_endpoint(server: ModelportServer, endpoints: tuple[str, str]) -> None:
    allowed, other = endpoints
    iam = server.client("iam")
    iam.create_user(UserName="analyst")
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "sagemaker:InvokeEndpoint",
                "Resource": f"arn:aws:sagemaker:us-east-1:123456789012:endpoint/{allowed}",
            }
        ],
    }
    iam.put_user_policy(UserName="analyst", PolicyName="one-endpoint", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName="analyst")["AccessKey"]

    runtime = client(server, "sagemaker-runtime", credentials=key)
    assert invoke(runtime, allowed).body.count(b",") == 2
    error = denied(lambda: invoke(runtime, other))
    assert error["Code"] == "AccessDeniedException"
    assert "analyst" in error["Message"] and "sagemaker:InvokeEndpoint" in error["Message"]
    control = client(server, "sagemaker", credentials=key)
    assert denied(lambda: control.list_models())["Code"] == "AccessDeniedException"
    identity = client(server, "sts", credentials=key).get_caller_identity()
    assert identity["Arn"] == "arn:aws:iam::123456789012:user/analyst"


def test_the_tutorial_role_invokes_endpoints_and_nothing_else(
    server: ModelportServer, endpoints: tuple[str, str]
) -> None:
    iam = server.client("iam")
    role = iam.create_role(
        RoleName="tutorial-lambda-role", AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST)
    )["Role"]
    iam.put_role_policy(
        RoleName="tutorial-lambda-role", PolicyName="invoke", PolicyDocument=json.dumps(TUTORIAL_POLICY)
    )
    assert iam.get_role(RoleName="tutorial-lambda-role")["Role"]["AssumeRolePolicyDocument"] == LAMBDA_TRUST
    credentials = server.client("sts").assume_role(RoleArn=role["Arn"], RoleSessionName="test")["Credentials"]
    assert credentials["AccessKeyId"].startswith("ASIA")

    runtime = client(server, "sagemaker-runtime", credentials=credentials)
    for endpoint in endpoints:
        assert invoke(runtime, endpoint).body.count(b",") == 2
    sagemaker = client(server, "sagemaker", credentials=credentials)
    error = denied(lambda: sagemaker.create_model(ModelName="nope", PrimaryContainer={"Image": "xgboost"}))
    assert error["Code"] == "AccessDeniedException"
    assert (
        denied(lambda: client(server, "iam", credentials=credentials).list_roles())["Code"] == "AccessDenied"
    )

    # A session token that does not match is refused.
    forged = {**credentials, "SessionToken": credentials["SessionToken"][:-4] + "AAAA"}
    assert denied(lambda: invoke(client(server, "sagemaker-runtime", credentials=forged), endpoints[0]))[
        "Code"
    ] == ("UnrecognizedClientException")


def test_an_explicit_deny_wins(server: ModelportServer, endpoints: tuple[str, str]) -> None:
    allowed, other = endpoints
    iam = server.client("iam")
    iam.create_user(UserName="restricted")
    iam.put_user_policy(
        UserName="restricted", PolicyName="allow-all", PolicyDocument=json.dumps(TUTORIAL_POLICY)
    )
    deny = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Deny",
                "Action": "sagemaker:*",
                "Resource": f"arn:aws:sagemaker:us-east-1:123456789012:endpoint/{other}",
            }
        ],
    }
    arn = iam.create_policy(PolicyName="deny-other", PolicyDocument=json.dumps(deny))["Policy"]["Arn"]
    iam.attach_user_policy(UserName="restricted", PolicyArn=arn)
    key = iam.create_access_key(UserName="restricted")["AccessKey"]
    runtime = client(server, "sagemaker-runtime", credentials=key)
    assert invoke(runtime, allowed).body.count(b",") == 2
    assert denied(lambda: invoke(runtime, other))["Code"] == "AccessDeniedException"


def test_iam_errors_have_iam_shapes(server: ModelportServer) -> None:
    iam = server.client("iam")
    with pytest.raises(iam.exceptions.NoSuchEntityException, match="cannot be found"):
        iam.get_role(RoleName="no-such-role")
    iam.create_role(RoleName="dup", AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST))
    with pytest.raises(iam.exceptions.EntityAlreadyExistsException):
        iam.create_role(RoleName="dup", AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST))
    error = denied(
        lambda: iam.put_role_policy(RoleName="dup", PolicyName="p", PolicyDocument='{"Statement": 1')
    )
    assert error["Code"] == "MalformedPolicyDocument"
    iam.delete_role(RoleName="dup")
    iam.create_user(UserName="wordy")
    long = json.dumps(
        {
            "Statement": [
                {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::" + "x" * 2100}
            ]
        }
    )
    error = denied(lambda: iam.put_user_policy(UserName="wordy", PolicyName="p", PolicyDocument=long))
    assert error["Code"] == "LimitExceeded"
    assert error["Message"].startswith("Maximum policy size of 2048 bytes exceeded for user wordy.")
    iam.delete_user(UserName="wordy")


def test_signatures_for_another_region_or_service_are_refused(server: ModelportServer) -> None:
    keys = {"AccessKeyId": server.access_key, "SecretAccessKey": server.secret_key}
    elsewhere = client(server, "lambda", region="eu-west-1")
    error = denied(lambda: elsewhere.list_functions())
    assert error["Code"] == "InvalidSignatureException"
    assert "region" in error["Message"]

    # A request signed for SageMaker, sent to the Lambda API.
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    request = AWSRequest(method="GET", url=f"{server.url}/2015-03-31/functions/")
    SigV4Auth(Credentials(keys["AccessKeyId"], keys["SecretAccessKey"]), "sagemaker", "us-east-1").add_auth(
        request
    )
    import httpx

    response = httpx.get(request.url, headers=dict(request.headers.items()))
    assert response.status_code == 403
    assert response.headers["x-amzn-ErrorType"].startswith("InvalidSignatureException")
    assert "Credential should be scoped to correct service: 'lambda'" in response.text
