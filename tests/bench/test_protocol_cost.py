"""The wire-layer cost benchmark runs and reports every case (its budgets are judged by the
benchmark, not here: a timing bound in a unit test flakes on a busy machine)."""

from __future__ import annotations

import pytest

from benchmarks import protocol_cost


def test_every_case_is_measured_and_reported() -> None:
    measured = protocol_cost.measure(number=3)
    assert set(measured) == {"invoke_endpoint", "create_endpoint_config", "create_role"}
    assert all(value > 0 for value in measured.values())
    rows = protocol_cost.targets(measured)
    assert [row["limit"] for row in rows] == ["<= 50 µs", "<= 200 µs", "<= 1000 µs"]
    table = protocol_cost.render(measured, 3)
    assert "| CreateRole with policy and tags (query) |" in table


def test_the_command_prints_the_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert protocol_cost.main(["--calls", "3"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("| wire layer, in process (best of 5 × 3 calls) |")
