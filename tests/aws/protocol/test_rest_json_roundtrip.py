"""InvokeEndpoint through a real botocore ``sagemaker-runtime`` client and back."""

from __future__ import annotations

from typing import Any

import pytest

from modelport.aws.protocol import ServiceProtocol, parse_rest_request, serialize_rest_response
from modelport.core.errors import UnknownOperation

from .botocore_wire import make_client

FULL_INPUT: dict[str, Any] = {
    "EndpointName": "my-endpoint",
    "Body": b"1.0,2.0,3.0\n",
    "ContentType": "text/csv",
    "Accept": "application/json",
    "CustomAttributes": "trace=abc",
    "TargetModel": "model-a.tar.gz",
    "TargetVariant": "blue",
    "TargetContainerHostname": "primary",
    "InferenceId": "inference 1",
    "EnableExplanations": "`true`",
    "InferenceComponentName": "ic-1",
    "SessionId": "NEW_SESSION",
}


def test_every_request_member_arrives() -> None:
    client, wire = make_client("sagemaker-runtime", lambda op, params: {"Body": b""})
    client.invoke_endpoint(**FULL_INPUT)
    (parsed,) = wire.requests
    assert parsed.operation == "InvokeEndpoint"
    assert parsed.params == FULL_INPUT


def test_minimal_request_has_no_content_type() -> None:
    client, wire = make_client("sagemaker-runtime", lambda op, params: {"Body": b"0.5\n"})
    client.invoke_endpoint(EndpointName="e1", Body=b"1,2")
    assert wire.requests[0].params == {"EndpointName": "e1", "Body": b"1,2"}


def test_output_members_become_headers_and_raw_body() -> None:
    output = {
        "Body": b'{"predictions": [0.25]}',
        "ContentType": "application/json; charset=utf-8",
        "InvokedProductionVariant": "AllTraffic",
        "CustomAttributes": "c=1",
        "NewSessionId": "sess-1; Expires=2024-05-06T07:08:09Z",
    }
    client, wire = make_client("sagemaker-runtime", lambda op, params: output)
    result = client.invoke_endpoint(EndpointName="e1", Body=b"1,2")
    body = result.pop("Body")
    result.pop("ResponseMetadata")
    assert (body if isinstance(body, bytes) else body.read()) == output["Body"]
    assert result == {k: v for k, v in output.items() if k != "Body"}
    headers = wire.responses[0].headers
    assert headers["Content-Type"] == "application/json; charset=utf-8"
    assert headers["x-Amzn-Invoked-Production-Variant"] == "AllTraffic"
    assert headers["X-Amzn-SageMaker-Custom-Attributes"] == "c=1"
    assert wire.responses[0].body == output["Body"]


def test_async_invoke_answers_202(runtime: ServiceProtocol) -> None:
    output = {"InferenceId": "i-1", "OutputLocation": "s3://b/o.out"}
    client, wire = make_client("sagemaker-runtime", lambda op, params: output)
    result = client.invoke_endpoint_async(EndpointName="e1", InputLocation="s3://b/in.csv")
    assert wire.requests[0].params == {"EndpointName": "e1", "InputLocation": "s3://b/in.csv"}
    assert result["ResponseMetadata"]["HTTPStatusCode"] == 202
    assert result["OutputLocation"] == "s3://b/o.out"
    assert result["InferenceId"] == "i-1"


def test_path_labels_are_percent_decoded(runtime: ServiceProtocol) -> None:
    parsed = parse_rest_request(runtime, "POST", "/endpoints/my%2Dendpoint/invocations", {}, b"x")
    assert parsed.params == {"EndpointName": "my-endpoint", "Body": b"x"}


def test_header_names_match_case_insensitively(runtime: ServiceProtocol) -> None:
    headers = {"content-type": "text/csv", "X-AMZN-SAGEMAKER-TARGET-VARIANT": "v1"}
    parsed = parse_rest_request(runtime, "POST", "/endpoints/e/invocations", headers, b"1")
    assert parsed.params == {
        "EndpointName": "e",
        "Body": b"1",
        "ContentType": "text/csv",
        "TargetVariant": "v1",
    }


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/endpoints/e/invocations"), ("POST", "/endpoints/e"), ("POST", "/endpoints/a/b/invocations")],
)
def test_unmatched_routes_are_unknown_operations(runtime: ServiceProtocol, method: str, path: str) -> None:
    with pytest.raises(UnknownOperation):
        parse_rest_request(runtime, method, path, {}, b"")


def test_empty_payload_is_still_set_when_required(runtime: ServiceProtocol) -> None:
    parsed = parse_rest_request(runtime, "POST", "/endpoints/e/invocations", {}, b"")
    assert parsed.params == {"EndpointName": "e", "Body": b""}


def test_response_without_content_type_sends_none(runtime: ServiceProtocol) -> None:
    wire = serialize_rest_response(runtime, "InvokeEndpoint", {"Body": b"ok"}, "rid")
    assert wire == (200, {"x-amzn-RequestId": "rid"}, b"ok")
