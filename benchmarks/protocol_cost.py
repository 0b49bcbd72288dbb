"""What the wire layer costs per request: parse + validate + serialize, in process, no HTTP.

Three requests, one per protocol the front door speaks: InvokeEndpoint (REST-JSON, the runtime
path), CreateEndpointConfig with one variant (JSON-RPC) and CreateRole with a URL-encoded
policy document and tags (query). Each is timed as the best of 5 repeats of ``number`` calls,
so a busy machine shows in the numbers but rarely in the best repeat.

``python -m benchmarks.protocol_cost`` prints them in a few seconds; ``scripts/bench.py``
measures them first and reports them with their budgets.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import timeit
from collections.abc import Callable
from urllib.parse import urlencode

from modelport.aws.protocol import (
    ServiceProtocol,
    parse_json_request,
    parse_query_request,
    parse_rest_request,
    serialize_json_response,
    serialize_query_response,
    serialize_rest_response,
)

# Budgets in microseconds per parse + serialize (measured on the development machine: ~12 µs,
# ~30 µs and ~130 µs).
INVOKE_ENDPOINT_US = 50.0
CREATE_ENDPOINT_CONFIG_US = 200.0
CREATE_ROLE_US = 1000.0

INVOKE_HEADERS = {
    "host": "localhost:8790",
    "content-type": "text/csv",
    "accept": "application/json",
    "user-agent": "Boto3/1.44.0 md/Botocore#1.44.0",
    "x-amz-date": "20240101T000000Z",
    "authorization": "AWS4-HMAC-SHA256 Credential=x/20240101/us-east-1/sagemaker/aws4_request, Signature=a",
    "content-length": "12",
}
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
)


def _invoke_endpoint() -> Callable[[], None]:
    runtime = ServiceProtocol.load("sagemaker-runtime")
    output = {
        "Body": b"0.25\n",
        "ContentType": "text/csv; charset=utf-8",
        "InvokedProductionVariant": "AllTraffic",
    }

    def once() -> None:
        parsed = parse_rest_request(
            runtime, "POST", "/endpoints/my-endpoint/invocations", INVOKE_HEADERS, b"1.0,2.0,3.0\n"
        )
        serialize_rest_response(runtime, parsed.operation, output, "rid")

    return once


def _create_endpoint_config() -> Callable[[], None]:
    sagemaker = ServiceProtocol.load("sagemaker")
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

    return once


def _create_role() -> Callable[[], None]:
    iam = ServiceProtocol.load("iam")
    body = urlencode(
        {
            "Action": "CreateRole",
            "Version": "2010-05-08",
            "Path": "/service-role/",
            "RoleName": "my-role",
            "AssumeRolePolicyDocument": POLICY,
            "Description": 'A role; with <punctuation> & "quotes" + more=1.',
            "Tags.member.1.Key": "team",
            "Tags.member.1.Value": "ml + ops: a/b=c@d",
            "Tags.member.2.Key": "env",
            "Tags.member.2.Value": "dev=1+2",
        }
    )
    role = {
        "Path": "/service-role/",
        "RoleName": "my-role",
        "RoleId": "AROA1234567890EXAMPLE",
        "Arn": "arn:aws:iam::123456789012:role/service-role/my-role",
        "CreateDate": dt.datetime(2024, 5, 6, 7, 8, 9, 123000, tzinfo=dt.UTC),
        "AssumeRolePolicyDocument": POLICY,
        "Tags": [{"Key": "team", "Value": "ml + ops: a/b=c@d"}, {"Key": "env", "Value": "dev=1+2"}],
    }

    def once() -> None:
        parsed = parse_query_request(iam, body)
        serialize_query_response(iam, parsed.operation, {"Role": role}, "rid")

    return once


# (key, what is measured, builder, budget in µs)
CASES = (
    ("invoke_endpoint", "InvokeEndpoint (REST-JSON)", _invoke_endpoint, INVOKE_ENDPOINT_US),
    (
        "create_endpoint_config",
        "CreateEndpointConfig, one variant (JSON)",
        _create_endpoint_config,
        CREATE_ENDPOINT_CONFIG_US,
    ),
    ("create_role", "CreateRole with policy and tags (query)", _create_role, CREATE_ROLE_US),
)


def measure(number: int = 2000) -> dict[str, float]:
    """Microseconds per parse + serialize of each case: the best of 5 repeats of ``number`` calls."""
    found = {}
    for key, _, build, _ in CASES:
        once = build()
        once()  # loads the shapes it needs before timing
        found[key] = min(timeit.repeat(once, number=number, repeat=5)) / number * 1e6
    return found


def targets(measured: dict[str, float]) -> list[dict[str, object]]:
    """One row per case in the benchmark's target table."""
    return [
        {
            "target": f"parse + serialize, {label}",
            "value": measured[key],
            "limit": f"<= {budget:g} µs",
            "pass": measured[key] <= budget,
        }
        for key, label, _, budget in CASES
        if key in measured
    ]


def render(measured: dict[str, float], number: int) -> str:
    lines = [
        f"| wire layer, in process (best of 5 × {number} calls) | µs per request | budget |",
        "|---|---:|---:|",
    ]
    for key, label, _, budget in CASES:
        if key in measured:
            lines.append(f"| {label} | {measured[key]:.1f} | {budget:g} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.protocol_cost", description=__doc__.split("\n")[0] if __doc__ else ""
    )
    parser.add_argument("--calls", type=int, default=2000, help="calls per repeat (default 2000)")
    args = parser.parse_args(argv)
    measured = measure(args.calls)
    print(render(measured, args.calls))
    missed = [row["target"] for row in targets(measured) if not row["pass"]]
    for target in missed:
        print(f"MISS: {target}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
