"""Restarts lose nothing: kill -9 the server mid-create, mid-update and mid-serve, start it again.

Every acknowledged create, update and delete must survive; InService endpoints come back by
themselves, and invocations sent while their instances start again wait for them instead of
being turned away; an endpoint caught Creating or Updating is finished; no worker outlives its
server.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from modelport import seed
from support.modelport_server import ModelportServer, deploy, running_server, wait_in_service, wait_status
from support.processes import children_of, wait_gone

pytestmark = pytest.mark.e2e


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ModelportServer]:
    with running_server(tmp_path / "data") as running:
        yield running


def kill_and_restart(server: ModelportServer) -> None:
    assert server.process is not None
    workers = children_of(server.process.process.pid)
    assert workers, "the server should have worker processes (spares at least)"
    server.kill()
    assert wait_gone(workers) == set(), "workers outlived their killed server"
    server.start()


def invoke(server: ModelportServer, name: str) -> bytes:
    runtime = server.client("sagemaker-runtime")  # no retries: while instances start, invocations wait
    body: bytes = runtime.invoke_endpoint(
        EndpointName=name, ContentType="text/csv", Body=seed.test_points_csv()
    )["Body"].read()
    return body


def wait_instances(sagemaker: Any, name: str, count: int, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        variants = sagemaker.describe_endpoint(EndpointName=name).get("ProductionVariants", [])
        if variants and variants[0]["CurrentInstanceCount"] == count:
            return
        assert time.monotonic() < deadline, f"{name} did not get {count} live instances back"
        time.sleep(0.1)


def test_kill_mid_serve_brings_the_endpoint_back(server: ModelportServer, model_archive: Path) -> None:
    sagemaker = server.client("sagemaker")
    deploy(sagemaker, "served", str(model_archive), instances=2)
    wait_in_service(sagemaker, "served")
    before = invoke(server, "served")

    kill_and_restart(server)

    sagemaker = server.client("sagemaker")
    assert sagemaker.describe_endpoint(EndpointName="served")["EndpointStatus"] == "InService"
    # The store says InService at once; the instances are back when the live count says so.
    wait_instances(sagemaker, "served", 2)
    assert invoke(server, "served") == before
    assert [m["ModelName"] for m in sagemaker.list_models()["Models"]] == ["served"]
    assert [c["EndpointConfigName"] for c in sagemaker.list_endpoint_configs()["EndpointConfigs"]] == [
        "served"
    ]
    variant = wait_in_service(sagemaker, "served")["ProductionVariants"][0]
    assert variant["CurrentInstanceCount"] == 2


def test_invocations_right_after_a_restart_wait_for_the_fleets(
    server: ModelportServer, model_archive: Path
) -> None:
    names = [f"window-{n}" for n in range(9)]
    sagemaker = server.client("sagemaker")
    for name in names:
        deploy(sagemaker, name, str(model_archive))
    for name in names:
        wait_in_service(sagemaker, name)
    expected = invoke(server, names[0])

    kill_and_restart(server)

    # No retries: the first answer of each endpoint must be its prediction.
    runtime = server.client("sagemaker-runtime", read_timeout=300)
    started = time.monotonic()

    def first_answer(name: str) -> tuple[bytes, float]:
        body = runtime.invoke_endpoint(EndpointName=name, ContentType="text/csv", Body=seed.test_points_csv())
        return body["Body"].read(), time.monotonic() - started

    with ThreadPoolExecutor(len(names)) as pool:
        answers = list(pool.map(first_answer, names))
    assert [body for body, _ in answers] == [expected] * len(names)
    seconds = sorted(elapsed for _, elapsed in answers)
    print(
        f"restart window: {len(answers)} of {len(names)} answered; first after {seconds[0]:.2f} s, last after {seconds[-1]:.2f} s"
    )


def test_kill_mid_create_finishes_the_create(server: ModelportServer, model_archive: Path) -> None:
    sagemaker = server.client("sagemaker")
    deploy(sagemaker, "creating", str(model_archive))
    kill_and_restart(server)  # the create was acknowledged; whatever the status, it must complete
    sagemaker = server.client("sagemaker")
    wait_in_service(sagemaker, "creating")
    assert invoke(server, "creating").count(b"\n") == 5


def test_kill_mid_update_finishes_on_the_new_config(
    server: ModelportServer, model_archive: Path, iris_model: Any
) -> None:
    sagemaker = server.client("sagemaker")
    deploy(sagemaker, "updating", str(model_archive))
    wait_in_service(sagemaker, "updating")
    sagemaker.create_endpoint_config(
        EndpointConfigName="updating-v2",
        ProductionVariants=[
            {
                "VariantName": "Blue",
                "ModelName": "updating",
                "InitialInstanceCount": 1,
                "InstanceType": "ml.m5.large",
            }
        ],
    )
    sagemaker.update_endpoint(EndpointName="updating", EndpointConfigName="updating-v2")
    kill_and_restart(server)
    sagemaker = server.client("sagemaker")
    description = wait_status(sagemaker, "updating", {"InService", "Failed"})
    assert description["EndpointStatus"] == "InService"
    assert description["EndpointConfigName"] == "updating-v2"
    assert [v["VariantName"] for v in description["ProductionVariants"]] == ["Blue"]
    response = server.client("sagemaker-runtime").invoke_endpoint(
        EndpointName="updating", ContentType="text/csv", Body="5.1,3.3,1.7,0.5"
    )
    assert response["InvokedProductionVariant"] == "Blue"


def test_acknowledged_deletes_stay_deleted(server: ModelportServer, model_archive: Path) -> None:
    sagemaker = server.client("sagemaker")
    deploy(sagemaker, "doomed", str(model_archive))
    wait_in_service(sagemaker, "doomed")
    sagemaker.delete_endpoint(EndpointName="doomed")
    sagemaker.delete_endpoint_config(EndpointConfigName="doomed")
    sagemaker.delete_model(ModelName="doomed")
    kill_and_restart(server)
    sagemaker = server.client("sagemaker")
    assert sagemaker.list_endpoints()["Endpoints"] == []
    assert sagemaker.list_endpoint_configs()["EndpointConfigs"] == []
    assert sagemaker.list_models()["Models"] == []


def test_clean_shutdown_leaves_no_process(server: ModelportServer, model_archive: Path) -> None:
    sagemaker = server.client("sagemaker")
    deploy(sagemaker, "stopping", str(model_archive))
    wait_in_service(sagemaker, "stopping")
    assert server.process is not None
    workers = children_of(server.process.process.pid)
    assert server.process.stop() == 0
    assert wait_gone(workers, timeout_s=1.0) == set()
    server.start()  # the fixture's teardown stops it again
