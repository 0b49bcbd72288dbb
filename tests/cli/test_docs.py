"""docs/cli.md is generated from the commands' help; this fails when it is stale."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from modelport.cli.endpoints import COMMANDS
from modelport.cli.reference import render_cli_markdown

ROOT = Path(__file__).resolve().parents[2]


def test_cli_doc_is_current() -> None:
    doc = ROOT / "docs" / "cli.md"
    assert doc.read_text(encoding="utf-8") == render_cli_markdown(), (
        "docs/cli.md is stale: run .venv/bin/python scripts/gen_cli_doc.py"
    )


def test_script_check_mode_agrees() -> None:
    script = ROOT / "scripts" / "gen_cli_doc.py"
    result = subprocess.run(
        [sys.executable, str(script), "--check"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr


def test_every_command_and_option_is_documented() -> None:
    text = render_cli_markdown()
    for command in COMMANDS:
        assert f"## modelport {command.name}\n" in text
        for param in command.params:
            for flag in getattr(param, "opts", []):
                if flag.startswith("-"):
                    assert flag in text, f"{command.name} {flag} is not in docs/cli.md"
