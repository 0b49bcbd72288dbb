"""IAM operations over a real ServiceContext (SQLite store and key store, fake clock)."""

from __future__ import annotations

import json

import pytest

from modelport.aws.auth.keys import KeyStoreLookup
from modelport.aws.auth.principal import Principal, PrincipalKind
from modelport.core.clock import FakeClock
from modelport.core.errors import (
    InvalidRequest,
    InvalidState,
    MalformedPolicyDocument,
    ResourceAlreadyExists,
    ResourceLimitExceeded,
    ResourceNotFound,
)
from modelport.services.context import ServiceContext
from modelport.services.iam.operations import OPERATIONS, issue_role_credentials
from services.iam_fixtures import ACCOUNT, POLICY_ARN, TRUST, TUTORIAL_POLICY, call, tutorial_role

ISSUE_OPERATIONS = {
    "CreateRole", "GetRole", "ListRoles", "DeleteRole", "PutRolePolicy", "GetRolePolicy", "DeleteRolePolicy",
    "CreatePolicy", "GetPolicy", "DeletePolicy", "AttachRolePolicy", "DetachRolePolicy",
    "ListAttachedRolePolicies", "CreateUser", "DeleteUser", "CreateAccessKey", "DeleteAccessKey",
    "ListAccessKeys", "AttachUserPolicy", "PutUserPolicy",
}  # fmt: skip


def test_the_issues_operations_are_served() -> None:
    assert set(OPERATIONS) >= ISSUE_OPERATIONS
    # ListRolePolicies: the CLI's cleanup needs it; GetPolicyVersion and ListPolicies show AWS
    # managed policies; the console's users pages (inline policies included) and its password
    # sign-in (ChangePassword when a reset is required) need the rest.
    assert set(OPERATIONS) - ISSUE_OPERATIONS == {
        "ListRolePolicies", "GetPolicyVersion", "ListPolicies",
        "GetUser", "ListUsers", "DetachUserPolicy", "ListAttachedUserPolicies",
        "GetUserPolicy", "DeleteUserPolicy", "ListUserPolicies",
        "CreateLoginProfile", "GetLoginProfile", "UpdateLoginProfile", "DeleteLoginProfile",
        "ChangePassword",
    }  # fmt: skip


def test_list_role_policies_names_the_inline_policies(ctx: ServiceContext) -> None:
    tutorial_role(ctx)
    call(ctx, "PutRolePolicy", RoleName="lambda-iris", PolicyName="invoke", PolicyDocument=TUTORIAL_POLICY)
    names = call(ctx, "ListRolePolicies", RoleName="lambda-iris")
    assert names["PolicyNames"] == ["invoke"]
    assert names["IsTruncated"] is False


def test_create_role_answers_iams_shape(ctx: ServiceContext, clock: FakeClock) -> None:
    role = tutorial_role(ctx, path="/service-role/")
    assert role["RoleName"] == "lambda-iris"
    assert role["Path"] == "/service-role/"
    assert role["Arn"] == f"arn:aws:iam::{ACCOUNT}:role/service-role/lambda-iris"
    assert role["RoleId"].startswith("AROA") and len(role["RoleId"]) == 21
    assert role["RoleId"].isalnum() and role["RoleId"].isupper()
    assert role["CreateDate"] == clock.now()
    assert role["AssumeRolePolicyDocument"] == TRUST  # as given; the serializer URL-encodes it
    assert call(ctx, "GetRole", RoleName="lambda-iris")["Role"] == role | {"MaxSessionDuration": 3600}


def test_role_names_are_unique_case_insensitively(ctx: ServiceContext) -> None:
    tutorial_role(ctx)
    with pytest.raises(ResourceAlreadyExists, match=r"^Role with name LAMBDA-iris already exists\.$"):
        tutorial_role(ctx, "LAMBDA-iris")


def test_missing_role_is_no_such_entity(ctx: ServiceContext) -> None:
    for operation, extra in [
        ("GetRole", {}),
        ("DeleteRole", {}),
        ("PutRolePolicy", {"PolicyName": "p", "PolicyDocument": TUTORIAL_POLICY}),
        ("ListAttachedRolePolicies", {}),
    ]:
        with pytest.raises(ResourceNotFound, match=r"^The role with name ghost cannot be found\.$"):
            call(ctx, operation, RoleName="ghost", **extra)


def test_trust_policy_is_checked(ctx: ServiceContext) -> None:
    with pytest.raises(MalformedPolicyDocument):
        call(ctx, "CreateRole", RoleName="r", AssumeRolePolicyDocument=TUTORIAL_POLICY)  # no Principal
    with pytest.raises(MalformedPolicyDocument, match="Syntax errors in policy"):
        call(ctx, "CreateRole", RoleName="r", AssumeRolePolicyDocument="{not json")
    assert call(ctx, "ListRoles")["Roles"] == []


def test_list_roles_pages_and_filters_by_path(ctx: ServiceContext) -> None:
    for i in range(5):
        tutorial_role(ctx, f"role-{i}", path="/team/" if i % 2 else "/")
    first = call(ctx, "ListRoles", MaxItems=2)
    assert [r["RoleName"] for r in first["Roles"]] == ["role-0", "role-1"]
    assert first["IsTruncated"] is True
    rest = call(ctx, "ListRoles", MaxItems=10, Marker=first["Marker"])
    assert [r["RoleName"] for r in rest["Roles"]] == ["role-2", "role-3", "role-4"]
    assert rest["IsTruncated"] is False and "Marker" not in rest
    team = call(ctx, "ListRoles", PathPrefix="/team/")
    assert [r["RoleName"] for r in team["Roles"]] == ["role-1", "role-3"]


def test_tutorial_policy_inline(ctx: ServiceContext) -> None:
    tutorial_role(ctx)
    call(ctx, "PutRolePolicy", RoleName="lambda-iris", PolicyName="invoke", PolicyDocument=TUTORIAL_POLICY)
    got = call(ctx, "GetRolePolicy", RoleName="lambda-iris", PolicyName="invoke")
    assert got == {"RoleName": "lambda-iris", "PolicyName": "invoke", "PolicyDocument": TUTORIAL_POLICY}
    with pytest.raises(InvalidState, match=r"^Cannot delete entity, must delete policies first\.$"):
        call(ctx, "DeleteRole", RoleName="lambda-iris")
    call(ctx, "DeleteRolePolicy", RoleName="lambda-iris", PolicyName="invoke")
    with pytest.raises(ResourceNotFound, match=r"^The role policy with name invoke cannot be found\.$"):
        call(ctx, "GetRolePolicy", RoleName="lambda-iris", PolicyName="invoke")
    call(ctx, "DeleteRole", RoleName="lambda-iris")
    with pytest.raises(ResourceNotFound):
        call(ctx, "GetRole", RoleName="lambda-iris")


def test_tutorial_policy_managed_and_attached(ctx: ServiceContext) -> None:
    tutorial_role(ctx)
    policy = call(ctx, "CreatePolicy", PolicyName="invoke-iris", PolicyDocument=TUTORIAL_POLICY)["Policy"]
    assert policy["Arn"] == POLICY_ARN
    assert policy["PolicyId"].startswith("ANPA")
    assert (policy["DefaultVersionId"], policy["AttachmentCount"], policy["IsAttachable"]) == ("v1", 0, True)
    call(ctx, "AttachRolePolicy", RoleName="lambda-iris", PolicyArn=POLICY_ARN)
    call(ctx, "AttachRolePolicy", RoleName="lambda-iris", PolicyArn=POLICY_ARN)  # idempotent, as IAM
    attached = call(ctx, "ListAttachedRolePolicies", RoleName="lambda-iris")
    assert attached == {
        "AttachedPolicies": [{"PolicyName": "invoke-iris", "PolicyArn": POLICY_ARN}],
        "IsTruncated": False,
    }
    assert call(ctx, "GetPolicy", PolicyArn=POLICY_ARN)["Policy"]["AttachmentCount"] == 1
    with pytest.raises(InvalidState, match=r"^Cannot delete entity, must detach all policies first\.$"):
        call(ctx, "DeleteRole", RoleName="lambda-iris")
    with pytest.raises(InvalidState, match=r"^Cannot delete a policy attached to entities\.$"):
        call(ctx, "DeletePolicy", PolicyArn=POLICY_ARN)
    call(ctx, "DetachRolePolicy", RoleName="lambda-iris", PolicyArn=POLICY_ARN)
    with pytest.raises(ResourceNotFound, match=rf"^Policy {POLICY_ARN} was not found\.$"):
        call(ctx, "DetachRolePolicy", RoleName="lambda-iris", PolicyArn=POLICY_ARN)
    call(ctx, "DeleteRole", RoleName="lambda-iris")
    call(ctx, "DeletePolicy", PolicyArn=POLICY_ARN)
    with pytest.raises(ResourceNotFound, match=rf"^Policy {POLICY_ARN} was not found\.$"):
        call(ctx, "GetPolicy", PolicyArn=POLICY_ARN)


def test_policy_errors(ctx: ServiceContext) -> None:
    call(ctx, "CreatePolicy", PolicyName="invoke-iris", PolicyDocument=TUTORIAL_POLICY)
    with pytest.raises(ResourceAlreadyExists, match=r"^A policy called invoke-iris already exists\."):
        call(ctx, "CreatePolicy", PolicyName="invoke-iris", PolicyDocument=TUTORIAL_POLICY)
    with pytest.raises(MalformedPolicyDocument, match="must contain resources"):
        call(ctx, "CreatePolicy", PolicyName="bad", PolicyDocument=TRUST)
    huge = json.dumps(
        {
            "Statement": [
                {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{'x' * 7000}"}
            ]
        }
    )
    with pytest.raises(ResourceLimitExceeded, match="Cannot exceed quota for PolicySize: 6144"):
        call(ctx, "CreatePolicy", PolicyName="huge", PolicyDocument=huge)
    # The path is part of the ARN: the same name under another path is another ARN.
    with pytest.raises(ResourceNotFound, match="was not found"):
        call(ctx, "GetPolicy", PolicyArn=f"arn:aws:iam::{ACCOUNT}:policy/other/invoke-iris")
    tutorial_role(ctx)
    missing = f"arn:aws:iam::{ACCOUNT}:policy/ghost"
    with pytest.raises(ResourceNotFound, match=rf"^Policy {missing} does not exist or is not attachable\.$"):
        call(ctx, "AttachRolePolicy", RoleName="lambda-iris", PolicyArn=missing)


def test_inline_quota_counts_all_of_a_roles_policies(ctx: ServiceContext) -> None:
    tutorial_role(ctx)
    statement = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{'x' * 4000}"}
    document = json.dumps({"Statement": [statement]})
    call(ctx, "PutRolePolicy", RoleName="lambda-iris", PolicyName="a", PolicyDocument=document)
    call(ctx, "PutRolePolicy", RoleName="lambda-iris", PolicyName="a", PolicyDocument=document)  # replaces
    call(ctx, "PutRolePolicy", RoleName="lambda-iris", PolicyName="b", PolicyDocument=document)
    with pytest.raises(ResourceLimitExceeded, match="Maximum policy size of 10240 bytes exceeded"):
        call(ctx, "PutRolePolicy", RoleName="lambda-iris", PolicyName="c", PolicyDocument=document)


def test_inline_quota_counts_all_of_a_users_policies(ctx: ServiceContext) -> None:
    call(ctx, "CreateUser", UserName="ann")
    statement = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{'x' * 900}"}
    document = json.dumps({"Statement": [statement]})
    call(ctx, "PutUserPolicy", UserName="ann", PolicyName="a", PolicyDocument=document)
    call(ctx, "PutUserPolicy", UserName="ann", PolicyName="a", PolicyDocument=document)  # replaces
    call(ctx, "PutUserPolicy", UserName="ann", PolicyName="b", PolicyDocument=document)
    with pytest.raises(
        ResourceLimitExceeded,
        match=r"^Maximum policy size of 2048 bytes exceeded for user ann\. .*UserPolicySize",
    ):
        call(ctx, "PutUserPolicy", UserName="ann", PolicyName="c", PolicyDocument=document)
    user = ctx.store.get("iam_user", "ann")
    assert user is not None and sorted(user.body["InlinePolicies"]) == ["a", "b"]  # nothing half-stored


def test_users_and_their_policies(ctx: ServiceContext) -> None:
    user = call(ctx, "CreateUser", UserName="ann", Path="/ops/")["User"]
    assert user["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/ops/ann"
    assert user["UserId"].startswith("AIDA")
    with pytest.raises(ResourceAlreadyExists, match=r"^User with name ann already exists\.$"):
        call(ctx, "CreateUser", UserName="ann")
    with pytest.raises(ResourceNotFound, match=r"^The user with name bob cannot be found\.$"):
        call(ctx, "DeleteUser", UserName="bob")
    call(ctx, "CreatePolicy", PolicyName="invoke-iris", PolicyDocument=TUTORIAL_POLICY)
    call(ctx, "AttachUserPolicy", UserName="ann", PolicyArn=POLICY_ARN)
    call(ctx, "PutUserPolicy", UserName="ann", PolicyName="inline", PolicyDocument=TUTORIAL_POLICY)
    with pytest.raises(MalformedPolicyDocument):
        call(ctx, "PutUserPolicy", UserName="ann", PolicyName="bad", PolicyDocument='{"Statement": []}')
    with pytest.raises(InvalidState, match=r"^Cannot delete entity, must delete policies first\.$"):
        call(ctx, "DeleteUser", UserName="ann")
    assert call(ctx, "GetPolicy", PolicyArn=POLICY_ARN)["Policy"]["AttachmentCount"] == 1


def test_user_inline_policies_get_list_delete(ctx: ServiceContext) -> None:
    call(ctx, "CreateUser", UserName="ann")
    call(ctx, "PutUserPolicy", UserName="ann", PolicyName="b", PolicyDocument=TUTORIAL_POLICY)
    call(ctx, "PutUserPolicy", UserName="ann", PolicyName="a", PolicyDocument=TUTORIAL_POLICY)
    assert call(ctx, "ListUserPolicies", UserName="ann")["PolicyNames"] == ["a", "b"]
    paged = call(ctx, "ListUserPolicies", UserName="ann", MaxItems=1)
    assert paged["PolicyNames"] == ["a"] and paged["IsTruncated"]
    got = call(ctx, "GetUserPolicy", UserName="ann", PolicyName="a")
    assert got == {"UserName": "ann", "PolicyName": "a", "PolicyDocument": TUTORIAL_POLICY}
    call(ctx, "DeleteUserPolicy", UserName="ann", PolicyName="a")
    assert call(ctx, "ListUserPolicies", UserName="ann")["PolicyNames"] == ["b"]
    for operation in ("GetUserPolicy", "DeleteUserPolicy"):
        with pytest.raises(ResourceNotFound, match=r"^The user policy with name a cannot be found\.$"):
            call(ctx, operation, UserName="ann", PolicyName="a")
    with pytest.raises(ResourceNotFound, match=r"^The user with name bob cannot be found\.$"):
        call(ctx, "ListUserPolicies", UserName="bob")
    call(ctx, "DeleteUserPolicy", UserName="ann", PolicyName="b")
    call(ctx, "DeleteUser", UserName="ann")  # nothing left to refuse it


def test_access_keys_authenticate_until_deleted(ctx: ServiceContext, clock: FakeClock) -> None:
    call(ctx, "CreateUser", UserName="ann")
    key = call(ctx, "CreateAccessKey", UserName="ann")["AccessKey"]
    assert key["AccessKeyId"].startswith("AKIA") and len(key["AccessKeyId"]) == 20
    assert len(key["SecretAccessKey"]) == 40
    assert (key["UserName"], key["Status"], key["CreateDate"]) == ("ann", "Active", clock.now())
    lookup = KeyStoreLookup(ctx.keys, clock)
    found = lookup.secret_for(key["AccessKeyId"])
    assert found is not None
    secret, principal = found
    assert secret == key["SecretAccessKey"]
    assert (principal.kind, principal.name) == (PrincipalKind.USER, "ann")

    # Without UserName the caller's own keys are meant, as in IAM.
    as_ann = ctx.acting_as(principal)
    second = call(as_ann, "CreateAccessKey")["AccessKey"]
    listed = call(as_ann, "ListAccessKeys")
    assert {k["AccessKeyId"] for k in listed["AccessKeyMetadata"]} == {
        key["AccessKeyId"],
        second["AccessKeyId"],
    }
    assert "SecretAccessKey" not in listed["AccessKeyMetadata"][0]
    with pytest.raises(ResourceLimitExceeded, match="AccessKeysPerUser: 2"):
        call(as_ann, "CreateAccessKey")
    with pytest.raises(InvalidState, match=r"^Cannot delete entity, must delete access keys first\.$"):
        call(ctx, "DeleteUser", UserName="ann")
    with pytest.raises(InvalidRequest, match="Must specify userName"):
        call(ctx, "ListAccessKeys")  # root has no IAM user

    call(ctx, "CreateUser", UserName="bob")
    with pytest.raises(
        ResourceNotFound, match=rf"^The Access Key with id {key['AccessKeyId']} cannot be found\.$"
    ):
        call(ctx, "DeleteAccessKey", UserName="bob", AccessKeyId=key["AccessKeyId"])
    call(as_ann, "DeleteAccessKey", AccessKeyId=key["AccessKeyId"])
    call(ctx, "DeleteAccessKey", UserName="ann", AccessKeyId=second["AccessKeyId"])
    assert lookup.secret_for(key["AccessKeyId"]) is None
    assert call(ctx, "ListAccessKeys", UserName="ann")["AccessKeyMetadata"] == []
    call(ctx, "DeleteUser", UserName="ann")


def test_issue_role_credentials_stores_an_expiring_session_key(ctx: ServiceContext, clock: FakeClock) -> None:
    role = tutorial_role(ctx)
    creds = issue_role_credentials(ctx, role["Arn"], "classify", duration_s=900)
    assert creds["AccessKeyId"].startswith("ASIA")
    assert creds["Expiration"] == clock.now() + 900
    stored = ctx.keys.get(creds["AccessKeyId"])
    assert stored is not None
    assert (stored.kind, stored.name, stored.session_token) == (
        PrincipalKind.ROLE,
        "lambda-iris/classify",
        creds["SessionToken"],
    )
    lookup = KeyStoreLookup(ctx.keys, clock)
    assert lookup.secret_for(creds["AccessKeyId"]) is not None
    clock.advance(900)
    assert lookup.secret_for(creds["AccessKeyId"]) is None
    with pytest.raises(ResourceNotFound):
        issue_role_credentials(ctx, f"arn:aws:iam::{ACCOUNT}:role/ghost", "s")


def test_a_user_principal_for_a_deleted_user_cannot_list_keys(ctx: ServiceContext) -> None:
    ghost = ctx.acting_as(Principal("AKIAEXAMPLEEXAMPLE00", PrincipalKind.USER, "gone"))
    with pytest.raises(ResourceNotFound, match="The user with name gone cannot be found"):
        call(ghost, "ListAccessKeys")
