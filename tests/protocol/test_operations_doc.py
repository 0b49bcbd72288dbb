"""docs/operations.md is generated; this fails when it is stale or the registry names a ghost."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from modelport.protocol import ServiceProtocol
from modelport.protocol.registry import IMPLEMENTED, render_operations_markdown

ROOT = Path(__file__).resolve().parents[2]


def test_operations_doc_is_current() -> None:
    doc = ROOT / "docs" / "operations.md"
    assert doc.read_text(encoding="utf-8") == render_operations_markdown(), (
        "docs/operations.md is stale: run .venv/bin/python scripts/gen_operations_doc.py"
    )


def test_script_check_mode_agrees() -> None:
    script = ROOT / "scripts" / "gen_operations_doc.py"
    result = subprocess.run(
        [sys.executable, str(script), "--check"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("service", sorted(IMPLEMENTED))
def test_registry_names_real_operations(service: str) -> None:
    assert IMPLEMENTED[service] <= set(ServiceProtocol.load(service).operation_names)


def test_doc_marks_supported_operations() -> None:
    text = render_operations_markdown({"sagemaker-runtime": frozenset({"InvokeEndpoint"})})
    assert "| InvokeEndpoint | ✅ supported |" in text
    assert "| InvokeEndpointAsync | — not yet |" in text
    assert "## sagemaker-runtime (1 of " in text
