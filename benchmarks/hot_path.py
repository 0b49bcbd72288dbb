"""Two pieces of the invocation path, each measured on its own.

- ``worker``: the seed's iris model answering one CSV row in process, best of 5 rounds on
  CPU 0: ``WorkerApp.answer`` (what the worker does per framed request), the proxy
  predictor's ``predict`` (``sandboxes/runtimes/xgboost_inplace.py``) and XGBoost's own
  ``inplace_predict`` for the same row.
- ``one-write``: the raw-ASGI floor app on uvicorn's httptools protocol against the same app on
  the front door's ``OneWriteHttpTools`` (``http/one_write.py``: a response's head and body in
  one write). Both servers pinned to CPU 0, wrk on CPU 1, runs interleaved; req/s, p50 and the
  server's CPU time per request (``/proc``) at c=1 and c=64, medians of the repetitions.

``.venv/bin/python -m benchmarks.hot_path [--reps 6] [--seconds 2] [worker] [one-write]``
(both by default). Needs ``wrk`` for ``one-write``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tarfile
import tempfile
import timeit
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks import processes, wrk
from benchmarks.run import DEFAULT_ROW, TICKS, start_app
from modelport import seed


def best_us(call: Callable[[], object], number: int = 5000) -> float:
    """Microseconds per call, best of 5 rounds of ``number`` calls."""
    return min(timeit.repeat(call, number=number, repeat=5)) / number * 1e6


def worker() -> None:
    os.environ.setdefault("OMP_NUM_THREADS", "1")  # as the worker sets it
    import numpy as np

    from modelport.sandboxes.runtimes import load_runtime
    from modelport.sandboxes.runtimes.xgboost_inplace import ProxyPredictor
    from modelport.sandboxes.worker.app import WorkerApp
    from modelport.sandboxes.worker.framing import FramedRequest

    work = Path(tempfile.mkdtemp(prefix="modelport-hot-path-"))
    archive = seed.package_model(seed.train_iris_model(), work / "model")
    model_dir = work / "unpacked"
    with tarfile.open(archive) as tar:
        tar.extractall(model_dir, filter="data")
    runtime = load_runtime("xgboost", "1.7-1", {}, model_dir)
    runtime.load(model_dir)
    app = WorkerApp(runtime, None)
    request = FramedRequest(DEFAULT_ROW.encode(), "text/csv", None, None)
    booster: Any = runtime.boosters[0]  # type: ignore[attr-defined]
    row = np.array([[float(v) for v in DEFAULT_ROW.split(",")]])
    predictor = ProxyPredictor(booster, (0, 0))
    print(f"WorkerApp.answer, one CSV row:        {best_us(lambda: app.answer(request)):6.1f} µs")
    print(f"ProxyPredictor.predict, one row:      {best_us(lambda: predictor.predict(row)):6.1f} µs")
    inplace = best_us(lambda: booster.inplace_predict(row, validate_features=False))
    print(f"Booster.inplace_predict, one row:     {inplace:6.1f} µs")


def one_write(reps: int, seconds: int) -> None:
    servers = {
        "httptools": start_app("benchmarks.floor_app"),
        "one-write": start_app("benchmarks.floor_app", "one-write"),
    }
    for process, _ in servers.values():
        os.sched_setaffinity(process.pid, {0})
    try:
        for concurrency in (1, 64):
            results: dict[str, list[tuple[float, float, float, int]]] = {}
            for rep in range(reps):
                order = list(servers) if rep % 2 == 0 else list(reversed(servers))
                for label in order:
                    process, url = servers[label]
                    before = processes.cpu_ticks(process.pid) or 0
                    found = wrk.run(
                        f"{url}/", b"x", {"Content-Type": "text/csv"}, concurrency=concurrency,
                        seconds=seconds, cpu=1, threads=1, timeout_s=10,
                    )  # fmt: skip
                    spent = (processes.cpu_ticks(process.pid) or 0) - before
                    requests = max(found["requests"], 1)
                    cpu_us = spent / TICKS * 1e6 / requests
                    row = (found["requests"] / seconds, found["p50_ms"], cpu_us, found["errors"])
                    results.setdefault(label, []).append(row)
            for label, rows in results.items():
                print(
                    f"c={concurrency:<3} {label:10s} req/s {statistics.median(r[0] for r in rows):8,.0f}"
                    f"  p50 {statistics.median(r[1] for r in rows):5.2f} ms"
                    f"  server CPU {statistics.median(r[2] for r in rows):5.1f} µs/request"
                    f"  errors {sum(r[3] for r in rows)}"
                )
    finally:
        for process, _ in servers.values():
            process.terminate()
            process.wait(10)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.hot_path", description=__doc__.split("\n")[0])
    parser.add_argument("parts", nargs="*", choices=["worker", "one-write"], default=[])
    parser.add_argument("--reps", type=int, default=6, help="repetitions per point (default 6)")
    parser.add_argument("--seconds", type=int, default=2, help="seconds per wrk run (default 2)")
    args = parser.parse_args(argv)
    parts = args.parts or ["worker", "one-write"]
    os.sched_setaffinity(0, {0})
    if "worker" in parts:
        worker()
    if "one-write" in parts:
        one_write(args.reps, args.seconds)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
