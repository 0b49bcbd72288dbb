"""``/metrics`` scrape time with 100 endpoints, each invoked and each with a running instance.

Starts its own server, deploys the seed's iris model as ``--endpoints`` endpoints of one
instance each (one config shared by all), invokes each once so every endpoint has its counters,
and waits until the scrape shows every instance's CPU and memory gauges. Then it scrapes
``/metrics`` ``--scrapes`` times in a row over one keep-alive connection, as a Prometheus
server would, and reports the time per scrape (p50, p90, max), the size of the text and its
samples, parsed by ``prometheus_client``'s parser. Starts its own server: ``.venv/bin/python -m benchmarks.metrics_scrape --endpoints 100``.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import boto3
import httpx
from botocore.config import Config
from prometheus_client.parser import text_string_to_metric_families

from benchmarks.loadgen import percentile
from modelport import seed
from modelport.launcher import PrivateKeys, start_server

ROW = "5.1,3.3,1.7,0.5"
GAUGE = "sagemaker_cpu_utilization_percent"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.metrics_scrape", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--endpoints", type=int, default=100, help="endpoints to deploy (default 100)")
    parser.add_argument("--scrapes", type=int, default=200, help="scrapes to time (default 200)")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="modelport-metrics-scrape-"))
    archive = seed.package_model(seed.train_iris_model(), workdir / "model")
    keys = PrivateKeys.new()
    server = start_server(workdir / "data", env={**keys.server_env(), "MODELPORT_EMBEDDED_S3": "0"})
    names = [f"scrape-{k:03d}" for k in range(args.endpoints)]
    times: list[float] = []
    try:
        session = boto3.Session(
            aws_access_key_id=keys.access_key, aws_secret_access_key=keys.secret_key, region_name="us-east-1"
        )
        config = Config(read_timeout=120, retries={"max_attempts": 1})
        sm = session.client("sagemaker", endpoint_url=server.url, config=config)
        runtime = session.client("sagemaker-runtime", endpoint_url=server.url, config=config)
        began = time.monotonic()
        sm.create_model(
            ModelName="scrape", PrimaryContainer={"Image": seed.XGBOOST_IMAGE, "ModelDataUrl": str(archive)}
        )
        sm.create_endpoint_config(
            EndpointConfigName="scrape",
            ProductionVariants=[
                {
                    "VariantName": "AllTraffic",
                    "ModelName": "scrape",
                    "InitialInstanceCount": 1,
                    "InstanceType": "ml.m5.large",
                }
            ],
        )
        for name in names:
            sm.create_endpoint(EndpointName=name, EndpointConfigName="scrape")
        for name in names:
            sm.get_waiter("endpoint_in_service").wait(
                EndpointName=name, WaiterConfig={"Delay": 0.5, "MaxAttempts": 1200}
            )
            runtime.invoke_endpoint(EndpointName=name, ContentType="text/csv", Body=ROW)["Body"].read()
        print(f"{args.endpoints} endpoints deployed and invoked in {time.monotonic() - began:.0f} s")
        with httpx.Client(base_url=server.url, timeout=60) as http:
            deadline = time.monotonic() + 300
            while _gauges(http.get("/metrics").text) < args.endpoints and time.monotonic() < deadline:
                time.sleep(0.5)
            for _ in range(args.scrapes):
                started = time.perf_counter()
                response = http.get("/metrics")
                response.raise_for_status()
                times.append(time.perf_counter() - started)
            text = response.text
    finally:
        server.stop()
    families = list(text_string_to_metric_families(text))
    samples = sum(len(family.samples) for family in families)
    print(
        f"/metrics with {args.endpoints} endpoints: p50 {percentile(times, 50) * 1000:.2f} ms, "
        f"p90 {percentile(times, 90) * 1000:.2f} ms, max {max(times) * 1000:.2f} ms over {len(times)} scrapes; "
        f"{len(text.encode()) / 1024:.0f} KiB, {len(families)} families, {samples} samples "
        f"({_gauges(text)} instances' gauges)"
    )
    if args.json:
        args.json.write_text(json.dumps({"times": times, "bytes": len(text.encode()), "samples": samples}))
    return 0


def _gauges(text: str) -> int:
    return sum(1 for line in text.splitlines() if line.startswith(GAUGE + "{"))


if __name__ == "__main__":
    sys.exit(main())
