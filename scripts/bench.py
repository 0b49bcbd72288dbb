#!/usr/bin/env python
"""The modelport benchmark; see docs/benchmarks.md. ``.venv/bin/python scripts/bench.py --help``."""

import sys

from modelport.bench.run import main

if __name__ == "__main__":
    sys.exit(main())
