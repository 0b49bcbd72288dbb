"""Routing policies: property tests against a small reference model."""

from __future__ import annotations

import random
from collections import Counter

from hypothesis import given
from hypothesis import strategies as st

from modelport.hosting.policies import choose_instance, choose_variant

loads = st.lists(st.integers(min_value=0, max_value=10), min_size=1, max_size=12)


@given(loads, st.integers(min_value=1, max_value=10), st.integers())
def test_choose_instance_picks_a_least_loaded_instance_below_the_limit(
    outstanding: list[int], limit: int, seed: int
) -> None:
    index = choose_instance(outstanding, limit, random.Random(seed))
    below = [count for count in outstanding if count < limit]
    if not below:
        assert index is None  # every instance is full: throttle, never queue
    else:
        assert index is not None
        assert outstanding[index] == min(below)


def test_ties_are_spread_across_equal_instances() -> None:
    rng = random.Random(7)
    picks = Counter(choose_instance([0, 0, 0], 4, rng) for _ in range(3000))
    assert set(picks) == {0, 1, 2}
    assert min(picks.values()) > 800


@given(st.lists(st.floats(min_value=0.0, max_value=100.0), min_size=1, max_size=10), st.integers())
def test_choose_variant_returns_a_valid_index_with_weight(weights: list[float], seed: int) -> None:
    index = choose_variant(weights, random.Random(seed))
    assert 0 <= index < len(weights)
    if sum(weights) > 0:
        assert weights[index] > 0  # a zero-weight variant gets no traffic


def test_choose_variant_follows_the_weights() -> None:
    rng = random.Random(3)
    picks = Counter(choose_variant([3.0, 1.0], rng) for _ in range(20000))
    share = picks[0] / 20000
    assert 0.72 < share < 0.78
