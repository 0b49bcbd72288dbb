"""UpdateEndpoint → InService on the new config, per deployment mode, timed as a polling user sees it.

One endpoint of the seed's iris model with 2 instances; each run updates it to the other of two
configs (the same model, so the time is the platform's, not the model's load) and waits with the
``endpoint_in_service`` waiter polling every 10 ms. Modes: no DeploymentConfig, ALL_AT_ONCE,
CANARY (1 of 2 instances first), LINEAR (50 % steps) and rolling (1 instance a batch), the last four with
``WaitIntervalInSeconds`` as given (default 1 s) and no termination wait; the schedule's own
waits are reported beside the time, so what the platform adds is the difference. Starts its own
server: ``.venv/bin/python -m benchmarks.updates --runs 3``.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from modelport import seed
from modelport.launcher import PrivateKeys, start_server

WAIT = {"Delay": 0.01, "MaxAttempts": 30000}


def modes(wait_s: int) -> dict[str, tuple[dict[str, Any] | None, float]]:
    """Each mode's DeploymentConfig, and the waits its schedule adds on its own."""

    def blue_green(routing: dict[str, Any]) -> dict[str, Any]:
        return {
            "BlueGreenUpdatePolicy": {
                "TrafficRoutingConfiguration": {**routing, "WaitIntervalInSeconds": wait_s},
                "TerminationWaitInSeconds": 0,
            }
        }

    half = {"Type": "INSTANCE_COUNT", "Value": 1}
    return {
        "none (all at once, no waits)": (None, 0.0),
        "ALL_AT_ONCE": (blue_green({"Type": "ALL_AT_ONCE"}), wait_s),
        "CANARY 1 of 2": (blue_green({"Type": "CANARY", "CanarySize": half}), 2.0 * wait_s),
        "LINEAR 50 %": (blue_green({"Type": "LINEAR", "LinearStepSize": half}), 2.0 * wait_s),
        "rolling, batches of 1": (
            {"RollingUpdatePolicy": {"MaximumBatchSize": half, "WaitIntervalInSeconds": wait_s}},
            2.0 * wait_s,
        ),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.updates", description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="updates per mode (default 3)")
    parser.add_argument("--wait", type=int, default=1, help="WaitIntervalInSeconds of the guarded modes")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="modelport-updates-"))
    archive = seed.package_model(seed.train_iris_model(), workdir / "model")
    keys = PrivateKeys.new()
    server = start_server(workdir / "data", env={**keys.server_env(), "MODELPORT_EMBEDDED_S3": "0"})
    results: dict[str, list[float]] = {}
    try:
        session = boto3.Session(
            aws_access_key_id=keys.access_key, aws_secret_access_key=keys.secret_key, region_name="us-east-1"
        )
        sm = session.client(
            "sagemaker", endpoint_url=server.url, config=Config(read_timeout=90, retries={"max_attempts": 1})
        )
        sm.create_model(
            ModelName="bench", PrimaryContainer={"Image": seed.XGBOOST_IMAGE, "ModelDataUrl": str(archive)}
        )
        for config in ("bench-a", "bench-b"):
            sm.create_endpoint_config(
                EndpointConfigName=config,
                ProductionVariants=[
                    {
                        "VariantName": "AllTraffic",
                        "ModelName": "bench",
                        "InitialInstanceCount": 2,
                        "InstanceType": "ml.m5.large",
                    }
                ],
            )
        sm.create_endpoint(EndpointName="bench", EndpointConfigName="bench-a")
        waiter = sm.get_waiter("endpoint_in_service")
        waiter.wait(EndpointName="bench", WaiterConfig=WAIT)
        current = "bench-a"
        for mode, (deployment_config, _) in modes(args.wait).items():
            for _ in range(args.runs):
                current = "bench-b" if current == "bench-a" else "bench-a"
                extra = {} if deployment_config is None else {"DeploymentConfig": deployment_config}
                began = time.perf_counter()
                sm.update_endpoint(EndpointName="bench", EndpointConfigName=current, **extra)
                waiter.wait(EndpointName="bench", WaiterConfig=WAIT)
                results.setdefault(mode, []).append(time.perf_counter() - began)
                assert sm.describe_endpoint(EndpointName="bench")["EndpointConfigName"] == current
    finally:
        server.stop()
    print(
        "| mode | schedule's waits | " + " | ".join(f"run {i + 1}" for i in range(args.runs)) + " | median |"
    )
    print("|---|---|" + "---|" * (args.runs + 1))
    for mode, (_, waits) in modes(args.wait).items():
        values = results[mode]
        median = sorted(values)[(len(values) - 1) // 2]
        cells = " | ".join(f"{v:.2f} s" for v in values)
        print(f"| {mode} | {waits:.0f} s | {cells} | {median:.2f} s |")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
