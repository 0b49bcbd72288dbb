"""Bad IAM and STS requests: each case is one call and the error it must get.

Used by ``test_bad_iam.py``. Codes and statuses are IAM's (``MalformedPolicyDocument`` 400,
``ValidationError`` 400, ``NoSuchEntity`` 404, ``EntityAlreadyExists``, ``DeleteConflict`` and
``LimitExceeded`` 409) and STS's (``AccessDenied`` 403 for a role the caller may not assume,
existing or not). ``absent`` names what a refused create must not have made.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from e2e.services import LAMBDA_TRUST, Expected
from e2e.wire import ACCOUNT

ROLE = "e2e-iam-role"  # holds an inline policy
ATTACHED_ROLE = "e2e-iam-attached"  # holds the managed policy below
MANAGED = "e2e-iam-managed"
MANAGED_ARN = f"arn:aws:iam::{ACCOUNT}:policy/{MANAGED}"
USER = "e2e-iam-user"  # holds two access keys, IAM's quota
UNKNOWN_POLICY_ARN = f"arn:aws:iam::{ACCOUNT}:policy/e2e-no-such-policy"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/{ROLE}"


@dataclass(frozen=True)
class Case:
    id: str
    service: str  # "iam" or "sts"
    operation: str  # the boto3 method
    params: dict[str, Any]
    expected: Expected
    absent: tuple[str, str] | None = None  # ("role" | "policy" | "user", name or ARN)


def document(*statements: dict[str, Any], **top: Any) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements), **top})


ALLOW_S3 = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}


def malformed(case_id: str, text: str, *words: str) -> Case:
    name = f"e2e-bad-{case_id}"
    return Case(
        case_id,
        "iam",
        "create_policy",
        {"PolicyName": name, "PolicyDocument": text},
        Expected("MalformedPolicyDocument", 400, words),
        absent=("policy", f"arn:aws:iam::{ACCOUNT}:policy/{name}"),
    )


def without(key: str) -> dict[str, Any]:
    return {k: v for k, v in ALLOW_S3.items() if k != key}


def invalid(*words: str) -> Expected:
    return Expected("ValidationError", 400, words)


def no_such(*words: str) -> Expected:
    return Expected("NoSuchEntity", 404, words)


def new_role(case_id: str, expected: Expected, **changes: Any) -> Case:
    name = changes.pop("RoleName", f"e2e-bad-{case_id}")
    params = {"RoleName": name, "AssumeRolePolicyDocument": LAMBDA_TRUST, **changes}
    return Case(case_id, "iam", "create_role", params, expected, absent=("role", f"e2e-bad-{case_id}"))


MALFORMED_CASES = [
    malformed("policy-not-json", "{not json", "not valid json"),
    malformed("policy-not-an-object", "[1, 2]", "json object"),
    malformed("policy-version", document(ALLOW_S3, Version="2020-01-01"), "version", "2020-01-01"),
    malformed("policy-no-statement", json.dumps({"Version": "2012-10-17"}), "statement"),
    malformed("policy-unknown-element", document(ALLOW_S3, Foo=1), "foo"),
    malformed("policy-no-effect", document(without("Effect")), "effect"),
    malformed("policy-bad-effect", document({**ALLOW_S3, "Effect": "Maybe"}), "effect", "maybe"),
    malformed("policy-no-action", document(without("Action")), "actions"),
    malformed("policy-no-resource", document(without("Resource")), "resources"),
    malformed(
        "policy-action-without-vendor", document({**ALLOW_S3, "Action": "GetObject"}), "vendor", "GetObject"
    ),
    malformed("policy-resource-not-arn", document({**ALLOW_S3, "Resource": "bucket"}), "bucket", "arn"),
    malformed("policy-names-principal", document({**ALLOW_S3, "Principal": "*"}), "principal"),
    malformed(
        "policy-condition",
        document({**ALLOW_S3, "Condition": {"Bool": {"aws:SecureTransport": "true"}}}),
        "condition",
    ),
    new_role(
        "trust-without-principal",
        Expected("MalformedPolicyDocument", 400, ("principal",)),
        AssumeRolePolicyDocument=document({"Effect": "Allow", "Action": "sts:AssumeRole"}),
    ),
    Case(
        "inline-not-json",
        "iam",
        "put_role_policy",
        {"RoleName": ROLE, "PolicyName": "e2e-bad-inline", "PolicyDocument": "{"},
        Expected("MalformedPolicyDocument", 400, ("not valid json",)),
    ),
]

LIMIT_CASES = [
    Case(
        "managed-policy-over-6144",
        "iam",
        "create_policy",
        {
            "PolicyName": "e2e-bad-big",
            "PolicyDocument": document({**ALLOW_S3, "Action": [f"s3:GetObject{i:04d}" for i in range(400)]}),
        },
        Expected("LimitExceeded", 409, ("6144",)),
        absent=("policy", f"arn:aws:iam::{ACCOUNT}:policy/e2e-bad-big"),
    ),
    new_role(
        "trust-over-2048",
        Expected("LimitExceeded", 409, ("2048",)),
        AssumeRolePolicyDocument=document(
            {
                "Effect": "Allow",
                "Principal": {"AWS": [f"arn:aws:iam::{ACCOUNT}:user/u{i:04d}" for i in range(60)]},
                "Action": "sts:AssumeRole",
            }
        ),
    ),
    Case(
        "inline-policies-over-10240",
        "iam",
        "put_role_policy",
        {
            "RoleName": ROLE,
            "PolicyName": "e2e-bad-huge-inline",
            "PolicyDocument": document({**ALLOW_S3, "Action": [f"s3:GetObject{i:04d}" for i in range(600)]}),
        },
        Expected("LimitExceeded", 409, ("10240",)),
    ),
    Case(
        "third-access-key",
        "iam",
        "create_access_key",
        {"UserName": USER},
        Expected("LimitExceeded", 409, ("AccessKeysPerUser", "2")),
    ),
]

CONFLICT_CASES = [
    new_role("role-duplicate", Expected("EntityAlreadyExists", 409, (ROLE,)), RoleName=ROLE),
    new_role(
        "role-duplicate-other-case",
        Expected("EntityAlreadyExists", 409, (ROLE.upper(),)),
        RoleName=ROLE.upper(),
    ),
    Case(
        "policy-duplicate",
        "iam",
        "create_policy",
        {"PolicyName": MANAGED, "PolicyDocument": document(ALLOW_S3)},
        Expected("EntityAlreadyExists", 409, (MANAGED,)),
    ),
    Case(
        "user-duplicate",
        "iam",
        "create_user",
        {"UserName": USER},
        Expected("EntityAlreadyExists", 409, (USER,)),
    ),
    Case(
        "delete-role-with-inline-policy",
        "iam",
        "delete_role",
        {"RoleName": ROLE},
        Expected("DeleteConflict", 409, ("policies",)),
    ),
    Case(
        "delete-role-with-attached-policy",
        "iam",
        "delete_role",
        {"RoleName": ATTACHED_ROLE},
        Expected("DeleteConflict", 409, ("detach",)),
    ),
    Case(
        "delete-attached-policy",
        "iam",
        "delete_policy",
        {"PolicyArn": MANAGED_ARN},
        Expected("DeleteConflict", 409, ("attached",)),
    ),
    Case(
        "delete-user-with-keys",
        "iam",
        "delete_user",
        {"UserName": USER},
        Expected("DeleteConflict", 409, ("access keys",)),
    ),
]

UNKNOWN_CASES = [
    Case("get-role-unknown", "iam", "get_role", {"RoleName": "e2e-none"}, no_such("role", "e2e-none")),
    Case("delete-role-unknown", "iam", "delete_role", {"RoleName": "e2e-none"}, no_such("role", "e2e-none")),
    Case(
        "put-policy-role-unknown",
        "iam",
        "put_role_policy",
        {"RoleName": "e2e-none", "PolicyName": "p", "PolicyDocument": document(ALLOW_S3)},
        no_such("e2e-none"),
    ),
    Case(
        "get-inline-unknown",
        "iam",
        "get_role_policy",
        {"RoleName": ROLE, "PolicyName": "e2e-none"},
        no_such("e2e-none"),
    ),
    Case(
        "delete-inline-unknown",
        "iam",
        "delete_role_policy",
        {"RoleName": ROLE, "PolicyName": "e2e-none"},
        no_such("e2e-none"),
    ),
    Case(
        "attach-unknown-policy",
        "iam",
        "attach_role_policy",
        {"RoleName": ROLE, "PolicyArn": UNKNOWN_POLICY_ARN},
        no_such(UNKNOWN_POLICY_ARN),
    ),
    Case(
        "detach-unattached-policy",
        "iam",
        "detach_role_policy",
        {"RoleName": ROLE, "PolicyArn": MANAGED_ARN},
        no_such(MANAGED_ARN),
    ),
    Case(
        "get-policy-unknown",
        "iam",
        "get_policy",
        {"PolicyArn": UNKNOWN_POLICY_ARN},
        no_such(UNKNOWN_POLICY_ARN),
    ),
    Case(
        "delete-policy-unknown",
        "iam",
        "delete_policy",
        {"PolicyArn": UNKNOWN_POLICY_ARN},
        no_such(UNKNOWN_POLICY_ARN),
    ),
    Case("delete-user-unknown", "iam", "delete_user", {"UserName": "e2e-none"}, no_such("user", "e2e-none")),
    Case(
        "delete-access-key-unknown",
        "iam",
        "delete_access_key",
        {"UserName": USER, "AccessKeyId": "AKIAE2ENOSUCHKEY0000"},
        no_such("AKIAE2ENOSUCHKEY0000"),
    ),
]

VALIDATION_CASES = [
    new_role("role-name-space", invalid("roleName"), RoleName="bad name"),
    new_role("role-name-too-long", invalid("roleName", "64"), RoleName="r" * 65),
    new_role("role-path-no-slashes", invalid("path"), Path="nopath"),
    new_role("role-path-space", invalid("path"), Path="/a b/"),
    new_role("max-session-too-short", invalid("maxSessionDuration", "3600"), MaxSessionDuration=3599),
    new_role("max-session-too-long", invalid("maxSessionDuration", "43200"), MaxSessionDuration=43201),
    Case(
        "user-name-space",
        "iam",
        "create_user",
        {"UserName": "bad user"},
        invalid("userName"),
        absent=("user", "bad user"),
    ),
    Case(
        "policy-arn-too-short",
        "iam",
        "attach_role_policy",
        {"RoleName": ROLE, "PolicyArn": "arn:x"},
        invalid("policyArn"),
    ),
    Case("list-max-items-0", "iam", "list_roles", {"MaxItems": 0}, invalid("maxItems", "1")),
    Case("unknown-action", "iam", "list_groups", {}, Expected("InvalidAction", 400, ("ListGroups",))),
]

STS_CASES = [
    Case(
        "assume-unknown-role",
        "sts",
        "assume_role",
        {"RoleArn": f"arn:aws:iam::{ACCOUNT}:role/e2e-none", "RoleSessionName": "e2e"},
        Expected("AccessDenied", 403, ("not authorized to perform: sts:AssumeRole", "e2e-none")),
    ),
    Case(
        "duration-under-900",
        "sts",
        "assume_role",
        {"RoleArn": ROLE_ARN, "RoleSessionName": "e2e", "DurationSeconds": 899},
        invalid("durationSeconds", "900"),
    ),
    Case(
        "duration-over-role-maximum",
        "sts",
        "assume_role",
        {"RoleArn": ROLE_ARN, "RoleSessionName": "e2e", "DurationSeconds": 3601},
        invalid("DurationSeconds", "MaxSessionDuration"),
    ),
    Case(
        "duration-over-43200",
        "sts",
        "assume_role",
        {"RoleArn": ROLE_ARN, "RoleSessionName": "e2e", "DurationSeconds": 43201},
        invalid("durationSeconds", "43200"),
    ),
    Case(
        "session-name-space",
        "sts",
        "assume_role",
        {"RoleArn": ROLE_ARN, "RoleSessionName": "bad session"},
        invalid("roleSessionName"),
    ),
    Case("role-arn-missing", "sts", "assume_role", {"RoleSessionName": "e2e"}, invalid("roleArn", "null")),
]

CASES = [*MALFORMED_CASES, *LIMIT_CASES, *CONFLICT_CASES, *UNKNOWN_CASES, *VALIDATION_CASES, *STS_CASES]
assert len({c.id for c in CASES}) == len(CASES)
