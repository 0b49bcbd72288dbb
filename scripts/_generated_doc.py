"""What the doc generators share: write a generated document, or with ``--check`` only say if it is stale.

``scripts/gen_operations_doc.py`` and ``scripts/gen_cli_doc.py`` each render their text and call
``write_or_check``; CI and the tests run them with ``--check``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

DOCS = Path(__file__).resolve().parent.parent / "docs"


def write_or_check(doc: Path, render: Callable[[], str], script: str, argv: list[str]) -> int:
    """Write ``render()`` to ``doc``; with ``--check`` in ``argv`` exit 1 instead when it differs."""
    text = render()
    if "--check" in argv:
        if not doc.exists() or doc.read_text(encoding="utf-8") != text:
            print(f"{doc} is stale: run scripts/{script}", file=sys.stderr)
            return 1
        return 0
    doc.parent.mkdir(parents=True, exist_ok=True)
    doc.write_text(text, encoding="utf-8")
    print(f"wrote {doc}")
    return 0
