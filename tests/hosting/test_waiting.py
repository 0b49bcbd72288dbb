"""``Changes`` and ``Arrivals``: waiters wake on the controller's signal, never by polling."""

from __future__ import annotations

import asyncio

import pytest

from modelport.core.errors import Throttled
from modelport.hosting.waiting import Arrivals, Changes


def test_a_waiter_wakes_when_a_change_makes_its_condition_true() -> None:
    async def scenario() -> tuple[bool, int]:
        changes = Changes()
        state = {"settled": False, "checks": 0}

        def done() -> bool:
            state["checks"] += 1
            return bool(state["settled"])

        waiter = asyncio.create_task(changes.wait_until(done, timeout_s=60))
        await asyncio.sleep(0)  # the waiter checks once and waits
        changes.fire()  # a change that does not settle it: it checks again and waits again
        await asyncio.sleep(0)
        state["settled"] = True
        changes.fire()
        return await waiter, int(state["checks"])

    settled, checks = asyncio.run(scenario())
    assert settled
    assert checks == 3  # once at the start, once per change: no polling in between


def test_a_condition_already_true_returns_at_once_and_a_zero_bound_never_waits() -> None:
    async def scenario() -> tuple[bool, bool]:
        changes = Changes()
        return await changes.wait_until(lambda: True, 0), await changes.wait_until(lambda: False, 0)

    assert asyncio.run(scenario()) == (True, False)


def test_the_bound_ends_the_wait() -> None:
    async def scenario() -> bool:
        return await Changes().wait_until(lambda: False, timeout_s=0.01)

    assert asyncio.run(scenario()) is False


def test_held_invocations_go_on_when_the_fleet_arrives() -> None:
    async def scenario() -> list[bool]:
        arrivals = Arrivals()
        arrivals.expect("Iris", capacity=2)
        waiters = [asyncio.create_task(arrivals.wait("iris", timeout_s=60)) for _ in range(2)]
        await asyncio.sleep(0)
        assert arrivals.expecting("IRIS")
        arrivals.settle("iris")
        assert not arrivals.expecting("iris")
        return list(await asyncio.gather(*waiters))

    assert asyncio.run(scenario()) == [True, True]


def test_nothing_expected_means_no_wait() -> None:
    assert asyncio.run(Arrivals().wait("iris", timeout_s=60)) is False


def test_one_more_than_the_capacity_is_throttled() -> None:
    async def scenario() -> None:
        arrivals = Arrivals()
        arrivals.expect("iris", capacity=1)
        held = asyncio.create_task(arrivals.wait("iris", timeout_s=60))
        await asyncio.sleep(0)
        with pytest.raises(Throttled, match="already wait for endpoint iris"):
            await arrivals.wait("iris", timeout_s=60)
        arrivals.settle("iris")
        assert await held

    asyncio.run(scenario())
