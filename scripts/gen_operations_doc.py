"""Write docs/operations.md: every botocore operation per service, supported or not yet.

Usage: .venv/bin/python scripts/gen_operations_doc.py [--check]
``--check`` exits 1 without writing when the file is stale (CI uses it; so does a test).
"""

from __future__ import annotations

import sys

from _generated_doc import DOCS, write_or_check

from modelport.aws.registry import render_operations_markdown
from modelport.http.bindings import IMPLEMENTED


def main(argv: list[str]) -> int:
    return write_or_check(
        DOCS / "operations.md", lambda: render_operations_markdown(IMPLEMENTED), "gen_operations_doc.py", argv
    )


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
