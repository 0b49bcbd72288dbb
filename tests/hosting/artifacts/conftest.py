"""Fixtures for artifact tests: tar archives built in memory, and a real S3 server per module."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from modelport.core.config import Limits, Settings
from support.s3server import S3Endpoint, SeaweedS3Server


@pytest.fixture(scope="module")
def s3_server() -> Iterator[S3Endpoint]:
    """One SeaweedFS S3 server for the whole test module (it takes a few seconds to start)."""
    with SeaweedS3Server() as endpoint:
        yield endpoint


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", limits=Limits())
