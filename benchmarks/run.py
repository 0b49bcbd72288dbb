"""The benchmark's phases, in order, and its command line.

0. the wire layer in process: parse + serialize of three requests (``protocol_cost``);
1. train and package the seed iris model; time in-process predict (the floor);
2. server with the default warm pool: the seed notebooks end to end (``notebook.py``), then
   deploys (warm pool ready, then back-to-back);
3. one endpoint deployed for load; the FastAPI baseline started next to it; at each concurrency
   the three targets (modelport, its worker alone, FastAPI) run one after another, so a change
   in background load hits all three alike; then memory of every worker;
   then the HTTPS proxy's added latency (``proxy.py``: the same calls through it and direct);
4. a second server with ``MODELPORT_WARM_WORKERS_PER_RUNTIME=0``: cold deploys.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import importlib.metadata
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import httpx

from benchmarks import chain, deploys, notebook, processes, protocol_cost, proxy, report, wrk
from benchmarks.baseline import time_in_process
from benchmarks.loadgen import WARMUP_PER_WORKER, run_load
from benchmarks.signing import Signer, presign_batch
from modelport import seed
from modelport.launcher import PrivateKeys, ServerProcess, free_port, start_server

DEFAULT_ROW = "5.1,3.3,1.7,0.5"
RUNTIMES_IN_POOL = 1  # the supervisor warms xgboost at start; sklearn only once it is used
CONTENT_TYPE = "text/csv"
# The pause between requests of the paced wrk runs at c=1: about how long the endpoint sits idle
# between two requests of the serverless full path. Back to back, every process on the path
# stays awake; after a pause, this VM's idle cores wake slowly, and the full path always pays that.
PACED_PAUSE_MS = 5
TICKS = os.sysconf("SC_CLK_TCK")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bench.py", description=__doc__.split("\n")[0] if __doc__ else "")
    parser.add_argument("--deploys", type=int, default=10, help="deploys per warm mode (default 10)")
    parser.add_argument("--cold-deploys", type=int, default=10, help="deploys with the pool off; 0 skips")
    parser.add_argument(
        "--notebook-runs", type=int, default=3, help="passes of the seed notebooks end to end; 0 skips"
    )
    parser.add_argument("--requests-c1", type=int, default=2000, help="timed requests at concurrency 1")
    parser.add_argument("--requests", type=int, default=5000, help="timed requests at higher concurrency")
    parser.add_argument("--concurrency", default="1,16,64", help="comma-separated levels (must include 1)")
    parser.add_argument("--predict-calls", type=int, default=20000, help="in-process predict calls")
    parser.add_argument(
        "--protocol-calls",
        type=int,
        default=2000,
        help="wire-layer parse + serialize calls per repeat; 0 skips",
    )
    parser.add_argument("--row", default=DEFAULT_ROW, help="the CSV row sent in every request")
    parser.add_argument(
        "--wrk-seconds", type=int, default=8, help="seconds per wrk run, when wrk is installed; 0 skips"
    )
    parser.add_argument(
        "--chain-requests", type=int, default=1000, help="requests per serverless-chain phase; 0 skips"
    )
    parser.add_argument("--cold-starts", type=int, default=10, help="function cold starts to time")
    parser.add_argument(
        "--proxy-requests",
        type=int,
        default=1000,
        help="calls each way, through the HTTPS proxy and on the plain port; 0 skips",
    )
    parser.add_argument("--json", type=Path, help="also write every number to this file")
    parser.add_argument("--workdir", type=Path, help="keep data here (default: a temporary folder)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    levels = sorted({int(level) for level in args.concurrency.split(",")})
    if 1 not in levels:
        raise SystemExit("--concurrency must include 1")
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="modelport-bench-"))
    doc: dict[str, Any] = {
        "command": " ".join([Path(sys.argv[0]).name, *(argv if argv is not None else sys.argv[1:])]),
        "machine": {
            "nproc": os.cpu_count(),
            "load_start": processes.load_average(),
            "python": f"Python {platform.python_version()}",
            "packages": _versions(
                ("uvicorn", "httptools", "uvloop", "httpx", "httpcore", "sniffio", "xgboost-cpu")
            ),
        },
        "row": args.row,
    }
    say(f"workdir {workdir}; load average {doc['machine']['load_start']}")
    if args.protocol_calls:
        say("the wire layer in process: parse + serialize of three requests ...")
        doc["protocol_calls"] = args.protocol_calls
        doc["protocol_us"] = protocol_cost.measure(args.protocol_calls)

    say("training and packaging the seed iris model ...")
    archive = seed.package_model(seed.train_iris_model(), workdir / "model")
    model_file = workdir / "model" / "xgboost-model"
    in_process = time_in_process(model_file, args.row, args.predict_calls)
    doc["in_process"] = {"calls": args.predict_calls, **in_process}

    keys = PrivateKeys.new()
    access_key, secret_key = keys.access_key, keys.secret_key
    env = keys.server_env()
    warm_per_runtime = int(os.environ.get("MODELPORT_WARM_WORKERS_PER_RUNTIME", "2"))
    spares = warm_per_runtime * RUNTIMES_IN_POOL
    say("starting modelport (default warm pool) ...")
    server = start_server(workdir / "data", env=env)
    try:
        sm = deploys.sagemaker_client(server.url, access_key, secret_key)
        deploys.create_model_and_config(sm, "bench", str(archive))
        pool_wait = functools.partial(processes.wait_idle_workers, server.process.pid, spares)
        if args.notebook_runs:
            say(f"the seed notebooks end to end (train → delete), {args.notebook_runs} times ...")
            doc["notebook"] = notebook.measure(
                server.url, access_key, secret_key, workdir, args.notebook_runs, before_each=pool_wait
            )
            say(f"  p50 {doc['notebook']['p50_s']:.2f} s")
        pool_wait()
        say(f"{args.deploys} deploys, each after the warm pool is full again ...")
        warm = deploys.time_deploys(sm, "bench-deploy", "bench", args.deploys, before_each=pool_wait)
        say(f"{args.deploys} deploys back-to-back ...")
        pool_wait()
        back_to_back = deploys.time_deploys(sm, "bench-deploy", "bench", args.deploys)
        doc["deploys"] = {
            "warm": report.deploy_summary(warm),
            "back_to_back": report.deploy_summary(back_to_back),
        }
        say("deploying the endpoint under load ...")
        pool_wait()
        deploys.deploy(sm, "bench-load", "bench")
        pool_wait = functools.partial(processes.wait_idle_workers, server.process.pid, spares + 1)
        pool_wait()
        doc["loads"], doc["signing_us_per_request"], wrk_rows = _loads(
            server, "bench-load", Signer(access_key, secret_key), args, levels, model_file
        )
        doc["wrk"] = [row for row in wrk_rows if "pause_ms" not in row]
        doc["wrk_paced"] = [row for row in wrk_rows if "pause_ms" in row]
        doc["memory"] = _memory(server, "bench-load")
        if args.proxy_requests:
            say("the HTTPS proxy's added latency: GetCallerIdentity and InvokeEndpoint, proxy vs plain ...")
            doc["proxy"] = proxy.measure(
                server.url,
                server.data_dir,
                (access_key, secret_key),
                args.proxy_requests,
                endpoint="bench-load",
                body=args.row.encode(),
            )
        if args.chain_requests:
            say("the serverless chain: function invokes, cold starts, client → API → function → endpoint ...")
            doc["chain"] = chain.measure_chain(
                server.url,
                access_key,
                secret_key,
                "bench-load",
                args.row,
                requests=args.chain_requests,
                colds=args.cold_starts,
                wrk_seconds=args.wrk_seconds,
                function_logs=server.data_dir / "logs" / "functions",
            )
    finally:
        server.stop()

    if args.cold_deploys:
        say(f"{args.cold_deploys} cold deploys (MODELPORT_WARM_WORKERS_PER_RUNTIME=0) ...")
        cold_env = {**env, "MODELPORT_WARM_WORKERS_PER_RUNTIME": "0"}
        cold_server = start_server(workdir / "data-cold", env=cold_env)
        try:
            sm = deploys.sagemaker_client(cold_server.url, access_key, secret_key)
            deploys.create_model_and_config(sm, "bench", str(archive))
            cold = deploys.time_deploys(sm, "bench-deploy", "bench", args.cold_deploys)
            doc["deploys"]["cold"] = report.deploy_summary(cold)
        finally:
            cold_server.stop()

    doc["machine"]["load_end"] = processes.load_average()
    doc["targets"] = report.targets(doc)
    print(report.render(doc))
    if args.json:
        args.json.write_text(json.dumps(doc, indent=2) + "\n")
        say(f"wrote {args.json}")
    return 0


def _loads(
    server: ServerProcess,
    endpoint: str,
    signer: Signer,
    args: argparse.Namespace,
    levels: list[int],
    model_file: Path,
) -> tuple[list[dict[str, Any]], float, list[dict[str, Any]]]:
    body = args.row.encode()
    pid = processes.instance_pid(server.data_dir, endpoint, server.process.pid)
    worker_url = f"http://127.0.0.1:{processes.worker_port(server.log(), pid)}/invocations"
    modelport_url = f"{server.url}/endpoints/{endpoint}/invocations"
    fastapi = _start_fastapi(model_file)
    # CPU seconds per request of each process on the path: on 2 cores, with the load generator,
    # the front door and the worker all in Python, CPU per request is what bounds req/s.
    on_path = {
        "modelport": {"server": server.process.pid, "worker": pid},
        "worker": {"worker": pid},
        "fastapi": {"fastapi": fastapi[0].pid},
    }
    try:
        unsigned = [{"Content-Type": CONTENT_TYPE}]
        _check_same_answer(modelport_url, worker_url, fastapi[1], body, signer, server.url, endpoint)
        rows: list[dict[str, Any]] = []
        signing_s = 0.0
        for level in levels:
            count = args.requests_c1 if level == 1 else args.requests
            signed, signing_s = presign_batch(
                signer, server.url, endpoint, body, CONTENT_TYPE, count + 3 * level
            )
            for label, url, headers in (
                ("modelport", modelport_url, signed),
                ("worker", worker_url, unsigned),
                ("fastapi", fastapi[1], unsigned),
            ):
                say(f"  {label} c={level}: {count} requests ...")
                before = {name: processes.cpu_ticks(p) or 0 for name, p in on_path[label].items()}
                client_before = time.process_time()
                result = asyncio.run(
                    run_load(label=label, url=url, body=body, headers=headers, concurrency=level, count=count)
                )
                row = report.load_summary(result)
                done = result.requests + WARMUP_PER_WORKER * level  # warm-up used CPU too
                row["cpu_ms_per_request"] = {
                    name: ((processes.cpu_ticks(p) or 0) - before[name]) * 1000.0 / TICKS / done
                    for name, p in on_path[label].items()
                } | {"load generator": (time.process_time() - client_before) * 1000.0 / done}
                rows.append(row)
                say(
                    f"    p50 {result.percentile_ms(50):.3f} ms, p99 {result.percentile_ms(99):.3f} ms, "
                    f"{result.rps:.0f} req/s, {result.errors} errors (load {processes.load_average()})"
                )
        wrk_rows: list[dict[str, Any]] = []
        if args.wrk_seconds and wrk.available():
            one_signature = signer.invoke_headers(server.url, endpoint, body, CONTENT_TYPE)
            for level in levels:
                for label, url, replayed in (
                    ("modelport", modelport_url, one_signature),
                    ("worker", worker_url, unsigned[0]),
                    ("fastapi", fastapi[1], unsigned[0]),
                ):
                    say(f"  wrk {label} c={level}: {args.wrk_seconds} s ...")
                    measured = wrk.run(url, body, replayed, concurrency=level, seconds=args.wrk_seconds)
                    wrk_rows.append({"target": label, "concurrency": level, **measured})
                    if level == 1:
                        say(
                            f"  wrk {label} c=1, {PACED_PAUSE_MS} ms between requests: {args.wrk_seconds} s ..."
                        )
                        measured = wrk.run(
                            url,
                            body,
                            replayed,
                            concurrency=1,
                            seconds=args.wrk_seconds,
                            pause_ms=PACED_PAUSE_MS,
                        )
                        wrk_rows.append(
                            {"target": label, "concurrency": 1, "pause_ms": PACED_PAUSE_MS, **measured}
                        )
        elif args.wrk_seconds:
            say("  wrk is not installed (apt-get install wrk): skipping the C load generator runs")
    finally:
        fastapi[0].terminate()
        fastapi[0].wait(timeout=15)
    return rows, signing_s * 1e6, wrk_rows


_CHECKOUT = str(Path(__file__).resolve().parents[1])


def _start_fastapi(model_file: Path) -> tuple[subprocess.Popen[bytes], str]:
    process, base = start_app("benchmarks.fastapi_app", str(model_file))
    return process, f"{base}/invocations"


def start_app(module: str, *app_args: str) -> tuple[subprocess.Popen[bytes], str]:
    """``python -m module *app_args PORT`` on a free port, once its ``/ping`` answers; its base URL."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", module, *app_args, str(port)],
        # ``benchmarks`` is not installed: the checkout holding it goes on the child's path.
        env={**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": _CHECKOUT},
        stdin=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{module} exited with code {process.returncode}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/ping", timeout=0.5).status_code == 200:
                return process, f"http://127.0.0.1:{port}"
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"{module} did not answer within 60 s")


def _check_same_answer(
    modelport_url: str,
    worker_url: str,
    fastapi_url: str,
    body: bytes,
    signer: Signer,
    base: str,
    endpoint: str,
) -> None:
    """All three targets must return the same bytes, or the comparison means nothing."""
    signed = signer.invoke_headers(base, endpoint, body, CONTENT_TYPE)
    answers = {
        "modelport": httpx.post(modelport_url, content=body, headers=signed),
        "worker": httpx.post(worker_url, content=body, headers={"Content-Type": CONTENT_TYPE}),
        "fastapi": httpx.post(fastapi_url, content=body, headers={"Content-Type": CONTENT_TYPE}),
    }
    bodies = {name: (r.status_code, r.content) for name, r in answers.items()}
    if len(set(bodies.values())) != 1:
        raise RuntimeError(f"the targets disagree: {bodies}")
    say(f"  all three answer {bodies['modelport'][1]!r}")


def _memory(server: ServerProcess, endpoint: str) -> dict[str, Any]:
    pid = processes.instance_pid(server.data_dir, endpoint, server.process.pid)
    spares = [p for p in processes.children(server.process.pid) if processes.is_worker(p) and p != pid]
    return {
        "instances": [asdict(processes.memory(pid))],
        "server": asdict(processes.memory(server.process.pid)),
        "spares": [asdict(processes.memory(p)) for p in sorted(spares)],
    }


def _versions(names: tuple[str, ...]) -> dict[str, str]:
    """Versions of what shapes the numbers (uvicorn picks httptools when installed; httpcore
    tries ``import sniffio`` on every request and pays for a failed import when it is absent)."""
    found = {}
    for name in names:
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
