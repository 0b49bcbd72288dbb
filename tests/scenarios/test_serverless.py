"""Serverless endpoints (ServerlessConfig) on a real server, through boto3.

Scale to zero and back under concurrent clients without retries: zero failed requests. Beyond
MaxConcurrency: ThrottlingException, counted.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from scenarios.test_script_mode_and_limits import script_model  # noqa: F401  (a fixture)
from support.fixtures import ServerPool
from support.modelport_server import ModelportServer, wait_in_service
from support.waiting import wait_until

pytestmark = pytest.mark.e2e

SKLEARN = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"
XGBOOST = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
ROW = "5.1,3.3,1.7,0.5"


def deploy_serverless(
    sagemaker: Any, name: str, model_data_url: str, serverless: dict[str, int], *, image: str = XGBOOST
) -> dict[str, Any]:
    container: dict[str, Any] = {"Image": image, "ModelDataUrl": model_data_url}
    if image == SKLEARN:
        container["Environment"] = {"SAGEMAKER_PROGRAM": "inference.py"}
    sagemaker.create_model(
        ModelName=name, ExecutionRoleArn="arn:aws:iam::123456789012:role/test", PrimaryContainer=container
    )
    sagemaker.create_endpoint_config(
        EndpointConfigName=name,
        ProductionVariants=[{"VariantName": "AllTraffic", "ModelName": name, "ServerlessConfig": serverless}],
    )
    sagemaker.create_endpoint(EndpointName=name, EndpointConfigName=name)
    return wait_in_service(sagemaker, name)


def test_serverless_config_is_checked_as_sagemaker_does(server: ModelportServer, model_archive: Path) -> None:
    sagemaker = server.client("sagemaker")
    sagemaker.create_model(
        ModelName="sls-bad", PrimaryContainer={"Image": XGBOOST, "ModelDataUrl": str(model_archive)}
    )
    bad = {"MemorySizeInMB": 2048, "MaxConcurrency": 2, "ProvisionedConcurrency": 3}
    with pytest.raises(ClientError) as caught:
        sagemaker.create_endpoint_config(
            EndpointConfigName="sls-bad",
            ProductionVariants=[
                {"VariantName": "AllTraffic", "ModelName": "sls-bad", "ServerlessConfig": bad}
            ],
        )
    assert caught.value.response["Error"]["Code"] == "ValidationException"
    assert "raise MaxConcurrency" in caught.value.response["Error"]["Message"]
    sagemaker.delete_model(ModelName="sls-bad")


def slow_requests_at_once(runtime: Any, endpoint: str, count: int, *, sleep_s: float) -> list[str]:
    """``count`` requests sent together, each taking ``sleep_s`` in the script model; each one's
    outcome: ``ok`` or its error code."""
    codes: list[str] = []
    lock = threading.Lock()

    def slow_request() -> None:
        body = json.dumps({"rows": [[5.1, 3.3, 1.7, 0.5]], "sleep": sleep_s})
        try:
            runtime.invoke_endpoint(EndpointName=endpoint, ContentType="application/json", Body=body)
            code = "ok"
        except ClientError as exc:
            code = exc.response["Error"]["Code"]
        with lock:
            codes.append(code)

    threads = [threading.Thread(target=slow_request) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return codes


def test_beyond_max_concurrency_answers_throttling_exception(
    server: ModelportServer,
    script_model: Path,  # noqa: F811
) -> None:
    sagemaker, runtime = server.client("sagemaker"), server.client("sagemaker-runtime")
    described = deploy_serverless(
        sagemaker,
        "sls-throttle",
        str(script_model),
        {"MemorySizeInMB": 1024, "MaxConcurrency": 2},
        image=SKLEARN,
    )
    summary = described["ProductionVariants"][0]
    assert summary["CurrentServerlessConfig"] == {"MemorySizeInMB": 1024, "MaxConcurrency": 2}
    assert summary["DesiredServerlessConfig"] == summary["CurrentServerlessConfig"]
    assert "CurrentInstanceCount" not in summary
    codes = slow_requests_at_once(runtime, "sls-throttle", 5, sleep_s=2.0)
    assert sorted(codes) == ["ThrottlingException"] * 3 + ["ok"] * 2
    sagemaker.delete_endpoint(EndpointName="sls-throttle")


@pytest.fixture
def quick_idle_server(servers: ServerPool) -> ModelportServer:
    return servers.start(env={"MODELPORT_SERVERLESS_IDLE_TIMEOUT_S": "2"})


def test_scales_to_zero_and_back_under_concurrent_clients(
    quick_idle_server: ModelportServer, model_archive: Path
) -> None:
    server = quick_idle_server
    sagemaker = server.client("sagemaker")
    deploy_serverless(sagemaker, "sls", str(model_archive), {"MemorySizeInMB": 2048, "MaxConcurrency": 20})
    failures: list[str] = []
    answered = 0
    lock = threading.Lock()

    # Clients are made before each burst and start together: making six boto3 clients on a
    # loaded machine can take longer than the idle period, which would split one burst in two.
    runtimes = [server.client("sagemaker-runtime") for _ in range(6)]  # no retries: failures are seen

    def client(runtime: Any, start: threading.Barrier, requests: int) -> None:
        nonlocal answered
        start.wait()
        for _ in range(requests):
            try:
                runtime.invoke_endpoint(EndpointName="sls", ContentType="text/csv", Body=ROW)["Body"].read()
            except Exception as exc:
                with lock:
                    failures.append(repr(exc))
                continue
            with lock:
                answered += 1

    for cycle in (1, 2):  # twice: idle → zero → a burst of concurrent clients brings it back
        # A private server: its whole log is this test's. Counted, so a scale-down that came
        # before this line (the first idle period starts at CreateEndpoint) is not missed.
        wait_until(lambda c=cycle: server.log().count("scaling to zero") >= c, "scale to zero", timeout_s=15)
        assert sagemaker.describe_endpoint(EndpointName="sls")["EndpointStatus"] == "InService"
        start = threading.Barrier(len(runtimes))
        threads = [threading.Thread(target=client, args=(runtime, start, 10)) for runtime in runtimes]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert server.log().count("cold start") == cycle
    assert failures == [], f"{len(failures)} failed of {answered + len(failures)}: {failures[:3]}"
    assert answered == 120
    sagemaker.delete_endpoint(EndpointName="sls")


def test_serverless_update_config_changes_max_concurrency_at_once(
    server: ModelportServer,
    script_model: Path,  # noqa: F811
) -> None:
    sagemaker, runtime = server.client("sagemaker"), server.client("sagemaker-runtime")
    deploy_serverless(
        sagemaker,
        "sls-update",
        str(script_model),
        {"MemorySizeInMB": 1024, "MaxConcurrency": 1},
        image=SKLEARN,
    )
    for item, message in [
        ({"DesiredInstanceCount": 2}, "has no DesiredInstanceCount"),
        (
            {"ServerlessUpdateConfig": {"MaxConcurrency": 3, "ProvisionedConcurrency": 4}},
            "ProvisionedConcurrency",
        ),
    ]:
        with pytest.raises(ClientError) as refused:
            sagemaker.update_endpoint_weights_and_capacities(
                EndpointName="sls-update", DesiredWeightsAndCapacities=[{"VariantName": "AllTraffic", **item}]
            )
        assert message in refused.value.response["Error"]["Message"]
    sagemaker.update_endpoint_weights_and_capacities(
        EndpointName="sls-update",
        DesiredWeightsAndCapacities=[
            {"VariantName": "AllTraffic", "ServerlessUpdateConfig": {"MaxConcurrency": 3}}
        ],
    )
    summary = wait_in_service(sagemaker, "sls-update")["ProductionVariants"][0]
    assert summary["CurrentServerlessConfig"] == {"MemorySizeInMB": 1024, "MaxConcurrency": 3}
    assert summary["DesiredServerlessConfig"] == summary["CurrentServerlessConfig"]
    codes = slow_requests_at_once(runtime, "sls-update", 3, sleep_s=1.0)
    assert codes == ["ok"] * 3  # with MaxConcurrency 1, two would have been throttled
    sagemaker.delete_endpoint(EndpointName="sls-update")


def test_provisioned_concurrency_given_at_zero_starts_and_keeps_an_instance(
    quick_idle_server: ModelportServer, model_archive: Path
) -> None:
    server = quick_idle_server
    sagemaker, runtime = server.client("sagemaker"), server.client("sagemaker-runtime")
    deploy_serverless(
        sagemaker, "sls-warm", str(model_archive), {"MemorySizeInMB": 2048, "MaxConcurrency": 2}
    )
    wait_until(lambda: "scaling to zero" in server.log(), "scale to zero", timeout_s=15)
    sagemaker.update_endpoint_weights_and_capacities(
        EndpointName="sls-warm",
        DesiredWeightsAndCapacities=[
            {"VariantName": "AllTraffic", "ServerlessUpdateConfig": {"ProvisionedConcurrency": 1}}
        ],
    )
    wait_in_service(sagemaker, "sls-warm")
    time.sleep(3)  # longer than the idle timeout (2 s): a provisioned variant stays warm
    runtime.invoke_endpoint(EndpointName="sls-warm", ContentType="text/csv", Body=ROW)["Body"].read()
    log = server.log()
    assert "cold start" not in log  # the update started the instance; the request found it
    assert log.count("scaling to zero") == 1
    sagemaker.delete_endpoint(EndpointName="sls-warm")
