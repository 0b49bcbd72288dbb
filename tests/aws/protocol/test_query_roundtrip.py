"""The query protocol (IAM, STS) round-trips through real botocore clients, in process."""

from __future__ import annotations

import datetime as dt
import functools
import json
from typing import Any, NoReturn

import pytest
from botocore.awsrequest import AWSPreparedRequest
from botocore.exceptions import ClientError

from modelport.aws.protocol import (
    ParsedRequest,
    ServiceProtocol,
    WireResponse,
    parse_query_request,
    serialize_query_error,
    serialize_query_response,
)
from modelport.core import errors as e
from modelport.http.bindings import IMPLEMENTED

from .botocore_wire import REQUEST_ID, WHEN, Handler, Wire, example, make_client

PLANNED = {"iam": IMPLEMENTED["iam"], "sts": IMPLEMENTED["sts"]}  # every IAM and STS operation served


class QueryWire(Wire):
    """``Wire`` for the query protocol: form body in, XML out."""

    def _parse(self, request: AWSPreparedRequest, body: bytes) -> ParsedRequest:
        assert request.method == "POST"
        content_type = request.headers["Content-Type"]
        assert content_type in (
            b"application/x-www-form-urlencoded; charset=utf-8",
            "application/x-www-form-urlencoded; charset=utf-8",
        )
        return parse_query_request(self.proto, body)

    def _serialize(self, operation: str, output: dict[str, Any] | None) -> WireResponse:
        return serialize_query_response(self.proto, operation, output, REQUEST_ID)

    def _serialize_error(self, exc: BaseException) -> WireResponse:
        return serialize_query_error(self.proto, exc, REQUEST_ID)


def make_query_client(service: str, handler: Handler) -> tuple[Any, QueryWire]:
    return make_client(service, handler, QueryWire)


@pytest.fixture(scope="module")
def iam() -> ServiceProtocol:
    return ServiceProtocol.load("iam")


@pytest.fixture(scope="module")
def sts() -> ServiceProtocol:
    return ServiceProtocol.load("sts")


POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "sagemaker.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    },
    indent=2,
).replace("\n", "\r\n")  # CRLF, spaces, quotes, braces: all must survive form encoding
ROLE_ARN = "arn:aws:iam::123456789012:role/service-role/my-role"
POLICY_ARN = "arn:aws:iam::123456789012:policy/my-policy"
TAGS = [{"Key": "team", "Value": "ml + ops: a/b=c@d"}, {"Key": "env", "Value": "dev=1+2 ünï"}]

INPUTS: dict[str, dict[str, dict[str, Any]]] = {
    "iam": {
        "CreateRole": {
            "Path": "/service-role/",
            "RoleName": "my-role",
            "AssumeRolePolicyDocument": POLICY,
            "Description": 'A role; with <punctuation> & "quotes" + more=1.',
            "MaxSessionDuration": 3600,
            "PermissionsBoundary": POLICY_ARN,
            "Tags": TAGS,
        },
        "GetRole": {"RoleName": "my-role"},
        "ListRoles": {"PathPrefix": "/service-role/", "Marker": "abc+/=", "MaxItems": 10},
        "DeleteRole": {"RoleName": "my-role"},
        "PutRolePolicy": {"RoleName": "my-role", "PolicyName": "inline", "PolicyDocument": POLICY},
        "GetRolePolicy": {"RoleName": "my-role", "PolicyName": "inline"},
        "DeleteRolePolicy": {"RoleName": "my-role", "PolicyName": "inline"},
        "CreatePolicy": {
            "PolicyName": "my-policy",
            "Path": "/",
            "PolicyDocument": POLICY,
            "Description": "d",
            "Tags": TAGS,
        },
        "GetPolicy": {"PolicyArn": POLICY_ARN},
        "GetPolicyVersion": {"PolicyArn": POLICY_ARN, "VersionId": "v1"},
        "ListPolicies": {
            "Scope": "AWS",
            "OnlyAttached": True,
            "PathPrefix": "/",
            "Marker": "m",
            "MaxItems": 5,
        },
        "DeletePolicy": {"PolicyArn": POLICY_ARN},
        "AttachRolePolicy": {"RoleName": "my-role", "PolicyArn": POLICY_ARN},
        "DetachRolePolicy": {"RoleName": "my-role", "PolicyArn": POLICY_ARN},
        "ListAttachedRolePolicies": {"RoleName": "my-role", "PathPrefix": "/", "Marker": "m", "MaxItems": 5},
        "ListRolePolicies": {"RoleName": "my-role", "Marker": "m", "MaxItems": 5},
        "CreateUser": {"Path": "/", "UserName": "alice", "PermissionsBoundary": POLICY_ARN, "Tags": TAGS},
        "DeleteUser": {"UserName": "alice"},
        "CreateAccessKey": {"UserName": "alice"},
        "DeleteAccessKey": {"UserName": "alice", "AccessKeyId": "AKIAIOSFODNN7EXAMPLE"},
        "ListAccessKeys": {"UserName": "alice", "Marker": "m", "MaxItems": 100},
        "AttachUserPolicy": {"UserName": "alice", "PolicyArn": POLICY_ARN},
        "PutUserPolicy": {"UserName": "alice", "PolicyName": "inline", "PolicyDocument": POLICY},
        "GetUserPolicy": {"UserName": "alice", "PolicyName": "inline"},
        "DeleteUserPolicy": {"UserName": "alice", "PolicyName": "inline"},
        "ListUserPolicies": {"UserName": "alice", "Marker": "m", "MaxItems": 5},
        "ChangePassword": {"OldPassword": "Correct-Horse-9", "NewPassword": "Battery-Staple-8"},
        "GetUser": {"UserName": "alice"},
        "ListUsers": {"PathPrefix": "/", "Marker": "m", "MaxItems": 5},
        "DetachUserPolicy": {"UserName": "alice", "PolicyArn": POLICY_ARN},
        "ListAttachedUserPolicies": {"UserName": "alice", "PathPrefix": "/", "Marker": "m", "MaxItems": 5},
        "CreateLoginProfile": {
            "UserName": "alice",
            "Password": "Correct-Horse-9",
            "PasswordResetRequired": True,
        },
        "GetLoginProfile": {"UserName": "alice"},
        "UpdateLoginProfile": {
            "UserName": "alice",
            "Password": "Correct-Horse-9",
            "PasswordResetRequired": False,
        },
        "DeleteLoginProfile": {"UserName": "alice"},
    },
    "sts": {
        "GetCallerIdentity": {},
        "AssumeRole": {
            "RoleArn": ROLE_ARN,
            "RoleSessionName": "session-1",
            "PolicyArns": [{"arn": POLICY_ARN}, {"arn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}],
            "Policy": POLICY,
            "DurationSeconds": 3600,
            "Tags": TAGS,
            "TransitiveTagKeys": ["team", "env"],
            "ExternalId": "ext-id",
            "SerialNumber": "arn:aws:iam::123456789012:mfa/alice",
            "TokenCode": "123456",
            "SourceIdentity": "alice",
        },
    },
}

CASES = [(service, op) for service, ops in INPUTS.items() for op in ops]


def test_cases_cover_the_planned_operations() -> None:
    assert {s: frozenset(ops) for s, ops in INPUTS.items()} == PLANNED
    for service, operations in PLANNED.items():
        assert operations <= set(ServiceProtocol.load(service).operation_names)


def _strip(parsed: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in parsed.items() if k != "ResponseMetadata"}


@pytest.mark.parametrize(("service", "operation"), CASES)
def test_request_params_round_trip(service: str, operation: str) -> None:
    client, wire = make_query_client(service, lambda op, params: None)
    method = client.meta.method_to_api_mapping
    name = next(py for py, api in method.items() if api == operation)
    getattr(client, name)(**INPUTS[service][operation])
    assert wire.requests == [ParsedRequest(operation, INPUTS[service][operation])]


@pytest.mark.parametrize(("service", "operation"), CASES)
def test_output_round_trips_through_botocore_parser(service: str, operation: str) -> None:
    proto = ServiceProtocol.load(service)
    shape = proto.model.operation_model(operation).output_shape
    output = example(shape) if shape is not None else None
    client, wire = make_query_client(service, lambda op, params: output)
    name = next(py for py, api in client.meta.method_to_api_mapping.items() if api == operation)
    parsed = getattr(client, name)(**INPUTS[service][operation])
    assert _strip(parsed) == (output or {})
    assert parsed["ResponseMetadata"]["RequestId"] == REQUEST_ID
    assert wire.responses[0].headers["Content-Type"] == "text/xml"


def test_create_role_output_with_policy_document_and_timestamps() -> None:
    role = {
        "Path": "/service-role/",
        "RoleName": "my-role",
        "RoleId": "AROA1234567890EXAMPLE",
        "Arn": ROLE_ARN,
        "CreateDate": dt.datetime(2024, 5, 6, 7, 8, 9, tzinfo=dt.UTC),
        "AssumeRolePolicyDocument": POLICY,
        "Description": "x < y & \r\n z",
        "MaxSessionDuration": 3600,
        "Tags": TAGS,
    }
    client, wire = make_query_client("iam", lambda op, params: {"Role": role})
    parsed = client.create_role(RoleName="my-role", AssumeRolePolicyDocument=POLICY)
    body = wire.responses[0].body.decode()
    assert body.startswith('<CreateRoleResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">')
    assert "<CreateDate>2024-05-06T07:08:09Z</CreateDate>" in body
    assert "&#13;" in body  # CR escaped, or the XML parser would drop it
    # IAM URL-encodes policy documents; botocore's after-call handler gives boto3 users a dict.
    assert parsed["Role"] == role | {"AssumeRolePolicyDocument": json.loads(POLICY)}


def test_handler_may_return_policy_document_as_dict() -> None:
    output = {"RoleName": "r", "PolicyName": "p", "PolicyDocument": json.loads(POLICY)}
    client, _ = make_query_client("iam", lambda op, params: output)
    assert _strip(client.get_role_policy(RoleName="r", PolicyName="p")) == output


def _answer(output: dict[str, Any], operation: str, params: dict[str, Any]) -> dict[str, Any]:
    return output


def test_list_roles_pagination_members() -> None:
    roles = [
        {
            "Path": "/",
            "RoleName": f"r{i}",
            "RoleId": f"AROA{i:016d}",
            "Arn": f"{ROLE_ARN}{i}",
            "CreateDate": WHEN,
        }
        for i in range(3)
    ]
    for truncated, marker in ((True, "next-page"), (False, None)):
        output: dict[str, Any] = {"Roles": roles, "IsTruncated": truncated, "Marker": marker}
        client, wire = make_query_client("iam", functools.partial(_answer, output))
        parsed = client.list_roles(MaxItems=3)
        assert parsed["Roles"] == roles
        assert parsed["IsTruncated"] is truncated
        assert parsed.get("Marker") == marker
        assert f"<IsTruncated>{str(truncated).lower()}</IsTruncated>" in wire.responses[0].body.decode()


def test_empty_list_and_no_output_operation() -> None:
    client, wire = make_query_client("iam", lambda op, params: {"Roles": [], "IsTruncated": False})
    assert client.list_roles()["Roles"] == []
    client, wire = make_query_client("iam", lambda op, params: None)
    client.create_user(UserName="alice", Tags=[])
    assert wire.requests[0].params == {"UserName": "alice", "Tags": []}
    client.delete_role(RoleName="r")
    assert wire.responses[-1].body == (
        b'<DeleteRoleResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><ResponseMetadata>'
        b"<RequestId>" + REQUEST_ID.encode() + b"</RequestId></ResponseMetadata></DeleteRoleResponse>"
    )


def test_create_access_key_and_sts_outputs() -> None:
    key = {
        "UserName": "alice",
        "AccessKeyId": "AKIAIOSFODNN7EXAMPLE",
        "Status": "Active",
        "SecretAccessKey": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY+/=",
        "CreateDate": WHEN,
    }
    client, _ = make_query_client("iam", lambda op, params: {"AccessKey": key})
    assert client.create_access_key(UserName="alice")["AccessKey"] == key

    identity = {"Account": "123456789012", "Arn": "arn:aws:iam::123456789012:user/alice", "UserId": "AIDA1"}
    sts_client, wire = make_query_client("sts", lambda op, params: identity)
    assert _strip(sts_client.get_caller_identity()) == identity
    assert wire.responses[0].body.startswith(
        b'<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>'
    )

    assumed = {
        "Credentials": {
            "AccessKeyId": "ASIA1234567890EXAMPLE",
            "SecretAccessKey": "secret/+=",
            "SessionToken": "token" * 40,
            "Expiration": dt.datetime(2024, 5, 6, 8, 8, 9, tzinfo=dt.UTC),
        },
        "AssumedRoleUser": {"AssumedRoleId": "AROA1:session-1", "Arn": f"{ROLE_ARN}/session-1"},
        "PackedPolicySize": 6,
        "SourceIdentity": "alice",
    }
    sts_client, _ = make_query_client("sts", lambda op, params: assumed)
    assert _strip(sts_client.assume_role(RoleArn=ROLE_ARN, RoleSessionName="session-1")) == assumed


def _raise(exc: BaseException) -> Handler:
    def handler(operation: str, params: dict[str, Any]) -> NoReturn:
        raise exc

    return handler


@pytest.mark.parametrize(
    ("exc", "code", "status", "modeled"),
    [
        (
            e.ResourceNotFound("The role with name gone cannot be found."),
            "NoSuchEntity",
            404,
            "NoSuchEntityException",
        ),
        (
            e.ResourceAlreadyExists("Role with name my-role already exists."),
            "EntityAlreadyExists",
            409,
            "EntityAlreadyExistsException",
        ),
        (
            e.InvalidState("Cannot delete entity, must detach all policies first."),
            "DeleteConflict",
            409,
            "DeleteConflictException",
        ),
        (
            e.ResourceLimitExceeded("Cannot exceed quota for RolesPerAccount: 1000"),
            "LimitExceeded",
            409,
            "LimitExceededException",
        ),
        (e.InvalidRequest("1 validation error detected: ..."), "ValidationError", 400, None),
        (e.AccessDenied("User: x is not authorized to perform: iam:GetRole"), "AccessDenied", 403, None),
        (
            e.UnrecognizedClient("The security token included in the request is invalid."),
            "InvalidClientTokenId",
            403,
            None,
        ),
        (
            e.InvalidSignature("The request signature we calculated does not match"),
            "SignatureDoesNotMatch",
            403,
            None,
        ),
        (
            e.MissingAuthentication("Request is missing Authentication Token"),
            "MissingAuthenticationToken",
            403,
            None,
        ),
        (e.Throttled("Rate exceeded"), "Throttling", 400, None),
    ],
)
def test_iam_errors(exc: e.ModelportError, code: str, status: int, modeled: str | None) -> None:
    client, wire = make_query_client("iam", _raise(exc))
    expected = getattr(client.exceptions, modeled) if modeled else ClientError
    with pytest.raises(expected) as info:
        client.get_role(RoleName="gone")
    error = info.value.response["Error"]
    assert (error["Code"], error["Message"], error["Type"]) == (code, exc.message, "Sender")
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == status
    assert info.value.response["ResponseMetadata"]["RequestId"] == REQUEST_ID
    assert wire.responses[0].headers["Content-Type"] == "text/xml"


def test_internal_failure_is_receiver_and_hides_details(caplog: pytest.LogCaptureFixture) -> None:
    client, _ = make_query_client("sts", _raise(RuntimeError("/etc/passwd")))
    with caplog.at_level("ERROR"), pytest.raises(ClientError) as info:
        client.get_caller_identity()
    error = info.value.response["Error"]
    assert (error["Code"], error["Type"]) == ("InternalFailure", "Receiver")
    assert "passwd" not in error["Message"] and REQUEST_ID in error["Message"]
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500


def test_error_xml_shape(sts: ServiceProtocol) -> None:
    wire = serialize_query_error(sts, e.SignatureExpired("Signature expired: a < b"), "rid")
    assert wire.status == 403
    assert wire.body == (
        b'<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type>'
        b"<Code>SignatureDoesNotMatch</Code><Message>Signature expired: a &lt; b</Message></Error>"
        b"<RequestId>rid</RequestId></ErrorResponse>"
    )


@pytest.mark.parametrize(
    ("role_name", "message"),
    [
        (
            "r" * 65,
            f"1 validation error detected: Value '{'r' * 65}' at 'roleName' failed to satisfy constraint: "
            "Member must have length less than or equal to 64",
        ),
        (
            "bad name!",
            "1 validation error detected: Value 'bad name!' at 'roleName' failed to satisfy constraint: "
            "Member must satisfy regular expression pattern: [\\w+=,.@-]+",
        ),
    ],
)
def test_validation_errors_use_aws_wording(role_name: str, message: str) -> None:
    client, _ = make_query_client("iam", lambda op, params: None)
    with pytest.raises(ClientError) as info:
        client.get_role(RoleName=role_name)
    assert info.value.response["Error"]["Code"] == "ValidationError"
    assert info.value.response["Error"]["Message"] == message


def test_nested_validation_paths(iam: ServiceProtocol) -> None:
    body = "Action=CreateUser&Version=2010-05-08&UserName=u&Tags.member.1.Key=k&Tags.member.2.Value=v"
    with pytest.raises(e.InvalidRequest) as info:
        parse_query_request(iam, body)
    assert info.value.message == (
        "2 validation errors detected: Value null at 'tags.1.member.value' failed to satisfy constraint: "
        "Member must not be null; Value null at 'tags.2.member.key' failed to satisfy constraint: "
        "Member must not be null"
    )


def test_get_query_string_and_unknown_pairs_are_ignored(iam: ServiceProtocol) -> None:
    query = (
        "Action=GetRole&Version=2010-05-08&RoleName=r%2Bx&X-Amz-Algorithm=AWS4-HMAC-SHA256&Bogus.member.1=z"
    )
    assert parse_query_request(iam, query) == ParsedRequest("GetRole", {"RoleName": "r+x"})


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            "Action=NoSuchThing&Version=2010-05-08",
            "Could not find operation NoSuchThing for version 2010-05-08",
        ),
        (
            "Action=GetRole&Version=2011-06-15&RoleName=r",
            "Could not find operation GetRole for version 2011-06-15",
        ),
        ("Action=GetRole&RoleName=r", "Could not find operation GetRole for version NO_VERSION_SPECIFIED"),
        ("RoleName=r", "The request must contain the parameter Action"),
    ],
)
def test_unknown_action_or_version(iam: ServiceProtocol, body: str, message: str) -> None:
    with pytest.raises(e.UnknownOperation) as info:
        parse_query_request(iam, body)
    assert info.value.message == message
    wire = serialize_query_error(iam, info.value, "rid")
    assert wire.status == 400 and b"<Code>InvalidAction</Code>" in wire.body


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            "Action=ListRoles&Version=2010-05-08&MaxItems=abc",
            "STRING_VALUE can not be converted to an Integer",
        ),
        (
            "Action=ListRoles&Version=2010-05-08&MaxItems.x=1",
            "Start of structure or map found where not expected",
        ),
        (b"Action=ListRoles&Version=2010-05-08&Marker=\xff", "The request body is not valid UTF-8"),
        (
            "Action=ListRoles&Version=2010-05-08&Marker=%FF",
            "The query string is not valid percent-encoded UTF-8",
        ),
    ],
)
def test_malformed_values(iam: ServiceProtocol, body: str | bytes, message: str) -> None:
    with pytest.raises(e.UnsupportedMediaType) as info:
        parse_query_request(iam, body)
    assert info.value.message == message
    assert serialize_query_error(iam, info.value, "rid").status == 400
