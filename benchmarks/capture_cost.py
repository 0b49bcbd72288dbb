"""Throughput cost of two production variants plus data capture at 100 %, against neither.

One server, two endpoints of the seed's iris model with the same two instances: ``plain`` has
one variant of 2 instances and no capture; ``full`` has two variants of 1 instance each (weights
1:1) and a ``DataCaptureConfig`` capturing Input and Output of every request (100 %) to a local
folder. Both are driven by the same async load generator (pre-signed SigV4 requests, one
keep-alive connection per client) in rounds that alternate which endpoint goes first, so a
machine shared with other jobs loads both alike; the median of the rounds' ratios is the cost
(the capture's files are written off the request path, within a second, so part of that work
falls on the next round, which is either endpoint's in turn). Starts
its own server: ``.venv/bin/python -m benchmarks.capture_cost --rounds 16``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from benchmarks.loadgen import run_load
from benchmarks.signing import Signer, presign_batch
from modelport import seed
from modelport.launcher import PrivateKeys, start_server

ROW = b"5.1,3.3,1.7,0.5"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.capture_cost", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--rounds", type=int, default=16, help="interleaved rounds (default 16)")
    parser.add_argument(
        "--requests", type=int, default=400, help="requests per endpoint a round (default 400)"
    )
    parser.add_argument("--concurrency", type=int, default=8, help="clients (default 8)")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="modelport-capture-cost-"))
    archive = seed.package_model(seed.train_iris_model(), workdir / "model")
    keys = PrivateKeys.new()
    server = start_server(workdir / "data", env={**keys.server_env(), "MODELPORT_EMBEDDED_S3": "0"})
    rps: dict[str, list[float]] = {"plain": [], "full": []}
    errors = 0
    try:
        session = boto3.Session(
            aws_access_key_id=keys.access_key, aws_secret_access_key=keys.secret_key, region_name="us-east-1"
        )
        sm = session.client("sagemaker", endpoint_url=server.url, config=Config(retries={"max_attempts": 1}))
        _deploy(sm, str(archive), workdir / "capture")
        signer = Signer(keys.access_key, keys.secret_key)
        for round_ in range(args.rounds):
            order = ["plain", "full"] if round_ % 2 == 0 else ["full", "plain"]
            for name in order:
                headers, _ = presign_batch(
                    signer, server.url, name, ROW, "text/csv", args.requests + 3 * args.concurrency
                )
                result = asyncio.run(
                    run_load(
                        label=name,
                        url=f"{server.url}/endpoints/{name}/invocations",
                        body=ROW,
                        headers=headers,
                        concurrency=args.concurrency,
                        count=args.requests,
                    )
                )
                errors += result.errors
                rps[name].append(result.rps)
                print(
                    f"round {round_ + 1} {name}: {result.rps:.0f} req/s, p50 {result.percentile_ms(50):.1f} ms"
                )
    finally:
        server.stop()
    captured = sum(len(path.read_text().splitlines()) for path in (workdir / "capture").rglob("*.jsonl"))
    plain, full = statistics.median(rps["plain"]), statistics.median(rps["full"])
    ratios = [f / p for p, f in zip(rps["plain"], rps["full"], strict=True)]
    ratio = statistics.median(ratios)
    print(
        f"median: plain {plain:.0f} req/s, two variants + capture 100 % {full:.0f} req/s; "
        f"median per-round ratio {ratio:.3f} (cost {(1 - ratio) * 100:.1f} %), ratios "
        f"{', '.join(f'{r:.2f}' for r in ratios)}; {errors} failed; {captured} capture records"
    )
    if args.json:
        args.json.write_text(json.dumps({"rps": rps, "errors": errors, "captured": captured}, indent=2))
    return 0


def _deploy(sm: Any, archive: str, capture: Path) -> None:
    sm.create_model(
        ModelName="bench", PrimaryContainer={"Image": seed.XGBOOST_IMAGE, "ModelDataUrl": archive}
    )

    def variant(name: str, count: int) -> dict[str, Any]:
        return {
            "VariantName": name,
            "ModelName": "bench",
            "InitialInstanceCount": count,
            "InstanceType": "ml.m5.large",
            "InitialVariantWeight": 1.0,
        }

    sm.create_endpoint_config(EndpointConfigName="plain", ProductionVariants=[variant("AllTraffic", 2)])
    sm.create_endpoint_config(
        EndpointConfigName="full",
        ProductionVariants=[variant("A", 1), variant("B", 1)],
        DataCaptureConfig={
            "EnableCapture": True,
            "InitialSamplingPercentage": 100,
            "DestinationS3Uri": f"file://{capture}",
            "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}],
            "CaptureContentTypeHeader": {"CsvContentTypes": ["text/csv"]},
        },
    )
    for name in ("plain", "full"):
        sm.create_endpoint(EndpointName=name, EndpointConfigName=name)
    for name in ("plain", "full"):
        sm.get_waiter("endpoint_in_service").wait(EndpointName=name, WaiterConfig={"Delay": 0.1})


if __name__ == "__main__":
    sys.exit(main())
