"""Data capture and shadow variants on a real server (issue 15, items 6 and 7).

Capture files are read back as ``sagemaker.model_monitor`` reads them and must hold exactly the
sampled requests; the shadow's metrics are read under its name (CloudWatch, ``/metrics``, the
console), and the console's test box counts like any invocation; a shadow variant whose worker dies and whose model then fails every request
must cost the clients nothing while four of them invoke without retries.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
import re
import tarfile
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from scenarios.test_updates_under_load import ROW, load
from support.console_http import ConsoleClients, csrf
from support.modelport_server import ModelportServer, wait_in_service
from support.s3server import S3Endpoint

pytestmark = pytest.mark.e2e

SKLEARN_IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"
# The shadow's first instance dies (os._exit) on its first request; every later one fails.
FAILING_INFERENCE_PY = """
import os


def model_fn(model_dir):
    return "shadow"


def predict_fn(data, model):
    marker = os.environ["CRASH_MARKER"]
    if not os.path.exists(marker):
        open(marker, "w").close()
        os._exit(3)
    raise RuntimeError("this shadow model fails every request")
"""
KEY = re.compile(r"^(?P<variant>[^/]+)/\d{4}/\d{2}/\d{2}/\d{2}/\d{2}-\d{2}-\d{3}-[0-9a-f]+\.jsonl$")


def variant(name: str, model: str, weight: float = 1.0) -> dict[str, Any]:
    return {
        "VariantName": name,
        "ModelName": model,
        "InitialInstanceCount": 1,
        "InstanceType": "ml.m5.large",
        "InitialVariantWeight": weight,
    }


def records(folder: Path, expected: int, timeout_s: float = 20.0) -> dict[str, list[dict[str, Any]]]:
    """The capture records under ``folder`` by variant, once ``expected`` of them are written."""
    deadline = time.monotonic() + timeout_s
    while True:
        found: dict[str, list[dict[str, Any]]] = {}
        for path in sorted(folder.rglob("*.jsonl")):
            match = KEY.match(path.relative_to(folder).as_posix())
            assert match, f"{path} is not in SageMaker's key layout"
            lines = path.read_text().splitlines()
            found.setdefault(match["variant"], []).extend(json.loads(line) for line in lines)
        if sum(map(len, found.values())) >= expected or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def test_capture_records_exactly_the_sampled_requests_of_both_variants(
    server: ModelportServer, model_archive: Path, tmp_path: Path, console_http: ConsoleClients
) -> None:
    sagemaker = server.client("sagemaker")
    runtime = server.client("sagemaker-runtime")
    sagemaker.create_model(
        ModelName="cap", PrimaryContainer={"Image": "xgboost:1.7-1", "ModelDataUrl": str(model_archive)}
    )
    sagemaker.create_endpoint_config(
        EndpointConfigName="cap",
        ProductionVariants=[variant("Prod", "cap")],
        ShadowProductionVariants=[variant("Shadow", "cap")],  # weight 1 of 1: every request is copied
        DataCaptureConfig={
            "EnableCapture": True,
            "InitialSamplingPercentage": 30,
            "DestinationS3Uri": f"file://{tmp_path}/capture",
            "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}],
            "CaptureContentTypeHeader": {"CsvContentTypes": ["text/csv"]},
        },
    )
    sagemaker.create_endpoint(EndpointName="cap", EndpointConfigName="cap")
    description = wait_in_service(sagemaker, "cap")
    assert [v["VariantName"] for v in description["ShadowProductionVariants"]] == ["Shadow"]
    assert description["DataCaptureConfig"]["CurrentSamplingPercentage"] == 30

    for _ in range(20):
        answer = runtime.invoke_endpoint(EndpointName="cap", ContentType="text/csv", Body=ROW)
        assert answer["InvokedProductionVariant"] == "Prod"  # never the shadow
        answer["Body"].read()

    # 30 % of 20 requests, exactly, for each variant.
    found = records(tmp_path / "capture" / "cap", expected=12)
    assert {name: len(rs) for name, rs in found.items()} == {"Prod": 6, "Shadow": 6}
    for record in found["Prod"] + found["Shadow"]:
        assert record["eventVersion"] == "0"
        assert set(record["eventMetadata"]) == {"eventId", "inferenceTime"}
        sent, said = record["captureData"]["endpointInput"], record["captureData"]["endpointOutput"]
        assert sent == {"observedContentType": "text/csv", "mode": "INPUT", "data": ROW, "encoding": "CSV"}
        assert said["mode"] == "OUTPUT"
        if said["encoding"] == "BASE64":
            float(base64.b64decode(said["data"]).decode().strip().strip("[]").split(",")[0])
        else:
            assert said["encoding"] == "CSV"

    # The console's test box counts as an invocation (the shadow gets its copy too); each copy
    # the shadow answered is counted under its name, and an EndpointName-only query sums Prod.
    console = console_http.root(server)
    tested = console.post(
        "/sagemaker/endpoints/cap/invoke",
        data={
            "csrf_token": csrf(console, "/sagemaker/endpoints/cap"),
            "content_type": "text/csv",
            "body": ROW,
        },
    )
    assert tested.status_code == 200 and "Prod" in tested.text
    cloudwatch = server.client("cloudwatch")
    deadline = time.monotonic() + 20
    while invocations(cloudwatch, "cap", "Shadow") < 21 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert [invocations(cloudwatch, "cap", name) for name in ("Shadow", "Prod", None)] == [21, 21, 21]
    listed = cloudwatch.list_metrics(Dimensions=[{"Name": "VariantName", "Value": "Shadow"}])["Metrics"]
    assert {"Invocations", "ModelLatency", "Invocation5XXErrors"} <= {m["MetricName"] for m in listed}
    assert all({"Name": "EndpointName", "Value": "cap"} in m["Dimensions"] for m in listed)
    text = httpx.get(f"{server.url}/metrics", timeout=10).text
    assert 'sagemaker_invocations_total{EndpointName="cap",VariantName="Shadow"} 21' in text
    page = console.get("/sagemaker/endpoints/cap").text
    assert "Shadow variant Shadow: invocations per minute" in page
    sagemaker.delete_endpoint(EndpointName="cap")


def invocations(cloudwatch: Any, endpoint: str, variant: str | None) -> int:
    """The endpoint's (or one variant's) Invocations over the last ten minutes."""
    dimensions = [{"Name": "EndpointName", "Value": endpoint}]
    if variant is not None:
        dimensions.append({"Name": "VariantName", "Value": variant})
    now = dt.datetime.now(dt.UTC)
    points = cloudwatch.get_metric_statistics(
        Namespace="AWS/SageMaker",
        MetricName="Invocations",
        Dimensions=dimensions,
        StartTime=now - dt.timedelta(minutes=10),
        EndTime=now + dt.timedelta(minutes=1),
        Period=60,
        Statistics=["Sum"],
    )["Datapoints"]
    return int(sum(p["Sum"] for p in points))


def test_capture_to_s3_on_the_servers_s3(
    s3_server: ModelportServer, s3: S3Endpoint, model_archive: Path
) -> None:
    bucket = s3.client()
    bucket.create_bucket(Bucket="capture-e2e")
    sagemaker = s3_server.client("sagemaker")
    sagemaker.create_model(
        ModelName="cap-s3", PrimaryContainer={"Image": "xgboost:1.7-1", "ModelDataUrl": str(model_archive)}
    )
    sagemaker.create_endpoint_config(
        EndpointConfigName="cap-s3",
        ProductionVariants=[variant("AllTraffic", "cap-s3")],
        DataCaptureConfig={
            "InitialSamplingPercentage": 100,
            "DestinationS3Uri": "s3://capture-e2e/monitoring",
            "CaptureOptions": [{"CaptureMode": "Input"}],
        },
    )
    sagemaker.create_endpoint(EndpointName="cap-s3", EndpointConfigName="cap-s3")
    wait_in_service(sagemaker, "cap-s3")
    runtime = s3_server.client("sagemaker-runtime")
    for _ in range(5):
        runtime.invoke_endpoint(EndpointName="cap-s3", ContentType="text/csv", Body=ROW)["Body"].read()

    deadline = time.monotonic() + 20
    lines: list[dict[str, Any]] = []
    while len(lines) < 5 and time.monotonic() < deadline:
        time.sleep(0.2)
        listed = bucket.list_objects_v2(Bucket="capture-e2e", Prefix="monitoring/cap-s3/AllTraffic/")
        lines = [
            json.loads(line)
            for item in listed.get("Contents", [])
            for line in bucket.get_object(Bucket="capture-e2e", Key=item["Key"])["Body"].read().splitlines()
        ]
    assert len(lines) == 5
    for record in lines:  # no CaptureContentTypeHeader: BASE64, input only
        assert list(record["captureData"]) == ["endpointInput"]
        assert base64.b64decode(record["captureData"]["endpointInput"]["data"]).decode() == ROW
        assert record["captureData"]["endpointInput"]["encoding"] == "BASE64"
    sagemaker.delete_endpoint(EndpointName="cap-s3")


def failing_archive(folder: Path) -> Path:
    code = FAILING_INFERENCE_PY.encode()
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        info = tarfile.TarInfo("code/inference.py")
        info.size = len(code)
        tar.addfile(info, io.BytesIO(code))
    archive = folder / "failing.tar.gz"
    archive.write_bytes(buffer.getvalue())
    return archive


def test_a_crashing_and_failing_shadow_costs_clients_nothing_under_load(
    server: ModelportServer, model_archive: Path, tmp_path: Path
) -> None:
    sagemaker = server.client("sagemaker")
    sagemaker.create_model(
        ModelName="shadowed", PrimaryContainer={"Image": "xgboost:1.7-1", "ModelDataUrl": str(model_archive)}
    )
    sagemaker.create_model(
        ModelName="failing-shadow",
        PrimaryContainer={
            "Image": SKLEARN_IMAGE,
            "ModelDataUrl": str(failing_archive(tmp_path)),
            "Environment": {"SAGEMAKER_PROGRAM": "inference.py", "CRASH_MARKER": str(tmp_path / "crashed")},
        },
    )
    sagemaker.create_endpoint_config(
        EndpointConfigName="shadowed",
        ProductionVariants=[variant("Prod", "shadowed")],
        ShadowProductionVariants=[variant("Failing", "failing-shadow")],
    )
    sagemaker.create_endpoint(EndpointName="shadowed", EndpointConfigName="shadowed")
    wait_in_service(sagemaker, "shadowed")

    with load(server, "shadowed") as seen:  # asserts zero failed requests when it ends
        time.sleep(3)
    assert set(seen.variants) == {"Prod"}
    assert (tmp_path / "crashed").exists()  # the shadow's worker was killed by its model
    # The shadow did receive the copies, and failed them: its log holds the model's error.
    logs, group = server.client("logs"), "/aws/sagemaker/Endpoints/shadowed"
    deadline = time.monotonic() + 20
    while not (
        failures := logs.filter_log_events(logGroupName=group, filterPattern='"fails every request"')[
            "events"
        ]
    ):
        assert time.monotonic() < deadline, "the shadow never logged a failed request"
        time.sleep(0.2)
    assert all(e["logStreamName"].startswith("Failing/") for e in failures)
    print(f"shadowed endpoint: {sum(seen.variants.values())} requests, 0 failed")

    # An update to a config without the shadow retires it with the old fleet.
    sagemaker.create_endpoint_config(
        EndpointConfigName="unshadowed", ProductionVariants=[variant("Prod", "shadowed")]
    )
    sagemaker.update_endpoint(EndpointName="shadowed", EndpointConfigName="unshadowed")
    description = wait_in_service(sagemaker, "shadowed")
    assert "ShadowProductionVariants" not in description
    assert description["EndpointConfigName"] == "unshadowed"
    sagemaker.delete_endpoint(EndpointName="shadowed")
