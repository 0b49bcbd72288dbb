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
            "--requests-c1=20",
            "--requests=20",
            "--concurrency=1,2",
            "--predict-calls=50",
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
    assert len(doc["targets"]) == 6
