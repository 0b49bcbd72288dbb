"""Weights, capacities and guarded updates on a real server, under continuous load.

Four clients invoke the endpoint without retries the whole time; every answer that is not a
prediction counts as a failed request, and there must be none. That includes an update rolled
back by a CloudWatch alarm: the new model answers correctly but slowly, and an alarm on its
ModelLatency takes the traffic back to the old fleet; or the new model fails on a row the old one
answers, a probe client sends that row to the canary, and an alarm on the canary's
Invocation5XXErrors rolls the update back (the probe's failures are counted apart: they are
what trips the alarm, while the load's stay at zero).
"""

from __future__ import annotations

import io
import tarfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import joblib
import pytest
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

from scenarios.test_endpoint_lifecycle import add_config, broken_archive
from support.modelport_server import ModelportServer, deploy, wait_in_service, wait_status
from support.waiting import wait_until

pytestmark = pytest.mark.e2e

ROW = "5.1,3.3,1.7,0.5"


class Load:
    def __init__(self) -> None:
        self.variants: Counter[str] = Counter()
        self.first_answer: dict[str, float] = {}  # variant -> time.monotonic() of its first answer
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
                seen.first_answer.setdefault(answer["InvokedProductionVariant"], time.monotonic())

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    try:
        # The load reaches the endpoint before the test changes anything: building the clients
        # takes seconds on a busy machine, and a one-second canary could otherwise come and go
        # before the first request (the first variant then never answers).
        wait_for_requests(seen, Counter(), clients)
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


def test_each_deployment_mode_then_a_rolled_back_one_under_load(
    server: ModelportServer, model_archive: Path, tmp_path: Path
) -> None:
    """CANARY, rolling, LINEAR and ALL_AT_ONCE updates in turn, then one whose new fleet cannot
    load, all under the same load: each ends InService on its config, the last on the previous
    one with FailureReason, and no request of the load fails."""
    sagemaker = server.client("sagemaker")
    deploy(sagemaker, "canary", str(model_archive))
    wait_in_service(sagemaker, "canary")
    add_config(sagemaker, "canary-v2", "canary", variant="Green", count=2)
    add_config(sagemaker, "canary-v3", "canary", variant="Blue", count=2)
    add_config(sagemaker, "canary-v4", "canary", variant="Linear", count=2)
    add_config(sagemaker, "canary-v5", "canary", variant="AllAtOnce", count=1)
    sagemaker.create_model(
        ModelName="canary-broken",
        PrimaryContainer={"Image": "xgboost:1.7-1", "ModelDataUrl": str(broken_archive(tmp_path))},
    )
    add_config(sagemaker, "canary-broken", "canary-broken", count=2)

    def blue_green(routing: dict[str, Any]) -> dict[str, Any]:
        return {
            "BlueGreenUpdatePolicy": {
                "TrafficRoutingConfiguration": {**routing, "WaitIntervalInSeconds": 1},
                "TerminationWaitInSeconds": 1,
            }
        }

    one = {"Type": "INSTANCE_COUNT", "Value": 1}
    guarded = blue_green({"Type": "CANARY", "CanarySize": one})
    rolling = {"RollingUpdatePolicy": {"MaximumBatchSize": one, "WaitIntervalInSeconds": 1}}
    steps = [
        ("canary-v2", guarded, "Green"),
        ("canary-v3", rolling, "Blue"),
        (
            "canary-v4",
            blue_green({"Type": "LINEAR", "LinearStepSize": {"Type": "CAPACITY_PERCENT", "Value": 50}}),
            "Linear",
        ),
        ("canary-v5", blue_green({"Type": "ALL_AT_ONCE"}), "AllAtOnce"),
    ]
    with load(server, "canary") as seen:
        for config, deployment, variant_name in steps:
            sagemaker.update_endpoint(
                EndpointName="canary", EndpointConfigName=config, DeploymentConfig=deployment
            )
            described = wait_status(sagemaker, "canary", {"InService"})
            assert described["EndpointConfigName"] == config and "FailureReason" not in described
            wait_for_requests(seen, seen.mark(), 20)
            assert seen.mark()[variant_name] > 0, config
        sagemaker.update_endpoint(
            EndpointName="canary", EndpointConfigName="canary-broken", DeploymentConfig=guarded
        )
        described = wait_status(sagemaker, "canary", {"InService"})
        before = seen.mark()
        wait_for_requests(seen, before, 50)
    assert described["EndpointConfigName"] == "canary-v5"
    assert described["FailureReason"].startswith("Update failed; still serving the previous configuration.")
    assert set(seen.variants) == {"AllTraffic", "Green", "Blue", "Linear", "AllAtOnce"}
    sagemaker.delete_endpoint(EndpointName="canary")


SLOW_INFERENCE_PY = """
import os
import time

import joblib
import numpy


def model_fn(model_dir):
    return joblib.load(os.path.join(model_dir, "model.joblib"))


def input_fn(body, content_type):
    text = body.decode() if isinstance(body, bytes) else body
    return numpy.array([[float(x) for x in line.split(",")] for line in text.strip().splitlines()])


def predict_fn(data, model):
    time.sleep(float(os.environ.get("SLOW_S", "0")))
    if os.environ.get("REFUSE_NEGATIVE") and (data < 0).any():
        raise ValueError("a negative measurement")  # the new version's bug: the old one answers
    return model.predict(data)


def output_fn(prediction, accept):
    return ",".join(str(p) for p in prediction), "text/csv"
"""
SKLEARN = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"


@pytest.fixture(scope="module")
def slow_script_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Iris in script mode, answering CSV; ``SLOW_S`` in its environment makes each answer late,
    ``REFUSE_NEGATIVE`` makes a row with a negative value fail (500 from the container)."""
    folder = tmp_path_factory.mktemp("slow-model")
    features, labels = load_iris(return_X_y=True)
    joblib.dump(LogisticRegression(max_iter=500).fit(features, labels), folder / "model.joblib")
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        tar.add(folder / "model.joblib", arcname="model.joblib")
        code = SLOW_INFERENCE_PY.encode()
        info = tarfile.TarInfo("code/inference.py")
        info.size = len(code)
        tar.addfile(info, io.BytesIO(code))
    archive = folder / "model.tar.gz"
    archive.write_bytes(buffer.getvalue())
    return archive


def canary_guarded_by_alarm(
    server: ModelportServer, archive: Path, endpoint: str, new_env: dict[str, str], alarm: dict[str, Any]
) -> dict[str, Any]:
    """``endpoint`` InService on ``<endpoint>-v1`` (the script model as it is), a config
    ``<endpoint>-v2`` of two ``Green`` instances of the script model with ``new_env``, and
    ``alarm`` (``put_metric_alarm``'s name, metric, statistic, threshold and operator) put on the
    Green variant over one 60 s period; returns the DeploymentConfig of a CANARY update to v2
    that only this alarm can end."""
    sagemaker = server.client("sagemaker")
    for version, env in (("v1", {}), ("v2", new_env)):
        sagemaker.create_model(
            ModelName=f"{endpoint}-{version}",
            PrimaryContainer={
                "Image": SKLEARN,
                "ModelDataUrl": str(archive),
                "Environment": {"SAGEMAKER_PROGRAM": "inference.py", **env},
            },
        )
    add_config(sagemaker, f"{endpoint}-v1", f"{endpoint}-v1")
    add_config(sagemaker, f"{endpoint}-v2", f"{endpoint}-v2", variant="Green", count=2)
    sagemaker.create_endpoint(EndpointName=endpoint, EndpointConfigName=f"{endpoint}-v1")
    wait_in_service(sagemaker, endpoint)
    server.client("cloudwatch").put_metric_alarm(
        Namespace="AWS/SageMaker",
        Dimensions=[{"Name": "EndpointName", "Value": endpoint}, {"Name": "VariantName", "Value": "Green"}],
        Period=60,
        EvaluationPeriods=1,
        TreatMissingData="notBreaching",
        **alarm,
    )
    return {
        "BlueGreenUpdatePolicy": {
            "TrafficRoutingConfiguration": {
                "Type": "CANARY",
                "CanarySize": {"Type": "INSTANCE_COUNT", "Value": 1},
                "WaitIntervalInSeconds": 600,  # the alarm, not the bake, must end it
            },
        },
        "AutoRollbackConfiguration": {"Alarms": [{"AlarmName": alarm["AlarmName"]}]},
    }


def test_an_alarm_on_the_canarys_latency_rolls_back_under_load(
    server: ModelportServer, slow_script_model: Path
) -> None:
    sagemaker = server.client("sagemaker")
    cloudwatch = server.client("cloudwatch")
    # As in SageMaker's guide: the new fleet's model latency, which the old fleet cannot trip.
    config = canary_guarded_by_alarm(
        server,
        slow_script_model,
        "alarm",
        new_env={"SLOW_S": "0.4"},
        alarm={
            "AlarmName": "alarm-green-latency",
            "MetricName": "ModelLatency",
            "Statistic": "Maximum",
            "Threshold": 200_000,  # microseconds
            "ComparisonOperator": "GreaterThanThreshold",
        },
    )
    with load(server, "alarm") as seen:
        started = time.monotonic()
        sagemaker.update_endpoint(
            EndpointName="alarm", EndpointConfigName="alarm-v2", DeploymentConfig=config
        )
        described = wait_status(sagemaker, "alarm", {"InService", "UpdateRollbackFailed"}, timeout_s=120)
        done = time.monotonic()
        elapsed, reaction = done - started, done - seen.first_answer["Green"]
        before = seen.mark()
        wait_for_requests(seen, before, 20)
    print(
        f"alarm rollback: UpdateEndpoint to InService on the old config in {elapsed:.1f} s, "
        f"{reaction:.1f} s after the canary's first (slow) answer; {dict(seen.variants)}"
    )
    assert (described["EndpointStatus"], described["EndpointConfigName"]) == ("InService", "alarm-v1")
    assert "CloudWatch alarm alarm-green-latency went into ALARM" in described["FailureReason"]
    assert seen.variants["Green"] > 0  # the canary served (slowly, but correctly) before the rollback
    assert seen.mark()["Green"] == before["Green"]  # and nothing after it
    assert elapsed < 60
    (alarm,) = cloudwatch.describe_alarms(AlarmNames=["alarm-green-latency"])["MetricAlarms"]
    assert alarm["StateValue"] == "ALARM"
    sagemaker.delete_endpoint(EndpointName="alarm")
    cloudwatch.delete_alarms(AlarmNames=["alarm-green-latency"])


class Probe:
    """The one client that sends the bad row, with ``TargetVariant`` naming the canary."""

    def __init__(self) -> None:
        self.model_errors = 0  # ModelError from the canary: what the alarm must see
        self.refused = 0  # ValidationError: the canary's variant did not (or no longer) exist
        self.other: list[str] = []  # anything else: a bug
        self.answered = 0  # a prediction for the bad row: the canary did not fail


def test_an_alarm_on_the_canarys_errors_rolls_back_with_no_failed_load_request(
    server: ModelportServer, slow_script_model: Path
) -> None:
    """The new version fails on rows with a negative value (its container answers 500); valid
    rows it answers. Four load clients send valid rows without TargetVariant and count their
    failures: there must be none, though some of their requests reach the canary. A separate
    probe client sends the bad row with ``TargetVariant=Green`` while the canary serves; its
    ModelErrors raise the canary's Invocation5XXErrors, which the alarm of
    ``AutoRollbackConfiguration`` watches. The update rolls back to InService on the old config
    with FailureReason. Probe answers are counted apart from the load's and are not failures of
    the load: they are the errors that trip the alarm."""
    sagemaker = server.client("sagemaker")
    cloudwatch = server.client("cloudwatch")
    # As in SageMaker's guide: the new variant's 5XX errors (a script's exception answers 500).
    config = canary_guarded_by_alarm(
        server,
        slow_script_model,
        "errs",
        new_env={"REFUSE_NEGATIVE": "1"},
        alarm={
            "AlarmName": "errs-green-5xx",
            "MetricName": "Invocation5XXErrors",
            "Statistic": "Sum",
            "Threshold": 2,
            "ComparisonOperator": "GreaterThanOrEqualToThreshold",
        },
    )
    probe = Probe()
    stop_probe = threading.Event()

    def probe_client(seen: Load) -> None:
        runtime = server.client("sagemaker-runtime")
        while not stop_probe.is_set() and "Green" not in seen.mark():
            stop_probe.wait(0.01)  # the canary takes traffic: then probe it
        while not stop_probe.is_set():
            try:
                runtime.invoke_endpoint(
                    EndpointName="errs", ContentType="text/csv", Body="-1,3.3,1.7,0.5", TargetVariant="Green"
                )["Body"].read()
                probe.answered += 1
            except runtime.exceptions.ModelError:
                probe.model_errors += 1
            except runtime.exceptions.ValidationError:
                probe.refused += 1
            except Exception as exc:
                probe.other.append(repr(exc))
            stop_probe.wait(0.05)

    with load(server, "errs") as seen:
        prober = threading.Thread(target=probe_client, args=(seen,), daemon=True)
        prober.start()
        try:
            sagemaker.update_endpoint(
                EndpointName="errs", EndpointConfigName="errs-v2", DeploymentConfig=config
            )
            described = wait_status(sagemaker, "errs", {"InService", "UpdateRollbackFailed"}, timeout_s=120)
        finally:
            stop_probe.set()
            prober.join(timeout=60)
        before = seen.mark()
        wait_for_requests(seen, before, 20)
    print(f"error-alarm rollback: load {dict(seen.variants)}, 0 failed; probe {vars(probe)}")
    assert (described["EndpointStatus"], described["EndpointConfigName"]) == ("InService", "errs-v1")
    assert "CloudWatch alarm errs-green-5xx went into ALARM" in described["FailureReason"]
    assert seen.variants["Green"] > 0  # load requests reached the canary, and it answered them
    assert seen.mark()["Green"] == before["Green"]  # none after the rollback
    assert probe.model_errors >= 2 and probe.answered == 0 and probe.other == []
    (alarm,) = cloudwatch.describe_alarms(AlarmNames=["errs-green-5xx"])["MetricAlarms"]
    assert alarm["StateValue"] == "ALARM"

    def errors(variant_name: str) -> float:
        return sum(
            point["Sum"]
            for point in cloudwatch.get_metric_statistics(
                Namespace="AWS/SageMaker",
                MetricName="Invocation5XXErrors",
                Dimensions=[
                    {"Name": "EndpointName", "Value": "errs"},
                    {"Name": "VariantName", "Value": variant_name},
                ],
                StartTime=time.time() - 600,
                EndTime=time.time() + 60,
                Period=60,
                Statistics=["Sum"],
            )["Datapoints"]
        )

    # Metrics reach the store every 10 s (MODELPORT_METRICS_FLUSH_INTERVAL_S): the canary's
    # last answers may still be in memory.
    wait_until(lambda: errors("Green") == probe.model_errors, "the canary's 5XX errors are not all counted")
    assert errors("AllTraffic") == 0  # the old fleet never failed
    sagemaker.delete_endpoint(EndpointName="errs")
    cloudwatch.delete_alarms(AlarmNames=["errs-green-5xx"])
