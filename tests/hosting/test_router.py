"""The router's answer when a variant has no live instance: AWS's ServiceUnavailable, which
clients retry, never ModelNotReadyException (the multi-model endpoint's error)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import pytest

from modelport.core.errors import ServiceUnavailable
from modelport.hosting.fleet import Fleet, Instance, VariantFleet
from modelport.hosting.router import Router


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
