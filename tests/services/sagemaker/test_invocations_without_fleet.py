"""InvokeEndpoint on an endpoint that serves but has no fleet: it waits for a fleet on its way,
and answers ServiceUnavailable (what AWS answers for an unreachable instance) when none comes."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from modelport.core.config import Settings
from modelport.core.errors import ServiceUnavailable
from modelport.hosting.deployments import ENDPOINT_KIND
from modelport.hosting.router import Router
from modelport.services.sagemaker.invocations import invoke_endpoint
from modelport.store.base import Resource
from modelport.store.sqlite import SqliteStore


@pytest.fixture
def store(tmp_path: Path) -> Any:
    store = SqliteStore(tmp_path / "modelport.sqlite3")
    store.insert(
        Resource(
            kind=ENDPOINT_KIND,
            name="iris",
            arn="arn:aws:sagemaker:us-east-1:123456789012:endpoint/iris",
            creation_time=0.0,
            last_modified_time=0.0,
            body={},
            status="InService",
        )
    )
    yield store
    store.close()


def test_no_fleet_and_none_coming_is_service_unavailable(store: SqliteStore) -> None:
    router = Router(max_in_flight=4, timeout_s=1.0)
    with pytest.raises(ServiceUnavailable, match="Endpoint iris has no instance able to serve"):
        asyncio.run(
            invoke_endpoint(
                {"EndpointName": "iris", "Body": b"1"}, router=router, store=store, settings=Settings()
            )
        )


def test_a_held_invocation_goes_on_when_the_start_gives_up(store: SqliteStore) -> None:
    router = Router(max_in_flight=4, timeout_s=1.0)

    async def scenario() -> None:
        router.arrivals.expect("iris", capacity=4)
        call = asyncio.create_task(
            invoke_endpoint(
                {"EndpointName": "iris", "Body": b"1"}, router=router, store=store, settings=Settings()
            )
        )
        await asyncio.sleep(0)
        assert not call.done()  # held, not turned away
        router.arrivals.settle("iris")  # the fleet will not come
        with pytest.raises(ServiceUnavailable):
            await call

    asyncio.run(scenario())
