"""AWS managed policies against the real server, over HTTP, with boto3: as the console leaves a
fresh account, the seed's roles can attach ``AmazonSageMakerFullAccess`` and
``AWSLambdaBasicExecutionRole`` by their ``arn:aws:iam::aws:policy/...`` ARNs, the server enforces
them, and nobody can delete them."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from e2e.services import ECHO, Expected, check_refused, function_params
from e2e.wire import ACCOUNT, Keys
from support.modelport_server import ModelportServer, client

pytestmark = pytest.mark.e2e

SAGEMAKER_FULL = "arn:aws:iam::aws:policy/AmazonSageMakerFullAccess"
LAMBDA_BASIC = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
AWS_MANAGED = {
    SAGEMAKER_FULL: "/",
    "arn:aws:iam::aws:policy/AmazonS3FullAccess": "/",
    LAMBDA_BASIC: "/service-role/",
    "arn:aws:iam::aws:policy/CloudWatchLogsFullAccess": "/",
}
BUILDER = "e2e-aws-managed-builder"
FUNCTION_ROLE = "e2e-aws-managed-fn-role"


def trust(principal: dict[str, str]) -> str:
    statement = {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def test_each_aws_managed_policy_is_there_with_its_document(server: ModelportServer, keys: Keys) -> None:
    iam = client(server, "iam", validate=False)
    for arn, path in AWS_MANAGED.items():
        policy = iam.get_policy(PolicyArn=arn)["Policy"]
        assert (policy["Arn"], policy["Path"], policy["IsAttachable"]) == (arn, path, True)
        assert policy["PolicyName"] == arn.rsplit("/", 1)[-1]
        version = iam.get_policy_version(PolicyArn=arn, VersionId=policy["DefaultVersionId"])["PolicyVersion"]
        # boto3 decodes IAM's URL-encoded document into a dict.
        assert version["Document"]["Version"] == "2012-10-17" and version["IsDefaultVersion"]
    listed = iam.list_policies(Scope="AWS")["Policies"]
    assert {p["Arn"] for p in listed} == set(AWS_MANAGED)


def test_sagemaker_full_access_is_enforced_for_an_assumed_role(server: ModelportServer) -> None:
    iam = client(server, "iam", validate=False)
    iam.create_role(RoleName=BUILDER, AssumeRolePolicyDocument=trust({"AWS": f"arn:aws:iam::{ACCOUNT}:root"}))
    iam.attach_role_policy(RoleName=BUILDER, PolicyArn=SAGEMAKER_FULL)
    assert iam.get_policy(PolicyArn=SAGEMAKER_FULL)["Policy"]["AttachmentCount"] == 1
    attached = iam.list_attached_role_policies(RoleName=BUILDER)["AttachedPolicies"]
    assert attached == [{"PolicyName": "AmazonSageMakerFullAccess", "PolicyArn": SAGEMAKER_FULL}]
    creds = client(server, "sts", validate=False).assume_role(
        RoleArn=f"arn:aws:iam::{ACCOUNT}:role/{BUILDER}", RoleSessionName="e2e"
    )["Credentials"]
    assert (
        client(server, "sagemaker", credentials=creds, validate=False).list_models()["Models"] is not None
    )  # allowed
    with pytest.raises(ClientError) as caught:
        client(server, "iam", credentials=creds, validate=False).create_user(UserName="e2e-aws-managed-eve")
    check_refused(caught, Expected("AccessDenied", 403, ("iam:CreateUser", f"assumed-role/{BUILDER}/e2e")))
    iam.detach_role_policy(RoleName=BUILDER, PolicyArn=SAGEMAKER_FULL)
    with pytest.raises(ClientError) as caught:
        client(server, "sagemaker", credentials=creds, validate=False).list_models()
    assert caught.value.response["Error"]["Code"] == "AccessDeniedException"


def test_lambda_basic_execution_role_serves_create_function(server: ModelportServer, keys: Keys) -> None:
    iam, lam = client(server, "iam", validate=False), client(server, "lambda", validate=False)
    role_arn = iam.create_role(
        RoleName=FUNCTION_ROLE, AssumeRolePolicyDocument=trust({"Service": "lambda.amazonaws.com"})
    )["Role"]["Arn"]
    iam.attach_role_policy(RoleName=FUNCTION_ROLE, PolicyArn=LAMBDA_BASIC)
    params = function_params("e2e-aws-managed-fn", {"lambda_function.py": ECHO}, Role=role_arn)
    assert lam.create_function(**params)["Role"] == role_arn
    answer = lam.invoke(FunctionName="e2e-aws-managed-fn", Payload=b'{"hi": 1}')
    assert (answer["StatusCode"], answer.get("FunctionError")) == (200, None)
    assert json.loads(answer["Payload"].read()) == {"echo": {"hi": 1}}


def test_aws_managed_policies_cannot_be_deleted(server: ModelportServer) -> None:
    iam = client(server, "iam", validate=False)
    for arn in AWS_MANAGED:
        with pytest.raises(ClientError) as caught:
            iam.delete_policy(PolicyArn=arn)
        check_refused(caught, Expected("AccessDenied", 403, ("outside your own account", arn)))
        assert iam.get_policy(PolicyArn=arn)["Policy"]["Arn"] == arn
