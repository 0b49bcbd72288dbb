"""``SparePool``: processes started ahead of need, kept ready per *kind*, for both process families.

Most of a start is not the model or the function: it is the interpreter starting and the
libraries' imports (xgboost 1–3 s before a model loads, boto3 0.3 s before a handler does). So
modelport starts a few processes of each kind ahead, which import those libraries and then wait
for their assignment; a new model instance or execution environment *takes* one, and the pool
starts a replacement in the background. One pool, two uses:

- the model supervisor (``supervisor.py``): kind = a worker runtime (``xgboost``, ``sklearn``);
  a spare waits on stdin for its instance spec (``worker/warm.py``);
- Lambda's execution environments (``lambda_/spares.py``): kind = the interpreter; a spare
  runner has imported boto3 and waits for its function (``lambda_/runner.py``).

What differs between the two — how a spare starts, when it counts as ready, how it is stopped —
is the pool's ``Starter``, its process factory. What they share is here: ``refill`` (start spares
in the background until ``size`` of the kind are ready or starting), ``take`` (the oldest live
spare that fits, a replacement starting either way), ``close``, and the one rule of which
processes must never be given a spare.

A spare must behave exactly as a fresh process would, so a process whose variables include one
read *as a process starts* — before the spare could be handed its assignment — always starts
fresh (``forbids_spare``). The one list, with who reads each:

    PYTHON*            the interpreter (PYTHONPATH, PYTHONHASHSEED, PYTHONWARNINGS, ...)
    LD_*               the dynamic loader (LD_PRELOAD, LD_LIBRARY_PATH, ...)
    MALLOC_*           glibc's allocator (MALLOC_ARENA_MAX, ...)
    OMP_*, OPENBLAS_*, MKL_*   OpenMP and the BLAS libraries, as numpy and xgboost load in a
                       model spare (OMP_NUM_THREADS, ...)
    BOTO_DISABLE_CRT   boto3, as a Lambda spare imports it

A kind whose spare fails to start gets no more spares (logged once): its processes start cold,
as they would with a pool of size 0. Spares are never handed back: each serves one process's
life.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from typing import Generic, Protocol, TypeVar

logger = logging.getLogger(__name__)

START_TIME_PREFIXES = ("PYTHON", "LD_", "MALLOC_", "OMP_", "OPENBLAS_", "MKL_")
START_TIME_NAMES = frozenset({"BOTO_DISABLE_CRT"})

S = TypeVar("S")


def read_at_start(name: str) -> bool:
    """True for a variable a process reads before a spare could be given its assignment."""
    return name.startswith(START_TIME_PREFIXES) or name in START_TIME_NAMES


def forbids_spare(variables: Iterable[str]) -> bool:
    """True when a process with these variables must start fresh, not from a spare."""
    return any(read_at_start(name) for name in variables)


class Starter(Protocol[S]):
    """How one family of spares is started, watched and stopped: the pool's process factory."""

    async def start(self, kind: str) -> S:
        """Start one spare of ``kind``; return it once it may be taken. Raise if it cannot start."""
        ...

    def alive(self, spare: S) -> bool:
        """False once the spare's process has exited (it is then dropped, and replaced)."""
        ...

    async def stop(self, spare: S) -> None:
        """End a spare nobody took and wait for it."""
        ...


class SparePool(Generic[S]):
    def __init__(self, starter: Starter[S], size: int, *, what: str) -> None:
        """``size`` spares per kind (0: none, every process starts cold); ``what`` names them in
        the log ("model worker", "function environment")."""
        if size < 0:
            raise ValueError("size must be >= 0")
        self.starter = starter
        self.size = size
        self.what = what
        self._ready: dict[str, list[S]] = {}  # the oldest first
        self._starting: dict[str, set[asyncio.Task[None]]] = {}
        self._broken: set[str] = set()
        self._closed = False

    def ready(self, kind: str) -> int:
        """How many live spares of ``kind`` wait to be taken."""
        return len(self._live(kind))

    def spares(self, kind: str) -> tuple[S, ...]:
        """The spares of ``kind`` that wait to be taken, the oldest first."""
        return tuple(self._live(kind))

    def refill(self, kind: str) -> None:
        """Start spares of ``kind`` in the background until ``size`` are ready or starting.

        Call on the event loop's thread: the starts run there, and a process that asks to die
        with its parent (``PR_SET_PDEATHSIG``) dies with the thread that started it.
        """
        if self._closed or kind in self._broken:
            return
        starting = self._starting.setdefault(kind, set())
        starting -= {task for task in starting if task.done()}  # its spare is counted as ready
        missing = self.size - len(self._live(kind)) - len(starting)
        if missing <= 0:
            return
        loop = asyncio.get_running_loop()
        for _ in range(missing):
            task = loop.create_task(self._start_one(kind))
            starting.add(task)
            task.add_done_callback(starting.discard)

    def take(
        self, kind: str, *, variables: Iterable[str] = (), fits: Callable[[S], bool] | None = None
    ) -> S | None:
        """The oldest live spare of ``kind`` that ``fits``, or ``None``: start the process fresh.

        ``variables`` are the process's own; one read at start (``forbids_spare``) means no
        spare. The kind is refilled either way, so a kind gets spares from its first use on.
        """
        spare = None
        if not forbids_spare(variables):
            ready = self._live(kind)
            for index, candidate in enumerate(ready):
                if fits is None or fits(candidate):
                    spare = ready.pop(index)
                    break
        self.refill(kind)
        return spare

    def close_now(self) -> list[S]:
        """Close the pool and hand back the ready spares, which the caller stops itself (the
        supervisor's shutdown, which is synchronous); spares still starting are cancelled."""
        self._closed = True
        for tasks in self._starting.values():
            for task in tasks:
                task.cancel()
        spares = [spare for ready in self._ready.values() for spare in ready]
        self._ready.clear()
        return spares

    async def close(self) -> None:
        """Stop every spare, ready or starting, and wait for them to exit."""
        starting = [task for tasks in self._starting.values() for task in tasks]
        spares = self.close_now()
        await asyncio.gather(*starting, return_exceptions=True)
        await asyncio.gather(*(self.starter.stop(spare) for spare in spares))

    def _live(self, kind: str) -> list[S]:
        """The kind's ready list, without the spares whose process has exited."""
        ready = self._ready.setdefault(kind, [])
        ready[:] = [spare for spare in ready if self.starter.alive(spare)]
        return ready

    async def _start_one(self, kind: str) -> None:
        try:
            spare = await self.starter.start(kind)
        except Exception as exc:  # whatever the cause, this kind now starts cold
            self._broken.add(kind)
            logger.warning("A spare %s (%s) failed to start (%r); cold starts only.", self.what, kind, exc)
            return
        if self._closed:
            await self.starter.stop(spare)
            return
        self._ready.setdefault(kind, []).append(spare)
