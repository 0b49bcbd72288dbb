"""Serverless variants: the scale-to-zero decision, ServerlessConfig checks, and the gate (fake clock)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

import pytest

from modelport.core.clock import FakeClock
from modelport.core.errors import InvalidRequest, ServiceUnavailable, Throttled
from modelport.hosting.fleet import Fleet, VariantFleet
from modelport.hosting.serverless import (
    ServerlessGate,
    ServerlessSpec,
    should_scale_to_zero,
    take_idle_instances,
    validate,
)


def decide(**overrides: Any) -> bool:
    args: dict[str, Any] = {
        "now": 100.0,
        "last_used": 40.0,
        "in_flight": 0,
        "idle_timeout_s": 60.0,
        "provisioned": 0,
    }
    args.update(overrides)
    return should_scale_to_zero(**args)


def test_scales_to_zero_once_idle_for_the_timeout() -> None:
    assert decide()
    assert not decide(last_used=40.5)


def test_never_scales_to_zero_with_a_request_in_flight_provisioned_concurrency_or_timeout_zero() -> None:
    assert not decide(in_flight=1)
    assert not decide(provisioned=1)
    assert not decide(idle_timeout_s=0.0)


@pytest.mark.parametrize(
    ("config", "words"),
    [
        ({"MemorySizeInMB": 1500, "MaxConcurrency": 5}, "must be one of 1024, 2048"),
        ({"MemorySizeInMB": 2048, "MaxConcurrency": 201}, "between 1 and 200"),
        ({"MemorySizeInMB": 2048, "MaxConcurrency": 0}, "between 1 and 200"),
        ({"MemorySizeInMB": 2048, "MaxConcurrency": 5, "ProvisionedConcurrency": 6}, "raise MaxConcurrency"),
        ({"MaxConcurrency": 5}, "needs MemorySizeInMB"),
    ],
)
def test_bad_serverless_configs_say_what_to_fix(config: dict[str, Any], words: str) -> None:
    with pytest.raises(InvalidRequest, match=words):
        validate("AllTraffic", config)


def test_good_serverless_configs_pass() -> None:
    for memory in (1024, 6144):
        validate("v", {"MemorySizeInMB": memory, "MaxConcurrency": 200, "ProvisionedConcurrency": 200})
    validate("v", {"MemorySizeInMB": 3072, "MaxConcurrency": 1})


def run(scenario: Callable[[], Coroutine[Any, Any, None]]) -> Callable[[], None]:
    """An async scenario as a plain test (the suite runs event loops with ``asyncio.run``)."""

    def test() -> None:
        asyncio.run(scenario())

    return test


class Starts:
    def __init__(self) -> None:
        self.count = 0
        self.up = False
        self.release = asyncio.Event()
        self.fail = False

    async def start(self) -> None:
        self.count += 1
        await self.release.wait()
        if self.fail:
            raise RuntimeError("model failed to load.")
        self.up = True


def gate(
    clock: FakeClock, starts: Starts, *, max_concurrency: int = 2, timeout_s: float = 5.0
) -> ServerlessGate:
    return ServerlessGate(
        variant_name="AllTraffic",
        spec=ServerlessSpec(memory_mb=2048, max_concurrency=max_concurrency),
        clock=clock,
        ready=lambda: starts.up,
        start=starts.start,
        cold_start_timeout_s=timeout_s,
    )


@run
async def test_requests_after_scale_to_zero_share_one_cold_start() -> None:
    clock, starts = FakeClock(), Starts()
    g = gate(clock, starts)

    async def request() -> None:
        async with g.admit():
            pass

    waiting = [asyncio.create_task(request()) for _ in range(2)]
    for _ in range(3):  # both requests reach the gate, and the one start begins
        await asyncio.sleep(0)
    assert g.in_flight == 2 and starts.count == 1
    starts.release.set()
    await asyncio.gather(*waiting)
    assert starts.count == 1 and g.cold_starts == 1 and g.in_flight == 0


@run
async def test_beyond_max_concurrency_is_throttled_and_counted() -> None:
    clock, starts = FakeClock(), Starts()
    starts.up = True
    g = gate(clock, starts, max_concurrency=1)
    async with g.admit():
        with pytest.raises(Throttled, match="MaxConcurrency"):
            async with g.admit():
                pass
    assert g.throttled == 1 and g.in_flight == 0


@run
async def test_a_failed_cold_start_answers_service_unavailable_and_the_next_request_starts_again() -> None:
    clock, starts = FakeClock(), Starts()
    starts.fail = True
    starts.release.set()
    g = gate(clock, starts)
    with pytest.raises(ServiceUnavailable, match="could not start: model failed to load"):
        async with g.admit():
            pass
    starts.fail = False
    async with g.admit():
        pass
    assert starts.count == 2 and g.in_flight == 0


@run
async def test_idle_follows_the_clock_from_the_last_request() -> None:
    clock, starts = FakeClock(), Starts()
    starts.up = True
    g = gate(clock, starts)
    async with g.admit():
        clock.advance(120)
        assert not g.idle(60.0)  # in flight
    clock.advance(59)
    assert not g.idle(60.0)
    clock.advance(1)
    assert g.idle(60.0)


def test_take_idle_instances_empties_only_idle_serverless_variants() -> None:
    clock, starts = FakeClock(), Starts()
    serverless = VariantFleet(name="s", weight=1.0, desired_count=1, snapshot={}, instances=[object()])  # type: ignore[list-item]
    serverless.gate = gate(clock, starts)
    dedicated = VariantFleet(name="d", weight=1.0, desired_count=1, snapshot={}, instances=[object()])  # type: ignore[list-item]
    fleet = Fleet(endpoint_name="ep", deployment={"Variants": []}, variants=[serverless, dedicated])
    assert take_idle_instances([fleet], 60.0) == []
    clock.advance(60)
    assert len(take_idle_instances([fleet], 60.0)) == 1
    assert serverless.instances == [] and len(dedicated.instances) == 1
