"""Adaptive batching on and off, side by side, on one core: ``python -m benchmarks.batching``.

Two servers, one with batching off (``MODELPORT_MAX_BATCH_SIZE=1``) and one with the defaults,
each serving the seed iris model on one instance. Every process of both servers (server,
workers, spares, the embedded S3) runs on CPU ``--server-cpu``: this program pins itself there
before it starts them, and they inherit it; then it moves itself to ``--load-cpu``, where wrk
runs. wrk replays one pre-signed ``InvokeEndpoint`` request (one CSV row, or ``--rows`` rows);
runs alternate between the two servers (which goes first alternates too), and the table shows
the median of ``--repeats`` runs.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
from pathlib import Path
from typing import Any

import httpx

from benchmarks import deploys, wrk
from benchmarks.signing import Signer
from modelport import seed
from modelport.launcher import PrivateKeys, ServerProcess, start_server

ROW = "5.1,3.3,1.7,0.5"
MODES = {"batching off": {"MODELPORT_MAX_BATCH_SIZE": "1"}, "batching on": {}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.batching", description=__doc__)
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--concurrency", default="1,64")
    parser.add_argument("--rows", type=int, default=1, help="CSV rows per request")
    parser.add_argument("--server-cpu", type=int, default=0)
    parser.add_argument("--load-cpu", type=int, default=1)
    args = parser.parse_args(argv)
    levels = [int(c) for c in args.concurrency.split(",")]
    body = "\n".join([ROW] * args.rows).encode()
    keys = PrivateKeys.new()
    with tempfile.TemporaryDirectory(prefix="modelport-batching-") as folder:
        workdir = Path(folder)
        archive = seed.package_model(seed.train_iris_model(), workdir / "model")
        os.sched_setaffinity(0, {args.server_cpu})
        servers: dict[str, ServerProcess] = {}
        try:
            for index, (mode, env) in enumerate(MODES.items()):
                servers[mode] = start_server(workdir / f"data{index}", env={**keys.server_env(), **env})
                sm = deploys.sagemaker_client(servers[mode].url, keys.access_key, keys.secret_key)
                deploys.create_model_and_config(sm, "bench", str(archive))
                deploys.deploy(sm, "bench", "bench")
            os.sched_setaffinity(0, {args.load_cpu})
            signer = Signer(keys.access_key, keys.secret_key)
            requests = {
                mode: (
                    f"{server.url}/endpoints/bench/invocations",
                    signer.invoke_headers(server.url, "bench", body, "text/csv"),
                )
                for mode, server in servers.items()
            }
            answers = {
                httpx.post(url, content=body, headers=headers).content for url, headers in requests.values()
            }
            assert len(answers) == 1, f"the servers answer differently: {answers}"
            results: dict[tuple[str, int], list[dict[str, Any]]] = {}
            for repeat in range(args.repeats):
                for concurrency in levels:
                    # Alternate which server goes first, so that neither always follows the other.
                    order = list(requests.items())[:: -1 if repeat % 2 else 1]
                    for mode, (url, headers) in order:
                        run = wrk.run(url, body, headers, concurrency=concurrency, seconds=args.seconds)
                        results.setdefault((mode, concurrency), []).append(run)
        finally:
            for server in servers.values():
                server.stop()
    print(
        f"{args.rows} row(s) per request; servers on CPU {args.server_cpu}, wrk on CPU {args.load_cpu}; "
        f"medians of {args.repeats} x {args.seconds} s"
    )
    print("| mode | c | req/s | p50 ms | p99 ms | errors |")
    print("|---|---|---|---|---|---|")
    for (mode, concurrency), runs in sorted(results.items(), key=lambda item: (item[0][1], item[0][0])):
        rps = statistics.median(r["rps"] for r in runs)
        p50 = statistics.median(r["p50_ms"] for r in runs)
        p99 = statistics.median(r["p99_ms"] for r in runs)
        errors = sum(r["errors"] for r in runs)
        print(f"| {mode} | {concurrency} | {rps:,.0f} | {p50:.2f} | {p99:.2f} | {errors} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
