"""The fixtures every end-to-end test shares live in ``support.fixtures``, the browser in
``support.browser`` and plain-HTTP console clients in ``support.console_http`` (docs/testing.md).
The slowest modules run first (``support.suite_order``)."""

from __future__ import annotations

import pytest

from support.suite_order import slowest_first

pytest_plugins = ["support.fixtures", "support.browser", "support.console_http"]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    slowest_first(items)
