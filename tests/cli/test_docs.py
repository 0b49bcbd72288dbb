"""docs/cli.md is generated from the commands' help; this fails when it is stale."""

from __future__ import annotations

from modelport.cli.reference import render_cli_markdown
from modelport.cli.sagemaker.endpoints import COMMANDS
from support.generated_docs import assert_check_mode_agrees, assert_current


def test_cli_doc_is_current() -> None:
    assert_current("cli.md", render_cli_markdown(), "gen_cli_doc.py")


def test_script_check_mode_agrees() -> None:
    assert_check_mode_agrees("gen_cli_doc.py")


def test_every_command_and_option_is_documented() -> None:
    text = render_cli_markdown()
    for command in COMMANDS:
        assert f"## modelport {command.name}\n" in text
        for param in command.params:
            for flag in getattr(param, "opts", []):
                if flag.startswith("-"):
                    assert flag in text, f"{command.name} {flag} is not in docs/cli.md"
