"""AWS managed policies over a real ServiceContext: they exist as the console leaves a fresh
account, attach like customer managed ones, are enforced, and cannot be deleted."""

from __future__ import annotations

import json

import pytest

from modelport.core.errors import AccessDenied, InvalidRequest, ResourceNotFound
from modelport.services.context import ServiceContext
from modelport.services.iam.authorization import authorize
from modelport.services.iam.aws_policies import aws_policies
from modelport.services.iam.operations import issue_role_credentials
from modelport.services.iam.policy import SIZE_LIMITS, PolicyKind
from modelport.services.iam.policy_parse import parse_policy, policy_size
from services.iam_fixtures import ACCOUNT, call, tutorial_role

SAGEMAKER_FULL = "arn:aws:iam::aws:policy/AmazonSageMakerFullAccess"
LAMBDA_BASIC = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
SHIPPED = {
    SAGEMAKER_FULL: ("AmazonSageMakerFullAccess", "/", "v29"),
    "arn:aws:iam::aws:policy/AmazonS3FullAccess": ("AmazonS3FullAccess", "/", "v2"),
    LAMBDA_BASIC: ("AWSLambdaBasicExecutionRole", "/service-role/", "v1"),
    "arn:aws:iam::aws:policy/CloudWatchLogsFullAccess": ("CloudWatchLogsFullAccess", "/", "v8"),
}


def role_session(ctx: ServiceContext, role: str) -> ServiceContext:
    creds = issue_role_credentials(ctx, f"arn:aws:iam::{ACCOUNT}:role/{role}", "s")
    key = ctx.keys.get(creds["AccessKeyId"])
    assert key is not None
    return ctx.acting_as(key.principal)


@pytest.mark.parametrize("arn", sorted(SHIPPED))
def test_get_policy_answers_for_each_aws_managed_policy(ctx: ServiceContext, arn: str) -> None:
    name, path, version = SHIPPED[arn]
    policy = call(ctx, "GetPolicy", PolicyArn=arn)["Policy"]
    assert (policy["PolicyName"], policy["Path"], policy["Arn"]) == (name, path, arn)
    assert policy["DefaultVersionId"] == version
    assert policy["IsAttachable"] is True
    assert policy["AttachmentCount"] == 0
    assert policy["PolicyId"].startswith("ANPA")
    assert policy["Description"]
    assert policy["UpdateDate"] >= policy["CreateDate"]
    document = call(ctx, "GetPolicyVersion", PolicyArn=arn, VersionId=version)["PolicyVersion"]
    assert document["IsDefaultVersion"] is True
    assert json.loads(document["Document"])["Version"] == "2012-10-17"


def test_the_shipped_documents_are_awss(ctx: ServiceContext) -> None:
    docs = {p.name: json.loads(p.body["PolicyDocument"]) for p in aws_policies()}
    assert docs["AWSLambdaBasicExecutionRole"]["Statement"] == [
        {
            "Effect": "Allow",
            "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": "*",
        }
    ]
    assert docs["AmazonS3FullAccess"]["Statement"][0]["Action"] == ["s3:*", "s3-object-lambda:*"]
    assert docs["CloudWatchLogsFullAccess"]["Statement"][0]["Action"][0] == "logs:*"
    sagemaker = docs["AmazonSageMakerFullAccess"]
    assert sagemaker["Statement"][0]["Sid"] == "AllowAllNonAdminSageMakerActions"
    # Over the customer managed quota, which AWS's own policies are not held to.
    assert policy_size(json.dumps(sagemaker)) > SIZE_LIMITS[PolicyKind.MANAGED][1]
    for document in docs.values():
        parse_policy(json.dumps(document), kind=PolicyKind.AWS_MANAGED)


def test_unknown_versions_and_policies_are_no_such_entity(ctx: ServiceContext) -> None:
    with pytest.raises(ResourceNotFound, match="version v1 does not exist"):
        call(ctx, "GetPolicyVersion", PolicyArn=SAGEMAKER_FULL, VersionId="v1")
    with pytest.raises(ResourceNotFound):
        call(ctx, "GetPolicy", PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
    with pytest.raises(ResourceNotFound):
        call(ctx, "AttachRolePolicy", RoleName=tutorial_role(ctx)["RoleName"], PolicyArn=SAGEMAKER_FULL + "x")


def test_sagemaker_full_access_attached_to_a_role_is_enforced(ctx: ServiceContext) -> None:
    tutorial_role(ctx, "builder")
    call(ctx, "AttachRolePolicy", RoleName="builder", PolicyArn=SAGEMAKER_FULL)
    assert call(ctx, "GetPolicy", PolicyArn=SAGEMAKER_FULL)["Policy"]["AttachmentCount"] == 1
    attached = call(ctx, "ListAttachedRolePolicies", RoleName="builder")["AttachedPolicies"]
    assert attached == [{"PolicyName": "AmazonSageMakerFullAccess", "PolicyArn": SAGEMAKER_FULL}]
    builder = role_session(ctx, "builder")
    authorize(builder, "sagemaker", "CreateModel", {"ModelName": "iris"})
    # Its iam:PassRole grant holds only when the role is passed to SageMaker (iam:PassedToService).
    passed = f"arn:aws:iam::{ACCOUNT}:role/builder"
    authorize(builder, "sagemaker", "CreateModel", {"ModelName": "iris", "ExecutionRoleArn": passed})
    may_create = {"Effect": "Allow", "Action": "lambda:CreateFunction", "Resource": "*"}
    call(ctx, "PutRolePolicy", RoleName="builder", PolicyName="fn", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [may_create]}
    ))  # fmt: skip
    with pytest.raises(AccessDenied, match="iam:PassRole"):
        authorize(builder, "lambda", "CreateFunction", {"FunctionName": "f", "Role": passed})
    call(ctx, "DeleteRolePolicy", RoleName="builder", PolicyName="fn")
    authorize(builder, "sagemaker-runtime", "InvokeEndpoint", {"EndpointName": "iris"})
    with pytest.raises(AccessDenied, match="iam:CreateUser"):
        authorize(builder, "iam", "CreateUser", {"UserName": "eve"})
    call(ctx, "DetachRolePolicy", RoleName="builder", PolicyArn=SAGEMAKER_FULL)
    with pytest.raises(AccessDenied):
        authorize(role_session(ctx, "builder"), "sagemaker", "CreateModel", {"ModelName": "iris"})


def test_aws_managed_policies_attach_to_users(ctx: ServiceContext) -> None:
    call(ctx, "CreateUser", UserName="ann")
    call(ctx, "AttachUserPolicy", UserName="ann", PolicyArn=LAMBDA_BASIC)
    assert call(ctx, "GetPolicy", PolicyArn=LAMBDA_BASIC)["Policy"]["AttachmentCount"] == 1


def test_aws_managed_policies_cannot_be_deleted(ctx: ServiceContext) -> None:
    with pytest.raises(AccessDenied, match="Cannot delete policies outside your own account"):
        call(ctx, "DeletePolicy", PolicyArn=SAGEMAKER_FULL)
    assert call(ctx, "GetPolicy", PolicyArn=SAGEMAKER_FULL)["Policy"]["PolicyName"]


def test_list_policies_by_scope(ctx: ServiceContext) -> None:
    call(ctx, "CreatePolicy", PolicyName="mine", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
    ))  # fmt: skip

    def names(**params: object) -> list[str]:
        return [p["PolicyName"] for p in call(ctx, "ListPolicies", **params)["Policies"]]

    aws = [
        "AmazonS3FullAccess",
        "AmazonSageMakerFullAccess",
        "AWSLambdaBasicExecutionRole",
        "CloudWatchLogsFullAccess",
    ]
    assert names(Scope="AWS") == aws
    assert names(Scope="Local") == ["mine"]
    assert names() == [*aws, "mine"]
    assert names(PathPrefix="/service-role/") == ["AWSLambdaBasicExecutionRole"]
    assert names(OnlyAttached=True) == []
    with pytest.raises(InvalidRequest, match="Scope"):
        call(ctx, "ListPolicies", Scope="Mine")
