"""Side by side on one core: modelport, FastAPI and the raw-ASGI floor, with wrk on the other.

``python -m benchmarks.pinned`` (``--help`` for the flags). This process pins itself to CPU 0
before it starts anything, so every system's whole process tree (modelport's server, its
workers, its function environments; the FastAPI apps; the floor) runs on CPU 0, while wrk runs
on CPU 1 (``taskset``). The run checks the affinity of every process it started before it
measures. Systems:

- ``floor``: a raw ASGI app on uvicorn answering fixed bytes, no model (``floor_app.py``);
- ``fastapi``: FastAPI + uvicorn with the same model in process (``fastapi_app.py``);
- ``modelport``: the full path — SigV4, the front door, the router, the worker process;
- ``modelport@base`` (with ``--baseline-src DIR``): the same, from another copy of the source
  (``git archive main | tar -x -C DIR``), to measure a change against its base in one run.

Every system gets the same request bytes; modelport's carry one SigV4 signature, made just
before each wrk run (AWS and modelport accept a signature for 15 minutes) and replayed by wrk's
Lua script. Points: one CSV row at c=1 and at c=64, and 64 rows per request at c=64 (rows/s).
Each repetition runs every point of every system once, the systems in a rotating order, so a
change in the machine's background load hits all of them alike; the table shows medians over
the repetitions, errors (non-2xx and socket errors) summed, and ratios within the run.
Beside each run it reads the CPU time that the system's processes used (``/proc/<pid>/stat``) and
prints it per answered request: on one core, that is what decides throughput.

``--chain`` adds the serverless chain at c=1 and c=16 — wrk → REST API → function → endpoint, beside a FastAPI
front app calling the FastAPI model server over HTTP (``fastapi_chain.py``) — and modelport's
own share at c=1: the full path's p50 minus the p50 of the handler's ``Duration`` over the same
requests (read from the function's log files).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import boto3
import httpx

from benchmarks import baseline, chain, deploys, processes, wrk
from benchmarks.run import CONTENT_TYPE, DEFAULT_ROW, TICKS, say, start_app
from benchmarks.signing import Signer
from modelport import demo_chain, seed
from modelport.launcher import PrivateKeys, start_server

SERVER_CPU, LOAD_CPU = 0, 1
ENDPOINT = "pinned"
# (label, concurrency, rows per request)
POINTS = (("c=1", 1, 1), ("c=64", 64, 1), ("c=64 x64 rows", 64, 64))
CHAIN_POINTS = (("chain c=1", 1), ("chain c=16", 16))
SYSTEMS = ("floor", "fastapi", "modelport")
# wrk counts a request unanswered after this long as an error (its default, 2 s, is shorter than
# a p99 at c=64 on one busy shared core; a request that slow is still an answer, not a failure).
WRK_TIMEOUT_S = 10
RSS_TARGET_MIB = 100  # issue 14: resident memory per instance
IN_PROCESS_CALLS = 5000


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.pinned", description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=8, help="seconds per wrk run (default 8)")
    parser.add_argument("--reps", type=int, default=3, help="repetitions of every point (default 3)")
    parser.add_argument("--row", default=DEFAULT_ROW, help="the CSV row (repeated for the 64-row point)")
    parser.add_argument(
        "--chain", action="store_true", help="also the serverless chain beside FastAPI → FastAPI"
    )
    parser.add_argument(
        "--baseline-src",
        type=Path,
        help="also run modelport from this source tree (its src/ goes first on PYTHONPATH), as modelport@base",
    )
    parser.add_argument(
        "--points",
        help="only these points, comma-separated labels (e.g. 'c=1,chain c=1'; default: all of "
        + ", ".join([label for label, _, _ in POINTS] + [label for label, _ in CHAIN_POINTS])
        + ")",
    )
    parser.add_argument("--json", type=Path, help="also write every number to this file")
    parser.add_argument("--workdir", type=Path, help="keep data here (default: a temporary folder)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if len(os.sched_getaffinity(0)) < 2 or not wrk.available():
        raise SystemExit("the pinned run needs 2 CPUs and wrk (apt-get install wrk)")
    os.sched_setaffinity(0, {SERVER_CPU})  # inherited by every process started from here on
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="modelport-pinned-"))
    doc: dict[str, Any] = {
        "command": " ".join(["python -m benchmarks.pinned", *(argv if argv is not None else sys.argv[1:])]),
        "load_start": processes.load_average(),
    }
    say(f"workdir {workdir}; load average {doc['load_start']}")
    archive = seed.package_model(seed.train_iris_model(), workdir / "model")
    model_file = workdir / "model" / "xgboost-model"
    # The floor for "added latency": the model's own predict, in this process (on CPU 0).
    doc["in_process"] = baseline.time_in_process(model_file, args.row, IN_PROCESS_CALLS)
    keys = PrivateKeys.new()
    signer = Signer(keys.access_key, keys.secret_key)
    # The chain runs at c=16, the default MODELPORT_MAX_FUNCTION_CONCURRENCY (past it Lambda throttles,
    # as AWS does). At c=64, 64 environments start their interpreters on the one pinned core: tried,
    # and it starved every other system of the run for minutes.
    env = keys.server_env()
    server = start_server(workdir / "data", env=env)
    servers = [server]
    started: list[subprocess.Popen[bytes]] = []
    try:
        base_url = None
        if args.baseline_src:
            src = str(args.baseline_src.resolve() / "src")
            base = start_server(workdir / "data-base", env={**env, "PYTHONPATH": src})
            servers.append(base)
            sm_base = deploys.sagemaker_client(base.url, keys.access_key, keys.secret_key)
            deploys.create_model_and_config(sm_base, "bench", str(archive))
            deploys.deploy(sm_base, ENDPOINT, "bench")
            base_url = base.url
        sm = deploys.sagemaker_client(server.url, keys.access_key, keys.secret_key)
        deploys.create_model_and_config(sm, "bench", str(archive))
        deploys.deploy(sm, ENDPOINT, "bench")
        fastapi, fastapi_base = start_app("benchmarks.fastapi_app", str(model_file))
        fastapi_url = f"{fastapi_base}/invocations"
        floor, floor_url = start_app("benchmarks.floor_app")
        started += [fastapi, floor]
        urls = {
            "floor": floor_url,
            "fastapi": fastapi_url,
            "modelport": f"{server.url}/endpoints/{ENDPOINT}/invocations",
        }

        if base_url:
            urls["modelport@base"] = f"{base_url}/endpoints/{ENDPOINT}/invocations"

        def headers(system: str, body: bytes) -> dict[str, str]:
            if system.startswith("modelport"):
                host = base_url if system == "modelport@base" and base_url else server.url
                return signer.invoke_headers(host, ENDPOINT, body, CONTENT_TYPE)
            return {"Content-Type": CONTENT_TYPE}

        bodies = {rows: "\n".join([args.row] * rows).encode() for _, _, rows in POINTS}
        for body in bodies.values():
            same_answer(urls, body, headers)
        chain_urls: dict[str, str] = {}
        if args.chain:
            session = boto3.Session(
                aws_access_key_id=keys.access_key,
                aws_secret_access_key=keys.secret_key,
                region_name="us-east-1",
            )
            chain_urls["modelport"] = demo_chain.build_chain(session, server.url, ENDPOINT)
            if base_url:  # the base's chain too, so its own share is measured in the same run
                chain_urls["modelport@base"] = demo_chain.build_chain(session, base_url, ENDPOINT)
            front, front_url = start_app("benchmarks.fastapi_chain", fastapi_url)
            started.append(front)
            chain_urls["fastapi"] = f"{front_url}/irisprediction"
            event = json.dumps({"data": args.row}).encode()
            for url in chain_urls.values():
                answer = httpx.post(
                    url, content=event, headers={"Content-Type": "application/json"}, timeout=30
                )
                answer.raise_for_status()
        doc["pinning"] = check_pinned([*(one.process.pid for one in servers), *(p.pid for p in started)])
        roots = {"floor": [floor.pid], "fastapi": [fastapi.pid], "modelport": [server.process.pid]}
        if base_url:
            roots["modelport@base"] = [servers[1].process.pid]
        runs = measure(urls, bodies, headers, args, roots)
        if chain_urls:
            data_dirs = {
                label: one.data_dir
                for label, one in zip(("modelport", "modelport@base"), servers, strict=False)
            }
            # FastAPI → FastAPI: the front app and the model server it calls, as one system.
            chain_roots = {**roots, "fastapi": [front.pid, fastapi.pid]}
            runs += measure_chain(
                chain_urls, json.dumps({"data": args.row}).encode(), args, data_dirs, chain_roots
            )
        doc["runs"] = runs
        doc["memory"] = memory(servers, started)
    finally:
        for process in reversed(started):  # the chain's front app before the model server it calls
            process.terminate()
            process.wait(timeout=15)
        for one in servers:
            one.stop()
    doc["load_end"] = processes.load_average()
    doc["summary"] = summarize(doc["runs"])
    print(render(doc))
    if args.json:
        args.json.write_text(json.dumps(doc, indent=2) + "\n")
    return 0


def memory(servers: list[Any], apps: list[subprocess.Popen[bytes]]) -> dict[str, dict[str, float | None]]:
    """After the loads: VmRSS and Pss (MiB) of each modelport's instance serving the endpoint and
    of its server process, and of the FastAPI model server (``apps[0]``), whose one process holds
    the model as an instance does."""
    found: dict[str, dict[str, float | None]] = {}
    for label, one in zip(("modelport", "modelport@base"), servers, strict=False):
        pid = processes.instance_pid(one.data_dir, ENDPOINT, one.process.pid)
        for part, measured in (
            ("instance", processes.memory(pid)),
            ("server", processes.memory(one.process.pid)),
        ):
            found[f"{label} {part}"] = {"rss_mib": measured.rss_mb, "pss_mib": measured.pss_mb}
    fastapi = processes.memory(apps[0].pid)
    found["fastapi (model in process)"] = {"rss_mib": fastapi.rss_mb, "pss_mib": fastapi.pss_mb}
    return found


def same_answer(urls: dict[str, str], body: bytes, headers: Any) -> None:
    """Every system with the model must answer the same bytes, or the comparison means nothing."""
    answers = {
        system: httpx.post(url, content=body, headers=headers(system, body), timeout=30)
        for system, url in urls.items()
        if system != "floor"
    }
    found = {system: (a.status_code, a.content) for system, a in answers.items()}
    if len(set(found.values())) != 1 or found["modelport"][0] != 200:
        raise RuntimeError(f"the systems disagree: {found}")


def check_pinned(roots: list[int]) -> dict[str, Any]:
    """Every process under ``roots`` may run on CPU 0 only; refuse to measure otherwise."""
    tree = list(roots)
    for pid in roots:
        tree += descendants(pid)
    allowed = {}
    for pid in tree:
        try:
            allowed[pid] = sorted(os.sched_getaffinity(pid))
        except OSError:
            continue  # exited meanwhile
    wrong = {pid: cpus for pid, cpus in allowed.items() if cpus != [SERVER_CPU]}
    if wrong:
        raise RuntimeError(f"processes not pinned to CPU {SERVER_CPU}: {wrong}")
    return {"processes": len(allowed), "cpu": SERVER_CPU, "load_generator_cpu": LOAD_CPU}


def descendants(pid: int) -> list[int]:
    found = []
    for child in processes.children(pid):
        found += [child, *descendants(child)]
    return found


def ticks_by_part(roots: list[int]) -> dict[str, dict[int, int]]:
    """CPU ticks (user + system) so far of each root process ("server") and of each of their
    descendants ("children": workers, function environments), read from /proc."""
    found: dict[str, dict[int, int]] = {"server": {}, "children": {}}
    for root in roots:
        for part, pids in (("server", [root]), ("children", descendants(root))):
            for pid in pids:
                ticks = processes.cpu_ticks(pid)
                if ticks is not None:
                    found[part][pid] = ticks
    return found


def cpu_per_request(
    before: dict[str, dict[int, int]], after: dict[str, dict[int, int]], measured: dict[str, Any]
) -> dict[str, float]:
    """µs of CPU per answered request, by part, over one wrk run. Only processes alive at both
    reads count (a worker replaced meanwhile is missed); the clock tick (10 ms) over thousands of
    requests makes the resolution a few µs."""
    requests = measured.get("requests", 0)
    if not requests:
        return {}
    per_tick_us = 1e6 / TICKS
    used: dict[str, float] = {}
    for part in ("server", "children"):
        ticks = sum(after[part][pid] - start for pid, start in before[part].items() if pid in after[part])
        used[part] = ticks * per_tick_us / requests
    used["total"] = used["server"] + used["children"]
    return used


def measure(
    urls: dict[str, str],
    bodies: dict[int, bytes],
    headers: Any,
    args: argparse.Namespace,
    roots: dict[str, list[int]],
) -> list[dict[str, Any]]:
    runs = []
    wanted = None if not args.points else {label.strip() for label in args.points.split(",")}
    for rep in range(args.reps):
        for label, concurrency, rows in POINTS:
            if wanted is not None and label not in wanted:
                continue
            systems = [system for system in (*SYSTEMS, "modelport@base") if system in urls]
            order = systems[rep % len(systems) :] + systems[: rep % len(systems)]
            for system in order:
                body = bodies[rows]
                say(f"  rep {rep + 1}: {system} {label} ...")
                before = ticks_by_part(roots[system])
                measured = wrk.run(
                    urls[system],
                    body,
                    headers(system, body),
                    concurrency=concurrency,
                    seconds=args.seconds,
                    cpu=LOAD_CPU,
                    threads=1,
                    timeout_s=WRK_TIMEOUT_S,
                )
                measured["cpu_us"] = cpu_per_request(before, ticks_by_part(roots[system]), measured)
                runs.append(
                    {"system": system, "point": label, "rows": rows, "rep": rep, **answered(measured)}
                )
    return runs


def measure_chain(
    urls: dict[str, str],
    event: bytes,
    args: argparse.Namespace,
    data_dirs: dict[str, Path],
    roots: dict[str, list[int]],
) -> list[dict[str, Any]]:
    logs = {
        system: chain._FunctionLogs(data_dir / "logs" / "functions" / demo_chain.FUNCTION)
        for system, data_dir in data_dirs.items()
    }
    systems = [system for system in ("fastapi", "modelport", "modelport@base") if system in urls]
    runs = []
    json_headers = {"Content-Type": "application/json"}
    wanted = None if not args.points else {label.strip() for label in args.points.split(",")}
    for rep in range(args.reps):
        for label, concurrency in CHAIN_POINTS:
            if wanted is not None and label not in wanted:
                continue
            for system in systems[rep % len(systems) :] + systems[: rep % len(systems)]:
                say(f"  rep {rep + 1}: {system} {label} ...")
                if system in logs:
                    logs[system].mark()
                before = ticks_by_part(roots[system])
                measured = wrk.run(
                    urls[system],
                    event,
                    json_headers,
                    concurrency=concurrency,
                    seconds=args.seconds,
                    cpu=LOAD_CPU,
                    threads=1,
                    timeout_s=WRK_TIMEOUT_S,
                )
                measured["cpu_us"] = cpu_per_request(before, ticks_by_part(roots[system]), measured)
                if system in logs:
                    measured["handler_duration_p50_ms"] = logs[system].duration_p50_since_mark()
                runs.append({"system": system, "point": label, "rows": 1, "rep": rep, **answered(measured)})
    return runs


def answered(measured: dict[str, Any]) -> dict[str, Any]:
    """wrk's req/s counts non-2xx answers too; keep it as ``wrk_rps`` and count only the good ones."""
    requests = measured.get("requests", 0)
    good = max(requests - measured["errors"], 0)
    wrk_rps = measured.get("rps", 0.0)
    return {**measured, "wrk_rps": wrk_rps, "rps": wrk_rps * good / requests if requests else 0.0}


def summarize(runs: list[dict[str, Any]]) -> dict[str, dict[str, dict[str, float]]]:
    """Per point and system: median req/s, rows/s, p50, handler Duration and CPU per request;
    errors summed."""
    summary: dict[str, dict[str, dict[str, float]]] = {}
    for run in runs:
        summary.setdefault(run["point"], {}).setdefault(run["system"], {})
    for point, systems in summary.items():
        for system in systems:
            mine = [r for r in runs if r["point"] == point and r["system"] == system]
            row = {
                "rps": statistics.median(r.get("rps", 0.0) for r in mine),
                "p50_ms": statistics.median(r.get("p50_ms", 0.0) for r in mine),
                "p99_ms": statistics.median(r.get("p99_ms", 0.0) for r in mine),
                "errors": float(sum(r["errors"] for r in mine)),
                "reps": float(len(mine)),
            }
            row["rows_per_s"] = row["rps"] * mine[0]["rows"]
            for part in ("server", "children", "total"):
                spent = [r["cpu_us"][part] for r in mine if r.get("cpu_us")]
                if spent:
                    row[f"cpu_{part}_us"] = statistics.median(spent)
            durations = [r["handler_duration_p50_ms"] for r in mine if r.get("handler_duration_p50_ms")]
            if durations:
                share = [
                    r["p50_ms"] - r["handler_duration_p50_ms"]
                    for r in mine
                    if r.get("handler_duration_p50_ms")
                ]
                row["handler_duration_p50_ms"] = statistics.median(durations)
                row["own_share_p50_ms"] = statistics.median(share)
            systems[system] = row
    return summary


def ratios_by_rep(runs: list[dict[str, Any]], against: str = "fastapi") -> dict[tuple[str, str], list[float]]:
    """Per (point, system): its req/s over ``against``'s in each repetition, in repetition order.

    The systems of one repetition run back to back, so each ratio shares that moment's machine;
    their spread shows how far one run's median ratio can be trusted (an A/A run, ``--baseline-src``
    of the same tree, gives the noise itself)."""
    reference = {(r["point"], r["rep"]): r.get("rps", 0.0) for r in runs if r["system"] == against}
    ratios: dict[tuple[str, str], list[float]] = {}
    for run in sorted(runs, key=lambda r: r["rep"]):
        base = reference.get((run["point"], run["rep"]))
        if run["system"] in (against, "floor") or not base:
            continue
        ratios.setdefault((run["point"], run["system"]), []).append(run.get("rps", 0.0) / base)
    return ratios


def ratio_lines(runs: list[dict[str, Any]]) -> list[str]:
    lines = [
        "",
        "req/s ÷ the same repetition's FastAPI req/s (and modelport@base ÷ modelport), by repetition:",
        "",
    ]
    found = [
        *(("FastAPI", key, values) for key, values in ratios_by_rep(runs).items()),
        *(
            ("modelport", key, values)
            for key, values in ratios_by_rep(runs, against="modelport").items()
            if key[1] == "modelport@base"
        ),
    ]
    for against, (point, system), values in found:
        spread = ", ".join(f"{value:.2f}" for value in values)
        lines.append(
            f"- {point}, {system} ÷ {against}: {spread} (min {min(values):.2f}, max {max(values):.2f})"
        )
    return lines if found else []


def render(doc: dict[str, Any]) -> str:
    summary = doc["summary"]
    lines = [
        f"command: {doc['command']}",
        f"every system's processes on CPU {SERVER_CPU} ({doc['pinning']['processes']} processes checked),"
        f" wrk (1 thread) on CPU {LOAD_CPU}; load average {doc['load_start']} → {doc['load_end']}",
        "",
        "| system | point | req/s (2xx) | rows/s | p50 ms | p99 ms | errors | vs FastAPI | vs floor |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for point, systems in summary.items():
        for system, row in systems.items():
            fastapi = systems.get("fastapi", {}).get("rps")
            floor = systems.get("floor", {}).get("rps")
            vs_fastapi = f"{row['rps'] / fastapi:.2f}×" if fastapi else "—"
            vs_floor = f"{row['rps'] / floor:.3f}×" if floor else "—"
            lines.append(
                f"| {system} | {point} | {row['rps']:,.0f} | {row['rows_per_s']:,.0f} | {row['p50_ms']:.2f} |"
                f" {row['p99_ms']:.2f} | {row['errors']:.0f} | {vs_fastapi} | {vs_floor} |"
            )
    lines += cpu_table(summary)
    lines += ratio_lines(doc["runs"])
    predict = doc.get("in_process")
    c1 = summary.get("c=1", {})
    if predict:
        lines.append(
            f"\nin-process predict (booster.inplace_predict, one row) p50 {predict['predict_p50_us']:.0f} µs;"
            f" parse + predict + encode p50 {predict['parse_predict_encode_p50_us']:.0f} µs"
        )
        for system in ("modelport", "modelport@base", "fastapi"):
            if system in c1:
                added = c1[system]["p50_ms"] - predict["predict_p50_us"] / 1000
                lines.append(f"{system}: added latency over in-process predict, p50 c=1: {added:.2f} ms")
    if doc.get("memory"):
        lines += ["", "| process | VmRSS MiB | Pss MiB |", "|---|---:|---:|"]
        for name, measured in doc["memory"].items():
            pss = measured["pss_mib"]
            lines.append(f"| {name} | {measured['rss_mib']:.1f} | {'—' if pss is None else f'{pss:.1f}'} |")
        lines.append(f"(target: VmRSS per instance ≤ {RSS_TARGET_MIB} MiB)")
    for point, systems in summary.items():
        for system in ("modelport", "modelport@base"):
            own = systems.get(system, {}).get("own_share_p50_ms")
            if own is not None:
                lines.append(
                    f"\n{point}: {system}'s own share p50 = full path {systems[system]['p50_ms']:.2f} ms"
                    f" − handler Duration {systems[system]['handler_duration_p50_ms']:.2f} ms = {own:.2f} ms"
                )
    return "\n".join(lines)


def cpu_table(summary: dict[str, dict[str, dict[str, float]]]) -> list[str]:
    """CPU per answered request on the pinned core, by process: on one core, what a system spends
    is what it cannot give to the next request."""
    lines = [
        "",
        "CPU per request, µs (medians; 'server': the system's own process(es); 'children': its "
        "workers and function environments):",
        "",
        "| system | point | server | children | total |",
        "|---|---|---:|---:|---:|",
    ]
    for point, systems in summary.items():
        for system, row in systems.items():
            if "cpu_total_us" in row:
                lines.append(
                    f"| {system} | {point} | {row['cpu_server_us']:.0f} | {row['cpu_children_us']:.0f} |"
                    f" {row['cpu_total_us']:.0f} |"
                )
    return lines


if __name__ == "__main__":
    sys.exit(main())
