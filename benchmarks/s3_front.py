"""The S3 front's added latency and throughput: the same boto3 calls through the front and straight
to the embedded S3 (SeaweedFS).

Two boto3 clients with keep-alive, both signing with the root key (the only key SeaweedFS knows):
one with the S3 front's URL, one with SeaweedFS's, both from ``server.json``. Calls alternate
between the two so both see the same machine. Figures: the p50 of a small ``GetObject`` and
``PutObject`` each way, and the time to upload and download one large object (``--mib``).

``python -m benchmarks.s3_front`` starts its own server with the embedded S3.
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from modelport.launcher import PrivateKeys, start_server

REGION = "us-east-1"
WARMUP = 20


def _client(url: str, keys: tuple[str, str]) -> Any:
    session = boto3.Session(aws_access_key_id=keys[0], aws_secret_access_key=keys[1], region_name=REGION)
    return session.client(
        "s3", endpoint_url=url, config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1})
    )


def _wait(client: Any) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            client.list_buckets()
            return
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def _p50s(calls: int, direct: Callable[[], object], front: Callable[[], object]) -> dict[str, float]:
    for _ in range(min(WARMUP, calls)):
        direct()
        front()
    samples: dict[str, list[float]] = {"direct": [], "front": []}
    for _ in range(calls):
        for name, call in (("direct", direct), ("front", front)):
            started = time.perf_counter()
            call()
            samples[name].append((time.perf_counter() - started) * 1000)
    d, f = statistics.median(samples["direct"]), statistics.median(samples["front"])
    return {"calls": calls, "direct_ms": d, "front_ms": f, "added_ms": f - d}


def _large(client: Any, bucket: str, data: bytes) -> tuple[float, float]:
    started = time.perf_counter()
    client.upload_fileobj(io.BytesIO(data), bucket, "large")
    uploaded = time.perf_counter() - started
    out = io.BytesIO()
    started = time.perf_counter()
    client.download_fileobj(bucket, "large", out)
    downloaded = time.perf_counter() - started
    assert out.getvalue() == data
    return uploaded, downloaded


def measure(data_dir: Path, keys: tuple[str, str], calls: int, mib: int) -> dict[str, Any]:
    record = json.loads((data_dir / "server.json").read_text())
    direct, front = _client(record["s3_endpoint_url"], keys), _client(record["s3_front_url"], keys)
    _wait(direct)
    _wait(front)
    direct.create_bucket(Bucket="bench")
    direct.put_object(Bucket="bench", Key="small", Body=b"x" * 1024)
    result: dict[str, Any] = {
        "GetObject 1 KiB": _p50s(
            calls,
            lambda: direct.get_object(Bucket="bench", Key="small")["Body"].read(),
            lambda: front.get_object(Bucket="bench", Key="small")["Body"].read(),
        ),
        "PutObject 1 KiB": _p50s(
            calls,
            lambda: direct.put_object(Bucket="bench", Key="p", Body=b"y" * 1024),
            lambda: front.put_object(Bucket="bench", Key="p", Body=b"y" * 1024),
        ),
    }
    data = bytes(range(256)) * (4096 * mib)
    result["large"] = {
        "mib": mib,
        "direct": _large(direct, "bench", data),
        "front": _large(front, "bench", data),
    }
    return result


def render(result: dict[str, Any]) -> str:
    lines = [
        "S3 front vs the embedded S3 directly (root key, keep-alive)",
        "",
        "| call | calls | direct p50 ms | front p50 ms | added p50 ms |",
        "|---|---|---|---|---|",
    ]
    for call in ("GetObject 1 KiB", "PutObject 1 KiB"):
        row = result[call]
        lines.append(
            f"| {call} | {row['calls']} | {row['direct_ms']:.2f} | {row['front_ms']:.2f} | {row['added_ms']:.2f} |"
        )
    large = result["large"]
    lines += [
        "",
        f"| {large['mib']} MiB object | upload s | download s |",
        "|---|---|---|",
        f"| direct | {large['direct'][0]:.2f} | {large['direct'][1]:.2f} |",
        f"| front | {large['front'][0]:.2f} | {large['front'][1]:.2f} |",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.s3_front", description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=300, help="timed small calls each way (default 300)")
    parser.add_argument("--mib", type=int, default=64, help="size of the large object (default 64 MiB)")
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="modelport-s3-front-"))
    keys = PrivateKeys.new()
    env = {**keys.server_env(), "MODELPORT_EMBEDDED_S3_PORT": "0", "MODELPORT_PROXY": "0"}
    env |= {"MODELPORT_S3_FRONT": "1", "MODELPORT_S3_FRONT_PORT": "0"}
    server = start_server(workdir / "data", env=env)
    try:
        result = measure(server.data_dir, (keys.access_key, keys.secret_key), args.calls, args.mib)
    finally:
        server.stop()
    print(render(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
