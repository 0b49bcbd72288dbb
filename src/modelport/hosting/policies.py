"""Pure routing decisions: which variant, which instance. No I/O, no clocks.

Variant choice follows SageMaker: a variant receives weight / sum(weights) of the traffic,
unless the caller names one with TargetVariant.

Instance choice is *least outstanding requests* (SageMaker's LEAST_OUTSTANDING_REQUESTS
routing): the instance with the fewest requests in flight wins, ties broken at random so that
equal instances share the load. An instance already at its in-flight bound is never chosen;
when all are, the caller gets a throttling error instead of a queue that could grow without
limit.
"""

from __future__ import annotations

import random
from collections.abc import Sequence


def choose_variant(weights: Sequence[float], rng: random.Random) -> int:
    """Index of the variant to serve a request, with probability weight / sum(weights)."""
    total = sum(weights)
    if total <= 0:
        # All weights zero: SageMaker would route nothing; spreading evenly is the useful choice.
        return rng.randrange(len(weights))
    point = rng.random() * total
    for index, weight in enumerate(weights):
        point -= weight
        if point < 0:
            return index
    return len(weights) - 1


def choose_instance(outstanding: Sequence[int], limit: int, rng: random.Random) -> int | None:
    """Index of the least-loaded instance below ``limit`` in flight, or None when all are full."""
    best: list[int] = []
    lowest = limit
    for index, count in enumerate(outstanding):
        if count < lowest:
            lowest = count
            best = [index]
        elif count == lowest and count < limit:
            best.append(index)
    if not best:
        return None
    return best[0] if len(best) == 1 else rng.choice(best)
