"""Serverless variants (``ServerlessConfig``): scale to zero, cold starts, MaxConcurrency.

A serverless variant runs at most one instance. Every invocation passes its ``ServerlessGate``
(the router calls ``admit``): beyond ``MaxConcurrency`` requests in flight the request is
refused with ``ThrottlingException``; when the variant has no instance the request waits for a
cold start (one start shared by every waiting request, bounded by the invocation timeout)
instead of failing. The controller's health loop asks ``should_scale_to_zero`` about each
serverless variant and stops the instance of one idle for ``Limits.serverless_idle_timeout_s``.

``ProvisionedConcurrency`` > 0 keeps the instance warm: it never scales to zero. One instance
serves up to ``MaxConcurrency`` requests at once (the worker takes concurrent requests), so
modelport does not start one process per unit of provisioned concurrency.

``MemorySizeInMB`` is validated and echoed; it is not enforced as a memory limit (the sandbox
sets no memory limit on worker processes).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Coroutine, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from modelport.core.clock import Clock
from modelport.core.errors import InvalidRequest, ServiceUnavailable, Throttled

if TYPE_CHECKING:  # fleet.py imports this module
    from modelport.hosting.fleet import Fleet, Instance, VariantFleet

log = logging.getLogger(__name__)

MEMORY_SIZES_MB = (1024, 2048, 3072, 4096, 5120, 6144)
MAX_CONCURRENCY = 200


@dataclass(frozen=True)
class ServerlessSpec:
    memory_mb: int
    max_concurrency: int
    provisioned_concurrency: int = 0

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> ServerlessSpec:
        return cls(
            memory_mb=int(config["MemorySizeInMB"]),
            max_concurrency=int(config["MaxConcurrency"]),
            provisioned_concurrency=int(config.get("ProvisionedConcurrency") or 0),
        )


def validate(variant_name: str, config: dict[str, Any]) -> None:
    """Refuse a ServerlessConfig SageMaker would refuse, saying what to fix."""
    for field in ("MemorySizeInMB", "MaxConcurrency"):
        if field not in config:
            raise InvalidRequest(f"ServerlessConfig of variant {variant_name} needs {field}.")
    spec = ServerlessSpec.from_config(config)
    if spec.memory_mb not in MEMORY_SIZES_MB:
        raise InvalidRequest(
            f"ServerlessConfig.MemorySizeInMB of variant {variant_name} is {spec.memory_mb}; "
            f"it must be one of {', '.join(map(str, MEMORY_SIZES_MB))}."
        )
    if not 1 <= spec.max_concurrency <= MAX_CONCURRENCY:
        raise InvalidRequest(
            f"ServerlessConfig.MaxConcurrency of variant {variant_name} is {spec.max_concurrency}; "
            f"it must be between 1 and {MAX_CONCURRENCY}."
        )
    if "ProvisionedConcurrency" in config and not 1 <= spec.provisioned_concurrency <= spec.max_concurrency:
        raise InvalidRequest(
            f"ServerlessConfig.ProvisionedConcurrency of variant {variant_name} is "
            f"{spec.provisioned_concurrency}; it must be between 1 and MaxConcurrency "
            f"({spec.max_concurrency}). Lower it, or raise MaxConcurrency."
        )


def should_scale_to_zero(
    *, now: float, last_used: float, in_flight: int, idle_timeout_s: float, provisioned: int
) -> bool:
    """Whether a running serverless variant should stop its instance now.

    Never while a request is in flight, never with provisioned concurrency, never when the idle
    timeout is 0 (scale to zero turned off).
    """
    if in_flight > 0 or provisioned > 0 or idle_timeout_s <= 0:
        return False
    return now - last_used >= idle_timeout_s


class ServerlessGate:
    """Admission for one serverless variant: counts requests in flight, throttles, cold-starts."""

    def __init__(
        self,
        *,
        variant_name: str,
        spec: ServerlessSpec,
        clock: Clock,
        ready: Callable[[], bool],
        start: Callable[[], Coroutine[Any, Any, None]],
        cold_start_timeout_s: float,
    ) -> None:
        self.variant_name = variant_name
        self.spec = spec
        self.clock = clock
        self.ready = ready  # the variant has a live instance
        self.start = start  # starts one instance and adds it to the variant
        self.cold_start_timeout_s = cold_start_timeout_s
        self.in_flight = 0
        self.last_used = clock.monotonic()
        self.throttled = 0  # requests refused beyond MaxConcurrency, for tests and benchmarks
        self.cold_starts = 0
        self._starting: asyncio.Task[None] | None = None

    def idle(self, idle_timeout_s: float) -> bool:
        return should_scale_to_zero(
            now=self.clock.monotonic(),
            last_used=self.last_used,
            in_flight=self.in_flight,
            idle_timeout_s=idle_timeout_s,
            provisioned=self.spec.provisioned_concurrency,
        )

    @contextlib.asynccontextmanager
    async def admit(self) -> AsyncIterator[None]:
        if self.in_flight >= self.spec.max_concurrency:
            self.throttled += 1
            raise Throttled(
                f"Variant {self.variant_name} already has {self.spec.max_concurrency} requests in flight "
                "(ServerlessConfig.MaxConcurrency). Retry, or raise MaxConcurrency."
            )
        self.in_flight += 1
        self.last_used = self.clock.monotonic()
        try:
            if not self.ready():
                await self._cold_start()
            yield
        finally:
            self.in_flight -= 1
            self.last_used = self.clock.monotonic()

    async def _cold_start(self) -> None:
        """Wait for the variant's instance; one start serves every request that waits for it."""
        if self._starting is None or self._starting.done():
            self.cold_starts += 1
            log.info("serverless variant %s has no instance: cold start", self.variant_name)
            self._starting = asyncio.create_task(self.start())
        try:
            await asyncio.wait_for(asyncio.shield(self._starting), self.cold_start_timeout_s)
        except TimeoutError:
            raise ServiceUnavailable(
                f"The serverless variant {self.variant_name} did not start within "
                f"{self.cold_start_timeout_s:g} s. Retry the request; see its log with modelport logs."
            ) from None
        except Exception as exc:
            raise ServiceUnavailable(
                f"The serverless variant {self.variant_name} could not start: {exc} Retry the request."
            ) from exc

    async def close(self) -> None:
        if self._starting is not None and not self._starting.done():
            self._starting.cancel()
            with contextlib.suppress(BaseException):
                await self._starting


def gate_for(
    variant: VariantFleet,
    *,
    clock: Clock,
    start: Callable[[], Coroutine[Any, Any, None]],
    cold_start_timeout_s: float,
) -> ServerlessGate:
    """The gate of a serverless variant; ``start`` starts one instance and adds it to the variant."""
    return ServerlessGate(
        variant_name=variant.name,
        spec=ServerlessSpec.from_config(variant.snapshot["ServerlessConfig"]),
        clock=clock,
        ready=lambda: any(i.alive for i in variant.instances),
        start=start,
        cold_start_timeout_s=cold_start_timeout_s,
    )


def take_idle_instances(fleets: Iterable[Fleet], idle_timeout_s: float) -> list[Instance]:
    """Take the instances of idle serverless variants out of their fleets; the caller stops them.

    The lists are emptied in place (blended fleets share them), in one step with the idle check,
    so a request admitted after it sees no instance and waits for a cold start.
    """
    taken: list[Instance] = []
    for fleet in fleets:
        for variant in fleet.variants:
            if variant.gate is not None and variant.instances and variant.gate.idle(idle_timeout_s):
                taken.extend(variant.instances)
                variant.instances.clear()
    return taken
