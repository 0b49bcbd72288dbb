"""Checks shared by the tests of generated documents (docs/cli.md, docs/operations.md)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def assert_current(doc_name: str, text: str, script: str) -> None:
    """``docs/<doc_name>`` is exactly ``text``, what ``scripts/<script>`` would write."""
    doc = ROOT / "docs" / doc_name
    assert doc.read_text(encoding="utf-8") == text, (
        f"docs/{doc_name} is stale: run .venv/bin/python scripts/{script}"
    )


def assert_check_mode_agrees(script: str) -> None:
    """``scripts/<script> --check`` exits 0 (the document is current)."""
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / script), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
