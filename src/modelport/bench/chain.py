"""The tutorial's serverless half under load: Lambda invokes, cold starts, and the full path.

- warm function invoke: signed ``Invoke`` calls of the tutorial's handler (which itself calls the
  endpoint), p50/p99 and req/s at concurrency 1;
- cold start: the time from a new execution environment to its first result — each round
  changes the function's configuration (which retires its environments) and times one invoke;
- full path: a plain POST of ``{"data": ...}`` to the REST API's invoke URL (client → API →
  function → endpoint → back), at concurrency 1 and 16, beside the endpoint invoke alone.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import time
from typing import Any

import boto3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from modelport import demo_chain
from modelport.bench.loadgen import run_load
from modelport.bench.report import load_summary


def measure_chain(
    server_url: str, access_key: str, secret_key: str, endpoint: str, row: str, *, requests: int, colds: int
) -> dict[str, Any]:
    session = boto3.Session(
        aws_access_key_id=access_key, aws_secret_access_key=secret_key, region_name="us-east-1"
    )
    invoke_url = demo_chain.build_chain(session, server_url, endpoint)
    functions = session.client("lambda", endpoint_url=server_url)
    event = json.dumps({"data": row}).encode()
    doc: dict[str, Any] = {}

    function_url = f"{server_url}/2015-03-31/functions/{demo_chain.FUNCTION}/invocations"
    signed = [_signed_invoke(function_url, event, access_key, secret_key) for _ in range(requests + 3)]
    warm = asyncio.run(
        run_load(
            label="function", url=function_url, body=event, headers=signed, concurrency=1, count=requests
        )
    )
    doc["function_warm"] = load_summary(warm)

    cold_ms = []
    for round_ in range(colds):
        functions.update_function_configuration(
            FunctionName=demo_chain.FUNCTION,
            Environment={"Variables": {"ENDPOINT_NAME": endpoint, "ROUND": str(round_)}},
        )
        started = time.perf_counter()
        functions.invoke(FunctionName=demo_chain.FUNCTION, Payload=event)["Payload"].read()
        cold_ms.append((time.perf_counter() - started) * 1000.0)
    doc["cold_start_ms"] = {"count": len(cold_ms), "p50": statistics.median(cold_ms) if cold_ms else 0.0}

    doc["full_path"] = []
    for level in (1, 16):
        result = asyncio.run(
            run_load(
                label="api",
                url=invoke_url,
                body=event,
                headers=[{"Content-Type": "application/json"}],
                concurrency=level,
                count=requests,
            )
        )
        doc["full_path"].append(load_summary(result))
    demo_chain.tear_down(session, server_url)
    return doc


def _signed_invoke(url: str, body: bytes, access_key: str, secret_key: str) -> dict[str, str]:
    request = AWSRequest(method="POST", url=url, data=body, headers={"Content-Type": "application/json"})
    SigV4Auth(Credentials(access_key, secret_key), "lambda", "us-east-1").add_auth(request)
    return {name: str(value) for name, value in request.headers.items()}
