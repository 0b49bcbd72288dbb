"""CreateEndpoint → InService, timed as a user polling DescribeEndpoint every 10 ms would see it.

Three ways to deploy one endpoint at a time, each reported separately:

- ``warm``: before each deploy, wait until the warm pool is full and idle again (a user who
  deploys now and then);
- ``back-to-back``: delete, then deploy again at once (the pool may still be refilling);
- ``cold``: a server started with ``MODELPORT_WARM_WORKERS_PER_RUNTIME=0``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from modelport import seed

POLL_S = 0.010
ROLE = "arn:aws:iam::123456789012:role/modelport-bench"


def sagemaker_client(url: str, access_key: str, secret_key: str, region: str = "us-east-1") -> Any:
    return _client("sagemaker", url, access_key, secret_key, region)


def runtime_client(url: str, access_key: str, secret_key: str, region: str = "us-east-1") -> Any:
    return _client("sagemaker-runtime", url, access_key, secret_key, region)


def _client(service: str, url: str, access_key: str, secret_key: str, region: str) -> Any:
    config = Config(retries={"mode": "standard", "max_attempts": 1}, read_timeout=120)
    session = boto3.Session(
        aws_access_key_id=access_key, aws_secret_access_key=secret_key, region_name=region
    )
    return session.client(service, endpoint_url=url, config=config)


def create_model_and_config(sm: Any, name: str, model_data_url: str) -> None:
    sm.create_model(
        ModelName=name,
        ExecutionRoleArn=ROLE,
        PrimaryContainer={"Image": seed.XGBOOST_IMAGE, "ModelDataUrl": model_data_url},
    )
    sm.create_endpoint_config(
        EndpointConfigName=name,
        ProductionVariants=[
            {
                "VariantName": "AllTraffic",
                "ModelName": name,
                "InitialInstanceCount": 1,
                "InstanceType": "ml.m5.large",
            }
        ],
    )


def deploy(sm: Any, endpoint: str, config: str, timeout_s: float = 300.0) -> float:
    """Seconds from the CreateEndpoint call until DescribeEndpoint says InService."""
    started = time.perf_counter()
    sm.create_endpoint(EndpointName=endpoint, EndpointConfigName=config)
    while True:
        status = sm.describe_endpoint(EndpointName=endpoint)["EndpointStatus"]
        if status == "InService":
            return time.perf_counter() - started
        if status == "Failed" or time.perf_counter() - started > timeout_s:
            reason = sm.describe_endpoint(EndpointName=endpoint).get("FailureReason", "")
            raise RuntimeError(f"endpoint {endpoint} is {status}: {reason}")
        time.sleep(POLL_S)


def delete(sm: Any, endpoint: str, timeout_s: float = 60.0) -> None:
    """DeleteEndpoint, then wait until DescribeEndpoint no longer finds it."""
    sm.delete_endpoint(EndpointName=endpoint)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            sm.describe_endpoint(EndpointName=endpoint)
        except ClientError as error:
            if error.response["Error"]["Code"] == "ValidationException":
                return
            raise
        time.sleep(POLL_S)
    raise RuntimeError(f"endpoint {endpoint} was not deleted within {timeout_s:.0f} s")


def time_deploys(
    sm: Any, endpoint: str, config: str, count: int, before_each: Callable[[], object] | None = None
) -> list[float]:
    """``count`` deploy/delete cycles of one endpoint; ``before_each`` runs untimed before each."""
    times = []
    for _ in range(count):
        if before_each is not None:
            before_each()
        times.append(deploy(sm, endpoint, config))
        delete(sm, endpoint)
    return times
