"""The artifact collector: which keys are live, one round at a time, and a loop that never dies."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Collection, Iterator
from pathlib import Path
from typing import Any

import pytest

from modelport.hosting.collector import ArtifactCollector
from modelport.hosting.deployments import ENDPOINT_KIND, MODEL_KIND, model_key
from modelport.hosting.fleet import Fleet
from modelport.hosting.router import Router
from modelport.store.base import Resource
from modelport.store.sqlite import SqliteStore


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteStore]:
    store = SqliteStore(tmp_path / "store.sqlite3")
    yield store
    store.close()


@pytest.fixture
def router() -> Router:
    return Router(max_in_flight=1, timeout_s=1.0)


def resource(kind: str, name: str, created: float = 1.5, **body: Any) -> Resource:
    return Resource(kind, name, f"arn:{kind}/{name}", created, created, body=body)


def deployment(*keys: str) -> dict[str, Any]:
    return {
        "EndpointConfigName": "c",
        "Variants": [{"VariantName": f"v{i}", "ModelKey": k} for i, k in enumerate(keys)],
    }


class Recorder:
    """Stands in for ArtifactCache.collect: records the live keys of each round."""

    def __init__(self) -> None:
        self.rounds: list[set[str]] = []
        self.release = threading.Event()
        self.release.set()
        self.fail = False

    def __call__(self, live_keys: Collection[str]) -> list[Path]:
        self.release.wait(10)
        self.rounds.append(set(live_keys))
        if self.fail:
            raise OSError("disk on fire")
        return [Path("/cache/dead-0123")]


def test_live_keys_are_models_snapshots_and_fleets(store: SqliteStore, router: Router) -> None:
    store.insert(resource(MODEL_KIND, "Iris", created=1700000000.1234))
    store.insert(
        resource(
            ENDPOINT_KIND,
            "updating",
            Deployment=deployment("old-1", "old-2"),
            PendingDeployment=deployment("new-1"),
        )
    )
    store.insert(resource(ENDPOINT_KIND, "plain", Deployment=deployment("plain-1")))
    router.install(Fleet(endpoint_name="draining", deployment=deployment("fleet-1"), variants=[]))
    collector = ArtifactCollector(store=store, router=router, collect=Recorder())
    assert collector.live_keys() == {
        model_key("Iris", 1700000000.1234),
        "old-1",
        "old-2",
        "new-1",
        "plain-1",
        "fleet-1",
    }
    assert model_key("Iris", 1700000000.1234) == "iris-1700000000123"


def test_a_round_passes_the_live_keys_and_logs_what_went(
    store: SqliteStore, router: Router, caplog: pytest.LogCaptureFixture
) -> None:
    store.insert(resource(ENDPOINT_KIND, "e", Deployment=deployment("k")))
    recorder = Recorder()
    collector = ArtifactCollector(store=store, router=router, collect=recorder)
    with caplog.at_level(logging.INFO, logger="modelport.hosting.collector"):
        assert asyncio.run(collector.collect_once()) == [Path("/cache/dead-0123")]
    assert recorder.rounds == [{"k"}]
    assert "deleted the cached model folder dead-0123" in caplog.text


def test_a_failing_round_is_logged_and_the_next_one_runs(
    store: SqliteStore, router: Router, caplog: pytest.LogCaptureFixture
) -> None:
    recorder = Recorder()
    recorder.fail = True
    collector = ArtifactCollector(store=store, router=router, collect=recorder)

    async def two_rounds() -> tuple[list[Path], list[Path]]:
        first = await collector.collect_once()
        recorder.fail = False
        return first, await collector.collect_once()

    assert asyncio.run(two_rounds()) == ([], [Path("/cache/dead-0123")])
    assert "collecting unused model folders failed" in caplog.text
    assert "disk on fire" in caplog.text


def test_idle_waits_for_the_running_round(store: SqliteStore, router: Router) -> None:
    recorder = Recorder()
    recorder.release.clear()
    collector = ArtifactCollector(store=store, router=router, collect=recorder)

    async def scenario() -> None:
        await collector.idle()  # no round yet: returns at once
        round_ = asyncio.create_task(collector.collect_once())
        await asyncio.sleep(0)  # the round has read its keys and runs in its thread
        waiting = asyncio.create_task(collector.idle())
        await asyncio.sleep(0.05)
        assert not waiting.done()
        recorder.release.set()
        await asyncio.wait_for(waiting, 5)
        await round_

    asyncio.run(scenario())


def test_run_collects_at_once_and_when_asked(store: SqliteStore, router: Router) -> None:
    recorder = Recorder()
    collector = ArtifactCollector(store=store, router=router, collect=recorder, interval_s=3600)

    async def rounds_until(count: int) -> None:
        async with asyncio.timeout(5):
            while len(recorder.rounds) < count:
                await asyncio.sleep(0.01)

    async def scenario() -> None:
        loop = asyncio.create_task(collector.run())
        await rounds_until(1)  # at start-up
        store.insert(resource(MODEL_KIND, "m", created=2.0))
        collector.request()
        await rounds_until(2)
        loop.cancel()
        with pytest.raises(asyncio.CancelledError):
            await loop

    asyncio.run(scenario())
    assert recorder.rounds == [set(), {model_key("m", 2.0)}]
