"""The router: sends one invocation to one instance of the right variant.

It picks the variant by weight (or TargetVariant), then the least-loaded instance, and talks
to the worker over HTTP (``worker_client``). A request that never reached its instance (the connection was
refused, or reset with the request unread: the worker died) is retried on another instance; one
that had reached it is answered with an error, since the model may have acted on it. ``arrivals``
holds invocations for an endpoint whose fleet the controller is starting again
(``waiting.Arrivals``).
"""

from __future__ import annotations

import logging
import random
import weakref
from dataclasses import dataclass

from modelport.core.errors import InvalidRequest, ServiceUnavailable, Throttled
from modelport.hosting import policies
from modelport.hosting.batching import BatchPolicy, Gatherer
from modelport.hosting.fleet import Fleet, Instance, VariantFleet
from modelport.hosting.waiting import Arrivals
from modelport.hosting.worker_client import (
    WorkerBroken,
    WorkerClient,
    WorkerResponse,
    WorkerTimeout,
    WorkerUnreachable,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WorkerAnswer:
    """What the instance said, before any interpretation as success or ModelError."""

    status: int  # 0 when the instance did not answer in time
    body: bytes
    content_type: str | None
    custom_attributes: str | None
    variant: str
    timed_out: bool = False
    broken: bool = False  # the response could not be read to the end


class Router:
    def __init__(
        self,
        *,
        max_in_flight: int,
        timeout_s: float,
        rng: random.Random | None = None,
        batching: BatchPolicy | None = None,
        framed: bool = True,
    ) -> None:
        self.max_in_flight = max_in_flight
        self.framed = framed  # invocations in frames over the worker's Unix socket, else HTTP
        self.timeout_s = timeout_s
        self.batching = batching  # None: every request is its own worker call
        self._gatherers: weakref.WeakKeyDictionary[WorkerClient, Gatherer] = weakref.WeakKeyDictionary()
        self.fleets: dict[str, Fleet] = {}
        self.arrivals = Arrivals()
        self._rng = rng or random.Random()

    def fleet(self, endpoint_name: str) -> Fleet | None:
        return self.fleets.get(endpoint_name.lower())

    def install(self, fleet: Fleet) -> Fleet | None:
        """Make ``fleet`` serve its endpoint; return the fleet it replaced, if any."""
        key = fleet.endpoint_name.lower()
        old = self.fleets.get(key)
        self.fleets[key] = fleet
        return old

    def remove(self, endpoint_name: str) -> Fleet | None:
        return self.fleets.pop(endpoint_name.lower(), None)

    def new_client(
        self,
        port: int,
        host: str = "127.0.0.1",
        *,
        timeout_s: float | None = None,
        max_idle: int | None = None,
        frames: bool = True,
    ) -> WorkerClient:
        """A client of one worker: the router's timeout and idle bound unless given (a transform
        job has its own); ``frames=False`` when requests may outgrow a frame."""
        # Frames need the worker's Unix socket, on this machine; a Ray node's worker gets HTTP.
        framed = frames and self.framed and host == "127.0.0.1"
        return WorkerClient(
            host,
            port,
            timeout_s=self.timeout_s if timeout_s is None else timeout_s,
            max_idle=self.max_in_flight if max_idle is None else max_idle,
            framed=framed,
        )

    async def invoke(
        self,
        fleet: Fleet,
        body: bytes,
        *,
        content_type: str | None,
        accept: str | None,
        custom_attributes: str | None,
        target_variant: str | None,
        timeout_s: float | None = None,
    ) -> WorkerAnswer:
        """``timeout_s``: this request's own timeout instead of the router's (an asynchronous
        request's InvocationTimeoutSeconds); such a request is never batched with others."""
        variant = self._variant(fleet, target_variant)
        if variant.gate is None:
            return await self._invoke_variant(
                variant, body, content_type, accept, custom_attributes, timeout_s
            )
        async with variant.gate.admit():  # serverless: MaxConcurrency, and a cold start when scaled to zero
            return await self._invoke_variant(
                variant, body, content_type, accept, custom_attributes, timeout_s
            )

    async def _invoke_variant(
        self,
        variant: VariantFleet,
        body: bytes,
        content_type: str | None,
        accept: str | None,
        custom_attributes: str | None,
        timeout_s: float | None,
    ) -> WorkerAnswer:
        headers = {}
        if content_type is not None:
            headers["Content-Type"] = content_type
        if accept is not None:
            headers["Accept"] = accept
        if custom_attributes is not None:
            headers["X-Amzn-SageMaker-Custom-Attributes"] = custom_attributes
        tried: set[int] = set()
        while True:
            instance = self._instance(variant, tried)
            tried.add(id(instance))
            instance.outstanding += 1
            try:
                response = await self._send(instance.client, body, headers, timeout_s)
            except WorkerUnreachable:
                continue  # never reached the worker: safe to try another instance
            except WorkerTimeout:
                return WorkerAnswer(0, b"", None, None, variant.name, timed_out=True)
            except WorkerBroken as exc:
                log.warning(
                    "instance %s (pid %d, port %d) broke the connection of a request it had been sent: %s",
                    instance.worker.spec.instance_id,
                    instance.worker.process.pid,
                    instance.worker.port,
                    exc,
                )
                return WorkerAnswer(500, b"", None, None, variant.name, broken=True)
            finally:
                instance.outstanding -= 1
            return WorkerAnswer(
                status=response.status,
                body=response.body,
                content_type=response.headers.get("content-type"),
                custom_attributes=response.headers.get("x-amzn-sagemaker-custom-attributes"),
                variant=variant.name,
            )

    async def _send(
        self, client: WorkerClient, body: bytes, headers: dict[str, str], timeout_s: float | None
    ) -> WorkerResponse:
        """One request to one worker, through its gatherer when batching is on (``batching.py``)."""
        if timeout_s is not None:
            return await client.invoke(body, headers, timeout_s=timeout_s)
        if self.batching is None:
            return await client.invoke(body, headers)
        gatherer = self._gatherers.get(client)
        if gatherer is None:
            gatherer = self._gatherers[client] = Gatherer(client, self.batching)
        return await gatherer.invoke(body, headers)

    def _variant(self, fleet: Fleet, target_variant: str | None) -> VariantFleet:
        if target_variant is not None:
            variant = fleet.variant(target_variant)
            if variant is None:
                raise InvalidRequest(
                    f"The variant {target_variant} does not exist for endpoint {fleet.endpoint_name}. "
                    f"Its variants are: {', '.join(v.name for v in fleet.variants)}."
                )
            return variant
        if len(fleet.variants) == 1:
            return fleet.variants[0]
        return fleet.variants[policies.choose_variant([v.weight for v in fleet.variants], self._rng)]

    def _instance(self, variant: VariantFleet, tried: set[int]) -> Instance:
        candidates = [i for i in variant.instances if i.alive and id(i) not in tried]
        if not candidates:
            # What AWS answers when no instance can be reached (ModelNotReady is for multi-model endpoints).
            raise ServiceUnavailable(
                f"No instance of variant {variant.name} is able to serve right now; "
                "a replacement is starting. Retry the request."
            )
        index = policies.choose_instance([i.outstanding for i in candidates], self.max_in_flight, self._rng)
        if index is None:
            raise Throttled(
                f"All {len(candidates)} instances of variant {variant.name} already have "
                f"{self.max_in_flight} requests in flight (MODELPORT_MAX_IN_FLIGHT_PER_INSTANCE). "
                "Retry, or deploy more instances."
            )
        return candidates[index]
