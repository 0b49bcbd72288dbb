"""Fixtures for artifact tests; the real S3 server is the session's ``s3`` (``support.fixtures``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from modelport.core.config import Limits, Settings


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", limits=Limits())
