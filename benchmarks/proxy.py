"""The HTTPS proxy's added latency: the same boto3 call through the proxy and on the plain port.

Two boto3 clients with keep-alive, both signing with the root key: one with the server's URL, one
with AWS's host name (``https://sts.us-east-1.amazonaws.com``, ``runtime.sagemaker…``) and only
the proxy and the CA from ``server.json`` — what ``modelport env --transparent`` gives. Calls
alternate between the two so both see the same machine; the figure is the difference of the
p50s (target: at most 2 ms). It includes the client's TLS work, as a user pays it.

``python -m benchmarks.proxy`` starts its own server and times ``GetCallerIdentity`` (with
``--invoke``, also ``InvokeEndpoint`` on the seed model); the main benchmark
(``--proxy-requests``) times both on its loaded endpoint.
"""

from __future__ import annotations

import argparse
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

from benchmarks import deploys
from modelport import seed
from modelport.launcher import PrivateKeys, start_server

REGION = "us-east-1"
TARGET_MS = 2.0
WARMUP = 50


def _clients(service: str, url: str, data_dir: Path, keys: tuple[str, str], host: str) -> tuple[Any, Any]:
    record = json.loads((data_dir / "server.json").read_text())
    session = boto3.Session(aws_access_key_id=keys[0], aws_secret_access_key=keys[1], region_name=REGION)
    plain = session.client(service, endpoint_url=url, config=Config(retries={"max_attempts": 1}))
    proxied = session.client(
        service,
        endpoint_url=f"https://{host}",
        verify=record["ca_bundle"],
        config=Config(retries={"max_attempts": 1}, proxies={"https": record["proxy_url"]}),
    )
    return plain, proxied


def _time(calls: int, plain: Callable[[], object], proxied: Callable[[], object]) -> dict[str, float]:
    for _ in range(min(WARMUP, calls)):
        plain()
        proxied()
    direct: list[float] = []
    through: list[float] = []
    for _ in range(calls):
        for call, samples in ((plain, direct), (proxied, through)):
            started = time.perf_counter()
            call()
            samples.append((time.perf_counter() - started) * 1000)
    direct.sort()
    through.sort()
    p99 = max(0, int(calls * 0.99) - 1)
    return {
        "calls": calls,
        "plain_p50_ms": statistics.median(direct),
        "proxy_p50_ms": statistics.median(through),
        "added_p50_ms": statistics.median(through) - statistics.median(direct),
        "plain_p99_ms": direct[p99],
        "proxy_p99_ms": through[p99],
    }


def measure(
    url: str,
    data_dir: Path,
    keys: tuple[str, str],
    calls: int,
    endpoint: str | None = None,
    body: bytes = b"",
) -> dict[str, Any]:
    """The added latency per call, for GetCallerIdentity and (with ``endpoint``) InvokeEndpoint."""
    plain, proxied = _clients("sts", url, data_dir, keys, f"sts.{REGION}.amazonaws.com")
    result: dict[str, Any] = {
        "GetCallerIdentity": _time(calls, plain.get_caller_identity, proxied.get_caller_identity)
    }
    if endpoint is not None:
        plain, proxied = _clients(
            "sagemaker-runtime", url, data_dir, keys, f"runtime.sagemaker.{REGION}.amazonaws.com"
        )

        def invoke(client: Any) -> Callable[[], object]:
            return lambda: client.invoke_endpoint(EndpointName=endpoint, ContentType="text/csv", Body=body)[
                "Body"
            ].read()

        result["InvokeEndpoint"] = _time(calls, invoke(plain), invoke(proxied))
    return result


def render(result: dict[str, Any]) -> str:
    lines = [
        f"HTTPS proxy added latency (target p50 <= {TARGET_MS:g} ms over the plain port)",
        "",
        "| call | calls | plain p50 ms | proxy p50 ms | added p50 ms | plain p99 ms | proxy p99 ms |",
        "|---|---|---|---|---|---|---|",
    ]
    for call, row in result.items():
        lines.append(
            f"| {call} | {row['calls']} | {row['plain_p50_ms']:.2f} | {row['proxy_p50_ms']:.2f} | "
            f"{row['added_p50_ms']:.2f} | {row['plain_p99_ms']:.2f} | {row['proxy_p99_ms']:.2f} |"
        )
    return "\n".join(lines)


def passes(result: dict[str, Any]) -> bool:
    return all(row["added_p50_ms"] <= TARGET_MS for row in result.values())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.proxy", description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=2000, help="timed calls each way (default 2000)")
    parser.add_argument("--invoke", action="store_true", help="also InvokeEndpoint on the seed model")
    parser.add_argument("--workdir", type=Path, help="keep data here (default: a temporary folder)")
    args = parser.parse_args(argv)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="modelport-proxy-"))
    keys = PrivateKeys.new()
    env = {**keys.server_env(), "MODELPORT_EMBEDDED_S3": "0", "MODELPORT_PROXY_PORT": "0"}
    server = start_server(workdir / "data", env=env)
    try:
        endpoint = None
        if args.invoke:
            sm = deploys.sagemaker_client(server.url, keys.access_key, keys.secret_key)
            archive = seed.package_model(seed.train_iris_model(), workdir / "model")
            deploys.create_model_and_config(sm, "proxy-bench", str(archive))
            deploys.deploy(sm, "proxy-bench", "proxy-bench")
            endpoint = "proxy-bench"
        result = measure(
            server.url,
            server.data_dir,
            (keys.access_key, keys.secret_key),
            args.calls,
            endpoint=endpoint,
            body=seed.test_points()[0].encode() if endpoint else b"",
        )
    finally:
        server.stop()
    print(render(result))
    return 0 if passes(result) else 1


if __name__ == "__main__":
    sys.exit(main())
