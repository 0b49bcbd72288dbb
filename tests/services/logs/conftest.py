"""A ServiceContext with CloudWatch Logs on a real SQLite file and a fake clock."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest

from modelport.core.clock import FakeClock
from modelport.services.context import ServiceContext
from modelport.services.logs.store import LogStore
from modelport.services.logs.writer import LogWriter

CAP = 10_000


@pytest.fixture
def logs(tmp_path: Path, clock: FakeClock) -> Iterator[LogWriter]:
    writer = LogWriter(LogStore(tmp_path / "logs.sqlite3"), clock, max_group_bytes=CAP)
    yield writer
    writer.close()


@pytest.fixture
def lctx(ctx: ServiceContext, logs: LogWriter) -> ServiceContext:
    return dataclasses.replace(ctx, logs=logs)
