"""The runtime path must stay cheap: parse + validate + serialize of one InvokeEndpoint.

Measured on the development machine: ~12 µs for InvokeEndpoint, ~30 µs for a
CreateEndpointConfig with one variant. The bounds here are loose so a busy CI box does not flake.
"""

from __future__ import annotations

import json
import timeit

from modelport.aws.protocol import (
    ServiceProtocol,
    parse_json_request,
    parse_rest_request,
    serialize_json_response,
    serialize_rest_response,
)

HEADERS = {
    "host": "localhost:8790",
    "content-type": "text/csv",
    "accept": "application/json",
    "user-agent": "Boto3/1.44.0 md/Botocore#1.44.0",
    "x-amz-date": "20240101T000000Z",
    "authorization": "AWS4-HMAC-SHA256 Credential=x/20240101/us-east-1/sagemaker/aws4_request, Signature=a",
    "content-length": "12",
}


def _best_of(func: object, number: int = 2000) -> float:
    return min(timeit.repeat(func, number=number, repeat=5)) / number  # type: ignore[arg-type]


def test_invoke_endpoint_parse_and_serialize_under_50_microseconds(runtime: ServiceProtocol) -> None:
    output = {
        "Body": b"0.25\n",
        "ContentType": "text/csv; charset=utf-8",
        "InvokedProductionVariant": "AllTraffic",
    }

    def once() -> None:
        parsed = parse_rest_request(
            runtime, "POST", "/endpoints/my-endpoint/invocations", HEADERS, b"1.0,2.0,3.0\n"
        )
        serialize_rest_response(runtime, parsed.operation, output, "rid")

    assert _best_of(once) < 50e-6


def test_create_endpoint_config_parse_and_serialize(sagemaker: ServiceProtocol) -> None:
    variant = {
        "VariantName": "AllTraffic",
        "ModelName": "m",
        "InitialInstanceCount": 1,
        "InstanceType": "ml.m5.large",
    }
    body = json.dumps({"EndpointConfigName": "cfg-1", "ProductionVariants": [variant]}).encode()
    output = {"EndpointConfigArn": "arn:aws:sagemaker:us-east-1:123456789012:endpoint-config/cfg-1"}

    def once() -> None:
        parsed = parse_json_request(sagemaker, "SageMaker.CreateEndpointConfig", body)
        serialize_json_response(sagemaker, parsed.operation, output, "rid")

    assert _best_of(once) < 200e-6
