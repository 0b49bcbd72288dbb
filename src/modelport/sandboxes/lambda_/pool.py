"""``EnvironmentPool``: the warm execution environments of one function version.

Policy, as Lambda's: an invocation takes an idle environment when there is one (the most
recently used, whose caches are warmest) and starts a new one otherwise; each environment
serves one invocation at a time, so concurrency is the number of busy environments. Past
``max_concurrency`` the call is throttled with ``TooManyRequests`` rather than queued. Idle
environments are kept until ``retire_idle`` finds them unused for too long, or ``close()``;
one that timed out, crashed or failed init is discarded, so the next invocation gets a fresh one. A new environment starts from a spare
(``FunctionSpares``, boto3 already imported) when one fits, else from a fresh process.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from pathlib import Path

from modelport.core.errors import ServiceUnavailable
from modelport.sandboxes.lambda_.environment import (
    ExecutionEnvironment,
    Invocation,
    InvocationResult,
    LogSink,
)
from modelport.sandboxes.lambda_.errors import TooManyRequests
from modelport.sandboxes.lambda_.spares import FunctionSpares
from modelport.sandboxes.lambda_.spec import EnvironmentSpec

# Log files kept per function: one per environment, the oldest removed as new ones start.
KEPT_LOG_FILES = 50


def prune_logs(log_dir: Path, *, keep: int) -> None:
    """Remove all but the ``keep`` most recently written ``*.log`` files of ``log_dir``."""
    try:
        logs = sorted(log_dir.glob("*.log"), key=lambda path: path.stat().st_mtime, reverse=True)
    except OSError:
        return  # a file went away while sorting: prune next time
    for path in logs[keep:]:
        path.unlink(missing_ok=True)


class EnvironmentPool:
    def __init__(
        self,
        spec: EnvironmentSpec,
        log_dir: Path,
        *,
        max_concurrency: int = 10,
        spares: FunctionSpares | None = None,
        log_sink: LogSink | None = None,
    ) -> None:
        if max_concurrency < 0:
            raise ValueError("max_concurrency must be >= 0")
        self.spec = spec
        self.log_dir = log_dir
        self.max_concurrency = max_concurrency
        self.spares = spares
        self.log_sink = log_sink  # each environment's output goes here too (CloudWatch Logs)
        self._idle: list[ExecutionEnvironment] = []  # the most recently used last
        self._idle_since: dict[ExecutionEnvironment, float] = {}
        self._all: set[ExecutionEnvironment] = set()
        self._busy = 0
        self._closed = False
        self._reaping: set[asyncio.Task[None]] = set()

    @property
    def busy(self) -> int:
        return self._busy

    @property
    def idle(self) -> int:
        return len(self._idle)

    async def invoke(self, invocation: Invocation) -> InvocationResult:
        """Run one invocation; raise ``TooManyRequests`` when every allowed environment is busy."""
        if self._closed:
            raise ServiceUnavailable(f"Function {self.spec.function_name} is shutting down.")
        if self._busy >= self.max_concurrency:
            raise TooManyRequests()
        self._busy += 1
        environment: ExecutionEnvironment | None = None
        try:
            environment = self._take_idle() or await self._start()
            result = await environment.invoke(invocation)
        except BaseException:
            # Cancelled (the client went away) or failed mid-call: its state is unknown.
            if environment is not None:
                self._discard(environment)
            raise
        finally:
            self._busy -= 1
        if environment.usable and not self._closed:
            self._idle.append(environment)
            self._idle_since[environment] = time.monotonic()
        else:
            self._discard(environment)
        return result

    def retire_idle(self, max_idle_s: float, *, now: float | None = None) -> int:
        """Stop the environments idle for ``max_idle_s`` or longer; return how many.

        Lambda, too, shuts down an execution environment some minutes after its last request;
        the next invocation then starts (from a spare) a fresh one.
        """
        now = time.monotonic() if now is None else now
        stale = [env for env in self._idle if now - self._idle_since[env] >= max_idle_s]
        for environment in stale:
            self._idle.remove(environment)
            del self._idle_since[environment]
            self._discard(environment)
        return len(stale)

    async def close(self) -> None:
        """Kill every environment, busy or idle, and wait for them to exit."""
        self._closed = True
        self._idle.clear()
        self._idle_since.clear()
        environments = list(self._all)
        self._all.clear()
        await asyncio.gather(*(environment.close() for environment in environments))
        if self._reaping:
            await asyncio.gather(*self._reaping, return_exceptions=True)

    def _take_idle(self) -> ExecutionEnvironment | None:
        if not self._idle:
            return None
        environment = self._idle.pop()
        del self._idle_since[environment]
        return environment

    async def _start(self) -> ExecutionEnvironment:
        prune_logs(self.log_dir, keep=KEPT_LOG_FILES - 1)
        environment = ExecutionEnvironment(
            self.spec, self.log_dir / f"{uuid.uuid4().hex}.log", log_sink=self.log_sink
        )
        self._all.add(environment)
        await environment.start(self.spares.take(self.spec) if self.spares is not None else None)
        return environment

    def _discard(self, environment: ExecutionEnvironment) -> None:
        environment.kill()
        self._all.discard(environment)
        task = asyncio.get_running_loop().create_task(environment.close())
        self._reaping.add(task)
        task.add_done_callback(self._reaping.discard)
