"""Integration request/response mapping: Lambda non-proxy and proxy, SageMaker, keys, URLs."""

from __future__ import annotations

import base64
import json

import pytest

from modelport.services.apigateway.mapping import (
    IntegrationResponse,
    PassthroughBehavior,
    SageMakerInvocation,
    check_api_key,
    lambda_request_payload,
    lambda_response,
    passthrough_check,
    sagemaker_endpoint_name,
    sagemaker_invocation,
    sagemaker_response,
    substitute_stage_variables,
)
from modelport.services.apigateway.proxy import (
    ProxyContext,
    ProxyRequest,
    build_proxy_event,
    malformed_reason,
    proxy_response,
    request_time,
)
from modelport.services.apigateway.responses import GatewayResponse
from modelport.services.apigateway.routes import RouteMatch
from modelport.services.apigateway.urls import InvokeTarget, host_style_url, parse_invoke_url, path_style_url

BAD_GATEWAY = (502, b'{"message": "Internal server error"}', "InternalServerErrorException")


def error_of(response: GatewayResponse) -> tuple[int, bytes, str]:
    return response.status, response.body, response.headers["x-amzn-ErrorType"]


# --- the golden path (spec §0) ---------------------------------------------------------------


def test_golden_path_non_proxy() -> None:
    body = b'{"data": "5.1,3.3,1.7,0.5"}'
    assert passthrough_check("application/json") is None
    payload = lambda_request_payload(body)
    assert payload == body  # unchanged bytes
    assert isinstance(payload, bytes)
    assert json.loads(payload) == {"data": "5.1,3.3,1.7,0.5"}
    returned = json.dumps("Setosa").encode()  # what the runtime sends back for `return "Setosa"`
    answer = lambda_response(returned)
    assert answer == GatewayResponse(200, b'"Setosa"', {"Content-Type": "application/json"})
    assert len(answer.body) == 8


def test_function_error_passes_through_as_200() -> None:
    error = json.dumps(
        {"errorMessage": "boom", "errorType": "Exception", "requestId": "r", "stackTrace": ["  File ..."]}
    ).encode()
    assert lambda_response(error, function_error="Unhandled") == GatewayResponse(
        200, error, {"Content-Type": "application/json"}
    )
    responses = (IntegrationResponse(200), IntegrationResponse(400, selection_pattern=".*boo.*"))
    assert lambda_response(error, function_error="Unhandled", integration_responses=responses).status == 500
    assert (
        lambda_response(
            error, function_error="Unhandled", integration_responses=responses, method_responses={200, 400}
        ).status
        == 400
    )
    assert (
        lambda_response(
            error, function_error="Unhandled", integration_responses=(IntegrationResponse(400, "x"),)
        ).status
        == 500
    )
    assert lambda_response(b'"ok"', integration_responses=()).status == 500  # no integration response


def test_non_json_and_empty_bodies() -> None:
    assert lambda_request_payload(b"") == b"{}"
    refused = lambda_request_payload(b"5.1,3.3")
    assert isinstance(refused, GatewayResponse)
    assert error_of(refused) == (500, b'{"message": "Internal server error"}', "InternalServerErrorException")
    assert passthrough_check("text/plain") is None
    assert passthrough_check(None, PassthroughBehavior.NEVER) is not None
    unsupported = passthrough_check("text/plain", PassthroughBehavior.WHEN_NO_TEMPLATES, ["application/json"])
    assert unsupported is not None
    assert (unsupported.status, unsupported.body) == (415, b'{"message":"Unsupported Media Type"}')
    assert passthrough_check("text/plain", PassthroughBehavior.WHEN_NO_TEMPLATES) is None


# --- proxy event ------------------------------------------------------------------------------

CONTEXT = ProxyContext(
    account_id="000000000000",
    api_id="abc123defg",
    stage="test",
    request_id="req-1",
    request_time_epoch_ms=1583349317000,
    domain_name="abc123defg.execute-api.localhost",
    stage_variables={"fn": "iris"},
    binary_media_types=("image/png",),
)


def test_proxy_event_for_a_get_with_query_and_repeated_headers() -> None:
    request = ProxyRequest(
        method="GET",
        path="/pets/a%20b",
        headers=[("Accept", "a/b"), ("X-Multi", "1"), ("X-Multi", "2"), ("User-Agent", "curl/8")],
        query_string="q=1&q=2&name=x%20y&empty=",
        source_ip="10.0.0.1",
    )
    route = RouteMatch("res1", "/pets/{petId}", "GET", {"petId": "a b"})
    event = build_proxy_event(request, route, CONTEXT)
    assert event["resource"] == "/pets/{petId}"
    assert event["path"] == "/pets/a%20b"
    assert event["httpMethod"] == "GET"
    assert event["headers"] == {"Accept": "a/b", "X-Multi": "2", "User-Agent": "curl/8"}
    assert event["multiValueHeaders"] == {"Accept": ["a/b"], "X-Multi": ["1", "2"], "User-Agent": ["curl/8"]}
    assert event["queryStringParameters"] == {"q": "2", "name": "x y", "empty": ""}
    assert event["multiValueQueryStringParameters"] == {"q": ["1", "2"], "name": ["x y"], "empty": [""]}
    assert event["pathParameters"] == {"petId": "a b"}
    assert event["stageVariables"] == {"fn": "iris"}
    assert event["body"] is None
    assert event["isBase64Encoded"] is False
    ctx = event["requestContext"]
    assert ctx["path"] == "/test/pets/a%20b"
    assert ctx["resourcePath"] == "/pets/{petId}"
    assert ctx["resourceId"] == "res1"
    assert ctx["stage"] == "test"
    assert ctx["requestTime"] == "04/Mar/2020:19:15:17 +0000"
    assert ctx["requestTimeEpoch"] == 1583349317000
    assert ctx["identity"]["sourceIp"] == "10.0.0.1"
    assert ctx["identity"]["userAgent"] == "curl/8"
    assert ctx["identity"]["user"] is None
    assert ctx["domainPrefix"] == "abc123defg"
    assert ctx["protocol"] == "HTTP/1.1"
    json.dumps(event)  # serialisable as is


def test_proxy_event_golden_path_nulls() -> None:
    request = ProxyRequest(
        "POST", "/irisprediction", [("Content-Type", "application/json")], body=b'{"data": "5.1,3.3,1.7,0.5"}'
    )
    event = build_proxy_event(
        request,
        RouteMatch("r", "/irisprediction", "POST"),
        ProxyContext("1", "a", "test", "q", 0, "a.execute-api.localhost"),
    )
    assert event["body"] == '{"data": "5.1,3.3,1.7,0.5"}'
    for key in [
        "queryStringParameters",
        "multiValueQueryStringParameters",
        "pathParameters",
        "stageVariables",
    ]:
        assert event[key] is None
    assert request_time(0) == "01/Jan/1970:00:00:00 +0000"


def test_base64_body_round_trip() -> None:
    png = bytes(range(256))
    request = ProxyRequest("POST", "/img", [("Content-Type", "image/png")], body=png)
    event = build_proxy_event(request, RouteMatch("r", "/img", "POST"), CONTEXT)
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == png
    reply = json.dumps(
        {
            "statusCode": 200,
            "headers": {"Content-Type": "image/png"},
            "body": event["body"],
            "isBase64Encoded": True,
        }
    ).encode()
    answer = proxy_response(reply, accept="image/png, */*", binary_media_types=CONTEXT.binary_media_types)
    assert answer == GatewayResponse(200, png, {"Content-Type": "image/png"})
    # without a matching Accept the base64 text is sent as is
    assert (
        proxy_response(reply, accept="text/html", binary_media_types=("image/png",)).body
        == event["body"].encode()
    )


# --- proxy response ---------------------------------------------------------------------------


def test_proxy_response_well_formed() -> None:
    reply = {
        "statusCode": "201",
        "headers": {"x-flag": True, "Set-Thing": "c"},
        "multiValueHeaders": {"set-thing": ["a", "b"]},
        "body": "created",
    }
    answer = proxy_response(json.dumps(reply).encode())
    assert answer.status == 201
    assert answer.body == b"created"
    assert answer.headers == {"x-flag": "true", "set-thing": "a, b, c", "Content-Type": "application/json"}
    assert proxy_response(b'{"headers": {"a": "b"}}') == GatewayResponse(
        200, b"", {"a": "b", "Content-Type": "application/json"}
    )
    assert proxy_response(b'{"statusCode": 404, "body": null}').status == 404


@pytest.mark.parametrize(
    "payload",
    [
        b'"justAString"',
        b"[1, 2]",
        b"null",
        b"not json",
        b"\xff\xfe",
        b'{"statusCode": "test"}',
        b'{"statusCode": true}',
        b'{"statusCode": 99}',
        b'{"statusCode": 200.5}',
        b'{"statusCode": 200, "extra": 1}',
        b'{"statusCode": 200, "body": {"a": 1}}',
        b'{"statusCode": 200, "body": 5}',
        b'{"statusCode": 200, "multiValueHeaders": {"a": "b"}}',
        b'{"statusCode": 200, "headers": {"a": 1}}',
        b'{"statusCode": 200, "headers": ["a"]}',
        b'{"statusCode": 200, "isBase64Encoded": "yes"}',
    ],
)
def test_malformed_proxy_response_is_502(payload: bytes) -> None:
    assert error_of(proxy_response(payload)) == BAD_GATEWAY
    assert malformed_reason(payload)


def test_function_error_in_proxy_mode_is_502() -> None:
    error = b'{"errorMessage": "boom", "errorType": "Exception", "stackTrace": []}'
    assert error_of(proxy_response(error, function_error="Unhandled")) == BAD_GATEWAY
    assert malformed_reason(b'{"statusCode": 200}') is None


# --- SageMaker direct integration ----------------------------------------------------------------

URI = "arn:aws:apigateway:us-east-1:runtime.sagemaker:path//endpoints/iris-ep/invocations"


def test_sagemaker_integration() -> None:
    assert sagemaker_endpoint_name(URI) == "iris-ep"
    assert sagemaker_endpoint_name(URI.replace("//", "/")) == "iris-ep"
    assert (
        sagemaker_endpoint_name("arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/f/invocations")
        is None
    )
    assert sagemaker_endpoint_name(URI.replace("iris-ep", "bad_name")) is None
    assert sagemaker_invocation(URI, b"5.1,3.3,1.7,0.5", "text/csv") == SageMakerInvocation(
        "iris-ep", b"5.1,3.3,1.7,0.5", "text/csv", None
    )
    templated = URI.replace("iris-ep", "${stageVariables.ep}")
    assert sagemaker_invocation(templated, b"{}", None, stage_variables={"ep": "x1"}) == SageMakerInvocation(
        "x1", b"{}", "application/json", None
    )
    assert isinstance(sagemaker_invocation(templated, b"{}", None), GatewayResponse)  # unresolved -> 500
    assert sagemaker_response(200, b"Setosa\n", "text/csv; charset=utf-8") == GatewayResponse(
        200, b"Setosa\n", {"Content-Type": "text/csv; charset=utf-8"}
    )
    assert sagemaker_response(424, b'{"ErrorCode": "x"}', "application/json").status == 200  # default only
    mapped = (IntegrationResponse(200), IntegrationResponse(424, selection_pattern="4\\d\\d"))
    assert (
        sagemaker_response(424, b"e", None, integration_responses=mapped, method_responses={200, 424}).status
        == 424
    )
    assert substitute_stage_variables("a${stageVariables.b}c", {"b": "X"}) == "aXc"


# --- API keys ---------------------------------------------------------------------------------


def test_check_api_key() -> None:
    assert check_api_key(False, None, []) is None
    assert check_api_key(True, "k1", {"k1"}) is None
    for presented in [None, "", "nope"]:
        forbidden = check_api_key(True, presented, {"k1"})
        assert forbidden is not None
        assert error_of(forbidden) == (403, b'{"message":"Forbidden"}', "ForbiddenException")


# --- invoke URLs --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "path", "expected"),
    [
        (
            "localhost:4566",
            "/restapis/abc123/test/_user_request_/irisprediction",
            InvokeTarget("abc123", "test", "/irisprediction"),
        ),
        ("localhost:4566", "/restapis/abc123/test/_user_request_/", InvokeTarget("abc123", "test", "/")),
        ("localhost:4566", "/restapis/abc123/test/_user_request_", InvokeTarget("abc123", "test", "/")),
        ("127.0.0.1", "/_aws/execute-api/abc123/dev/a/b%20c", InvokeTarget("abc123", "dev", "/a/b%20c")),
        (
            "abc123.execute-api.localhost:4566",
            "/test/irisprediction",
            InvokeTarget("abc123", "test", "/irisprediction"),
        ),
        ("abc123.execute-api.localhost", "/test", InvokeTarget("abc123", "test", "/")),
        ("abc123.execute-api.us-east-1.amazonaws.com", "/test/a/", InvokeTarget("abc123", "test", "/a/")),
        ("abc123.execute-api.localhost:4566", "/", None),
        ("localhost:4566", "/restapis/abc123/test/irisprediction", None),
        ("localhost:4566", "/endpoints/x/invocations", None),
    ],
)
def test_parse_invoke_url(host: str, path: str, expected: InvokeTarget | None) -> None:
    assert parse_invoke_url(host, path) == expected


def test_invoke_url_builders_round_trip() -> None:
    host_url = host_style_url("abc123", "test", "/irisprediction", port=4566)
    assert host_url == "http://abc123.execute-api.localhost:4566/test/irisprediction"
    path_url = path_style_url("http://localhost:4566/", "abc123", "test", "irisprediction")
    assert path_url == "http://localhost:4566/restapis/abc123/test/_user_request_/irisprediction"
    expected = InvokeTarget("abc123", "test", "/irisprediction")
    assert parse_invoke_url("abc123.execute-api.localhost:4566", "/test/irisprediction") == expected
    assert parse_invoke_url("localhost:4566", path_url.removeprefix("http://localhost:4566")) == expected
