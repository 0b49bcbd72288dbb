"""Batching through the whole path: concurrent boto3 calls get the answers they get one by one.

The server batches by default (``MODELPORT_MAX_BATCH_SIZE``); here 64 calls from 10 threads hit
one instance at once, with different formats, Accept values and bad requests among them, and each
answer (body, Content-Type, or ModelError with its message) is the one a lone call gets.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from support.modelport_server import ModelportServer, deploy, wait_in_service

pytestmark = pytest.mark.e2e

CASES = [
    {"ContentType": "text/csv", "Body": "5.1,3.3,1.7,0.5"},
    {"ContentType": "text/csv", "Body": "6.7,3.0,5.2,2.3\n5.9,3.0,4.2,1.5", "Accept": "application/json"},
    {"ContentType": "text/libsvm", "Body": "0:5.1 1:3.3 2:1.7 3:0.5", "Accept": "text/csv"},
    {"ContentType": "text/csv", "Body": "a,b,c,d"},  # 415 from the container: ModelError
    {"ContentType": "text/csv", "Body": "5.1,3.3,1.7,0.5", "Accept": "application/jsonlines"},  # 500
    {"ContentType": "text/csv", "Body": "5.1,3.3,1.7,0.5", "Accept": "text/html"},  # 406
]


def _call(runtime: Any, case: dict[str, str]) -> tuple[Any, ...]:
    try:
        response = runtime.invoke_endpoint(EndpointName="batched", **case)
    except ClientError as error:
        return ("error", error.response["Error"]["Code"], error.response["Error"]["Message"])
    return ("ok", response["Body"].read(), response["ContentType"])


def test_concurrent_calls_answer_as_lone_calls(server: ModelportServer, model_archive: Path) -> None:
    sagemaker = server.client("sagemaker")
    runtime = server.client("sagemaker-runtime")
    deploy(sagemaker, "batched", str(model_archive))
    wait_in_service(sagemaker, "batched")
    try:
        alone = [_call(runtime, case) for case in CASES]
        assert [a[0] for a in alone] == ["ok", "ok", "ok", "error", "error", "error"]
        picks = [i % len(CASES) for i in range(64)]
        with ThreadPoolExecutor(10) as pool:  # botocore keeps 10 connections
            together = list(pool.map(lambda i: _call(runtime, CASES[i]), picks))
        assert together == [alone[i] for i in picks]
    finally:
        sagemaker.delete_endpoint(EndpointName="batched")
