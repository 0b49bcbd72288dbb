"""Shadow sampling and the bounded queue, with a seeded RNG and fake instances (no processes)."""

from __future__ import annotations

import asyncio
import random
from typing import Any

import pytest

from modelport.core.clock import FakeClock
from modelport.hosting.fleet import Fleet, Instance, VariantFleet
from modelport.hosting.metrics.recorder import MetricsRecorder
from modelport.hosting.shadow import ShadowSender, shadow_fraction
from modelport.hosting.worker_client import WorkerResponse


class FakeWorker:
    stopping = False

    def alive(self) -> bool:
        return True


class FakeClient:
    def __init__(self, status: int = 200, fail: bool = False, hold: asyncio.Event | None = None) -> None:
        self.status, self.fail, self.hold = status, fail, hold
        self.calls = 0

    async def invoke(self, body: bytes, headers: dict[str, str]) -> WorkerResponse:
        self.calls += 1
        if self.hold is not None:
            await self.hold.wait()
        if self.fail:
            raise ConnectionResetError("the shadow died")
        return WorkerResponse(self.status, {"content-type": "text/csv"}, b"1")


def fleet(client: FakeClient, shadow_weight: float = 0.5, production_weight: float = 1.0) -> Fleet:
    def variant(name: str, weight: float, instances: list[Instance]) -> VariantFleet:
        return VariantFleet(name, weight, 1, {"Weight": weight}, instances)

    shadow_instance = Instance(worker=FakeWorker(), client=client)  # type: ignore[arg-type]
    return Fleet(
        "ep",
        {},
        [variant("Prod", production_weight, [])],
        shadows=[variant("Shadow", shadow_weight, [shadow_instance])],
    )


@pytest.mark.parametrize(
    ("production", "shadow", "fraction"), [(1.0, 0.5, 0.5), (1.0, 1.0, 1.0), (1.0, 3.0, 1.0), (2.0, 0.0, 0.0)]
)
def test_the_shadow_gets_its_weight_relative_to_production(
    production: float, shadow: float, fraction: float
) -> None:
    assert shadow_fraction(production, shadow) == fraction


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


def test_sampling_with_a_seeded_rng_is_reproducible_and_near_the_fraction() -> None:
    async def sample(seed: int) -> list[bool]:
        sender = ShadowSender(rng=random.Random(seed), capacity=10_000)
        f = fleet(FakeClient(), shadow_weight=0.3)
        taken = [sender.offer(f, b"x", "text/csv", None) for _ in range(2000)]
        await sender.close()
        return taken

    first, again = run(sample(7)), run(sample(7))
    assert first == again
    assert 540 <= sum(first) <= 660  # 30 % of 2000 = 600, well within binomial spread


def test_failures_and_errors_are_counted_never_raised() -> None:
    async def scenario() -> dict[str, int]:
        sender = ShadowSender(rng=random.Random(1))
        for client in (FakeClient(fail=True), FakeClient(status=500), FakeClient()):
            assert sender.offer(fleet(client, shadow_weight=1.0), b"x", "text/csv", None)
        while sender.answered + sender.failed < 3:
            await asyncio.sleep(0)
        await sender.close()
        return sender.counts()

    assert run(scenario()) == {"sampled": 3, "dropped": 0, "answered": 1, "failed": 2}


def test_a_full_queue_drops_copies_and_counts_them() -> None:
    async def scenario() -> dict[str, int]:
        hold = asyncio.Event()  # the shadow never answers until released: slowness
        sender = ShadowSender(rng=random.Random(1), capacity=3, senders=1)
        f = fleet(FakeClient(hold=hold), shadow_weight=1.0)
        taken = [sender.offer(f, b"x", None, None) for _ in range(10)]
        await asyncio.sleep(0)  # the one sender takes one copy off the queue and waits
        taken += [sender.offer(f, b"x", None, None) for _ in range(5)]
        hold.set()
        while sender.answered < sender.sampled:
            await asyncio.sleep(0)
        await sender.close()
        assert taken.count(True) == sender.sampled
        return sender.counts()

    assert run(scenario()) == {"sampled": 4, "dropped": 11, "answered": 4, "failed": 0}


def test_a_fleet_without_shadow_is_untouched() -> None:
    sender = ShadowSender()
    plain = Fleet("ep", {}, [VariantFleet("Prod", 1.0, 1, {"Weight": 1.0})])
    assert not sender.offer(plain, b"x", None, None)


def test_every_copy_sent_is_counted_under_the_shadow_variants_name() -> None:
    async def scenario() -> list[Any]:
        recorder = MetricsRecorder(FakeClock())
        sender = ShadowSender(rng=random.Random(1), metrics=recorder)
        for client in (FakeClient(fail=True), FakeClient(status=500), FakeClient(status=400), FakeClient()):
            assert sender.offer(fleet(client, shadow_weight=1.0), b"x", "text/csv", None)
        while sender.answered + sender.failed < 4:
            await asyncio.sleep(0)
        await sender.close()
        return recorder.drain()

    points = {p.metric: p for p in run(scenario())}
    assert {(p.endpoint, p.variant) for p in points.values()} == {("ep", "Shadow")}
    assert points["Invocations"].sum == 4
    assert points["InvocationsPerInstance"].sum == 4  # one instance
    assert points["Invocation5XXErrors"].sum == 2  # the dead connection and the 500
    assert points["Invocation4XXErrors"].sum == 1
    assert points["ModelLatency"].sample_count == 4 and points["OverheadLatency"].sample_count == 4
