"""Write docs/operations.md: every botocore operation per service, supported or not yet.

Usage: .venv/bin/python scripts/gen_operations_doc.py [--check]
``--check`` exits 1 without writing when the file is stale (CI uses it; so does a test).
"""

from __future__ import annotations

import sys
from pathlib import Path

from modelport.protocol.registry import render_operations_markdown

DOC = Path(__file__).resolve().parent.parent / "docs" / "operations.md"


def main(argv: list[str]) -> int:
    text = render_operations_markdown()
    if "--check" in argv:
        if not DOC.exists() or DOC.read_text(encoding="utf-8") != text:
            print(f"{DOC} is stale: run scripts/gen_operations_doc.py", file=sys.stderr)
            return 1
        return 0
    DOC.parent.mkdir(parents=True, exist_ok=True)
    DOC.write_text(text, encoding="utf-8")
    print(f"wrote {DOC}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
