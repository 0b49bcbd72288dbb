"""Bad IAM and STS requests against the real server, over HTTP, with boto3.

The module builds a role with an inline policy, a role with an attached managed policy and a
user with IAM's quota of two access keys. Every case must get IAM's (or STS's) code, status and
a message naming the problem; a refused create must have created nothing, and a refused delete
must have deleted nothing: after each case those entities still hold what they held, and the
server is healthy.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from e2e.iam_cases import ATTACHED_ROLE, CASES, MANAGED, MANAGED_ARN, ROLE, ROLE_ARN, USER, Case, document
from e2e.services import LAMBDA_TRUST, Expected, check_refused
from e2e.wire import Keys, send
from support.modelport_server import ModelportServer, client

pytestmark = pytest.mark.e2e

CALLER = "e2e-iam-caller"  # may call sts:AssumeRole, but no role here trusts it
INLINE = "e2e-inline"


@pytest.fixture(scope="module")
def iam(server: ModelportServer) -> Iterator[Any]:
    iam = client(server, "iam", validate=False)
    allow_invoke = document({"Effect": "Allow", "Action": "sagemaker:InvokeEndpoint", "Resource": "*"})
    iam.create_role(RoleName=ROLE, AssumeRolePolicyDocument=LAMBDA_TRUST)
    iam.put_role_policy(RoleName=ROLE, PolicyName=INLINE, PolicyDocument=allow_invoke)
    iam.create_policy(PolicyName=MANAGED, PolicyDocument=allow_invoke)
    iam.create_role(RoleName=ATTACHED_ROLE, AssumeRolePolicyDocument=LAMBDA_TRUST)
    iam.attach_role_policy(RoleName=ATTACHED_ROLE, PolicyArn=MANAGED_ARN)
    iam.create_user(UserName=USER)
    for _ in range(2):
        iam.create_access_key(UserName=USER)
    yield iam


@pytest.fixture(scope="module")
def sts(server: ModelportServer) -> Any:
    return client(server, "sts", validate=False)


def still_whole(iam: Any) -> None:
    """What the conflict cases tried to delete or overfill is all still there."""
    assert iam.list_role_policies(RoleName=ROLE)["PolicyNames"] == [INLINE]
    attached = iam.list_attached_role_policies(RoleName=ATTACHED_ROLE)["AttachedPolicies"]
    assert [p["PolicyArn"] for p in attached] == [MANAGED_ARN]
    assert iam.get_policy(PolicyArn=MANAGED_ARN)["Policy"]["AttachmentCount"] == 1
    assert len(iam.list_access_keys(UserName=USER)["AccessKeyMetadata"]) == 2


def absent(iam: Any, kind: str, name: str) -> None:
    lookups: dict[str, Callable[[], Any]] = {
        "role": lambda: iam.get_role(RoleName=name),
        "policy": lambda: iam.get_policy(PolicyArn=name),
        "user": lambda: iam.list_access_keys(UserName=name),  # modelport has no GetUser yet
    }
    with pytest.raises(ClientError) as caught:
        lookups[kind]()
    assert caught.value.response["Error"]["Code"] in ("NoSuchEntity", "ValidationError")


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_iam_request(case: Case, iam: Any, sts: Any, healthy: Callable[[], None]) -> None:
    service = {"iam": iam, "sts": sts}[case.service]
    roles = {r["RoleName"] for r in iam.list_roles(MaxItems=1000)["Roles"]}
    with pytest.raises(ClientError) as caught:
        getattr(service, case.operation)(**case.params)
    check_refused(caught, case.expected)
    assert caught.value.response["Error"]["Type"] == "Sender"
    if case.absent is not None:
        absent(iam, *case.absent)
    assert {r["RoleName"] for r in iam.list_roles(MaxItems=1000)["Roles"]} == roles
    still_whole(iam)
    healthy()


def test_assume_role_refuses_a_caller_the_trust_policy_does_not_name(
    iam: Any, server: ModelportServer, healthy: Callable[[], None]
) -> None:
    """The caller may call sts:AssumeRole, but the role trusts only Lambda: AccessDenied, and the
    same answer for a role that does not exist, so a caller cannot probe which roles exist."""
    iam.create_user(UserName=CALLER)
    iam.put_user_policy(
        UserName=CALLER,
        PolicyName="may-assume",
        PolicyDocument=document({"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}),
    )
    key = iam.create_access_key(UserName=CALLER)["AccessKey"]
    caller_sts = client(server, "sts", credentials=key, validate=False)
    messages = []
    for role_arn in (ROLE_ARN, ROLE_ARN.replace(ROLE, "e2e-none")):
        with pytest.raises(ClientError) as caught:
            caller_sts.assume_role(RoleArn=role_arn, RoleSessionName="e2e")
        messages.append(
            check_refused(
                caught, Expected("AccessDenied", 403, (f"user/{CALLER}", "sts:AssumeRole", role_arn))
            )
        )
    assert messages[0] == messages[1].replace("e2e-none", ROLE)
    healthy()


def test_iam_errors_have_the_query_protocols_xml_shape(server: ModelportServer, keys: Keys) -> None:
    """``<ErrorResponse><Error><Type>Sender</Type><Code>…</Code><Message>…`` and a request id."""
    response = send(
        server.url,
        keys,
        body="Action=GetRole&RoleName=e2e-none&Version=2010-05-08",
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
        service="iam",
    )
    assert response.status_code == 404
    root = ET.fromstring(response.content)
    namespace = root.tag.partition("}")[0] + "}" if root.tag.startswith("{") else ""
    assert root.tag == f"{namespace}ErrorResponse"
    error = root.find(f"{namespace}Error")
    assert error is not None
    fields = {child.tag.removeprefix(namespace): child.text for child in error}
    assert fields["Type"] == "Sender" and fields["Code"] == "NoSuchEntity"
    assert "e2e-none" in (fields["Message"] or "")
    assert root.findtext(f"{namespace}RequestId")
    assert "Traceback" not in json.dumps(fields)
