"""Weights, capacities and guarded updates on a real server, under continuous load.

Four clients invoke the endpoint without retries the whole time; every answer that is not a
prediction counts as a failed request, and there must be none.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from scenarios.test_endpoint_lifecycle import add_config, broken_archive
from support.modelport_server import ModelportServer, deploy, wait_in_service, wait_status

pytestmark = pytest.mark.e2e

ROW = "5.1,3.3,1.7,0.5"


class Load:
    def __init__(self) -> None:
        self.variants: Counter[str] = Counter()
        self.failures: list[str] = []
        self.lock = threading.Lock()

    def mark(self) -> Counter[str]:
        with self.lock:
            return Counter(self.variants)


@contextmanager
def load(server: ModelportServer, endpoint: str, clients: int = 4) -> Iterator[Load]:
    seen = Load()
    stop = threading.Event()

    def client() -> None:
        runtime = server.client("sagemaker-runtime")  # retries=1: a failure is seen, never hidden
        while not stop.is_set():
            try:
                answer = runtime.invoke_endpoint(EndpointName=endpoint, ContentType="text/csv", Body=ROW)
                answer["Body"].read()
            except Exception as exc:
                with seen.lock:
                    seen.failures.append(repr(exc))
                continue
            with seen.lock:
                seen.variants[answer["InvokedProductionVariant"]] += 1

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    try:
        yield seen
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=120)
    assert seen.failures == [], f"{len(seen.failures)} failed of {sum(seen.variants.values())}"
    assert sum(seen.variants.values()) > 50


def variant(description: dict[str, Any], name: str) -> dict[str, Any]:
    return next(v for v in description["ProductionVariants"] if v["VariantName"] == name)


def test_weights_and_capacities_change_under_load(server: ModelportServer, model_archive: Path) -> None:
    sagemaker = server.client("sagemaker")
    sagemaker.create_model(
        ModelName="wc", PrimaryContainer={"Image": "xgboost:1.7-1", "ModelDataUrl": str(model_archive)}
    )
    sagemaker.create_endpoint_config(
        EndpointConfigName="wc",
        ProductionVariants=[
            {"VariantName": name, "ModelName": "wc", "InitialInstanceCount": 1, "InstanceType": "ml.m5.large"}
            for name in ("A", "B")
        ],
    )
    sagemaker.create_endpoint(EndpointName="wc", EndpointConfigName="wc")
    wait_in_service(sagemaker, "wc")
    with load(server, "wc") as seen:
        sagemaker.update_endpoint_weights_and_capacities(
            EndpointName="wc",
            DesiredWeightsAndCapacities=[
                {"VariantName": "B", "DesiredWeight": 0.0, "DesiredInstanceCount": 2}
            ],
        )
        described = wait_in_service(sagemaker, "wc")
        assert (
            variant(described, "B")["CurrentWeight"],
            variant(described, "B")["CurrentInstanceCount"],
        ) == (0.0, 2)
        before = seen.mark()
        wait_for_requests(seen, before, 100)
        assert seen.mark()["B"] == before["B"]  # weight 0: B gets nothing
        sagemaker.update_endpoint_weights_and_capacities(
            EndpointName="wc",
            DesiredWeightsAndCapacities=[
                {"VariantName": "A", "DesiredInstanceCount": 2},
                {"VariantName": "B", "DesiredWeight": 1.0, "DesiredInstanceCount": 1},
            ],
        )
        described = wait_in_service(sagemaker, "wc")
        before = seen.mark()
        wait_for_requests(seen, before, 100)
    assert [variant(described, n)["CurrentInstanceCount"] for n in ("A", "B")] == [2, 1]
    assert seen.variants["B"] > before["B"]
    sagemaker.delete_endpoint(EndpointName="wc")


def wait_for_requests(seen: Load, since: Counter[str], count: int) -> None:
    event = threading.Event()
    for _ in range(2000):
        if sum(seen.mark().values()) - sum(since.values()) >= count:
            return
        event.wait(0.01)
    raise AssertionError("the load stopped")


def test_canary_and_rolling_updates_then_a_rolled_back_one_under_load(
    server: ModelportServer, model_archive: Path, tmp_path: Path
) -> None:
    sagemaker = server.client("sagemaker")
    deploy(sagemaker, "canary", str(model_archive))
    wait_in_service(sagemaker, "canary")
    add_config(sagemaker, "canary-v2", "canary", variant="Green", count=2)
    add_config(sagemaker, "canary-v3", "canary", variant="Blue", count=2)
    sagemaker.create_model(
        ModelName="canary-broken",
        PrimaryContainer={"Image": "xgboost:1.7-1", "ModelDataUrl": str(broken_archive(tmp_path))},
    )
    add_config(sagemaker, "canary-broken", "canary-broken", count=2)
    guarded = {
        "BlueGreenUpdatePolicy": {
            "TrafficRoutingConfiguration": {
                "Type": "CANARY",
                "CanarySize": {"Type": "INSTANCE_COUNT", "Value": 1},
                "WaitIntervalInSeconds": 1,
            },
            "TerminationWaitInSeconds": 1,
        }
    }
    with load(server, "canary") as seen:
        sagemaker.update_endpoint(
            EndpointName="canary", EndpointConfigName="canary-v2", DeploymentConfig=guarded
        )
        described = wait_status(sagemaker, "canary", {"InService"})
        assert described["EndpointConfigName"] == "canary-v2" and "FailureReason" not in described
        assert seen.mark()["Green"] > 0
        rolling = {
            "RollingUpdatePolicy": {
                "MaximumBatchSize": {"Type": "INSTANCE_COUNT", "Value": 1},
                "WaitIntervalInSeconds": 1,
            }
        }
        sagemaker.update_endpoint(
            EndpointName="canary", EndpointConfigName="canary-v3", DeploymentConfig=rolling
        )
        described = wait_status(sagemaker, "canary", {"InService"})
        assert described["EndpointConfigName"] == "canary-v3" and "FailureReason" not in described
        sagemaker.update_endpoint(
            EndpointName="canary", EndpointConfigName="canary-broken", DeploymentConfig=guarded
        )
        described = wait_status(sagemaker, "canary", {"InService"})
        before = seen.mark()
        wait_for_requests(seen, before, 50)
    assert described["EndpointConfigName"] == "canary-v3"
    assert described["FailureReason"].startswith("Update failed; still serving the previous configuration.")
    assert set(seen.variants) == {"AllTraffic", "Green", "Blue"}
    sagemaker.delete_endpoint(EndpointName="canary")
