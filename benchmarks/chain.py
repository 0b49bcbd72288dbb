"""The tutorial's serverless half under load: Lambda invokes, cold starts, and the full path.

- warm function invoke: signed ``Invoke`` calls of the tutorial's handler (which itself calls the
  endpoint), p50/p99 and req/s at concurrency 1;
- cold start: the time from a new execution environment to its first result — each round
  changes the function's configuration (which retires its environments) and times one invoke,
  after a pause that lets the spare environments refill (the target), and back to back;
- the handler's own Duration (its REPORT line): the part of the full path that is the
  function's boto3 call to the endpoint — from Invoke with ``LogType=Tail``, and from the
  function's log files for the very requests of each full-path run at c=1, so that the full
  path and the handler's part of it are measured in the same seconds;
- full path: a plain POST of ``{"data": ...}`` to the REST API's invoke URL (client → API →
  function → endpoint → back), at concurrency 1 and 16, beside the endpoint invoke alone; again
  with wrk when it is installed;
- the handler's call made outside modelport: the same ``invoke_endpoint`` through boto3 from the
  benchmark's own process, with its wall time and its client-side CPU per call.
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
import statistics
import time
from pathlib import Path
from typing import Any

import boto3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from benchmarks import wrk
from benchmarks.loadgen import percentile, run_load
from benchmarks.report import load_summary
from modelport import demo_chain

# Seconds between cold-start rounds, so that the spare environments have refilled.
SPARE_REFILL_S = 2.0
DURATION = re.compile(r"REPORT RequestId: \S+\s+Duration: ([0-9.]+) ms")


def measure_chain(
    server_url: str,
    access_key: str,
    secret_key: str,
    endpoint: str,
    row: str,
    *,
    requests: int,
    colds: int,
    wrk_seconds: int = 0,
    function_logs: Path | None = None,
) -> dict[str, Any]:
    """``function_logs`` is the server's ``logs/functions`` folder (for the same-run Durations)."""
    session = boto3.Session(
        aws_access_key_id=access_key, aws_secret_access_key=secret_key, region_name="us-east-1"
    )
    invoke_url = demo_chain.build_chain(session, server_url, endpoint)
    functions = session.client("lambda", endpoint_url=server_url)
    event = json.dumps({"data": row}).encode()
    doc: dict[str, Any] = {}

    function_url = f"{server_url}/2015-03-31/functions/{demo_chain.FUNCTION}/invocations"
    signed = [_signed_invoke(function_url, event, access_key, secret_key) for _ in range(requests + 3)]
    warm = asyncio.run(
        run_load(
            label="function", url=function_url, body=event, headers=signed, concurrency=1, count=requests
        )
    )
    doc["function_warm"] = load_summary(warm)

    doc["handler_duration_ms"] = _handler_duration_p50(functions, event, rounds=min(requests, 200))
    doc["boto3_direct"] = _boto3_direct(session, server_url, endpoint, row, calls=min(requests, 500))
    doc["cold_start_ms"] = _cold_starts(functions, endpoint, event, colds, pause_s=SPARE_REFILL_S)
    doc["cold_start_back_to_back_ms"] = _cold_starts(functions, endpoint, event, colds, pause_s=0.0)

    logs = _FunctionLogs(function_logs / demo_chain.FUNCTION) if function_logs else None
    doc["full_path"] = []
    for level in (1, 16):
        if logs:
            logs.mark()
        result = asyncio.run(
            run_load(
                label="api",
                url=invoke_url,
                body=event,
                headers=[{"Content-Type": "application/json"}],
                concurrency=level,
                count=requests,
            )
        )
        doc["full_path"].append(load_summary(result))
        if logs and level == 1:
            doc["full_path"][-1]["handler_duration_p50_ms"] = logs.duration_p50_since_mark()
    doc["wrk"] = []
    if wrk_seconds and wrk.available():
        for level in (1, 16):
            if logs:
                logs.mark()
            measured = wrk.run(
                invoke_url,
                event,
                {"Content-Type": "application/json"},
                concurrency=level,
                seconds=wrk_seconds,
            )
            if logs and level == 1:
                measured["handler_duration_p50_ms"] = logs.duration_p50_since_mark()
            doc["wrk"].append({"target": "api", "concurrency": level, **measured})
    demo_chain.tear_down(session, server_url)
    return doc


def _cold_starts(
    functions: Any, endpoint: str, event: bytes, rounds: int, *, pause_s: float
) -> dict[str, Any]:
    """Each round changes the configuration (retiring the environments) and times one Invoke.

    ``pause_s`` before each round lets the spare environments refill (the target's condition:
    a spare is ready); 0 measures rounds back to back, where a spare may still be starting.
    """
    times = []
    for round_ in range(rounds):
        functions.update_function_configuration(
            FunctionName=demo_chain.FUNCTION,
            Environment={"Variables": {"ENDPOINT_NAME": endpoint, "ROUND": f"{pause_s}-{round_}"}},
        )
        time.sleep(pause_s)
        started = time.perf_counter()
        functions.invoke(FunctionName=demo_chain.FUNCTION, Payload=event)["Payload"].read()
        times.append((time.perf_counter() - started) * 1000.0)
    return {"count": len(times), "p50": statistics.median(times) if times else 0.0, "pause_s": pause_s}


def _handler_duration_p50(functions: Any, event: bytes, *, rounds: int) -> float:
    """The function's own time per request (REPORT's Duration: its boto3 call to the endpoint)."""
    durations = []
    for _ in range(rounds):
        tail = functions.invoke(FunctionName=demo_chain.FUNCTION, Payload=event, LogType="Tail")["LogResult"]
        found = DURATION.search(base64.b64decode(tail).decode(errors="replace"))
        if found:
            durations.append(float(found.group(1)))
    return statistics.median(durations) if durations else 0.0


def _boto3_direct(session: Any, server_url: str, endpoint: str, row: str, *, calls: int) -> dict[str, Any]:
    """The tutorial handler's ``invoke_endpoint`` call, made from this process instead.

    Root credentials (the function's role trusts only Lambda); wall time per call and the
    client's own CPU per call (``time.process_time``), after 20 untimed calls.
    """
    runtime = session.client("runtime.sagemaker", endpoint_url=server_url)

    def call() -> None:
        runtime.invoke_endpoint(EndpointName=endpoint, ContentType="text/csv", Body=row)["Body"].read()

    for _ in range(20):
        call()
    times = []
    cpu_started = time.process_time()
    for _ in range(calls):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000.0)
    cpu_ms = (time.process_time() - cpu_started) * 1000.0 / max(calls, 1)
    return {
        "count": len(times),
        "p50_ms": percentile(times, 50),
        "p99_ms": percentile(times, 99),
        "client_cpu_ms": cpu_ms,
    }


class _FunctionLogs:
    """The REPORT Durations a function's environments log between ``mark`` and now."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._sizes: dict[Path, int] = {}

    def mark(self) -> None:
        self._sizes = {path: path.stat().st_size for path in self.folder.glob("*.log")}

    def duration_p50_since_mark(self) -> float | None:
        durations = []
        for path in self.folder.glob("*.log"):
            with open(path, "rb") as log:
                log.seek(self._sizes.get(path, 0))
                text = log.read().decode(errors="replace")
            durations += [float(found.group(1)) for found in DURATION.finditer(text)]
        return statistics.median(durations) if durations else None


def _signed_invoke(url: str, body: bytes, access_key: str, secret_key: str) -> dict[str, str]:
    request = AWSRequest(method="POST", url=url, data=body, headers={"Content-Type": "application/json"})
    SigV4Auth(Credentials(access_key, secret_key), "lambda", "us-east-1").add_auth(request)
    return {name: str(value) for name, value in request.headers.items()}
