#!/usr/bin/env python
"""The modelport benchmark; see docs/benchmarks.md. ``.venv/bin/python scripts/bench.py --help``.

The benchmark lives outside the wheel, in the top-level ``benchmarks`` package of the checkout.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.run import main

if __name__ == "__main__":
    sys.exit(main())
