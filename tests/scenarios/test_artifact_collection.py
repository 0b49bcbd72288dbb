"""Unused model folders are deleted from the artifact cache; folders something may still run stay.

As on SageMaker, an endpoint keeps serving after its Model is deleted and comes back after a
restart, so its folder must outlive the Model; once the endpoint is deleted too, the folder goes.
Another endpoint's deletion forces a collection round while the first endpoint runs without a Model.
When the Model goes last, DeleteModel starts the round.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from modelport import seed
from support.modelport_server import ModelportServer, deploy, invoke, wait_in_service
from support.waiting import wait_until

pytestmark = pytest.mark.e2e

XGBOOST_IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"


def cached_folder(server: ModelportServer, model_name: str) -> Path | None:
    """The cache entry of ``model_name`` (its folder name starts with the lower-cased model name)."""
    found = [
        p
        for p in (server.data_dir / "artifacts").iterdir()
        if p.name.startswith(f"{model_name.lower()}-") and not p.name.startswith(".")
    ]
    assert len(found) <= 1, found
    return found[0] if found else None


def identity(folder: Path) -> tuple[int, int]:
    """Changes when the folder is deleted and fetched again."""
    marker = os.stat(folder / "complete.json")
    return marker.st_ino, marker.st_mtime_ns


def wait_gone(server: ModelportServer, model_name: str, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while cached_folder(server, model_name) is not None:
        assert time.monotonic() < deadline, f"the cached folder of {model_name} was not deleted"
        time.sleep(0.05)


def delete_endpoint(server: ModelportServer, name: str) -> None:
    sagemaker = server.client("sagemaker")
    sagemaker.delete_endpoint(EndpointName=name)
    sagemaker.delete_endpoint_config(EndpointConfigName=name)


def rows(server: ModelportServer, name: str) -> bytes:
    """The test points' answer, waiting while the instances start (after a restart the endpoint
    is InService first)."""
    return invoke(server, name, seed.test_points_csv(), ready_within_s=60).body


def test_a_folder_outlives_its_model_until_the_endpoint_goes(
    private_server: ModelportServer, model_archive: Path
) -> None:
    server = private_server  # restarted below
    sagemaker = server.client("sagemaker")
    deploy(sagemaker, "gc-kept", str(model_archive))
    deploy(sagemaker, "gc-other", str(model_archive))
    wait_in_service(sagemaker, "gc-kept")
    wait_in_service(sagemaker, "gc-other")
    kept = cached_folder(server, "gc-kept")
    assert kept is not None and cached_folder(server, "gc-other") is not None
    before = identity(kept)
    answer = rows(server, "gc-kept")

    sagemaker.delete_model(ModelName="gc-kept")
    sagemaker.delete_model(ModelName="gc-other")
    delete_endpoint(server, "gc-other")  # starts a collection round
    wait_gone(server, "gc-other")
    # That round saw gc-kept without a Model: its endpoint's snapshot kept the folder.
    assert identity(kept) == before
    assert rows(server, "gc-kept") == answer

    server.stop()
    server.start()  # a collection round at start-up, while the endpoint comes back from its snapshot
    wait_in_service(server.client("sagemaker"), "gc-kept")
    assert rows(server, "gc-kept") == answer
    assert identity(kept) == before

    delete_endpoint(server, "gc-kept")
    wait_gone(server, "gc-kept")
    assert (server.data_dir / "artifacts" / ".locks" / f"{kept.name}.lock").is_file()  # locks stay


def test_a_folder_goes_with_its_model_when_the_model_is_deleted_last(
    server: ModelportServer, model_archive: Path
) -> None:
    sagemaker = server.client("sagemaker")
    deploy(sagemaker, "gc-last", str(model_archive))
    wait_in_service(sagemaker, "gc-last")
    delete_endpoint(server, "gc-last")  # starts a collection round, which the Model survives
    wait_until(
        lambda: not sagemaker.list_endpoints(NameContains="gc-last")["Endpoints"],
        "the endpoint was not deleted",
    )
    # A round that starts from now on sees no endpoint for gc-last, only its Model. A folder
    # nothing refers to shows when one has run: DeleteModel of another model starts one.
    unused = server.data_dir / "artifacts" / "unused-0000000000000000"
    unused.mkdir()
    sagemaker.create_model(
        ModelName="gc-trigger",
        ExecutionRoleArn="arn:aws:iam::123456789012:role/test",
        PrimaryContainer={"Image": XGBOOST_IMAGE, "ModelDataUrl": str(model_archive)},
    )
    sagemaker.delete_model(ModelName="gc-trigger")
    wait_until(lambda: not unused.exists(), "no collection round ran after the endpoint was deleted")
    assert cached_folder(server, "gc-last") is not None

    sagemaker.delete_model(ModelName="gc-last")
    wait_gone(server, "gc-last", timeout_s=10.0)  # well before the 60-second round
