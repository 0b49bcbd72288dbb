"""The documentation keeps up with the code: this fails when a setting or command is undocumented.

In the manner of Datasette's ``tests/test_docs.py``: every environment variable the server reads
and every limit must be named in docs/configuration.md, every CLI command in the README or the
generated docs/cli.md; the README carries the two commands; every page in docs/ is reachable from
docs/index.md; and no relative link in the Markdown points at a missing file.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from modelport.cli.main import cli
from modelport.core.config import ENVIRONMENT_VARIABLES, Limits, limit_variable

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
README = ROOT / "README.md"

_FENCE = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)
_LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
_EXTERNAL = ("http://", "https://", "mailto:")


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def linked_targets(path: Path) -> list[str]:
    """Targets of the Markdown links in ``path``, outside fenced code blocks."""
    return _LINK.findall(_FENCE.sub("", read(path)))


def documents() -> list[Path]:
    return [README, ROOT / "ARCHITECTURE.md", *sorted(DOCS.glob("*.md"))]


@pytest.mark.parametrize("variable", sorted(variable for variable, _ in ENVIRONMENT_VARIABLES.values()))
def test_environment_variable_is_documented(variable: str) -> None:
    assert variable in read(DOCS / "configuration.md"), f"{variable} is missing from docs/configuration.md"


@pytest.mark.parametrize("field", [f.name for f in dataclasses.fields(Limits)])
def test_limit_is_documented(field: str) -> None:
    variable = limit_variable(field)
    assert variable in read(DOCS / "configuration.md"), f"{variable} is missing from docs/configuration.md"


@pytest.mark.parametrize("command", sorted(cli.commands))
def test_cli_command_is_documented(command: str) -> None:
    text = read(README) + read(DOCS / "cli.md")
    assert f"modelport {command}" in text, f"`modelport {command}` is in neither README.md nor docs/cli.md"


@pytest.mark.parametrize("command", ["./scripts/demo", "./scripts/test"])
def test_readme_has_the_two_commands(command: str) -> None:
    assert command in read(README)
    assert (ROOT / command).is_file()


@pytest.mark.parametrize("page", sorted(p.name for p in DOCS.glob("*.md") if p.name != "index.md"))
def test_page_is_linked_from_the_index(page: str) -> None:
    targets = {target.split("#", 1)[0] for target in linked_targets(DOCS / "index.md")}
    assert page in targets, f"docs/{page} is not linked from docs/index.md"


@pytest.mark.parametrize("document", documents(), ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_resolve(document: Path) -> None:
    broken = []
    for target in linked_targets(document):
        if target.startswith(_EXTERNAL) or target.startswith("#"):
            continue
        relative = target.split("#", 1)[0]
        if not (document.parent / relative).exists():
            broken.append(target)
    assert broken == [], f"{document.relative_to(ROOT)} links to missing files: {broken}"


def architecture_file_list() -> set[str]:
    """The paths in ARCHITECTURE.md's ``## Files`` block, rebuilt from its indentation."""
    text = read(ROOT / "ARCHITECTURE.md")
    section = text[text.index("\n## Files\n") :]
    block = section[section.index("```\n") + 4 :]
    block = block[: block.index("```")]
    listed, folders = set(), []
    for line in block.splitlines():
        if not line.strip():
            continue
        depth = (len(line) - len(line.lstrip(" "))) // 2
        name = line.split()[0]
        folders = folders[:depth]
        if name.endswith("/"):
            folders.append(name)
        else:
            listed.add("".join(folders) + name)
    return listed


def test_architecture_lists_every_module() -> None:
    modules = {
        str(path.relative_to(ROOT))
        for base in (ROOT / "src" / "modelport", ROOT / "benchmarks")
        for path in base.rglob("*.py")
        if path.name != "__init__.py" and "__pycache__" not in path.parts
    }
    listed = architecture_file_list()
    assert sorted(modules - listed) == [], "modules missing from ARCHITECTURE.md's ## Files"
    assert sorted(listed - modules) == [], "ARCHITECTURE.md's ## Files lists modules that do not exist"
