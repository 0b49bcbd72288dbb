"""Shadow variants: a sampled copy of live traffic, sent to the shadow off the request path.

The request path only draws a random number and, when the request is sampled, puts it on a
bounded queue (``put_nowait``: never waits). A few sender tasks take requests off the queue and
send them to the shadow variant's instances. The shadow's answer never reaches the client, and
nothing the shadow does — failing, answering slowly, dying — can reach it either: a full queue
drops the copy (counted in ``dropped``), a failed or timed-out send is counted in ``failed``.

The share of traffic copied follows SageMaker: an endpoint config with a shadow has one
production variant and one shadow variant, and the shadow receives ``shadow weight / production
weight`` of the requests (capped at all of them), so weights 1.0 and 0.5 copy half the traffic.
With data capture on, the shadow's answers are captured under the shadow variant's name.

Every copy sent is counted in the endpoint metrics as SageMaker counts a shadow's, under the
shadow variant's name (``VariantName``): Invocations, InvocationsPerInstance, Invocation4XX and
5XXErrors (a timeout or a dead connection is a 5XX), ModelLatency (the shadow's answer time) and
OverheadLatency (the time the copy waited in the queue).
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from dataclasses import dataclass
from typing import Any

from modelport.hosting.capture import CaptureWriter
from modelport.hosting.fleet import Fleet, Instance, VariantFleet
from modelport.hosting.metrics.recorder import MetricsRecorder

log = logging.getLogger(__name__)

QUEUE_CAPACITY = 256
SENDERS = 4


def shadow_fraction(production_weight: float, shadow_weight: float) -> float:
    """The share of production requests copied to the shadow."""
    if production_weight <= 0:
        return 1.0 if shadow_weight > 0 else 0.0
    return max(0.0, min(1.0, shadow_weight / production_weight))


@dataclass(frozen=True)
class ShadowRequest:
    fleet: Fleet
    shadow: VariantFleet
    body: bytes
    headers: dict[str, str]
    queued_ns: int = 0  # perf_counter_ns when it was queued


class ShadowSender:
    def __init__(
        self,
        *,
        capture: CaptureWriter | None = None,
        metrics: MetricsRecorder | None = None,
        timeout_s: float = 60.0,
        capacity: int = QUEUE_CAPACITY,
        senders: int = SENDERS,
        rng: random.Random | None = None,
    ) -> None:
        self.capture = capture
        self.metrics = metrics
        self.timeout_s = timeout_s
        self.capacity = capacity
        self.senders = senders
        self._rng = rng or random.Random()
        self._queue: asyncio.Queue[ShadowRequest] | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self.sampled = 0  # copies queued
        self.dropped = 0  # copies not queued: the queue was full
        self.answered = 0
        self.failed = 0  # sent but not answered with 2xx (error, timeout, dead instance)

    def offer(self, fleet: Fleet, body: bytes, content_type: str | None, accept: str | None) -> bool:
        """Queue a copy of one production request when the fleet has a shadow and it is sampled."""
        if not fleet.shadows or not fleet.variants:
            return False
        shadow = fleet.shadows[0]
        fraction = shadow_fraction(
            float(fleet.variants[0].snapshot["Weight"]), float(shadow.snapshot["Weight"])
        )
        if self._rng.random() >= fraction:
            return False
        headers = {}
        if content_type is not None:
            headers["Content-Type"] = content_type
        if accept is not None:
            headers["Accept"] = accept
        queue = self._start()
        try:
            queue.put_nowait(ShadowRequest(fleet, shadow, body, headers, time.perf_counter_ns()))
        except asyncio.QueueFull:
            self.dropped += 1
            return False
        self.sampled += 1
        return True

    def counts(self) -> dict[str, int]:
        return {
            "sampled": self.sampled,
            "dropped": self.dropped,
            "answered": self.answered,
            "failed": self.failed,
        }

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        self._queue = None

    def _start(self) -> asyncio.Queue[ShadowRequest]:
        if self._queue is None:
            self._queue = asyncio.Queue(self.capacity)
            loop = asyncio.get_running_loop()
            self._tasks = [
                loop.create_task(self._sender(self._queue), name=f"shadow-sender-{i}")
                for i in range(self.senders)
            ]
        return self._queue

    async def _sender(self, queue: asyncio.Queue[ShadowRequest]) -> None:
        while True:
            request = await queue.get()
            try:
                await self._send(request)
            except Exception as exc:  # the shadow's troubles stay here, whatever they are
                self.failed += 1
                log.debug("shadow variant %s failed a request: %r", request.shadow.name, exc)

    async def _send(self, request: ShadowRequest) -> None:
        instance = _least_loaded(request.shadow.instances)
        if instance is None:
            self.failed += 1
            return
        instance.outstanding += 1
        sent = time.perf_counter_ns()
        status = 0  # no answer: timed out or broken, a 5XX
        try:
            response = await asyncio.wait_for(
                instance.client.invoke(request.body, request.headers), self.timeout_s
            )
            status = response.status
        finally:
            instance.outstanding -= 1
            if self.metrics is not None:
                self.metrics.record(
                    request.fleet.endpoint_name,
                    request.shadow.name,
                    status,
                    len(request.shadow.instances),
                    (time.perf_counter_ns() - sent) / 1000,
                    (sent - request.queued_ns) / 1000 if request.queued_ns else 0.0,
                )
        if not 200 <= response.status < 300:
            self.failed += 1
            return
        self.answered += 1
        capture: dict[str, Any] | None = request.fleet.deployment.get("DataCaptureConfig")
        if self.capture is not None and capture:
            self.capture.offer(
                capture,
                request.fleet.endpoint_name,
                request.shadow.name,
                (request.body, request.headers.get("Content-Type")),
                (response.body, response.headers.get("content-type")),
            )


def _least_loaded(instances: list[Instance]) -> Instance | None:
    alive = [i for i in instances if i.alive]
    return min(alive, key=lambda i: i.outstanding) if alive else None
