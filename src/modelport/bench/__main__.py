"""``python -m modelport.bench``: the same as ``python scripts/bench.py``."""

import sys

from modelport.bench.run import main

sys.exit(main())
