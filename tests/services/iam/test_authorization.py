"""authorize: identity policies of users and role sessions, evaluated per call."""

from __future__ import annotations

import json

import pytest

from modelport.aws.auth.principal import Principal, PrincipalKind
from modelport.core.errors import AccessDenied, UnknownOperation
from modelport.services.context import ServiceContext
from modelport.services.iam.authorization import authorize, caller_arn
from modelport.services.iam.operations import issue_role_credentials
from services.iam_fixtures import ACCOUNT, POLICY_ARN, TRUST, TUTORIAL_POLICY, call

ENDPOINT = f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:endpoint/iris"
ROLE_SESSION = f"arn:aws:sts::{ACCOUNT}:assumed-role/lambda-iris/classify"


def session(ctx: ServiceContext) -> ServiceContext:
    """The context as the tutorial's Lambda function calls: a session of its role."""
    creds = issue_role_credentials(ctx, f"arn:aws:iam::{ACCOUNT}:role/lambda-iris", "classify")
    key = ctx.keys.get(creds["AccessKeyId"])
    assert key is not None
    return ctx.acting_as(key.principal)


def allow(action: str, resource: str = "*") -> dict[str, str]:
    return {"Effect": "Allow", "Action": action, "Resource": resource}


def deny(action: str, resource: str = "*") -> dict[str, str]:
    return {"Effect": "Deny", "Action": action, "Resource": resource}


def document(*statements: dict[str, str]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def test_root_and_unauthenticated_callers_may_do_anything(ctx: ServiceContext) -> None:
    authorize(ctx, "sagemaker", "CreateModel", {"ModelName": "m"})
    principal = Principal("AKIAROOTROOTROOTROOT", PrincipalKind.ROOT, "root")
    authorize(ctx.acting_as(principal), "iam", "CreateRole", {"RoleName": "r"})
    assert caller_arn(ctx, principal) == f"arn:aws:iam::{ACCOUNT}:root"


@pytest.mark.parametrize("how", ["inline", "managed"])
def test_tutorial_role_may_invoke_endpoints_and_nothing_else(ctx: ServiceContext, how: str) -> None:
    call(ctx, "CreateRole", RoleName="lambda-iris", AssumeRolePolicyDocument=TRUST)
    if how == "inline":
        call(ctx, "PutRolePolicy", RoleName="lambda-iris", PolicyName="p", PolicyDocument=TUTORIAL_POLICY)
    else:
        call(ctx, "CreatePolicy", PolicyName="invoke-iris", PolicyDocument=TUTORIAL_POLICY)
        call(ctx, "AttachRolePolicy", RoleName="lambda-iris", PolicyArn=POLICY_ARN)
    fn = session(ctx)
    authorize(fn, "sagemaker-runtime", "InvokeEndpoint", {"EndpointName": "Iris"})
    with pytest.raises(AccessDenied) as denied:
        authorize(fn, "sagemaker", "CreateModel", {"ModelName": "iris"})
    assert denied.value.message == (
        f"User: {ROLE_SESSION} is not authorized to perform: sagemaker:CreateModel on resource:"
        f" arn:aws:sagemaker:us-east-1:{ACCOUNT}:model/iris because no identity-based policy allows"
        " the sagemaker:CreateModel action"
    )
    authorize(fn, "sts", "GetCallerIdentity", {})  # needs no permission


def test_explicit_deny_wins(ctx: ServiceContext) -> None:
    call(ctx, "CreateRole", RoleName="lambda-iris", AssumeRolePolicyDocument=TRUST)
    call(
        ctx,
        "PutRolePolicy",
        RoleName="lambda-iris",
        PolicyName="all",
        PolicyDocument=document(allow("sagemaker:*")),
    )
    call(
        ctx,
        "CreatePolicy",
        PolicyName="no-iris",
        PolicyDocument=document(deny("sagemaker:Invoke*", ENDPOINT)),
    )
    call(
        ctx,
        "AttachRolePolicy",
        RoleName="lambda-iris",
        PolicyArn=f"arn:aws:iam::{ACCOUNT}:policy/no-iris",
    )
    fn = session(ctx)
    authorize(fn, "sagemaker-runtime", "InvokeEndpoint", {"EndpointName": "other"})
    with pytest.raises(
        AccessDenied, match=r"on resource: .*endpoint/iris with an explicit deny in an identity-based policy$"
    ):
        authorize(fn, "sagemaker-runtime", "InvokeEndpoint", {"EndpointName": "iris"})
    # GetCallerIdentity works even under an explicit deny of everything.
    call(ctx, "PutRolePolicy", RoleName="lambda-iris", PolicyName="none", PolicyDocument=document(deny("*")))
    authorize(fn, "sts", "GetCallerIdentity", {})


def test_user_limited_to_one_endpoint(ctx: ServiceContext) -> None:
    call(ctx, "CreateUser", UserName="ann", Path="/ops/")
    call(
        ctx,
        "PutUserPolicy",
        UserName="ann",
        PolicyName="iris-only",
        PolicyDocument=document(allow("sagemaker:InvokeEndpoint", ENDPOINT)),
    )
    key = call(ctx, "CreateAccessKey", UserName="ann")["AccessKey"]
    stored = ctx.keys.get(key["AccessKeyId"])
    assert stored is not None
    ann = ctx.acting_as(stored.principal)
    authorize(ann, "sagemaker-runtime", "InvokeEndpoint", {"EndpointName": "iris"})
    authorize(ann, "sagemaker-runtime", "InvokeEndpoint", {"EndpointName": "IRIS"})  # ARNs are lower-case
    with pytest.raises(AccessDenied, match=rf"^User: arn:aws:iam::{ACCOUNT}:user/ops/ann is not authorized"):
        authorize(ann, "sagemaker-runtime", "InvokeEndpoint", {"EndpointName": "iris-2"})


def test_role_policies_see_the_roles_path(ctx: ServiceContext) -> None:
    call(ctx, "CreateRole", RoleName="lambda-iris", AssumeRolePolicyDocument=TRUST)
    call(ctx, "CreateRole", RoleName="worker", Path="/service-role/", AssumeRolePolicyDocument=TRUST)
    call(
        ctx,
        "PutRolePolicy",
        RoleName="lambda-iris",
        PolicyName="read",
        PolicyDocument=document(allow("iam:GetRole", f"arn:aws:iam::{ACCOUNT}:role/service-role/*")),
    )
    fn = session(ctx)
    authorize(fn, "iam", "GetRole", {"RoleName": "worker"})
    with pytest.raises(AccessDenied):
        authorize(fn, "iam", "GetRole", {"RoleName": "lambda-iris"})


def test_a_deleted_role_leaves_its_sessions_nothing(ctx: ServiceContext) -> None:
    call(ctx, "CreateRole", RoleName="lambda-iris", AssumeRolePolicyDocument=TRUST)
    call(ctx, "PutRolePolicy", RoleName="lambda-iris", PolicyName="p", PolicyDocument=TUTORIAL_POLICY)
    fn = session(ctx)
    call(ctx, "DeleteRolePolicy", RoleName="lambda-iris", PolicyName="p")
    call(ctx, "DeleteRole", RoleName="lambda-iris")
    with pytest.raises(AccessDenied):
        authorize(fn, "sagemaker-runtime", "InvokeEndpoint", {"EndpointName": "iris"})


def test_unknown_operations_fail_closed(ctx: ServiceContext) -> None:
    call(ctx, "CreateRole", RoleName="lambda-iris", AssumeRolePolicyDocument=TRUST)
    call(ctx, "PutRolePolicy", RoleName="lambda-iris", PolicyName="all", PolicyDocument=document(allow("*")))
    with pytest.raises(UnknownOperation):
        authorize(session(ctx), "sagemaker", "CreateTrainingJob", {})


ROLE = f"arn:aws:iam::{ACCOUNT}:role/lambda-iris"


@pytest.mark.parametrize(
    ("service", "operation", "params"),
    [
        ("lambda", "CreateFunction", {"FunctionName": "f", "Role": ROLE}),
        ("lambda", "UpdateFunctionConfiguration", {"FunctionName": "f", "Role": ROLE}),
        (
            "apigateway",
            "PutIntegration",
            {"restApiId": "a", "resourceId": "r", "httpMethod": "POST", "credentials": ROLE},
        ),
        ("sagemaker", "CreateModel", {"ModelName": "m", "ExecutionRoleArn": ROLE}),
    ],
)
def test_handing_over_a_role_needs_pass_role(
    ctx: ServiceContext, service: str, operation: str, params: dict[str, str]
) -> None:
    call(ctx, "CreateRole", RoleName="lambda-iris", AssumeRolePolicyDocument=TRUST)
    call(ctx, "CreateRole", RoleName="builder", AssumeRolePolicyDocument=TRUST)
    builder_policy = document(
        allow("lambda:*"), allow("apigateway:*"), allow("sagemaker:*"), deny("iam:PassRole", ROLE + "-other")
    )
    call(ctx, "PutRolePolicy", RoleName="builder", PolicyName="p", PolicyDocument=builder_policy)
    creds = issue_role_credentials(ctx, f"arn:aws:iam::{ACCOUNT}:role/builder", "ci")
    key = ctx.keys.get(creds["AccessKeyId"])
    assert key is not None
    builder = ctx.acting_as(key.principal)
    with pytest.raises(AccessDenied) as denied:
        authorize(builder, service, operation, params)
    assert denied.value.message == (
        f"User: arn:aws:sts::{ACCOUNT}:assumed-role/builder/ci is not authorized to perform: iam:PassRole"
        f" on resource: {ROLE} because no identity-based policy allows the iam:PassRole action"
    )
    without_role = {k: v for k, v in params.items() if k not in ("Role", "credentials", "ExecutionRoleArn")}
    if operation not in ("CreateFunction", "CreateModel"):
        authorize(builder, service, operation, without_role)  # nothing handed over: nothing to pass
    call(
        ctx,
        "PutRolePolicy",
        RoleName="builder",
        PolicyName="pass",
        PolicyDocument=document(allow("iam:PassRole", ROLE)),
    )
    authorize(builder, service, operation, params)
    authorize(ctx, service, operation, params)  # unauthenticated / root: never checked
