"""The benchmark runs end to end with tiny counts and prints numbers (no timing targets here)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.e2e
def test_bench_runs_and_reports_numbers(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    completed = subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "bench.py"),
            "--deploys=1",
            "--cold-deploys=1",
            "--notebook-runs=1",
            "--requests-c1=20",
            "--requests=20",
            "--concurrency=1,2",
            "--predict-calls=50",
            "--protocol-calls=5",
            "--wrk-seconds=1",
            "--chain-requests=10",
            "--cold-starts=1",
            "--proxy-requests=5",
            f"--workdir={tmp_path / 'work'}",
            f"--json={out}",
        ],
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert "| target | measured | limit | result |" in completed.stdout
    doc = json.loads(out.read_text())
    for mode in ("warm", "back_to_back", "cold"):
        assert doc["deploys"][mode]["count"] == 1
        assert doc["deploys"][mode]["p50_s"] > 0
    assert {(row["target"], row["concurrency"]) for row in doc["loads"]} == {
        (target, c) for target in ("modelport", "worker", "fastapi") for c in (1, 2)
    }
    for row in doc["loads"]:
        assert row["errors"] == 0, row["first_error"]
        assert row["p50_ms"] > 0 and row["rps"] > 0
    assert doc["in_process"]["predict_p50_us"] > 0
    assert doc["memory"]["instances"][0]["rss_mb"] > 0
    assert doc["memory"]["server"]["rss_mb"] > 0
    assert len(doc["targets"]) == 1 + 6 + 2 + (3 if doc["wrk"] else 0) + 2 + 3
    assert set(doc["proxy"]) == {"GetCallerIdentity", "InvokeEndpoint"}
    assert all(row["proxy_p50_ms"] > 0 for row in doc["proxy"].values())
    assert set(doc["protocol_us"]) == {"invoke_endpoint", "create_endpoint_config", "create_role"}
    assert doc["notebook"]["runs"][0]["loop_sleeps"] == 0
    assert doc["notebook"]["p50_s"] > 0
    assert doc["chain"]["full_path"][0]["errors"] == 0
    assert doc["chain"]["cold_start_ms"]["p50"] > 0
    assert doc["chain"]["cold_start_back_to_back_ms"]["p50"] > 0
    assert doc["chain"]["handler_duration_ms"] > 0
    assert [row["errors"] for row in doc["chain"]["wrk"]] == ([0, 0] if doc["wrk"] else [])
    assert doc["chain"]["boto3_direct"]["p50_ms"] > 0
    assert doc["chain"]["full_path"][0]["handler_duration_p50_ms"] > 0  # read from the function's logs
    if doc["wrk"]:
        assert doc["chain"]["wrk"][0]["handler_duration_p50_ms"] > 0
    assert doc["chain"]["boto3_direct"]["client_cpu_ms"] > 0
    assert {row["target"] for row in doc["wrk_paced"]} == (
        {"modelport", "worker", "fastapi"} if doc["wrk"] else set()
    )
    for row in doc["wrk_paced"]:
        assert (row["concurrency"], row["pause_ms"], row["errors"]) == (1, 5, 0)
        assert row["p50_ms"] > 0


WRK_OUTPUT = """Running 8s test @ http://127.0.0.1:1/invocations
  2 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    91.76ms   20.11ms 301.00ms   80.00%
  Latency Distribution
     50%   91.76ms
     75%  100.00ms
     90%  120.00ms
     99%    1.20s
  5432 requests in 8.01s, 1.00MB read
  Socket errors: connect 0, read 1, write 0, timeout 3
  Non-2xx or 3xx responses: 2
Requests/sec:    678.53
Transfer/sec:    128.00KB
"""


def test_wrk_output_is_read() -> None:
    from benchmarks.wrk import parse

    assert parse(WRK_OUTPUT) == {
        "errors": 6,
        "non_2xx": 2,
        "socket_errors": "connect 0, read 1, write 0, timeout 3",
        "p50_ms": 91.76,
        "p99_ms": 1200.0,
        "requests": 5432,
        "rps": 678.53,
    }


def test_wrk_script_pauses_only_when_asked() -> None:
    from benchmarks.wrk import lua_script

    plain = lua_script(b'{"data": "1"}', {"Content-Type": "application/json"})
    assert plain == (
        'wrk.method = "POST"\nwrk.body = "{\\"data\\": \\"1\\"}"\n'
        'wrk.headers["Content-Type"] = "application/json"\n'
    )
    assert "delay" not in plain
    assert lua_script(b"x", {}, pause_ms=5).endswith("function delay() return 5 end\n")


def test_wrk_script_keeps_line_breaks_of_a_multi_row_body() -> None:
    from benchmarks.wrk import lua_script

    assert 'wrk.body = "1,2\\n3,4\\r\\n"' in lua_script(b"1,2\n3,4\r\n", {})


def test_pinned_summary_counts_only_good_answers_and_takes_medians() -> None:
    from benchmarks.pinned import answered, summarize

    runs = [
        {"system": "modelport", "point": "c=64 x64 rows", "rows": 64, "rep": rep, **answered(measured)}
        for rep, measured in enumerate(
            [
                {"errors": 0, "requests": 1000, "rps": 100.0, "p50_ms": 2.0, "p99_ms": 9.0},
                {"errors": 500, "requests": 1000, "rps": 300.0, "p50_ms": 1.0, "p99_ms": 8.0},
                {"errors": 0, "requests": 1000, "rps": 120.0, "p50_ms": 3.0, "p99_ms": 7.0},
            ]
        )
    ]
    row = summarize(runs)["c=64 x64 rows"]["modelport"]
    assert row["rps"] == 120.0  # median of 100, 150 (300 req/s, half of them errors) and 120
    assert row["rows_per_s"] == 120.0 * 64
    assert (row["p50_ms"], row["errors"], row["reps"]) == (2.0, 500.0, 3.0)


def test_pinned_cpu_per_request_counts_processes_alive_at_both_reads() -> None:
    import os

    from benchmarks.pinned import cpu_per_request, summarize

    tick_us = 1e6 / os.sysconf("SC_CLK_TCK")
    before = {"server": {10: 100}, "children": {11: 50, 12: 7}}
    after = {"server": {10: 130}, "children": {11: 60, 13: 999}}  # 12 was replaced by 13 meanwhile
    used = cpu_per_request(before, after, {"requests": 1000})
    assert used["server"] == 30 * tick_us / 1000
    assert used["children"] == 10 * tick_us / 1000
    assert used["total"] == used["server"] + used["children"]
    assert cpu_per_request(before, after, {"requests": 0}) == {}

    runs = [
        {
            "system": "floor",
            "point": "c=1",
            "rows": 1,
            "rep": rep,
            "errors": 0,
            "requests": 10,
            "rps": 1.0,
            "cpu_us": {"server": server, "children": 0.0, "total": server},
        }
        for rep, server in enumerate([140.0, 150.0, 145.0])
    ]
    row = summarize(runs)["c=1"]["floor"]
    assert (row["cpu_server_us"], row["cpu_total_us"]) == (145.0, 145.0)


def test_pinned_ratios_pair_each_repetition_with_its_own_fastapi_run() -> None:
    from benchmarks.pinned import ratio_lines, ratios_by_rep

    def run(system: str, rep: int, rps: float, point: str = "c=1") -> dict[str, object]:
        return {"system": system, "point": point, "rows": 1, "rep": rep, "errors": 0, "rps": rps}

    runs = [
        run("fastapi", 1, 200.0),  # out of order: paired by repetition, listed in its order
        run("modelport", 1, 210.0),
        run("fastapi", 0, 100.0),
        run("modelport", 0, 90.0),
        run("modelport@base", 0, 180.0),
        run("floor", 0, 1000.0),
        run("modelport", 0, 50.0, point="chain c=1"),  # no FastAPI run at that point: no ratio
    ]
    assert ratios_by_rep(runs) == {("c=1", "modelport"): [0.9, 1.05], ("c=1", "modelport@base"): [1.8]}
    assert ratios_by_rep(runs, against="modelport")[("c=1", "modelport@base")] == [2.0]
    lines = ratio_lines(runs)
    assert "- c=1, modelport ÷ FastAPI: 0.90, 1.05 (min 0.90, max 1.05)" in lines
    assert "- c=1, modelport@base ÷ modelport: 2.00 (min 2.00, max 2.00)" in lines
    assert ratio_lines([run("floor", 0, 1.0)]) == []
