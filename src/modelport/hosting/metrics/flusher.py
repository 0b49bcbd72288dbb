"""The metrics loop: every ``interval_s`` it samples the instances' CPU and memory (and the
asynchronous endpoints' backlogs), moves the
recorder's pending minutes to the store (in a worker thread, off the event loop) and forgets
minutes older than the retention.

``Metrics`` bundles the recorder, the store and the loop: the one object the platform holds.
A flush can also be asked for (``flush``) so that a read sees the minute in progress.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from modelport.core.clock import Clock
from modelport.hosting.metrics.recorder import MetricsRecorder
from modelport.hosting.metrics.store import MetricStore
from modelport.hosting.metrics.usage import UsageSampler
from modelport.hosting.router import Router

log = logging.getLogger(__name__)


class Metrics:
    def __init__(
        self,
        store: MetricStore,
        clock: Clock,
        router: Router,
        *,
        retention_s: float,
        interval_s: float,
        sampler: UsageSampler | None = None,
    ) -> None:
        self.recorder = MetricsRecorder(clock)
        self.store = store
        self.clock = clock
        self.router = router
        self.retention_s = retention_s
        self.interval_s = interval_s
        self.sampler = sampler or UsageSampler()
        # Run in a worker thread after each flush (bootstrap: CloudWatch's alarm evaluation).
        self.after_flush: Callable[[], None] | None = None
        # Asynchronous endpoints' backlog metrics, sampled with CPU and memory (bootstrap: the
        # async dispatcher's ``gauges``): (endpoint, metric, value).
        self.backlog: Callable[[], list[tuple[str, str, float]]] | None = None

    def sample_usage(self) -> None:
        """One CPU and memory reading of every running instance."""
        instances: dict[int, tuple[str, str, str]] = {}
        for fleet in list(self.router.fleets.values()):
            for variant in (*fleet.variants, *fleet.shadows):
                for instance in variant.instances:
                    pid = instance.worker.process.pid
                    instances[pid] = (fleet.endpoint_name, variant.name, instance.worker.spec.instance_id)
        readings = self.sampler.sample(list(instances), time.monotonic())
        for pid, (cpu, memory) in readings.items():
            endpoint, variant_name, instance_id = instances[pid]
            self.recorder.usage(endpoint, variant_name, instance_id, cpu, memory)
        self.recorder.forget_instances(set(instances.values()))
        if self.backlog is not None:
            self.recorder.backlog_sample(self.backlog())

    def flush(self) -> None:
        """Store what the recorder holds (synchronously: a few rows, well under a millisecond)."""
        self.store.add(self.recorder.drain())

    async def run(self) -> None:
        """The loop; it never dies of one failed round."""
        while True:
            await asyncio.sleep(self.interval_s)
            try:
                self.sample_usage()
                points = self.recorder.drain()
                await asyncio.to_thread(self.store.add, points)
                await asyncio.to_thread(self.store.prune, self.clock.now() - self.retention_s)
                if self.after_flush is not None:
                    await asyncio.to_thread(self.after_flush)
            except Exception:
                log.exception("metrics: a flush failed; the next one will try again")

    def close(self) -> None:
        try:
            self.flush()
        finally:
            self.store.close()
