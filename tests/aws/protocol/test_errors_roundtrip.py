"""Our serialized errors, as botocore (and so boto3) reads them."""

from __future__ import annotations

import json
import logging
from typing import Any, NoReturn

import pytest
from botocore.exceptions import ClientError, WaiterError

from modelport.aws.protocol import ServiceProtocol, serialize_json_error, serialize_rest_error
from modelport.aws.protocol.errors import ERROR_TABLE, InvocationContext
from modelport.core import errors as e
from modelport.core.config import Settings
from modelport.hosting.router import WorkerAnswer
from modelport.services.sagemaker.invocations import model_failure

from .botocore_wire import REQUEST_ID, make_client

ARN = "arn:aws:sagemaker:us-east-1:123456789012:endpoint/gone"


def _raise(exc: BaseException) -> Any:
    def handler(operation: str, params: dict[str, Any]) -> NoReturn:
        raise exc

    return handler


def _client_error(service: str, exc: BaseException, call: str, **kwargs: Any) -> ClientError:
    client, _ = make_client(service, _raise(exc))
    with pytest.raises(ClientError) as info:
        getattr(client, call)(**kwargs)
    return info.value


@pytest.mark.parametrize(
    ("exc", "code", "status"),
    [
        (e.ResourceNotFound(f'Could not find endpoint "{ARN}".'), "ValidationException", 400),
        (
            e.ResourceAlreadyExists(f'Cannot create already existing endpoint "{ARN}".'),
            "ValidationException",
            400,
        ),
        (e.InvalidState("Cannot update in-progress endpoint"), "ValidationException", 400),
        (e.InvalidRequest("1 validation error detected: ..."), "ValidationException", 400),
        (e.UnsupportedMediaType("Start of list found where not expected"), "SerializationException", 400),
        (e.Throttled("Rate exceeded"), "ThrottlingException", 400),
        (e.MissingAuthentication("Missing Authentication Token"), "MissingAuthenticationTokenException", 403),
        (
            e.IncompleteSignature("Authorization header requires 'Credential'"),
            "IncompleteSignatureException",
            403,
        ),
        (
            e.UnrecognizedClient("The security token included in the request is invalid."),
            "UnrecognizedClientException",
            403,
        ),
        (
            e.InvalidSignature("The request signature we calculated does not match"),
            "InvalidSignatureException",
            403,
        ),
        (
            e.SignatureExpired("Signature expired: 20240101T000000Z is now earlier than ..."),
            "InvalidSignatureException",
            403,
        ),
        (
            e.AccessDenied("User: x is not authorized to perform: sagemaker:DescribeEndpoint"),
            "AccessDeniedException",
            400,
        ),
        (e.ServiceUnavailable("try again"), "ServiceUnavailable", 503),
    ],
)
def test_control_plane_errors(exc: e.ModelportError, code: str, status: int) -> None:
    err = _client_error("sagemaker", exc, "describe_endpoint", EndpointName="gone")
    assert err.response["Error"]["Code"] == code
    assert err.response["Error"]["Message"] == exc.message
    assert err.response["ResponseMetadata"]["HTTPStatusCode"] == status
    assert err.response["ResponseMetadata"]["RequestId"] == REQUEST_ID


def test_modeled_resource_limit_exceeded_is_its_own_exception_class() -> None:
    client, _ = make_client("sagemaker", _raise(e.ResourceLimitExceeded("The account-level limit is 2")))
    with pytest.raises(client.exceptions.ResourceLimitExceeded) as info:
        client.create_endpoint(EndpointName="e", EndpointConfigName="c")
    assert info.value.response["Error"]["Message"] == "The account-level limit is 2"
    assert info.value.response["Message"] == "The account-level limit is 2"


def test_validation_exception_body_is_exact(sagemaker: ServiceProtocol) -> None:
    wire = serialize_json_error(sagemaker, e.ResourceNotFound(f'Could not find model "{ARN}".'), "rid")
    assert wire.status == 400
    assert wire.headers == {"Content-Type": "application/x-amz-json-1.1", "x-amzn-RequestId": "rid"}
    assert json.loads(wire.body) == {
        "__type": "ValidationException",
        "message": f'Could not find model "{ARN}".',
    }


def test_endpoint_deleted_waiter_succeeds_on_validation_exception() -> None:
    client, wire = make_client("sagemaker", _raise(e.ResourceNotFound(f'Could not find endpoint "{ARN}".')))
    client.get_waiter("endpoint_deleted").wait(
        EndpointName="gone", WaiterConfig={"Delay": 1, "MaxAttempts": 1}
    )
    assert len(wire.requests) == 1


def test_endpoint_in_service_waiter_fails_on_validation_exception() -> None:
    client, _ = make_client("sagemaker", _raise(e.ResourceNotFound(f'Could not find endpoint "{ARN}".')))
    with pytest.raises(WaiterError):
        client.get_waiter("endpoint_in_service").wait(
            EndpointName="gone", WaiterConfig={"Delay": 1, "MaxAttempts": 1}
        )


def test_unmapped_errors_are_internal_failure_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR, logger="modelport.aws.protocol.errors"):
        err = _client_error("sagemaker", KeyError("secret detail"), "describe_endpoint", EndpointName="x")
    assert err.response["Error"] == {
        "Code": "InternalFailure",
        "Message": f"An internal error occurred. Request id: {REQUEST_ID}",
    }
    assert err.response["ResponseMetadata"]["HTTPStatusCode"] == 500
    assert "secret detail" not in str(err)
    (record,) = caplog.records
    assert REQUEST_ID in record.getMessage()
    assert record.exc_info is not None and record.exc_info[0] is KeyError


def test_a_domain_error_the_service_does_not_speak_is_internal_failure(sagemaker: ServiceProtocol) -> None:
    exc = e.ModelFailure("boom", status=500, body="x", variant="v")
    wire = serialize_json_error(sagemaker, exc, "rid")
    assert (wire.status, json.loads(wire.body)["__type"]) == (500, "InternalFailure")


# --- runtime -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("exc", "code", "status"),
    [
        (e.ResourceNotFound("Endpoint gone of account 123456789012 not found."), "ValidationError", 400),
        (e.InvalidRequest("bad header"), "ValidationError", 400),
        (e.PayloadTooLarge("Request body is over 6291456 bytes"), "ValidationError", 413),
        (e.ModelNotReady("Model is still loading"), "ModelNotReadyException", 429),
        (e.ServiceUnavailable("try again"), "ServiceUnavailable", 503),
        (e.MissingAuthentication("Missing Authentication Token"), "MissingAuthenticationTokenException", 403),
        (e.AccessDenied("not allowed"), "AccessDeniedException", 403),
    ],
)
def test_runtime_errors(exc: e.ModelportError, code: str, status: int) -> None:
    err = _client_error("sagemaker-runtime", exc, "invoke_endpoint", EndpointName="gone", Body=b"1")
    assert err.response["Error"]["Code"] == code
    assert err.response["Error"]["Message"] == exc.message
    assert err.response["ResponseMetadata"]["HTTPStatusCode"] == status


def test_runtime_throttling_has_a_null_message(runtime: ServiceProtocol) -> None:
    wire = serialize_rest_error(runtime, e.Throttled(""), "rid")
    assert wire.status == 400
    assert wire.headers["x-amzn-ErrorType"] == "ThrottlingException"
    assert json.loads(wire.body) == {"message": None, "code": "ThrottlingException"}


def test_model_error_carries_the_modeled_members() -> None:
    answer = WorkerAnswer(
        status=404, body=b"no such route", content_type=None, custom_attributes=None, variant="AllTraffic"
    )
    exc = model_failure(answer, endpoint_name="my-endpoint", settings=Settings())
    client, wire = make_client("sagemaker-runtime", _raise(exc))
    with pytest.raises(client.exceptions.ModelError) as info:
        client.invoke_endpoint(EndpointName="my-endpoint", Body=b"1")
    response = info.value.response
    # AWS's shape, with the CloudWatch console link (a dead end here) replaced by the web console's
    # page of the same log group, and the logs command.
    message = (
        'Received client error (404) from primary with message "no such route". '
        "See http://127.0.0.1:8790/console/cloudwatch/log-groups/view?group=/aws/sagemaker/Endpoints/my-endpoint "
        'or "modelport logs my-endpoint" in account 123456789012 for more information.'
    )
    assert response["Error"]["Code"] == "ModelError"
    assert response["Error"]["Message"] == message
    assert response["OriginalStatusCode"] == 404
    assert response["OriginalMessage"] == "no such route"
    assert response["LogStreamArn"] == (
        "arn:aws:logs:us-east-1:123456789012:log-group:/aws/sagemaker/Endpoints/my-endpoint"
    )
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 424
    assert json.loads(wire.responses[0].body)["ErrorCode"] == "CLIENT_ERROR_FROM_MODEL"
    assert wire.responses[0].headers["x-Amzn-Invoked-Production-Variant"] == "AllTraffic"


@pytest.mark.parametrize(
    ("status", "kind", "code"),
    [(500, "server", "SERVER"), (0, "server", "SERVER"), (499, "client", "CLIENT")],
)
def test_model_error_code_follows_the_container_status(
    runtime: ServiceProtocol, status: int, kind: str, code: str
) -> None:
    context = InvocationContext(endpoint_name="ep", region="eu-west-1", account_id="111122223333")
    answer = WorkerAnswer(status=status, body=b"oops", content_type=None, custom_attributes=None, variant="v")
    exc = model_failure(
        answer, endpoint_name="ep", settings=Settings(region="eu-west-1", account_id="111122223333")
    )
    body = json.loads(serialize_rest_error(runtime, exc, "rid", context).body)
    assert body["ErrorCode"] == f"{code}_ERROR_FROM_MODEL"
    assert body["Message"].startswith(
        f'Received {kind} error ({status}) from primary with message "oops". '
        'See http://127.0.0.1:8790/console/cloudwatch/log-groups/view?group=/aws/sagemaker/Endpoints/ep or "modelport logs ep"'
    )
    assert body["Message"].endswith(" in account 111122223333 for more information.")
    assert set(body) == {"ErrorCode", "LogStreamArn", "Message", "OriginalMessage", "OriginalStatusCode"}


def test_runtime_internal_failure_never_leaks(
    runtime: ServiceProtocol, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR):
        wire = serialize_rest_error(runtime, RuntimeError("/etc/passwd"), "rid-9")
    assert wire.status == 500
    assert wire.headers["x-amzn-ErrorType"] == "InternalFailure"
    assert b"passwd" not in wire.body
    assert "rid-9" in caplog.records[0].getMessage()


def test_every_table_entry_is_a_domain_error() -> None:
    for table in ERROR_TABLE.values():
        for cls, wire in table.items():
            assert issubclass(cls, e.ModelportError)
            assert 400 <= wire.status < 600
