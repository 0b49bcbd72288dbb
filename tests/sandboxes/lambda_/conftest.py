"""The ``harness`` fixture: a code folder and pools of real runner processes."""

from __future__ import annotations

from pathlib import Path

import pytest

from .harness import Harness


@pytest.fixture
def harness(tmp_path: Path) -> Harness:
    return Harness(tmp_path)
