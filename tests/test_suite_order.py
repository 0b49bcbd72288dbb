"""The suite's own scheduling (``support.suite_order``)."""

from __future__ import annotations

from support.suite_order import SLOW_FIRST, TESTS


def test_every_module_started_first_exists() -> None:
    missing = [name for name in SLOW_FIRST if not (TESTS / name).is_file()]
    assert not missing, f"renamed or removed; update SLOW_FIRST in tests/support/suite_order.py: {missing}"
