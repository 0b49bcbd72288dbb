"""Scale-out reaction time under a step load: from the first request of a sustained load to the
variant's new instances serving.

Starts its own server with ``MODELPORT_AUTOSCALING_PERIOD_S`` (``--period``, default 1 s;
AWS: 60 s) and AWS's 3 periods above target before a scale-out, deploys the seed's iris model
with one instance, registers it (1 to 3 instances) with a target-tracking policy on
``SageMakerVariantInvocationsPerInstance`` (target 60 a minute, cooldowns 1 s), then for each run
starts ``--clients`` clients invoking without pause and times when ``DesiredInstanceCount`` grows
(the decision) and when ``CurrentInstanceCount`` reaches it (serving), counting failed requests;
then stops the load and waits for the scale-in to 1. ``.venv/bin/python -m benchmarks.autoscaling --runs 5``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from modelport import seed
from modelport.launcher import PrivateKeys, start_server

ROW = "5.1,3.3,1.7,0.5"
TARGET = {
    "ServiceNamespace": "sagemaker",
    "ResourceId": "endpoint/bench/variant/AllTraffic",
    "ScalableDimension": "sagemaker:variant:DesiredInstanceCount",
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.autoscaling", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--runs", type=int, default=3, help="step loads to time (default 3)")
    parser.add_argument(
        "--period", type=float, default=1.0, help="MODELPORT_AUTOSCALING_PERIOD_S (default 1)"
    )
    parser.add_argument(
        "--clients", type=int, default=3, help="concurrent clients of the step load (default 3)"
    )
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="modelport-autoscaling-"))
    archive = seed.package_model(seed.train_iris_model(), workdir / "model")
    keys = PrivateKeys.new()
    env = {
        **keys.server_env(),
        "MODELPORT_EMBEDDED_S3": "0",
        "MODELPORT_AUTOSCALING_PERIOD_S": str(args.period),
        "MODELPORT_AUTOSCALING_SCALE_IN_PERIODS": "3",
    }
    server = start_server(workdir / "data", env=env)
    session = boto3.Session(
        aws_access_key_id=keys.access_key, aws_secret_access_key=keys.secret_key, region_name="us-east-1"
    )
    config = Config(read_timeout=90, retries={"max_attempts": 1})

    def client(service: str) -> Any:
        return session.client(service, endpoint_url=server.url, config=config)

    sm, scaling = client("sagemaker"), client("application-autoscaling")
    rows = []
    try:
        _deploy(sm, scaling, archive)
        for run in range(1, args.runs + 1):
            rows.append((run, *_step(client, sm, args.clients)))
    finally:
        server.stop()
    print("| run | decision s | serving s | instances | requests | failed |")
    print("|---|---|---|---|---|---|")
    for run, decided, serving, count, answered, failed in rows:
        print(f"| {run} | {decided:.1f} | {serving:.1f} | 1 → {count} | {answered} | {failed} |")
    return 0


def _deploy(sm: Any, scaling: Any, archive: Path) -> None:
    sm.create_model(
        ModelName="bench", PrimaryContainer={"Image": seed.XGBOOST_IMAGE, "ModelDataUrl": str(archive)}
    )
    variant = {
        "VariantName": "AllTraffic",
        "ModelName": "bench",
        "InitialInstanceCount": 1,
        "InstanceType": "ml.m5.large",
    }
    sm.create_endpoint_config(EndpointConfigName="bench", ProductionVariants=[variant])
    sm.create_endpoint(EndpointName="bench", EndpointConfigName="bench")
    sm.get_waiter("endpoint_in_service").wait(EndpointName="bench", WaiterConfig={"Delay": 0.1})
    scaling.register_scalable_target(**TARGET, MinCapacity=1, MaxCapacity=3)
    scaling.put_scaling_policy(
        PolicyName="bench",
        PolicyType="TargetTrackingScaling",
        **TARGET,
        TargetTrackingScalingPolicyConfiguration={
            "TargetValue": 60.0,
            "PredefinedMetricSpecification": {
                "PredefinedMetricType": "SageMakerVariantInvocationsPerInstance"
            },
            "ScaleOutCooldown": 1,
            "ScaleInCooldown": 1,
        },
    )


def _step(client: Any, sm: Any, clients: int) -> tuple[float, float, int, int, int]:
    """One step load: (seconds to the decision, to the instances serving, instances, answered, failed)."""
    stop = threading.Event()
    answered, failed = [0], [0]

    def load() -> None:
        runtime = client("sagemaker-runtime")
        while not stop.is_set():
            try:
                runtime.invoke_endpoint(EndpointName="bench", ContentType="text/csv", Body=ROW)["Body"].read()
                answered[0] += 1
            except ClientError:
                failed[0] += 1

    def variant() -> dict[str, Any]:
        found: dict[str, Any] = sm.describe_endpoint(EndpointName="bench")["ProductionVariants"][0]
        return found

    threads = [threading.Thread(target=load, daemon=True) for _ in range(clients)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    decided = serving = 0.0
    while True:
        now = variant()
        if not decided and now["DesiredInstanceCount"] > 1:
            decided = time.perf_counter() - began
        if decided and now["CurrentInstanceCount"] == now["DesiredInstanceCount"] > 1:
            serving = time.perf_counter() - began
            count = now["CurrentInstanceCount"]
            break
        time.sleep(0.05)
    stop.set()
    for thread in threads:
        thread.join()
    while (
        variant()["CurrentInstanceCount"] != 1
        or sm.describe_endpoint(EndpointName="bench")["EndpointStatus"] != "InService"
    ):
        time.sleep(0.2)
    return decided, serving, count, answered[0], failed[0]


if __name__ == "__main__":
    sys.exit(main())
