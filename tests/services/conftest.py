"""Fixtures for the service tests: a real ServiceContext over SQLite with a fake clock."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from modelport.aws.auth.sqlite_keys import SqliteKeyStore
from modelport.bootstrap import build_function_host, build_router
from modelport.core.clock import FakeClock
from modelport.core.config import Settings
from modelport.services.context import ServiceContext
from modelport.store.sqlite import SqliteStore
from services.iam_fixtures import ACCOUNT


class NoEngine:
    def wake(self, endpoint_name: str) -> None:
        pass

    def model_deleted(self) -> None:
        pass

    def live_variants(self, endpoint_name: str) -> list[dict[str, object]] | None:
        return None


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def ctx(tmp_path: Path, clock: FakeClock) -> Iterator[ServiceContext]:
    store = SqliteStore(tmp_path / "modelport.sqlite3")
    settings = Settings(data_dir=tmp_path, account_id=ACCOUNT)
    yield ServiceContext(
        store=store,
        settings=settings,
        clock=clock,
        engine=NoEngine(),
        keys=SqliteKeyStore(store.connection),
        router=build_router(settings),
        functions=build_function_host(settings),
    )
    store.close()
