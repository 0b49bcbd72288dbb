"""Write docs/cli.md: the ``--help`` of the ``modelport`` command and each of its subcommands.

Usage: .venv/bin/python scripts/gen_cli_doc.py [--check]
``--check`` exits 1 without writing when the file is stale (a test runs it too).
"""

from __future__ import annotations

import sys

from _generated_doc import DOCS, write_or_check

from modelport.cli.reference import render_cli_markdown


def main(argv: list[str]) -> int:
    return write_or_check(DOCS / "cli.md", render_cli_markdown, "gen_cli_doc.py", argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
