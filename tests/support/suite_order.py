"""The order in which the suite's modules start: the slowest first.

``./scripts/test`` hands whole modules to its test processes (pytest-xdist, ``--dist loadfile``
with ``--no-loadscope-reorder``) in collection order. ``tests/conftest.py`` moves the modules of
``SLOW_FIRST`` to the front, so that the processes finish together instead of one running a long
module alone at the end. A module missing from the list only costs balance; the others keep
pytest's order.
"""

from __future__ import annotations

from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parents[1]
# Longest first: seconds in one process, December 2026.
SLOW_FIRST = (
    "test_doc_examples.py",  # 82
    "scenarios/test_restart.py",  # 80
    "sandboxes/ray/test_ray_backend.py",  # 71
    "sdk/test_sagemaker_sdk.py",  # 61
    "bench/test_bench_smoke.py",  # 44
    "scenarios/test_notebook_instances.py",  # 38
    "cli/test_dead_ends.py",  # 37
    "cli/test_e2e.py",  # 31
    "scenarios/test_updates_under_load.py",  # 29
    "notebooks/test_seed_notebook.py",  # 29
)


def slowest_first(items: list[pytest.Item]) -> None:
    """Sort ``items`` in place: ``SLOW_FIRST``'s modules first, each module's tests in their order."""
    rank = {TESTS / name: position for position, name in enumerate(SLOW_FIRST)}
    items.sort(key=lambda item: rank.get(item.path, len(rank)))
