"""Throughput cost of two production variants plus data capture at 100 %, against neither.

One server, two endpoints of the seed's iris model with the same two instances: ``plain`` has
one variant of 2 instances and no capture; ``full`` has two variants of 1 instance each (weights
1:1) and a ``DataCaptureConfig`` capturing Input and Output of every request (100 %) to a local
folder. Both are driven by the same async load generator (pre-signed SigV4 requests, one
keep-alive connection per client) in rounds that alternate which endpoint goes first, so a
machine shared with other jobs loads both alike; the median of the rounds' ratios is the cost
(the capture's files are written off the request path, within a second, so part of that work
falls on the next round, which is either endpoint's in turn). Throughput on a machine shared
with other jobs swings by tens of percent between rounds, so it also reports the CPU time the
server and its instances spent per request (``/proc``, read 1.5 s after each load so that the
capture's writes count in their own round), which contention changes much less. Starts
its own server: ``.venv/bin/python -m benchmarks.capture_cost --rounds 16``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from benchmarks.loadgen import WARMUP_PER_WORKER, run_load
from benchmarks.processes import children, cpu_ticks
from benchmarks.signing import Signer, presign_batch
from modelport import seed
from modelport.launcher import PrivateKeys, start_server

ROW = b"5.1,3.3,1.7,0.5"
TICKS_PER_S = os.sysconf("SC_CLK_TCK")
SETTLE_S = 1.5  # the capture writer flushes every second


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
    cpu_ms: dict[str, list[float]] = {"plain": [], "full": []}  # server + instances, per request
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
                sent = args.requests + WARMUP_PER_WORKER * args.concurrency
                headers, _ = presign_batch(signer, server.url, name, ROW, "text/csv", sent)
                ticks = _ticks(server.process.pid)
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
                time.sleep(SETTLE_S)  # the capture's last records are written: counted in this round
                cpu_ms[name].append((_ticks(server.process.pid) - ticks) * 1000 / TICKS_PER_S / sent)
                print(
                    f"round {round_ + 1} {name}: {result.rps:.0f} req/s, p50 {result.percentile_ms(50):.1f} ms, "
                    f"{cpu_ms[name][-1]:.2f} ms CPU a request"
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
    cpu_plain, cpu_full = statistics.median(cpu_ms["plain"]), statistics.median(cpu_ms["full"])
    print(
        f"CPU (server and instances) a request, median: plain {cpu_plain:.2f} ms, "
        f"two variants + capture {cpu_full:.2f} ms (+{(cpu_full / cpu_plain - 1) * 100:.1f} %)"
    )
    if args.json:
        args.json.write_text(
            json.dumps({"rps": rps, "cpu_ms": cpu_ms, "errors": errors, "captured": captured}, indent=2)
        )
    return 0


def _ticks(server_pid: int) -> int:
    """CPU time used so far by the server and its children (instances, spares), in clock ticks."""
    return sum(cpu_ticks(pid) or 0 for pid in [server_pid, *children(server_pid)])


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
