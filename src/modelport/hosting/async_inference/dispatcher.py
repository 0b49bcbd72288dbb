"""The async dispatcher: runs each endpoint's queue of asynchronous requests on its instances.

A request (``request.AsyncRequest``) is stored before InvokeEndpointAsync answers, so a server
that stops with requests queued or running runs them at its next start (``resume``); its answer
object is then written again, whole. Per endpoint, at most ``MaxConcurrentInvocationsPerInstance``
× the endpoint's instance count run at once; the others wait in arrival order.

Running one request:

1. past its ``RequestTTLSeconds`` it fails without being sent;
2. the input object is read from S3 (at most ``Limits.max_async_input_bytes``) and sent to an
   instance through the router (weights as for InvokeEndpoint), with the request's
   ``InvocationTimeoutSeconds``, its ContentType (or, when it names none, the type the input
   object was stored with), Accept and CustomAttributes;
3. a 2xx answer is written to the output location, with the answer's Content-Type; anything
   else (a 4xx or 5xx answer, a timeout, an unreadable input) is written to the failure location
   when the endpoint config names ``S3FailurePath``;
4. one line per request goes to the endpoint's log group, stream ``async-inference/data-log``.

An endpoint scaled to zero instances (``MinCapacity`` 0, for asynchronous endpoints only) keeps
its requests queued until it has an instance again: ``HasBacklogWithoutCapacity``, one of the
backlog metrics ``gauges`` gives the metrics loop, is what a scaling alarm watches for that.
``run`` checks every second for requests past their TTL and for room that appeared.

The server reads and writes S3 with its own key, so every object is first checked against the
requester's IAM policies, as the S3 front would check them (``s3_access``).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from modelport.core.clock import Clock
from modelport.core.config import Settings
from modelport.core.errors import ModelportError
from modelport.hosting.artifacts.fetch import s3_client
from modelport.hosting.async_inference.request import (
    ASYNC_REQUEST_KIND,
    LOG_STREAM,
    AsyncRequest,
    max_concurrent_per_instance,
)
from modelport.hosting.fleet import Fleet
from modelport.hosting.metrics.recorder import MetricsRecorder
from modelport.hosting.router import Router, WorkerAnswer
from modelport.hosting.transform import objects
from modelport.hosting.transform.objects import ObjectError, S3Access, S3Location
from modelport.store.base import Store

log = logging.getLogger(__name__)

TICK_S = 1.0


class RequestFailed(Exception):
    """A request that got no answer object; the message is what its failure object says."""


class NoInstance(Exception):
    """The endpoint has no instance now (scaled to zero): the request waits in the queue again."""


@dataclass
class _Queue:
    """One endpoint's requests: those waiting, in arrival order, and those running (by key).
    A queue exists while it holds a request."""

    endpoint_name: str
    waiting: deque[AsyncRequest] = field(default_factory=deque)
    running: dict[str, tuple[AsyncRequest, asyncio.Task[None]]] = field(default_factory=dict)

    def oldest(self) -> float | None:
        """When the oldest request still waiting or running came (epoch seconds)."""
        times = [request.received_at for request, _ in self.running.values()]
        if self.waiting:
            times.append(self.waiting[0].received_at)
        return min(times) if times else None


@dataclass(frozen=True)
class Submitted:
    started: bool  # the request went to an instance at once (nothing queued ahead of it)
    done: asyncio.Future[None]  # resolves when its answer or failure is written


class AsyncDispatcher:
    def __init__(
        self,
        *,
        store: Store,
        settings: Settings,
        clock: Clock,
        router: Router,
        append_log: Callable[[str, str, str], None],
        s3_access: S3Access,
        metrics: MetricsRecorder | None = None,
    ) -> None:
        self.store = store
        self.settings = settings
        self.clock = clock
        self.router = router
        self.append_log = append_log  # (group, stream, text): CloudWatch Logs' writer
        self.s3_access = s3_access
        self.metrics = metrics
        self._queues: dict[str, _Queue] = {}
        self._done: dict[str, asyncio.Future[None]] = {}

    # -- what the service layer calls -------------------------------------------------------------

    def submit(self, request: AsyncRequest) -> Submitted:
        """Queue a stored request; it starts at once when its endpoint has room."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._done[request.key] = done
        queue = self._queues.setdefault(request.endpoint_name.lower(), _Queue(request.endpoint_name))
        queue.waiting.append(request)
        self._pump(request.endpoint_name)
        return Submitted(started=request.key in queue.running, done=done)

    def backlog(self, endpoint_name: str) -> int:
        """Requests waiting or running for an endpoint (ApproximateBacklogSize)."""
        queue = self._queues.get(endpoint_name.lower())
        return 0 if queue is None else len(queue.waiting) + len(queue.running)

    async def resume(self) -> None:
        """At start-up: queue again every request a stopped server left, oldest first."""
        stored = sorted(self.store.list(ASYNC_REQUEST_KIND), key=lambda r: r.creation_time)
        for record in stored:
            self.submit(AsyncRequest.from_body(record.body))
        if stored:
            log.info("resumed %d asynchronous inference requests", len(stored))

    async def run(self) -> None:
        """Every second: fail the queued requests past their TTL, and start what the endpoints
        have room for (an endpoint scaled to zero instances gets room when it scales out)."""
        while True:
            await asyncio.sleep(TICK_S)
            try:
                self.tick()
            except Exception:
                log.exception("asynchronous inference: a round failed; the next one will try again")

    def tick(self) -> None:
        now = self.clock.now()
        for queue in list(self._queues.values()):
            expired = [request for request in queue.waiting if now > request.expires_at]
            for request in expired:
                queue.waiting.remove(request)
                self._start(queue, request)  # it fails at once, without an instance
            if queue.waiting:
                self._pump(queue.endpoint_name)

    def gauges(self) -> list[tuple[str, str, float]]:
        """(endpoint, metric, value) of SageMaker's backlog metrics, for every asynchronous
        endpoint that runs or has requests: sampled with the instances' CPU and memory."""
        now = self.clock.now()
        endpoints = {
            fleet.endpoint_name.lower(): fleet.endpoint_name
            for fleet in list(self.router.fleets.values())
            if "AsyncInferenceConfig" in fleet.deployment
        }
        for key, queue in self._queues.items():
            endpoints.setdefault(key, queue.endpoint_name)
        found: list[tuple[str, str, float]] = []
        for key, name in endpoints.items():
            queue = self._queues.get(key) or _Queue(name)
            backlog = float(len(queue.waiting) + len(queue.running))
            instances = self._instances(name)
            oldest = queue.oldest()
            found += [
                (name, "ApproximateBacklogSize", backlog),
                (name, "ApproximateBacklogSizePerInstance", backlog / instances if instances else backlog),
                (name, "ApproximateAgeOfOldestRequest", now - oldest if oldest is not None else 0.0),
                (name, "HasBacklogWithoutCapacity", 1.0 if backlog and not instances else 0.0),
            ]
        return found

    async def close(self) -> None:
        """Stop running requests (they stay stored and run again at the next start)."""
        tasks = [task for queue in self._queues.values() for _, task in queue.running.values()]
        self._queues.clear()
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    # -- the queue ----------------------------------------------------------------------------------

    def _pump(self, endpoint_name: str) -> None:
        queue = self._queues.get(endpoint_name.lower())
        if queue is None:
            return
        while queue.waiting and len(queue.running) < self._capacity(endpoint_name):
            self._start(queue, queue.waiting.popleft())

    def _start(self, queue: _Queue, request: AsyncRequest) -> None:
        task = asyncio.get_running_loop().create_task(
            self._run(request), name=f"async inference {request.key}"
        )
        queue.running[request.key] = (request, task)

    def _capacity(self, endpoint_name: str) -> int:
        """How many of the endpoint's requests may run at once: none while it has no instance
        (scaled to zero: they wait), 1 while it has no fleet (that request waits for one, or
        fails when none comes) or no longer has AsyncInferenceConfig (it fails)."""
        fleet = self.router.fleet(endpoint_name)
        config = fleet.deployment.get("AsyncInferenceConfig") if fleet is not None else None
        if fleet is None or config is None:
            return 1
        # Never more per instance than the router lets in flight (beyond: ThrottlingException).
        per_instance = min(max_concurrent_per_instance(config), self.router.max_in_flight)
        return self._instances(endpoint_name) * per_instance

    def _instances(self, endpoint_name: str) -> int:
        fleet = self.router.fleet(endpoint_name)
        return 0 if fleet is None else sum(len(variant.instances) for variant in fleet.variants)

    async def _run(self, request: AsyncRequest) -> None:
        requeued = False
        try:
            await self._serve(request)
        except NoInstance:
            requeued = True  # scaled in to zero since it started: it waits again, first in line
        except asyncio.CancelledError:
            raise  # the server stops: the request stays stored
        except Exception:  # a bug must not take the queue with it
            log.exception("asynchronous inference request %s failed unexpectedly", request.key)
        finally:
            key = request.endpoint_name.lower()
            queue = self._queues.get(key)
            if queue is not None:
                queue.running.pop(request.key, None)
                if requeued:
                    queue.waiting.appendleft(request)
                self._pump(request.endpoint_name)
                if not queue.waiting and not queue.running:
                    del self._queues[key]  # a deleted endpoint leaves no queue behind
        if requeued:
            return
        self.store.delete(ASYNC_REQUEST_KIND, request.key)
        done = self._done.pop(request.key, None)
        if done is not None and not done.done():
            done.set_result(None)

    # -- one request --------------------------------------------------------------------------------

    async def _serve(self, request: AsyncRequest) -> None:
        started = time.monotonic()
        try:
            answer = await self._answer(request)
            await self._write(request, request.output_location, answer.body, answer.content_type)
        except RequestFailed as failure:
            self._log(request, f"failed after {_ms(started)} ms: {failure}")
            if request.failure_location is not None:
                with contextlib.suppress(RequestFailed):
                    await self._write(request, request.failure_location, str(failure).encode(), "text/plain")
            return
        self._log(request, f"succeeded in {_ms(started)} ms (variant {answer.variant})")

    async def _answer(self, request: AsyncRequest) -> WorkerAnswer:
        if self.clock.now() > request.expires_at:
            raise RequestFailed(
                f"The request expired: it waited longer than its RequestTTLSeconds "
                f"({int(request.expires_at - request.received_at)} s) in the endpoint's queue."
            )
        fleet = await self._fleet(request.endpoint_name)
        if "AsyncInferenceConfig" not in fleet.deployment:
            raise RequestFailed(
                f"Endpoint {request.endpoint_name} no longer runs an endpoint config with AsyncInferenceConfig."
            )
        if not self._instances(request.endpoint_name):
            raise NoInstance()
        body, stored_type = await self._read(request)
        sent = time.perf_counter_ns()
        try:
            answer = await self.router.invoke(
                fleet,
                body,
                content_type=request.content_type or _given_type(stored_type),
                accept=request.accept,
                custom_attributes=request.custom_attributes,
                target_variant=None,
                timeout_s=request.timeout_s,
            )
        except ModelportError as exc:  # no instance able to serve
            raise RequestFailed(exc.message) from None
        if self.metrics is not None:
            variant = fleet.variant(answer.variant)
            instances = len(variant.instances) if variant is not None else 1
            model_us = (time.perf_counter_ns() - sent) / 1000
            self.metrics.record(fleet.endpoint_name, answer.variant, answer.status, instances, model_us, 0.0)
        if answer.timed_out:
            raise RequestFailed(
                f"The model did not answer within the request's InvocationTimeoutSeconds ({request.timeout_s:g} s)."
            )
        if answer.broken:
            raise RequestFailed(f"The model's instance broke the connection (status {answer.status}).")
        if not 200 <= answer.status < 300:
            text = answer.body.decode("utf-8", "replace")
            raise RequestFailed(f'Received error ({answer.status}) from the model with message "{text}".')
        return answer

    async def _fleet(self, endpoint_name: str) -> Fleet:
        fleet = self.router.fleet(endpoint_name)
        timeout_s = self.settings.limits.startup_timeout_s
        try:
            if fleet is None and await self.router.arrivals.wait(endpoint_name, timeout_s):
                fleet = self.router.fleet(endpoint_name)
        except ModelportError as exc:  # too many invocations already wait for the fleet
            raise RequestFailed(exc.message) from None
        if fleet is None:
            raise RequestFailed(
                f"Endpoint {endpoint_name} has no instance able to serve (deleted, failed, or not started "
                f"within {timeout_s:g} s); see modelport logs {endpoint_name}."
            )
        return fleet

    async def _read(self, request: AsyncRequest) -> tuple[bytes, str | None]:
        """The input object's bytes and the Content-Type S3 stored it with."""
        source = S3Location.parse(request.input_location, "InputLocation")
        self._check(request, "GetObject", source)
        limit = self.settings.limits.max_async_input_bytes
        try:
            return await asyncio.to_thread(
                objects.read_typed,
                s3_client(self.settings),
                source,
                limit,
                setting="MODELPORT_MAX_ASYNC_INPUT_BYTES",
            )
        except ObjectError as exc:
            raise RequestFailed(str(exc)) from None

    async def _write(self, request: AsyncRequest, url: str, data: bytes, content_type: str | None) -> None:
        target = S3Location.parse(url, "S3OutputPath")
        self._check(request, "PutObject", target)
        try:
            await asyncio.to_thread(objects.write, s3_client(self.settings), target, data, content_type)
        except ObjectError as exc:
            raise RequestFailed(str(exc)) from None

    def _check(self, request: AsyncRequest, operation: str, location: S3Location) -> None:
        denial = self.s3_access(request.caller, operation, {"Bucket": location.bucket, "Key": location.key})
        if denial is not None:
            raise RequestFailed(f"{operation} on {location.url} was denied: {denial}")

    def _log(self, request: AsyncRequest, outcome: str) -> None:
        received = dt.datetime.fromtimestamp(request.received_at, dt.UTC).isoformat(timespec="milliseconds")
        self.append_log(
            f"/aws/sagemaker/Endpoints/{request.endpoint_name}",
            LOG_STREAM,
            f"InferenceId {request.inference_id} (received {received}, input {request.input_location}): {outcome}",
        )


def _given_type(stored_type: str | None) -> str | None:
    """The input object's Content-Type, for a request that names none: the SageMaker SDK's
    AsyncPredictor uploads the input with its serializer's type and sends no ContentType. S3's
    default for an upload that gave no type says nothing about the content."""
    if stored_type in (None, "", "binary/octet-stream"):
        return None
    return stored_type


def _ms(started: float) -> int:
    return round((time.monotonic() - started) * 1000)
