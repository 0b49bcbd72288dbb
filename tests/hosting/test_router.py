"""The router's answer when a variant has no live instance: AWS's ServiceUnavailable, which
clients retry, never ModelNotReadyException (the multi-model endpoint's error); and a worker
that breaks a request's connection is named in the log by its instance id."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import pytest

from modelport.core.errors import ServiceUnavailable
from modelport.hosting.fleet import Fleet, Instance, VariantFleet
from modelport.hosting.router import Router
from modelport.hosting.worker_client import WorkerBroken


@dataclass
class DeadWorker:
    stopping: bool = False

    def alive(self) -> bool:
        return False


def test_a_variant_without_a_live_instance_is_service_unavailable() -> None:
    dead: Any = DeadWorker()
    variant = VariantFleet(name="AllTraffic", weight=1.0, desired_count=1, snapshot={})
    variant.instances.append(Instance(worker=dead, client=None))  # type: ignore[arg-type]
    fleet = Fleet(endpoint_name="iris", deployment={}, variants=[variant])
    router = Router(max_in_flight=4, timeout_s=1.0)

    with pytest.raises(ServiceUnavailable, match="No instance of variant AllTraffic"):
        asyncio.run(
            router.invoke(
                fleet,
                b"1,2,3,4",
                content_type="text/csv",
                accept=None,
                custom_attributes=None,
                target_variant=None,
            )
        )


@dataclass
class LiveWorker:
    spec: Any = field(default_factory=lambda: SimpleNamespace(instance_id="iris/AllTraffic/1-2"))
    process: Any = field(default_factory=lambda: SimpleNamespace(pid=4242))
    port: int = 45677
    stopping: bool = False

    def alive(self) -> bool:
        return True


class BreakingClient:
    async def invoke(self, body: bytes, headers: dict[str, str]) -> Any:
        raise WorkerBroken("the worker closed the connection before answering completely")


def test_a_broken_connection_is_logged_with_the_instance_id(caplog: pytest.LogCaptureFixture) -> None:
    variant = VariantFleet(name="AllTraffic", weight=1.0, desired_count=1, snapshot={})
    worker: Any = LiveWorker()
    variant.instances.append(Instance(worker=worker, client=BreakingClient()))  # type: ignore[arg-type]
    fleet = Fleet(endpoint_name="iris", deployment={}, variants=[variant])
    router = Router(max_in_flight=4, timeout_s=1.0)

    with caplog.at_level(logging.WARNING, logger="modelport.hosting.router"):
        answer = asyncio.run(
            router.invoke(
                fleet,
                b"1,2,3,4",
                content_type="text/csv",
                accept=None,
                custom_attributes=None,
                target_variant=None,
            )
        )
    assert answer.broken and answer.status == 500
    logged = caplog.text
    assert "instance iris/AllTraffic/1-2 (pid 4242, port 45677) broke the connection" in logged
    assert "before answering completely" in logged
