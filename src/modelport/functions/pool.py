"""``EnvironmentPool``: the warm execution environments of one function version.

Policy, as Lambda's: an invocation takes an idle environment when there is one (the most
recently used, whose caches are warmest) and starts a new one otherwise; each environment
serves one invocation at a time, so concurrency is the number of busy environments. Past
``max_concurrency`` the call is throttled with ``TooManyRequests`` rather than queued. Idle
environments are kept until ``close()``; one that timed out, crashed or failed init is
discarded, so the next invocation gets a fresh one. A new environment starts from a spare
(``spares.py``, boto3 already imported) when one fits, else from a fresh process.
"""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

from modelport.errors import ServiceUnavailable
from modelport.functions.environment import ExecutionEnvironment, Invocation, InvocationResult
from modelport.functions.errors import TooManyRequests
from modelport.functions.spares import SparePool
from modelport.functions.spec import EnvironmentSpec


class EnvironmentPool:
    def __init__(
        self,
        spec: EnvironmentSpec,
        log_dir: Path,
        *,
        max_concurrency: int = 10,
        spares: SparePool | None = None,
    ) -> None:
        if max_concurrency < 0:
            raise ValueError("max_concurrency must be >= 0")
        self.spec = spec
        self.log_dir = log_dir
        self.max_concurrency = max_concurrency
        self.spares = spares
        self._idle: list[ExecutionEnvironment] = []
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
            environment = self._idle.pop() if self._idle else await self._start()
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
        else:
            self._discard(environment)
        return result

    async def close(self) -> None:
        """Kill every environment, busy or idle, and wait for them to exit."""
        self._closed = True
        self._idle.clear()
        environments = list(self._all)
        self._all.clear()
        await asyncio.gather(*(environment.close() for environment in environments))
        if self._reaping:
            await asyncio.gather(*self._reaping, return_exceptions=True)

    async def _start(self) -> ExecutionEnvironment:
        environment = ExecutionEnvironment(self.spec, self.log_dir / f"{uuid.uuid4().hex}.log")
        self._all.add(environment)
        await environment.start(self.spares.take(self.spec) if self.spares is not None else None)
        return environment

    def _discard(self, environment: ExecutionEnvironment) -> None:
        environment.kill()
        self._all.discard(environment)
        task = asyncio.get_running_loop().create_task(environment.close())
        self._reaping.add(task)
        task.add_done_callback(self._reaping.discard)
