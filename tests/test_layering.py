"""Imports point downward, and the worker is an island (STYLE.md, ARCHITECTURE.md).

cli / http / bootstrap  →  protocol, service  →  engine, store, artifacts, auth  →  domain  →  foundation
worker, runtimes: import nothing from the rest of modelport (they run inside model processes)
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "modelport"
FOUNDATION = {"errors", "ids", "clock", "config", "staging", "logfiles"}

# Package -> what it may import from modelport besides itself and the foundation.
ALLOWED: dict[str, set[str]] = {
    "domain": set(),
    "store": {"domain"},
    "artifacts": set(),
    "auth": set(),
    "engine": {"domain", "store", "artifacts"},
    "service": {"domain", "store", "engine", "artifacts", "auth", "functions"},
    "protocol": {"domain"},  # the error table names a few domain errors (IAM's policy errors)
    "http": {"auth", "bootstrap", "protocol", "service", "engine", "domain", "ids"},
    "cli": {"launcher", "demo", "server", "seed", "protocol"},  # protocol: the served services (env)
    "bench": {"launcher", "seed", "demo_chain", "protocol"},  # protocol: the wire layer's own cost
    "functions": set(),
    "worker": {"runtimes"},
    "runtimes": set(),
}
ISLANDS = {"worker", "runtimes"}


def imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "modelport":
            found.update(alias.name for alias in node.names)  # from modelport import seed
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("modelport."):
            found.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("modelport."):
                    found.add(alias.name.split(".")[1])
    return found


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_imports_point_downward(package: str) -> None:
    allowed = ALLOWED[package] | {package} | (set() if package in ISLANDS else FOUNDATION)
    offenders = {}
    for path in sorted((PACKAGE / package).rglob("*.py")):
        wrong = imported_packages(path) - allowed
        if wrong:
            offenders[str(path.relative_to(PACKAGE))] = sorted(wrong)
    assert offenders == {}, f"{package} imports beyond its layer: {offenders}"


def test_every_package_is_placed_in_a_layer() -> None:
    packages = {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert packages - {"data"} <= set(ALLOWED)
