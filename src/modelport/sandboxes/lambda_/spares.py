"""Lambda's spare runners: how one starts (``RunnerStarter``) and which function it fits
(``FunctionSpares``), kept in the one ``sandboxes/spares.SparePool``.

Most of a function's cold start is not the function: it is the interpreter starting and the
handler's ``import boto3`` (0.3–0.4 s of a 0.5 s cold start on a 2-core machine). A spare is a
runner started with ``--spare``: it has imported the ``PRELOAD`` modules under a neutral
environment (no function variables, no credentials) and waits. When a function needs a new
execution environment, ``FunctionSpares.take`` hands over a spare, which then receives the
function's variables, folder and log (``ExecutionEnvironment.start``) and imports the handler;
the pool starts a replacement in the background. Lambda keeps pre-started sandboxes the same way.

A spare is given only where it behaves as a fresh process would:

- same interpreter (``EnvironmentSpec.python``, the pool's kind);
- the code ships none of the modules the preload imported (a bundled ``boto3/`` must win, as it
  does in a fresh process, where the code folder is first on ``sys.path``);
- no function variable is one a process reads before the assignment arrives (``PYTHON*``,
  ``BOTO_DISABLE_CRT``, ``LD_*``…: the one list, ``sandboxes/spares.forbids_spare``).

Otherwise the environment starts cold, as before. Spares are never reused: one serves exactly
one environment. A spare that fails to start is logged and not replaced in a loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from modelport.sandboxes.lambda_ import frames
from modelport.sandboxes.lambda_.spec import AWS_FILES, EnvironmentSpec, process_environ
from modelport.sandboxes.spares import SparePool

logger = logging.getLogger(__name__)

PRELOAD = ("boto3",)
START_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class Spare:
    """A started runner waiting for its assignment; ``preloaded`` are the top-level modules it added."""

    process: asyncio.subprocess.Process
    preloaded: frozenset[str]


async def read_frame(process: asyncio.subprocess.Process) -> dict[str, Any]:
    """One frame from a runner's stdout (``IncompleteReadError`` if it exits first)."""
    assert process.stdout is not None
    length = frames.decode_length(await process.stdout.readexactly(frames.HEADER_SIZE))
    return frames.decode_body(await process.stdout.readexactly(length))


def code_modules(code_dir: Path) -> set[str]:
    """The top-level module names a code folder provides (``pkg/``, ``mod.py``, ``ext.cpython….so``)."""
    try:
        entries = list(os.scandir(code_dir))
    except OSError:
        return set()
    return {entry.name if entry.is_dir() else entry.name.partition(".")[0] for entry in entries}


class RunnerStarter:
    """The ``Starter`` of spare runners: kind = the interpreter that runs them."""

    def __init__(
        self, *, preload: tuple[str, ...] = PRELOAD, start_timeout_s: float = START_TIMEOUT_S
    ) -> None:
        self.preload = preload
        self.start_timeout_s = start_timeout_s

    async def start(self, python: str) -> Spare:
        """Start a runner and return it once it reports its preload done (its hello frame)."""
        command = [python, "-P", "-m", "modelport.sandboxes.lambda_.runner", "--spare"]
        command += ["--parent-pid", str(os.getpid())]
        for module in self.preload:
            command += ["--preload", module]
        process = await asyncio.create_subprocess_exec(
            *command,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
            cwd="/",
            env={**process_environ(python), **AWS_FILES},
            start_new_session=True,  # as an environment: kill() reaches its whole group
        )
        try:
            hello = await asyncio.wait_for(read_frame(process), self.start_timeout_s)
        except BaseException:  # cancelled (the pool closes), timed out, exited, or spoke garbage
            await stop_runner(process)
            raise
        if hello.get("failed"):
            logger.warning("A spare function environment could not preload %s", hello["failed"])
        preloaded = hello.get("preloaded")
        names = frozenset(str(name) for name in preloaded) if isinstance(preloaded, list) else frozenset()
        return Spare(process, names)

    def alive(self, spare: Spare) -> bool:
        return spare.process.returncode is None

    async def stop(self, spare: Spare) -> None:
        await stop_runner(spare.process)


class FunctionSpares:
    """The spares every function's environments share: one kind, ``python``, ``size`` of them."""

    def __init__(
        self,
        size: int,
        *,
        python: str = sys.executable,
        preload: tuple[str, ...] = PRELOAD,
        start_timeout_s: float = START_TIMEOUT_S,
    ) -> None:
        self.python = python
        self.pool = SparePool(
            RunnerStarter(preload=preload, start_timeout_s=start_timeout_s), size, what="function environment"
        )

    @property
    def ready(self) -> int:
        return self.pool.ready(self.python)

    def fits(self, spec: EnvironmentSpec, spare: Spare) -> bool:
        """Would ``spare`` behave exactly as a fresh process for ``spec``'s function?"""
        return not (code_modules(spec.code_dir) & spare.preloaded)

    def take(self, spec: EnvironmentSpec) -> Spare | None:
        """A ready spare that fits ``spec`` (a replacement starts), or ``None``: start cold."""
        if spec.python != self.python:
            self.warm_up()
            return None
        return self.pool.take(
            self.python, variables=spec.variables, fits=lambda spare: self.fits(spec, spare)
        )

    def warm_up(self) -> None:
        """Start spares in the background until ``size`` are ready or starting."""
        self.pool.refill(self.python)

    async def close(self) -> None:
        """Stop every spare, ready or starting."""
        await self.pool.close()


async def stop_runner(process: asyncio.subprocess.Process) -> None:
    """SIGKILL the runner's process group and wait for it."""
    if process.returncode is None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
    if process.stdin is not None:
        process.stdin.close()
    await process.wait()
