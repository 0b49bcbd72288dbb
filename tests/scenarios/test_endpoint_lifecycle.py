"""Endpoint behaviour over time: updates (blue/green), failed updates, dying workers."""

from __future__ import annotations

import io
import os
import re
import signal
import tarfile
import time
from pathlib import Path

import pytest

from support.modelport_server import ModelportServer, deploy, wait_in_service, wait_status
from support.processes import children_of, wait_gone

pytestmark = pytest.mark.e2e


def broken_archive(folder: Path) -> Path:
    """A model.tar.gz whose xgboost-model is not a model at all."""
    archive = folder / "broken.tar.gz"
    data = b"this is not an xgboost model"
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        info = tarfile.TarInfo("xgboost-model")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    archive.write_bytes(buffer.getvalue())
    return archive


def add_config(sagemaker: object, name: str, model: str, variant: str = "AllTraffic", count: int = 1) -> None:
    sagemaker.create_endpoint_config(  # type: ignore[attr-defined]
        EndpointConfigName=name,
        ProductionVariants=[
            {
                "VariantName": variant,
                "ModelName": model,
                "InitialInstanceCount": count,
                "InstanceType": "ml.m5.large",
            }
        ],
    )


def test_update_switches_to_the_new_config(server: ModelportServer, model_archive: Path) -> None:
    sagemaker = server.client("sagemaker")
    runtime = server.client("sagemaker-runtime")
    deploy(sagemaker, "blue-green", str(model_archive))
    wait_in_service(sagemaker, "blue-green")
    add_config(sagemaker, "blue-green-v2", "blue-green", variant="Green", count=2)

    sagemaker.update_endpoint(EndpointName="blue-green", EndpointConfigName="blue-green-v2")
    # The old fleet serves while the new one starts (Updating serves invocations).
    response = runtime.invoke_endpoint(
        EndpointName="blue-green", ContentType="text/csv", Body="5.1,3.3,1.7,0.5"
    )
    assert response["InvokedProductionVariant"] in {"AllTraffic", "Green"}
    description = wait_in_service(sagemaker, "blue-green")
    assert description["EndpointConfigName"] == "blue-green-v2"
    assert [(v["VariantName"], v["CurrentInstanceCount"]) for v in description["ProductionVariants"]] == [
        ("Green", 2)
    ]
    assert "FailureReason" not in description
    response = runtime.invoke_endpoint(
        EndpointName="blue-green", ContentType="text/csv", Body="5.1,3.3,1.7,0.5"
    )
    assert response["InvokedProductionVariant"] == "Green"


def test_failed_update_keeps_serving_the_old_config(
    server: ModelportServer, model_archive: Path, tmp_path: Path
) -> None:
    sagemaker = server.client("sagemaker")
    runtime = server.client("sagemaker-runtime")
    deploy(sagemaker, "steady", str(model_archive))
    wait_in_service(sagemaker, "steady")
    sagemaker.create_model(
        ModelName="steady-broken",
        PrimaryContainer={"Image": "xgboost:1.7-1", "ModelDataUrl": str(broken_archive(tmp_path))},
    )
    add_config(sagemaker, "steady-broken", "steady-broken")

    sagemaker.update_endpoint(EndpointName="steady", EndpointConfigName="steady-broken")
    description = wait_status(sagemaker, "steady", {"InService"})
    assert description["EndpointConfigName"] == "steady"
    assert "cannot be loaded" in description["FailureReason"]
    assert "did not pass the ping health check" in description["FailureReason"]
    body = runtime.invoke_endpoint(EndpointName="steady", ContentType="text/csv", Body="5.1,3.3,1.7,0.5")
    assert body["InvokedProductionVariant"] == "AllTraffic"

    # The next update clears the FailureReason.
    add_config(sagemaker, "steady-v3", "steady")
    sagemaker.update_endpoint(EndpointName="steady", EndpointConfigName="steady-v3")
    assert "FailureReason" not in wait_status(sagemaker, "steady", {"InService"}) or (
        wait_in_service(sagemaker, "steady").get("FailureReason") is None
    )


def test_a_model_that_cannot_load_fails_the_endpoint(server: ModelportServer, tmp_path: Path) -> None:
    sagemaker = server.client("sagemaker")
    deploy(sagemaker, "unloadable", str(broken_archive(tmp_path)))
    description = wait_status(sagemaker, "unloadable", {"Failed", "InService"})
    assert description["EndpointStatus"] == "Failed"
    reason = description["FailureReason"]
    assert reason.startswith("The primary container for production variant AllTraffic did not pass the ping")
    assert "xgboost-model cannot be loaded" in reason
    # What the instance printed before it failed is in CloudWatch Logs, as on AWS.
    found = server.client("logs").filter_log_events(
        logGroupName="/aws/sagemaker/Endpoints/unloadable", filterPattern='"cannot be loaded"'
    )["events"]
    assert found and found[0]["logStreamName"].startswith("AllTraffic/i-0-")
    # Failed: only DeleteEndpoint is allowed.
    with pytest.raises(sagemaker.exceptions.ClientError, match="Failed status"):
        sagemaker.update_endpoint(EndpointName="unloadable", EndpointConfigName="unloadable")
    sagemaker.delete_endpoint(EndpointName="unloadable")
    sagemaker.get_waiter("endpoint_deleted").wait(EndpointName="unloadable", WaiterConfig={"Delay": 0.05})


def test_a_dead_worker_is_replaced_while_the_endpoint_serves(
    server: ModelportServer, model_archive: Path
) -> None:
    sagemaker = server.client("sagemaker")
    runtime = server.client("sagemaker-runtime")
    before = children_of(server.pid)
    deploy(sagemaker, "phoenix", str(model_archive), instances=2)
    wait_in_service(sagemaker, "phoenix")
    instances = _instance_pids(server, "phoenix")
    assert len(instances) == 2, (before, instances)

    os.kill(instances[0], signal.SIGKILL)
    wait_gone({instances[0]})
    # Requests keep succeeding: a request that cannot reach the dead worker goes to the other one.
    for _ in range(30):
        response = runtime.invoke_endpoint(
            EndpointName="phoenix", ContentType="text/csv", Body="5.1,3.3,1.7,0.5"
        )
        assert response["Body"].read().count(b",") == 2
    assert sagemaker.describe_endpoint(EndpointName="phoenix")["EndpointStatus"] == "InService"

    # The replacement's process starts before it passes its health check and is counted again.
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        now = _instance_pids(server, "phoenix")
        variant = sagemaker.describe_endpoint(EndpointName="phoenix")["ProductionVariants"][0]
        if len(now) == 2 and instances[0] not in now and variant["CurrentInstanceCount"] == 2:
            break
        time.sleep(0.1)
    else:
        raise AssertionError(f"the dead instance was not replaced: {now}, {variant}")


def _instance_pids(server: ModelportServer, endpoint: str) -> list[int]:
    """Live worker pids serving ``endpoint``, read from the per-instance logs (newest pid per log)."""
    alive = children_of(server.pid)
    found = []
    for log in sorted((server.data_dir / "logs" / endpoint).glob("*.log")):
        pids = re.findall(r"modelport\.worker\[(\d+)\]", log.read_text())
        if pids and int(pids[-1]) in alive:
            found.append(int(pids[-1]))
    return sorted(found)
