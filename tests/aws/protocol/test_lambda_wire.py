"""Lambda's rest-json shapes through a real botocore ``lambda`` client and back."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from modelport.aws.protocol import ServiceProtocol, serialize_rest_error, serialize_rest_response
from modelport.core import errors as e
from modelport.sandboxes.lambda_.errors import TooManyRequests

from .botocore_wire import make_client

ROLE = "arn:aws:iam::123456789012:role/lambda-role"
CONFIG = {
    "FunctionName": "iris-fn",
    "FunctionArn": "arn:aws:lambda:us-east-1:123456789012:function:iris-fn",
    "Runtime": "python3.12",
    "Role": ROLE,
    "Handler": "lambda_function.lambda_handler",
    "CodeSize": 3,
    "CodeSha256": "abc=",
    "LastModified": "2024-01-01T00:00:00.000+0000",
    "Version": "$LATEST",
    "State": "Active",
}


def test_create_function_zip_arrives_as_bytes_and_answers_201() -> None:
    client, wire = make_client("lambda", lambda op, params: CONFIG)
    result = client.create_function(
        FunctionName="iris-fn",
        Runtime="python3.12",
        Role=ROLE,
        Handler="lambda_function.lambda_handler",
        Code={"ZipFile": b"PK\x03\x04\xff"},
        Environment={"Variables": {"ENDPOINT_NAME": "iris"}},
        Timeout=10,
    )
    (parsed,) = wire.requests
    assert parsed.operation == "CreateFunction"
    assert parsed.params["Code"] == {"ZipFile": b"PK\x03\x04\xff"}
    assert parsed.params["Environment"] == {"Variables": {"ENDPOINT_NAME": "iris"}}
    assert parsed.params["Timeout"] == 10
    assert result["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert {k: result[k] for k in CONFIG} == CONFIG


def test_invoke_request_headers_query_and_raw_payload() -> None:
    output = {"StatusCode": 200, "Payload": b'{"ok": true}', "ExecutedVersion": "$LATEST"}
    client, wire = make_client("lambda", lambda op, params: output)
    context = base64.b64encode(b'{"custom": {"a": 1}}').decode()
    client.invoke(
        FunctionName="arn:aws:lambda:us-east-1:123456789012:function:iris-fn",
        InvocationType="RequestResponse",
        LogType="Tail",
        ClientContext=context,
        Payload=b'{"data": "1,2"}',
        Qualifier="$LATEST",
    )
    assert wire.requests[0].params == {
        "FunctionName": "arn:aws:lambda:us-east-1:123456789012:function:iris-fn",
        "InvocationType": "RequestResponse",
        "LogType": "Tail",
        "ClientContext": context,
        "Payload": b'{"data": "1,2"}',
        "Qualifier": "$LATEST",
    }


def test_invoke_without_payload_has_none() -> None:
    client, wire = make_client("lambda", lambda op, params: {"StatusCode": 204})
    client.invoke(FunctionName="iris-fn", InvocationType="DryRun")
    assert wire.requests[0].params == {"FunctionName": "iris-fn", "InvocationType": "DryRun"}


def test_invoke_output_status_headers_and_raw_body() -> None:
    log = base64.b64encode(b"START RequestId: 1 Version: $LATEST\n").decode()
    output = {
        "StatusCode": 200,
        "FunctionError": "Unhandled",
        "LogResult": log,
        "ExecutedVersion": "$LATEST",
        "Payload": b'{"errorMessage": "x", "errorType": "ValueError"}',
    }
    client, wire = make_client("lambda", lambda op, params: output)
    result = client.invoke(FunctionName="iris-fn", Payload=b"{}")
    assert result["StatusCode"] == 200
    assert (result["FunctionError"], result["LogResult"], result["ExecutedVersion"]) == (
        "Unhandled",
        log,
        "$LATEST",
    )
    assert result["Payload"].read() == output["Payload"]
    response = wire.responses[0]
    assert response.headers["X-Amz-Function-Error"] == "Unhandled"
    assert response.headers["X-Amz-Log-Result"] == log
    assert response.headers["X-Amz-Executed-Version"] == "$LATEST"
    assert response.body == output["Payload"]


@pytest.mark.parametrize("status", [202, 204])
def test_invoke_status_comes_from_the_status_code_member(status: int) -> None:
    client, wire = make_client("lambda", lambda op, params: {"StatusCode": status})
    result = client.invoke(FunctionName="iris-fn", InvocationType="Event" if status == 202 else "DryRun")
    assert result["StatusCode"] == status
    assert result["ResponseMetadata"]["HTTPStatusCode"] == status
    assert wire.responses[0].body == b""


def test_status_code_member_stays_out_of_a_json_body() -> None:
    proto = ServiceProtocol.load("lambda")
    deleted = serialize_rest_response(proto, "DeleteFunction", {"StatusCode": 204}, "r")
    assert (deleted.status, deleted.body) == (204, b"{}")
    # Without the member the model's status stands.
    assert serialize_rest_response(proto, "DeleteFunction", {}, "r").status == 200
    assert serialize_rest_response(proto, "Invoke", {"Payload": b"1"}, "r").status == 200


def test_get_function_round_trip() -> None:
    output = {
        "Configuration": CONFIG,
        "Code": {"RepositoryType": "S3", "Location": "http://127.0.0.1:8080/code.zip"},
        "Tags": {"team": "ml"},
    }
    client, wire = make_client("lambda", lambda op, params: output)
    result = client.get_function(FunctionName="iris-fn")
    assert wire.requests[0].params == {"FunctionName": "iris-fn"}
    result.pop("ResponseMetadata")
    assert result == output


ARN = "arn:aws:lambda:us-east-1:123456789012:function:iris-fn"


@pytest.mark.parametrize(
    ("exc", "code", "status", "key"),
    [
        (e.ResourceNotFound(f"Function not found: {ARN}"), "ResourceNotFoundException", 404, "Message"),
        (
            e.ResourceAlreadyExists("Function already exist: iris-fn"),
            "ResourceConflictException",
            409,
            "message",
        ),
        (e.InvalidRequest("Bad runtime"), "InvalidParameterValueException", 400, "message"),
        (
            e.UnsupportedMediaType("Could not parse request body into json"),
            "InvalidRequestContentException",
            400,
            "message",
        ),
        (
            e.PayloadTooLarge("Request must be smaller than 6291456 bytes"),
            "RequestTooLargeException",
            413,
            "message",
        ),
        (e.AccessDenied("not allowed"), "AccessDeniedException", 403, "message"),
        (e.UnrecognizedClient("unknown key"), "UnrecognizedClientException", 403, "message"),
    ],
)
def test_errors_are_lambdas_typed_json(exc: Exception, code: str, status: int, key: str) -> None:
    def fail(op: str, params: dict[str, Any]) -> dict[str, Any]:
        raise exc

    client, wire = make_client("lambda", fail)
    with pytest.raises(client.exceptions.ClientError) as caught:
        client.get_function(FunctionName="iris-fn")
    response = caught.value.response
    assert response["Error"]["Code"] == code
    assert response["Error"]["Message"] == str(exc)
    assert response["ResponseMetadata"]["HTTPStatusCode"] == status
    wire_response = wire.responses[0]
    assert wire_response.headers["x-amzn-ErrorType"] == code
    assert json.loads(wire_response.body) == {"Type": "User", key: str(exc)}


def test_throttle_is_429_with_reason() -> None:
    proto = ServiceProtocol.load("lambda")
    reply = serialize_rest_error(proto, TooManyRequests(), "r")
    assert reply.status == 429
    assert reply.headers["x-amzn-ErrorType"] == "TooManyRequestsException"
    assert json.loads(reply.body) == {
        "Type": "User",
        "message": "Rate Exceeded.",
        "Reason": "ReservedFunctionConcurrentInvocationLimitExceeded",
    }

    def fail(op: str, params: dict[str, Any]) -> dict[str, Any]:
        raise TooManyRequests()

    client, _ = make_client("lambda", fail)
    with pytest.raises(client.exceptions.TooManyRequestsException) as caught:
        client.invoke(FunctionName="iris-fn", Payload=b"{}")
    assert caught.value.response["Reason"] == "ReservedFunctionConcurrentInvocationLimitExceeded"


def test_sagemaker_runtime_errors_still_repeat_the_code() -> None:
    reply = serialize_rest_error(ServiceProtocol.load("sagemaker-runtime"), e.InvalidRequest("x"), "r")
    assert json.loads(reply.body) == {"Message": "x", "code": "ValidationError"}
