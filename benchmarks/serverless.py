"""Serverless cold start: the first InvokeEndpoint after a serverless variant scaled to zero.

Deploys the seed's iris model as a serverless variant on its own server with a 0.5 s idle
timeout; each run waits until the server's log says the instance scaled to zero, then times one
``invoke_endpoint`` through boto3 (the cold start from the warm pool, the model's load and the
prediction), then one more (warm) for comparison. Starts its own server:
``.venv/bin/python -m benchmarks.serverless --runs 20``.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import boto3
from botocore.config import Config

from modelport import seed
from modelport.launcher import PrivateKeys, start_server

ROW = "5.1,3.3,1.7,0.5"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.serverless", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--runs", type=int, default=10, help="cold starts to time (default 10)")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="modelport-serverless-"))
    archive = seed.package_model(seed.train_iris_model(), workdir / "model")
    keys = PrivateKeys.new()
    data = workdir / "data"
    env = {**keys.server_env(), "MODELPORT_EMBEDDED_S3": "0", "MODELPORT_SERVERLESS_IDLE_TIMEOUT_S": "0.5"}
    server = start_server(data, env=env)
    cold: list[float] = []
    warm: list[float] = []
    try:
        session = boto3.Session(
            aws_access_key_id=keys.access_key, aws_secret_access_key=keys.secret_key, region_name="us-east-1"
        )
        config = Config(read_timeout=90, retries={"max_attempts": 1})
        sm = session.client("sagemaker", endpoint_url=server.url, config=config)
        runtime = session.client("sagemaker-runtime", endpoint_url=server.url, config=config)
        sm.create_model(
            ModelName="bench", PrimaryContainer={"Image": seed.XGBOOST_IMAGE, "ModelDataUrl": str(archive)}
        )
        sm.create_endpoint_config(
            EndpointConfigName="bench",
            ProductionVariants=[
                {
                    "VariantName": "AllTraffic",
                    "ModelName": "bench",
                    "ServerlessConfig": {"MemorySizeInMB": 2048, "MaxConcurrency": 5},
                }
            ],
        )
        sm.create_endpoint(EndpointName="bench", EndpointConfigName="bench")
        sm.get_waiter("endpoint_in_service").wait(EndpointName="bench", WaiterConfig={"Delay": 0.05})
        log = data / "server.log"
        for _ in range(args.runs):
            scaled = log.read_text(errors="replace").count("scaling to zero")
            while log.read_text(errors="replace").count("scaling to zero") == scaled:
                time.sleep(0.05)
            time.sleep(0.3)  # the drained instance stops; its spare replacement starts
            for times in (cold, warm):
                began = time.perf_counter()
                runtime.invoke_endpoint(EndpointName="bench", ContentType="text/csv", Body=ROW)["Body"].read()
                times.append(time.perf_counter() - began)
    finally:
        server.stop()
    for label, values in (("cold start", cold), ("warm", warm)):
        ordered = sorted(values)
        p50 = ordered[(len(ordered) - 1) // 2]
        print(
            f"{label}: p50 {p50 * 1000:.0f} ms, min {ordered[0] * 1000:.0f} ms, max {ordered[-1] * 1000:.0f} ms"
        )
    if args.json:
        args.json.write_text(json.dumps({"cold": cold, "warm": warm}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
