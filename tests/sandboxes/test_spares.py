"""The one spare pool, with a fake process factory: refill, take, close, and the start-time list.

The real factories are exercised elsewhere: the Lambda runners' in ``tests/sandboxes/lambda_/test_spares.py``,
the model workers' by every scenario that deploys (``tests/scenarios/test_seed_tutorial.py``
counts the warm spares left).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, TypeVar

import pytest

from modelport.sandboxes.spares import SparePool, forbids_spare, read_at_start

T = TypeVar("T")


@dataclass
class FakeSpare:
    kind: str
    number: int
    alive: bool = True
    stopped: bool = False


@dataclass
class FakeStarter:
    """Starts a spare when ``gate`` opens (open from the start); ``failing`` kinds raise."""

    failing: set[str] = field(default_factory=set)
    gate: asyncio.Event | None = None
    started: list[FakeSpare] = field(default_factory=list)
    attempts: int = 0
    numbers: itertools.count[int] = field(default_factory=itertools.count)

    async def start(self, kind: str) -> FakeSpare:
        self.attempts += 1
        if self.gate is not None:
            await self.gate.wait()
        if kind in self.failing:
            raise OSError(f"no interpreter for {kind}")
        spare = FakeSpare(kind, next(self.numbers))
        self.started.append(spare)
        return spare

    def alive(self, spare: FakeSpare) -> bool:
        return spare.alive

    async def stop(self, spare: FakeSpare) -> None:
        spare.stopped = True
        spare.alive = False


def run(scenario: Callable[[], Coroutine[Any, Any, T]]) -> T:
    return asyncio.run(scenario())


async def settle() -> None:
    """Let the pool's background starts run (the fake's starts finish in one step)."""
    for _ in range(5):
        await asyncio.sleep(0)


def test_refill_starts_spares_of_a_kind_in_the_background_up_to_size() -> None:
    async def scenario() -> tuple[int, int, int, int]:
        starter = FakeStarter()
        pool = SparePool(starter, 2, what="test")
        pool.refill("xgboost")
        before = pool.ready("xgboost")  # nothing has run yet: the starts are tasks
        await settle()
        pool.refill("xgboost")  # full: starts nothing more
        await settle()
        return before, pool.ready("xgboost"), pool.ready("sklearn"), len(starter.started)

    assert run(scenario) == (0, 2, 0, 2)


def test_take_hands_out_the_oldest_spare_and_a_replacement_starts() -> None:
    async def scenario() -> tuple[int | None, int, list[int]]:
        pool = SparePool(FakeStarter(), 2, what="test")
        pool.refill("xgboost")
        await settle()
        taken = pool.take("xgboost")
        after_take = pool.ready("xgboost")
        await settle()
        return (
            (None if taken is None else taken.number),
            after_take,
            [s.number for s in pool.spares("xgboost")],
        )

    assert run(scenario) == (0, 1, [1, 2])


def test_a_take_right_after_a_start_finished_still_starts_a_replacement() -> None:
    async def scenario() -> tuple[bool, int]:
        pool = SparePool(FakeStarter(), 1, what="test")
        pool.refill("xgboost")
        await asyncio.sleep(0)  # the start has finished; its task's done callbacks have not run
        taken = pool.take("xgboost")
        await settle()
        return taken is not None, pool.ready("xgboost")

    assert run(scenario) == (True, 1)


def test_a_kind_gets_spares_from_its_first_take_on() -> None:
    async def scenario() -> tuple[FakeSpare | None, int]:
        pool = SparePool(FakeStarter(), 2, what="test")
        first = pool.take("sklearn")  # nothing ready: start fresh, but the kind is filled now
        await settle()
        return first, pool.ready("sklearn")

    assert run(scenario) == (None, 2)


def test_a_spare_whose_process_exited_is_dropped_and_replaced() -> None:
    async def scenario() -> tuple[int, list[int]]:
        pool = SparePool(FakeStarter(), 2, what="test")
        pool.refill("xgboost")
        await settle()
        pool.spares("xgboost")[0].alive = False
        taken = pool.take("xgboost")
        await settle()
        assert taken is not None
        return taken.number, [s.number for s in pool.spares("xgboost")]

    assert run(scenario) == (1, [2, 3])


@pytest.mark.parametrize(
    "variable",
    ["PYTHONPATH", "PYTHONHASHSEED", "LD_PRELOAD", "MALLOC_ARENA_MAX", "OMP_NUM_THREADS", "BOTO_DISABLE_CRT"],
)
def test_a_variable_read_at_start_means_no_spare_but_the_kind_is_still_refilled(variable: str) -> None:
    async def scenario() -> tuple[FakeSpare | None, int, int]:
        starter = FakeStarter()
        pool = SparePool(starter, 1, what="test")
        pool.refill("xgboost")
        await settle()
        pool.spares("xgboost")[0].alive = False  # so the refill has something to do
        taken = pool.take("xgboost", variables={variable: "1", "COLOUR": "blue"})
        await settle()
        return taken, pool.ready("xgboost"), len(starter.started)

    assert run(scenario) == (None, 1, 2)


def test_take_skips_spares_that_do_not_fit() -> None:
    async def scenario() -> tuple[int | None, list[int]]:
        pool = SparePool(FakeStarter(), 3, what="test")
        pool.refill("python")
        await settle()
        taken = pool.take("python", fits=lambda spare: spare.number == 1)
        remaining = [s.number for s in pool.spares("python")]
        await settle()
        return (None if taken is None else taken.number), remaining

    assert run(scenario) == (1, [0, 2])


def test_a_kind_whose_spare_fails_to_start_gets_no_more_spares(caplog: pytest.LogCaptureFixture) -> None:
    async def scenario() -> tuple[FakeSpare | None, int, int]:
        starter = FakeStarter(failing={"broken"})
        pool = SparePool(starter, 2, what="test worker")
        pool.refill("broken")
        await settle()
        taken = pool.take("broken")  # cold start; no new attempt
        pool.refill("broken")
        pool.refill("fine")  # other kinds are not affected
        await settle()
        return taken, starter.attempts, pool.ready("fine")

    with caplog.at_level(logging.WARNING, logger="modelport.sandboxes.spares"):
        assert run(scenario) == (None, 4, 2)
    assert "A spare test worker (broken) failed to start" in caplog.text
    assert "cold starts only" in caplog.text


def test_close_stops_ready_spares_and_cancels_the_starting() -> None:
    async def scenario() -> tuple[list[bool], int, int]:
        starter = FakeStarter()
        pool = SparePool(starter, 2, what="test")
        pool.refill("xgboost")
        await settle()
        ready = list(pool.spares("xgboost"))
        starter.gate = asyncio.Event()  # the next starts hang until cancelled
        pool.take("xgboost")
        await settle()
        await pool.close()
        pool.refill("xgboost")  # a closed pool starts nothing
        await settle()
        return [spare.stopped for spare in ready], len(starter.started), pool.ready("xgboost")

    # The taken spare belongs to its taker; the other is stopped; the hanging start never finished.
    assert run(scenario) == ([False, True], 2, 0)


def test_a_spare_that_comes_up_after_close_is_stopped() -> None:
    class Stubborn(FakeStarter):
        """Its process comes up even though the pool cancelled the start."""

        async def start(self, kind: str) -> FakeSpare:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.Event().wait()
            spare = FakeSpare(kind, next(self.numbers))
            self.started.append(spare)
            return spare

    async def scenario() -> tuple[list[bool], int]:
        starter = Stubborn()
        pool = SparePool(starter, 1, what="test")
        pool.refill("xgboost")
        await settle()
        await pool.close()
        return [spare.stopped for spare in starter.started], pool.ready("xgboost")

    assert run(scenario) == ([True], 0)


def test_close_now_hands_the_ready_spares_to_the_caller() -> None:
    async def scenario() -> tuple[list[int], list[bool], int]:
        pool = SparePool(FakeStarter(), 2, what="test")
        pool.refill("xgboost")
        pool.refill("sklearn")
        await settle()
        spares = pool.close_now()
        pool.refill("xgboost")
        await settle()
        return sorted(s.number for s in spares), [s.stopped for s in spares], pool.ready("xgboost")

    assert run(scenario) == ([0, 1, 2, 3], [False] * 4, 0)


def test_a_pool_of_size_zero_starts_nothing_and_needs_no_event_loop() -> None:
    starter = FakeStarter()
    pool = SparePool(starter, 0, what="test")
    pool.refill("xgboost")
    assert pool.take("xgboost") is None
    assert starter.attempts == 0


def test_a_negative_size_is_refused() -> None:
    with pytest.raises(ValueError, match="size must be >= 0"):
        SparePool(FakeStarter(), -1, what="test")


def test_the_one_list_of_variables_read_at_start() -> None:
    read = [
        "PYTHONPATH",
        "PYTHONWARNINGS",
        "LD_PRELOAD",
        "LD_LIBRARY_PATH",
        "LD_BIND_NOW",
        "MALLOC_ARENA_MAX",
        "OMP_NUM_THREADS",
        "OPENBLAS_NUM_THREADS",
        "MKL_NUM_THREADS",
        "BOTO_DISABLE_CRT",
    ]
    not_read = ["COLOUR", "AWS_REGION", "SAGEMAKER_PROGRAM", "BOTO_CONFIG", "MY_PYTHONPATH", "TZ"]
    assert [name for name in read if not read_at_start(name)] == []
    assert [name for name in not_read if read_at_start(name)] == []
    assert forbids_spare({"COLOUR": "blue", "LD_PRELOAD": "x.so"})
    assert not forbids_spare({"COLOUR": "blue"})
    assert not forbids_spare(())
