"""The benchmark's results as one JSON-able document, a printed table and PASS/MISS per target."""

from __future__ import annotations

from typing import Any

from benchmarks import protocol_cost
from benchmarks import proxy as proxy_bench
from benchmarks.loadgen import LoadResult, percentile
from benchmarks.notebook import NOTEBOOK_TARGET_S
from benchmarks.notebook import render as render_notebook

# The targets, as the project states them.
INSERVICE_P50_S = 1.0
ADDED_LATENCY_P50_MS = 1.0
RSS_PER_INSTANCE_MB = 100.0

_CPU_COLUMNS = ("load generator", "server", "worker", "fastapi")


def deploy_summary(times: list[float]) -> dict[str, Any]:
    return {
        "count": len(times),
        "p50_s": percentile(times, 50),
        "min_s": min(times, default=0.0),
        "max_s": max(times, default=0.0),
        "all_s": [round(t, 4) for t in times],
    }


def load_summary(result: LoadResult) -> dict[str, Any]:
    return {
        "target": result.label,
        "concurrency": result.concurrency,
        "requests": result.requests,
        "errors": result.errors,
        "first_error": result.first_error,
        "p50_ms": result.percentile_ms(50),
        "p99_ms": result.percentile_ms(99),
        "rps": result.rps,
        "wall_s": result.wall_s,
    }


def targets(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """Each target with the measured value and whether it is met."""
    deploys = doc["deploys"]
    loads = {(row["target"], row["concurrency"]): row for row in doc["loads"]}
    c_max = max(row["concurrency"] for row in doc["loads"])
    added = loads[("modelport", 1)]["p50_ms"] - doc["in_process"]["predict_p50_us"] / 1000.0
    modelport_rps = loads[("modelport", c_max)]["rps"]
    fastapi_rps = loads[("fastapi", c_max)]["rps"]
    rss = max(m["rss_mb"] for m in doc["memory"]["instances"])
    rows = [
        ("InService p50, warm pool ready (the target)", deploys["warm"]["p50_s"], INSERVICE_P50_S, "s"),
        ("InService p50, back-to-back", deploys["back_to_back"]["p50_s"], INSERVICE_P50_S, "s"),
    ]
    if deploys.get("cold", {}).get("count"):
        rows.append(("InService p50, cold (no warm pool)", deploys["cold"]["p50_s"], INSERVICE_P50_S, "s"))
    rows += [
        ("added latency over in-process predict, p50 c=1", added, ADDED_LATENCY_P50_MS, "ms"),
        ("RSS per XGBoost instance", rss, RSS_PER_INSTANCE_MB, "MB"),
    ]
    out = [
        {"target": name, "value": value, "limit": f"<= {limit:g} {unit}", "pass": value <= limit}
        for name, value, limit, unit in rows
    ]
    out.insert(
        len(rows) - 1,
        {
            "target": f"req/s at c={c_max} >= FastAPI app's ({fastapi_rps:.0f})",
            "value": modelport_rps,
            "limit": f">= {fastapi_rps:.0f} req/s",
            "pass": modelport_rps >= fastapi_rps,
        },
    )
    if "notebook" in doc:
        out.insert(
            0,
            {
                "target": "seed notebooks end to end (train → delete), p50",
                "value": doc["notebook"]["p50_s"],
                "limit": f"<= {NOTEBOOK_TARGET_S:g} s",
                "pass": doc["notebook"]["p50_s"] <= NOTEBOOK_TARGET_S,
            },
        )
    for call, row in doc.get("proxy", {}).items():
        out.append(
            {
                "target": f"HTTPS proxy added latency, {call} p50",
                "value": row["added_p50_ms"],
                "limit": f"<= {proxy_bench.TARGET_MS:g} ms",
                "pass": row["added_p50_ms"] <= proxy_bench.TARGET_MS,
            }
        )
    out += _wrk_targets(doc)
    out += _chain_targets(doc)
    out += protocol_cost.targets(doc.get("protocol_us", {}))
    return out


COLD_START_P50_MS = 300.0
API_LAYER_P50_MS = 3.0


def _chain_targets(doc: dict[str, Any]) -> list[dict[str, Any]]:
    chain = doc.get("chain")
    if not chain:
        return []
    direct = {(r["target"], r["concurrency"]): r for r in doc["loads"]}[("modelport", 1)]["p50_ms"]
    full = next(r for r in chain["full_path"] if r["concurrency"] == 1)["p50_ms"]
    cold = chain["cold_start_ms"]["p50"]
    targets = [
        {
            "target": "function cold start p50 (new environment to first result, spare ready)",
            "value": cold,
            "limit": f"<= {COLD_START_P50_MS:g} ms",
            "pass": cold <= COLD_START_P50_MS,
        },
        {
            "target": "API + function layer over a direct endpoint invoke, p50 c=1",
            "value": full - direct,
            "limit": f"<= {API_LAYER_P50_MS:g} ms",
            "pass": full - direct <= API_LAYER_P50_MS,
        },
    ]
    wrk_direct = {(r["target"], r["concurrency"]): r for r in doc.get("wrk", [])}.get(("modelport", 1))
    wrk_full = {r["concurrency"]: r for r in chain.get("wrk", [])}.get(1)
    if wrk_direct and wrk_full:
        layer = wrk_full["p50_ms"] - wrk_direct["p50_ms"]
        targets.append(
            {
                "target": "wrk: API + function layer over a direct endpoint invoke, p50 c=1",
                "value": layer,
                "limit": f"<= {API_LAYER_P50_MS:g} ms",
                "pass": layer <= API_LAYER_P50_MS,
            }
        )
    return targets


def _chain_breakdown(doc: dict[str, Any]) -> list[str]:
    """Where the full path's time goes at c=1: the handler's call, and what is around it."""
    chain = doc["chain"]
    lines: list[str] = []
    handler = chain.get("handler_duration_ms")
    if handler is not None:
        lines.append(
            f"\nthe handler's own Duration p50 (REPORT; its boto3 call to the endpoint): {handler:.3f} ms"
        )
    boto3_direct = chain.get("boto3_direct")
    if boto3_direct:
        lines.append(
            f"\nthe same call from a plain process: {boto3_direct['p50_ms']:.3f} ms p50, of which boto3's "
            f"client-side CPU {boto3_direct['client_cpu_ms']:.3f} ms per call (time.process_time)"
        )
    for label, runs in (("Python client", chain["full_path"]), ("wrk", chain.get("wrk", []))):
        run = {r["concurrency"]: r for r in runs}.get(1, {})
        same_run = run.get("handler_duration_p50_ms")
        if "p50_ms" in run and same_run is not None:
            lines.append(
                f"\n{label} full path at c=1, time outside the handler (client, gateway, Lambda "
                f"dispatch; full path p50 − the handler's Duration p50 over the same requests, "
                f"{same_run:.3f} ms): {run['p50_ms'] - same_run:.3f} ms"
            )
    wrk_full = {r["concurrency"]: r for r in chain.get("wrk", [])}.get(1, {}).get("p50_ms")
    paced = {row["target"]: row for row in doc.get("wrk_paced", [])}.get("modelport", {}).get("p50_ms")
    if wrk_full is not None and paced is not None:
        lines.append(
            f"\nwrk full path p50 − the paced direct invoke p50 (the layer against a direct invoke "
            f"that, like the full path's, finds the processes idle): {wrk_full - paced:.3f} ms"
        )
    return lines


def _wrk_targets(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """The latency and throughput targets again, measured with wrk (a C load generator)."""
    runs = {(row["target"], row["concurrency"]): row for row in doc.get("wrk", [])}
    if not runs:
        return []
    c_max = max(level for _, level in runs)
    added = runs[("modelport", 1)]["p50_ms"] - doc["in_process"]["predict_p50_us"] / 1000.0
    modelport_rps, fastapi_rps = runs[("modelport", c_max)]["rps"], runs[("fastapi", c_max)]["rps"]
    return [
        {
            "target": "wrk: added latency over in-process predict, p50 c=1",
            "value": added,
            "limit": f"<= {ADDED_LATENCY_P50_MS:g} ms",
            "pass": added <= ADDED_LATENCY_P50_MS,
        },
        {
            "target": f"wrk: req/s at c={c_max} >= FastAPI app's ({fastapi_rps:.0f})",
            "value": modelport_rps,
            "limit": f">= {fastapi_rps:.0f} req/s",
            "pass": modelport_rps >= fastapi_rps,
        },
    ]


def render(doc: dict[str, Any]) -> str:
    """The results as Markdown tables (printed, and pasted into docs/benchmarks.md)."""
    packages = ", ".join(f"{k} {v}" for k, v in doc["machine"].get("packages", {}).items())
    lines = [
        f"machine: {doc['machine']['nproc']} cores; load average {doc['machine']['load_start']} "
        f"at start, {doc['machine']['load_end']} at end; {doc['machine']['python']}",
        *([f"packages: {packages}"] if packages else []),
        "",
    ]
    if "notebook" in doc:
        lines += [render_notebook(doc["notebook"]), ""]
    if "proxy" in doc:
        lines += [proxy_bench.render(doc["proxy"]), ""]
    lines += ["| deploy (CreateEndpoint → InService) | n | p50 | min | max |", "|---|---:|---:|---:|---:|"]
    for key, name in (
        ("warm", "warm pool ready"),
        ("back_to_back", "back-to-back"),
        ("cold", "cold (pool off)"),
    ):
        d = doc["deploys"].get(key)
        if d and d["count"]:
            lines.append(
                f"| {name} | {d['count']} | {d['p50_s']:.3f} s | {d['min_s']:.3f} s | {d['max_s']:.3f} s |"
            )
    ip = doc["in_process"]
    lines += [
        "",
        "| invoke, one CSV row | c | requests | errors | p50 ms | p99 ms | req/s |",
        "|---|---:|---:|---:|---:|---:|---:|",
        f"| in-process `inplace_predict` | 1 | {ip['calls']} | 0 | {ip['predict_p50_us'] / 1000:.3f} "
        f"| {ip['predict_p99_us'] / 1000:.3f} | — |",
        f"| in-process parse + predict + encode | 1 | {ip['calls']} | 0 "
        f"| {ip['parse_predict_encode_p50_us'] / 1000:.3f} | {ip['parse_predict_encode_p99_us'] / 1000:.3f} | — |",
    ]
    names = {
        "modelport": "modelport (SigV4 → front door → router → worker)",
        "worker": "modelport worker alone (unsigned, its port)",
        "fastapi": "FastAPI + uvicorn, 1 worker (unsigned)",
    }
    for row in sorted(doc["loads"], key=lambda r: (r["concurrency"], list(names).index(r["target"]))):
        lines.append(
            f"| {names[row['target']]} | {row['concurrency']} | {row['requests']} | {row['errors']} "
            f"| {row['p50_ms']:.3f} | {row['p99_ms']:.3f} | {row['rps']:.0f} |"
        )
    if doc.get("chain"):
        chain = doc["chain"]
        lines += ["", "| serverless chain | c | requests | errors | p50 ms | p99 ms | req/s |"]
        lines.append("|---|---:|---:|---:|---:|---:|---:|")
        rows = [("Lambda Invoke, warm (signed, tutorial handler → endpoint)", chain["function_warm"])]
        rows += [("client → REST API → function → endpoint", r) for r in chain["full_path"]]
        for name, r in rows:
            lines.append(
                f"| {name} | {r['concurrency']} | {r['requests']} | {r['errors']} "
                f"| {r['p50_ms']:.3f} | {r['p99_ms']:.3f} | {r['rps']:.0f} |"
            )
        for row in chain.get("wrk", []):
            lines.append(
                f"| wrk: client → REST API → function → endpoint | {row['concurrency']} "
                f"| {row.get('requests', 0)} | {row['errors']} | {row.get('p50_ms', float('nan')):.3f} "
                f"| {row.get('p99_ms', float('nan')):.3f} | {row.get('rps', 0.0):.0f} |"
            )
        if "boto3_direct" in chain:
            b = chain["boto3_direct"]
            lines.append(
                f"| boto3 `invoke_endpoint` from a plain process (the handler's call, outside modelport) "
                f"| 1 | {b['count']} | 0 | {b['p50_ms']:.3f} | {b['p99_ms']:.3f} | — |"
            )
        lines += _chain_breakdown(doc)
        cold, back_to_back = chain["cold_start_ms"], chain.get("cold_start_back_to_back_ms")
        lines.append(
            f"\nfunction cold start p50: {cold['p50']:.1f} ms over {cold['count']} new environments, "
            f"each after {cold.get('pause_s', 0):g} s (spares refilled)"
            + (f"; back to back: {back_to_back['p50']:.1f} ms" if back_to_back else "")
        )
    if doc.get("wrk"):
        lines += [
            "",
            "| same loads with wrk (C load generator) | c | requests | errors | p50 ms | p99 ms | req/s |",
        ]
        lines.append("|---|---:|---:|---:|---:|---:|---:|")
        runs = doc["wrk"] + doc.get("wrk_paced", [])
        # c=1 back to back, then c=1 paced, then the higher levels
        for row in sorted(
            runs, key=lambda r: (r["concurrency"], "pause_ms" in r, list(names).index(r["target"]))
        ):
            name = names[row["target"]]
            if "pause_ms" in row:
                name += f", {row['pause_ms']} ms pause between requests"
            lines.append(
                f"| {name} | {row['concurrency']} | {row.get('requests', 0)} | {row['errors']} "
                f"| {row.get('p50_ms', float('nan')):.3f} | {row.get('p99_ms', float('nan')):.3f} "
                f"| {row.get('rps', 0.0):.0f} |"
            )
    lines += [
        "",
        "| CPU ms per request (from /proc) | c | " + " | ".join(_CPU_COLUMNS) + " |",
        "|---|---:|" + "---:|" * len(_CPU_COLUMNS),
    ]
    for row in sorted(doc["loads"], key=lambda r: (r["concurrency"], list(names).index(r["target"]))):
        cpu = row.get("cpu_ms_per_request", {})
        cells = " | ".join(f"{cpu[c]:.2f}" if c in cpu else "—" for c in _CPU_COLUMNS)
        lines.append(f"| {row['target']} | {row['concurrency']} | {cells} |")
    loads = {(row["target"], row["concurrency"]): row for row in doc["loads"]}
    front_door = loads[("modelport", 1)]["p50_ms"] - loads[("worker", 1)]["p50_ms"]
    client_floor = loads[("fastapi", 1)]["p50_ms"] - ip["parse_predict_encode_p50_us"] / 1000
    lines += [
        "",
        f"front door's own share at c=1 (modelport p50 − worker-alone p50): {front_door:.3f} ms; "
        f"one plain HTTP hop with this load generator (FastAPI p50 − in-process handler p50): {client_floor:.3f} ms",
    ]
    mem = doc["memory"]
    lines += ["", "| process | pid | VmRSS MB | Pss MB |", "|---|---:|---:|---:|"]
    for role, entries in (
        ("instance (XGBoost worker)", mem["instances"]),
        ("server", [mem["server"]]),
        ("idle spare", mem["spares"]),
    ):
        for m in entries:
            pss = f"{m['pss_mb']:.1f}" if m["pss_mb"] is not None else "n/a"
            lines.append(f"| {role} | {m['pid']} | {m['rss_mb']:.1f} | {pss} |")
    lines += [
        "",
        f"signing cost (botocore SigV4Auth, pre-signed before timing): "
        f"{doc['signing_us_per_request']:.0f} µs per request",
        "",
    ]
    if doc.get("protocol_us"):
        lines += [protocol_cost.render(doc["protocol_us"], doc["protocol_calls"]), ""]
    lines += ["| target | measured | limit | result |", "|---|---:|---|---|"]
    for t in doc["targets"]:
        lines.append(
            f"| {t['target']} | {t['value']:.3f} | {t['limit']} | {'PASS' if t['pass'] else 'MISS'} |"
        )
    return "\n".join(lines)
