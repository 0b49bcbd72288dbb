"""STS: GetCallerIdentity and AssumeRole over a real ServiceContext."""

from __future__ import annotations

import json
from typing import Any

import pytest

from modelport.aws.auth.keys import KeyStoreLookup
from modelport.aws.auth.principal import Principal, PrincipalKind
from modelport.core.clock import FakeClock
from modelport.core.errors import AccessDenied, InvalidRequest
from modelport.services.context import ServiceContext
from modelport.services.sts import operations as sts
from services.iam_fixtures import ACCOUNT, TRUST, call

ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/lambda-iris"


def sts_call(ctx: ServiceContext, operation: str, **params: Any) -> dict[str, Any]:
    return sts.OPERATIONS[operation](ctx, params)


def user(ctx: ServiceContext, name: str = "ann") -> ServiceContext:
    call(ctx, "CreateUser", UserName=name)
    key = ctx.keys.get(call(ctx, "CreateAccessKey", UserName=name)["AccessKey"]["AccessKeyId"])
    assert key is not None
    return ctx.acting_as(key.principal)


def trusting(*arns: str) -> str:
    return json.dumps(
        {"Statement": [{"Effect": "Allow", "Principal": {"AWS": list(arns)}, "Action": "sts:AssumeRole"}]}
    )


def test_get_caller_identity(ctx: ServiceContext) -> None:
    root = {"UserId": ACCOUNT, "Account": ACCOUNT, "Arn": f"arn:aws:iam::{ACCOUNT}:root"}
    assert sts_call(ctx, "GetCallerIdentity") == root
    as_root = ctx.acting_as(Principal("AKIAROOTROOTROOTROOT", PrincipalKind.ROOT, "root"))
    assert sts_call(as_root, "GetCallerIdentity") == root

    ann = user(ctx)
    ann_id = ctx.store.get("iam_user", "ann")
    assert ann_id is not None
    assert sts_call(ann, "GetCallerIdentity") == {
        "UserId": ann_id.body["UserId"],
        "Account": ACCOUNT,
        "Arn": f"arn:aws:iam::{ACCOUNT}:user/ann",
    }

    role = call(ctx, "CreateRole", RoleName="lambda-iris", AssumeRolePolicyDocument=TRUST)["Role"]
    assumed = sts_call(ctx, "AssumeRole", RoleArn=ROLE_ARN, RoleSessionName="classify")
    key = ctx.keys.get(assumed["Credentials"]["AccessKeyId"])
    assert key is not None
    assert sts_call(ctx.acting_as(key.principal), "GetCallerIdentity") == {
        "UserId": f"{role['RoleId']}:classify",
        "Account": ACCOUNT,
        "Arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/lambda-iris/classify",
    }


def test_assume_role_issues_expiring_session_credentials(ctx: ServiceContext, clock: FakeClock) -> None:
    role = call(ctx, "CreateRole", RoleName="lambda-iris", AssumeRolePolicyDocument=TRUST)["Role"]
    answer = sts_call(ctx, "AssumeRole", RoleArn=ROLE_ARN, RoleSessionName="s1", DurationSeconds=900)
    creds = answer["Credentials"]
    assert creds["AccessKeyId"].startswith("ASIA") and len(creds["AccessKeyId"]) == 20
    assert creds["SessionToken"] and len(creds["SecretAccessKey"]) == 40
    assert creds["Expiration"] == clock.now() + 900
    assert answer["AssumedRoleUser"] == {
        "AssumedRoleId": f"{role['RoleId']}:s1",
        "Arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/lambda-iris/s1",
    }
    lookup = KeyStoreLookup(ctx.keys, clock)
    found = lookup.secret_for(creds["AccessKeyId"])
    assert found is not None
    secret, principal = found
    assert secret == creds["SecretAccessKey"]
    # The verifier demands X-Amz-Security-Token equal to this token for a temporary key.
    assert principal.session_token == creds["SessionToken"]
    assert (principal.kind, principal.name) == (PrincipalKind.ROLE, "lambda-iris/s1")
    clock.advance(899)
    assert lookup.secret_for(creds["AccessKeyId"]) is not None
    clock.advance(1)
    assert lookup.secret_for(creds["AccessKeyId"]) is None


def test_assume_role_duration_bounds(ctx: ServiceContext) -> None:
    call(ctx, "CreateRole", RoleName="lambda-iris", AssumeRolePolicyDocument=TRUST)
    with pytest.raises(InvalidRequest, match="greater than or equal to 900"):
        sts_call(ctx, "AssumeRole", RoleArn=ROLE_ARN, RoleSessionName="s", DurationSeconds=899)
    with pytest.raises(InvalidRequest, match="exceeds the MaxSessionDuration set for this role"):
        sts_call(ctx, "AssumeRole", RoleArn=ROLE_ARN, RoleSessionName="s", DurationSeconds=3601)
    call(ctx, "CreateRole", RoleName="long", AssumeRolePolicyDocument=TRUST, MaxSessionDuration=43200)
    long_arn = f"arn:aws:iam::{ACCOUNT}:role/long"
    sts_call(ctx, "AssumeRole", RoleArn=long_arn, RoleSessionName="s", DurationSeconds=43200)
    with pytest.raises(InvalidRequest, match="between 3600 and 43200"):
        call(ctx, "CreateRole", RoleName="longer", AssumeRolePolicyDocument=TRUST, MaxSessionDuration=43201)


def test_trust_policy_decides_who_may_assume(ctx: ServiceContext) -> None:
    ann, bob = user(ctx, "ann"), user(ctx, "bob")
    ann_arn = f"arn:aws:iam::{ACCOUNT}:user/ann"
    call(ctx, "CreateRole", RoleName="lambda-iris", AssumeRolePolicyDocument=TRUST)
    call(ctx, "CreateRole", RoleName="for-ann", AssumeRolePolicyDocument=trusting(ann_arn))
    for_ann = f"arn:aws:iam::{ACCOUNT}:role/for-ann"

    assert sts_call(ann, "AssumeRole", RoleArn=for_ann, RoleSessionName="s")["Credentials"]
    with pytest.raises(AccessDenied) as denied:
        sts_call(bob, "AssumeRole", RoleArn=for_ann, RoleSessionName="s")
    assert denied.value.message == (
        f"User: arn:aws:iam::{ACCOUNT}:user/bob is not authorized to perform: sts:AssumeRole on resource: {for_ann}"
    )
    # Only Lambda may assume the tutorial's role; a user may not.
    with pytest.raises(AccessDenied):
        sts_call(ann, "AssumeRole", RoleArn=ROLE_ARN, RoleSessionName="s")
    # A missing role is AccessDenied too, so that callers cannot probe for role names.
    ghost = f"arn:aws:iam::{ACCOUNT}:role/ghost"
    with pytest.raises(AccessDenied, match=f"on resource: {ghost}"):
        sts_call(ann, "AssumeRole", RoleArn=ghost, RoleSessionName="s")


def test_account_principal_admits_everyone_and_chaining_is_capped(ctx: ServiceContext) -> None:
    ann = user(ctx)
    call(ctx, "CreateRole", RoleName="a", AssumeRolePolicyDocument=trusting(ACCOUNT), MaxSessionDuration=7200)
    arn = f"arn:aws:iam::{ACCOUNT}:role/a"
    creds = sts_call(ann, "AssumeRole", RoleArn=arn, RoleSessionName="one", DurationSeconds=7200)
    key = ctx.keys.get(creds["Credentials"]["AccessKeyId"])
    assert key is not None
    as_role = ctx.acting_as(key.principal)
    with pytest.raises(InvalidRequest, match="1 hour session limit for roles assumed by role chaining"):
        sts_call(as_role, "AssumeRole", RoleArn=arn, RoleSessionName="two", DurationSeconds=3601)
    chained = sts_call(as_role, "AssumeRole", RoleArn=arn, RoleSessionName="two")
    assert chained["AssumedRoleUser"]["Arn"].endswith(":assumed-role/a/two")
