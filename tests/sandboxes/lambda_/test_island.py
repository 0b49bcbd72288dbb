"""The Lambda sandbox's import rules: the runner side is an island of the standard library."""

from __future__ import annotations

import ast
import json
from pathlib import Path

from .harness import Harness

PACKAGE = Path(__file__).resolve().parents[3] / "src" / "modelport" / "sandboxes" / "lambda_"
ISLAND = {"runner", "context", "sandbox", "frames", "loglines", "handler", "__init__"}


def modelport_imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("modelport"):
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.startswith("modelport"))
    return found


def test_the_package_imports_only_itself_and_the_foundation() -> None:
    for path in PACKAGE.glob("*.py"):
        outside = {
            m
            for m in modelport_imports(path)
            if not m.startswith("modelport.sandboxes.lambda_") and m != "modelport.sandboxes.lifeline"
        }
        assert outside <= {
            "modelport.sandboxes.spares",  # the one spare pool (server side: spares.py)
            "modelport.core.errors",
            "modelport.core.staging",
            "modelport.core.logfiles",
            "modelport.core.arns",
        }, path.name
        if path.stem in ISLAND:
            assert outside == set(), path.name
            siblings = {m.rsplit(".", 1)[-1] for m in modelport_imports(path)} - {"lambda_", "lifeline"}
            assert siblings <= ISLAND, path.name


def test_the_running_environment_loads_no_modelport_beyond_the_island(harness: Harness) -> None:
    harness.write(
        {
            "lambda_function.py": """
            import sys
            def lambda_handler(event, context):
                return sorted(m for m in sys.modules if m.startswith(("modelport", "boto", "asyncio")))
            """
        }
    )
    (result,) = harness.invoke_all([b"{}"])
    loaded = json.loads(result.payload)
    assert {name.rsplit(".", 1)[-1] for name in loaded} - {
        "modelport",
        "sandboxes",
        "lambda_",
        "lifeline",
    } <= ISLAND, loaded
