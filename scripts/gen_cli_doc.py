"""Write docs/cli.md: the ``--help`` of the ``modelport`` command and each of its subcommands.

Usage: .venv/bin/python scripts/gen_cli_doc.py [--check]
``--check`` exits 1 without writing when the file is stale (a test runs it too).
"""

from __future__ import annotations

import sys
from pathlib import Path

from modelport.cli.reference import render_cli_markdown

DOC = Path(__file__).resolve().parent.parent / "docs" / "cli.md"


def main(argv: list[str]) -> int:
    text = render_cli_markdown()
    if "--check" in argv:
        if not DOC.exists() or DOC.read_text(encoding="utf-8") != text:
            print(f"{DOC} is stale: run scripts/gen_cli_doc.py", file=sys.stderr)
            return 1
        return 0
    DOC.parent.mkdir(parents=True, exist_ok=True)
    DOC.write_text(text, encoding="utf-8")
    print(f"wrote {DOC}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
