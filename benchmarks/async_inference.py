"""Asynchronous inference: how soon an answer is in S3, and requests per second through the queue,
beside InvokeEndpoint in the same run.

One server with its embedded S3 (SeaweedFS) and the seed's model, behind an asynchronous endpoint
(one instance, the default 4 requests at a time) and a real-time one. Measured:

- ``answer in S3``: ``--latency`` requests one after the other, each timed from the
  ``InvokeEndpointAsync`` call until a ``HeadObject`` of its output location succeeds (polled
  every 10 ms after the call answers); and how many were there at the first poll;
- ``queue throughput``: ``--burst`` requests sent as fast as ``--clients`` boto3 clients (threads)
  can, timed until every answer is in S3 (listed every 50 ms);
- ``invoke_endpoint loop``: the same row sent ``--burst`` times to the real-time endpoint, one
  call after the other: what the caller would do without the queue.

Every answer is checked against the real-time endpoint's. ``python -m benchmarks.async_inference``
starts its own server; nothing of it runs in CI.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from benchmarks import deploys
from benchmarks.run import DEFAULT_ROW, say
from benchmarks.transform import create_bucket, s3_client
from modelport import seed
from modelport.launcher import PrivateKeys, start_server

BUCKET = "async-bench"
POLL_S = 0.010


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.async_inference", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--latency", type=int, default=100, help="requests timed one by one (default 100)")
    parser.add_argument("--burst", type=int, default=1000, help="requests sent at once (default 1000)")
    parser.add_argument("--clients", type=int, default=4, help="threads sending the burst (default 4)")
    parser.add_argument(
        "--settle",
        type=float,
        default=None,
        help="the server's MODELPORT_ASYNC_SETTLE_TIMEOUT_S (default: the server's, 2 s; 0 answers at once)",
    )
    parser.add_argument("--json", type=Path, help="also write every number to this file")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="modelport-async-"))
    archive = seed.package_model(seed.train_iris_model(), workdir / "model")
    keys = PrivateKeys.new()
    env = keys.server_env()
    if args.settle is not None:
        env["MODELPORT_ASYNC_SETTLE_TIMEOUT_S"] = str(args.settle)
    server = start_server(workdir / "data", env=env)
    try:
        record = json.loads((workdir / "data" / "server.json").read_text())
        s3 = s3_client(record["s3_endpoint_url"], keys)
        sm = deploys.sagemaker_client(server.url, keys.access_key, keys.secret_key)
        runtime = deploys.runtime_client(server.url, keys.access_key, keys.secret_key)
        create_bucket(s3, BUCKET)
        s3.put_object(Bucket=BUCKET, Key="in/row.csv", Body=DEFAULT_ROW)
        deploys.create_model_and_config(sm, "bench", str(archive))
        deploys.deploy(sm, "realtime", "bench")
        _deploy_async(sm)
        expected = runtime.invoke_endpoint(EndpointName="realtime", ContentType="text/csv", Body=DEFAULT_ROW)
        answer = expected["Body"].read()
        say(f"  answer in S3, {args.latency} requests one by one ...")
        latency = _latency(runtime, s3, args.latency, answer)
        say(f"  queue throughput, {args.burst} requests at once ...")
        burst = _burst(server.url, keys, s3, args.burst, args.clients, answer)
        say(f"  invoke_endpoint loop, {args.burst} requests ...")
        loop = _loop(runtime, args.burst)
    finally:
        server.stop()
    results = {"latency": latency, "burst": burst, "loop": loop}
    print(render(results))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0


def _deploy_async(sm: Any) -> None:
    """An asynchronous endpoint on the model "bench" (made with the real-time one)."""
    sm.create_endpoint_config(
        EndpointConfigName="async",
        ProductionVariants=[
            {
                "VariantName": "AllTraffic",
                "ModelName": "bench",
                "InitialInstanceCount": 1,
                "InstanceType": "ml.m5.large",
            }
        ],
        AsyncInferenceConfig={"OutputConfig": {"S3OutputPath": f"s3://{BUCKET}/out"}},
    )
    deploys.deploy(sm, "async", "async")


def _send(runtime: Any) -> str:
    response = runtime.invoke_endpoint_async(
        EndpointName="async", InputLocation=f"s3://{BUCKET}/in/row.csv", ContentType="text/csv"
    )
    return str(response["OutputLocation"]).removeprefix(f"s3://{BUCKET}/")


def _latency(runtime: Any, s3: Any, count: int, answer: bytes) -> dict[str, Any]:
    times, first_poll = [], 0
    for _ in range(count):
        began = time.perf_counter()
        key = _send(runtime)
        polls = 0
        while True:
            polls += 1
            try:
                s3.head_object(Bucket=BUCKET, Key=key)
                break
            except ClientError:
                time.sleep(POLL_S)
        times.append(time.perf_counter() - began)
        first_poll += polls == 1
        if s3.get_object(Bucket=BUCKET, Key=key)["Body"].read() != answer:
            raise SystemExit(f"{key} differs from the real-time endpoint's answer")
    times.sort()
    return {
        "requests": count,
        "p50_ms": statistics.median(times) * 1000,
        "p90_ms": times[int(len(times) * 0.9)] * 1000,
        "at_first_poll": first_poll,
    }


def _burst(
    url: str, server_keys: PrivateKeys, s3: Any, count: int, clients: int, answer: bytes
) -> dict[str, Any]:
    runtimes = [
        deploys.runtime_client(url, server_keys.access_key, server_keys.secret_key) for _ in range(clients)
    ]
    began = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        shares = pool.map(lambda runtime: [_send(runtime) for _ in range(count // clients)], runtimes)
        keys = {key for share in shares for key in share}
    count = len(keys)
    sent = time.perf_counter() - began
    while True:
        listed = {
            item["Key"]
            for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix="out/")
            for item in page.get("Contents", [])
        }
        if keys <= listed:
            break
        time.sleep(0.05)
    seconds = time.perf_counter() - began
    sample = sorted(keys)[0]
    if s3.get_object(Bucket=BUCKET, Key=sample)["Body"].read() != answer:
        raise SystemExit(f"{sample} differs from the real-time endpoint's answer")
    return {
        "requests": count,
        "clients": clients,
        "sending_s": sent,
        "seconds": seconds,
        "per_s": count / seconds,
    }


def _loop(runtime: Any, count: int) -> dict[str, Any]:
    began = time.perf_counter()
    for _ in range(count):
        runtime.invoke_endpoint(EndpointName="realtime", ContentType="text/csv", Body=DEFAULT_ROW)[
            "Body"
        ].read()
    seconds = time.perf_counter() - began
    return {"requests": count, "seconds": seconds, "per_s": count / seconds}


def render(results: dict[str, Any]) -> str:
    latency, burst, loop = results["latency"], results["burst"], results["loop"]
    return "\n".join(
        [
            "| measure | value |",
            "|---|---:|",
            f"| answer in S3 after InvokeEndpointAsync, p50 | {latency['p50_ms']:.1f} ms |",
            f"| answer in S3 after InvokeEndpointAsync, p90 | {latency['p90_ms']:.1f} ms |",
            f"| answers there at the first poll | {latency['at_first_poll']} of {latency['requests']} |",
            f"| queue: {burst['requests']} requests sent ({burst['clients']} clients) | {burst['sending_s']:.2f} s |",
            f"| queue: all {burst['requests']} answers in S3 | {burst['seconds']:.2f} s ({burst['per_s']:.0f} requests/s) |",
            f"| invoke_endpoint loop, {loop['requests']} requests | {loop['seconds']:.2f} s ({loop['per_s']:.0f} requests/s) |",
            f"| queue throughput vs the loop | {burst['per_s'] / loop['per_s']:.2f}× |",
        ]
    )


if __name__ == "__main__":
    sys.exit(main())
