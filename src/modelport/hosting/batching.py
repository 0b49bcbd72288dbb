"""Adaptive batching: requests that arrive while an instance is busy go to it as one worker call.

A request for an idle instance goes at once, alone, as it always did: batching adds nothing at
concurrency 1. While the instance has a call in flight, new requests wait here; when the call
ends they go together in one batch frame (``sandboxes/worker/batch_wire.py``), and the worker
predicts them with one predict and answers each as it would alone. The batch grows with the
load by itself (the busier the instance, the more requests arrive during one call), as with
MLServer's adaptive batching and Ray Serve's ``@serve.batch``, but without their fixed wait
for a fuller batch.

Three bounds (``Limits``): at most ``max_batch_size`` requests and ``max_payload_bytes`` of
bodies in one batch (a full batch goes at once, even while the instance is busy), and at most
``max_batch_wait_s`` of waiting here (then the batch goes alongside the call in flight). The
worker call then has the invocation timeout, as a lone request's call has.

Only workers that say so take batches: a worker whose runtime batches (XGBoost, scikit-learn
tree models, script mode only when the model opts in) marks its answers with
``x-modelport-batching``, and a ``Gatherer`` gathers nothing before it has seen that mark.

A failed batch call fails each of its requests as the same failure fails a lone request: a
worker that never received it (``WorkerUnreachable``: the router tries each request on another
instance), a timeout, or a worker that broke the connection after receiving it (``WorkerBroken``:
each request gets the error a lone request gets when its worker dies).
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from modelport.hosting.worker_client import WorkerBroken, WorkerClient, WorkerResponse
from modelport.sandboxes.runtimes.base import Invocation, InvocationResult
from modelport.sandboxes.worker.batch_wire import (
    BATCH_HEADER,
    BATCHING_HEADER,
    FrameError,
    decode_answers,
    encode_invocations,
)

_CONTENT_TYPE = "Content-Type"
_ACCEPT = "Accept"
_CUSTOM_ATTRIBUTES = "X-Amzn-SageMaker-Custom-Attributes"


@dataclass(frozen=True)
class BatchPolicy:
    max_size: int  # requests per batch; 1 turns batching off
    max_wait_s: float  # longest a request waits here for a busy instance
    max_bytes: int  # request bodies per batch (the payload limit)


@dataclass(frozen=True)
class Plan:
    send: int  # how many of the oldest waiting requests go now, as one batch (0: none)
    wake_at: float | None  # when to plan again if nothing else happens first


def plan(policy: BatchPolicy, *, now: float, busy: bool, oldest: float, sizes: Sequence[int]) -> Plan:
    """What to do with the waiting requests (``sizes``: their body sizes, oldest first).

    An idle instance takes the longest prefix that fits the bounds at once. A busy one takes it
    only when it is full (by count or bytes) or its oldest request has waited ``max_wait_s``;
    otherwise the requests wait for the call in flight to end, or for ``oldest + max_wait_s``.
    """
    if not sizes:
        return Plan(0, None)
    count, total = 0, 0
    for size in sizes:
        if count == policy.max_size or (count and total + size > policy.max_bytes):
            break
        count += 1
        total += size
    full = count == policy.max_size or count < len(sizes)
    due = oldest + policy.max_wait_s
    if not busy or full or now >= due:
        return Plan(count, None)
    return Plan(0, due)


@dataclass
class _Waiting:
    invocation: Invocation
    arrived: float
    answer: asyncio.Future[WorkerResponse]


class Gatherer:
    """The batching front of one worker's ``WorkerClient``: ``invoke`` as the client's."""

    def __init__(
        self, client: WorkerClient, policy: BatchPolicy, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.client = client
        self.policy = policy
        self.clock = clock
        self.enabled = False  # set once the worker has said it takes batches
        self.in_flight = 0  # calls to the worker, lone or batched
        self._waiting: deque[_Waiting] = deque()
        self._timer: asyncio.TimerHandle | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def invoke(self, body: bytes, headers: dict[str, str]) -> WorkerResponse:
        if not self.enabled or (self.in_flight == 0 and not self._waiting) or self.policy.max_size < 2:
            return await self._alone(body, headers)
        invocation = Invocation(
            body, headers.get(_CONTENT_TYPE), headers.get(_ACCEPT), headers.get(_CUSTOM_ATTRIBUTES)
        )
        answer: asyncio.Future[WorkerResponse] = asyncio.get_running_loop().create_future()
        self._waiting.append(_Waiting(invocation, self.clock(), answer))
        self._pump()
        return await answer

    async def _alone(self, body: bytes, headers: dict[str, str]) -> WorkerResponse:
        self.in_flight += 1
        try:
            response = await self.client.invoke(body, headers)
            if not self.enabled and response.headers.get(BATCHING_HEADER) == "1":
                self.enabled = True
            return response
        finally:
            self.in_flight -= 1
            if self._waiting:
                self._pump()

    def _pump(self) -> None:
        """Send what the plan says may go now; set a timer for the rest."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        while self._waiting:
            if self._waiting[0].answer.done():  # its caller went away
                self._waiting.popleft()
                continue
            decision = plan(
                self.policy,
                now=self.clock(),
                busy=self.in_flight > 0,
                oldest=self._waiting[0].arrived,
                sizes=[len(w.invocation.body) for w in self._waiting],
            )
            if decision.send == 0:
                if decision.wake_at is not None:
                    delay = max(0.0, decision.wake_at - self.clock())
                    self._timer = asyncio.get_running_loop().call_later(delay, self._pump)
                return
            batch = [self._waiting.popleft() for _ in range(decision.send)]
            self.in_flight += 1  # before the next plan, which must see the instance busy
            task = asyncio.create_task(self._send(batch))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _send(self, batch: list[_Waiting]) -> None:
        try:
            if len(batch) == 1:
                responses = [await self._call_alone(batch[0].invocation)]
            else:
                responses = await self._call_batch([w.invocation for w in batch])
        except Exception as error:
            for waiting in batch:
                if not waiting.answer.done():
                    waiting.answer.set_exception(error)
        else:
            for waiting, response in zip(batch, responses, strict=True):
                if not waiting.answer.done():
                    waiting.answer.set_result(response)
        finally:
            self.in_flight -= 1
            if self._waiting:
                self._pump()

    async def _call_alone(self, invocation: Invocation) -> WorkerResponse:
        return await self.client.invoke(invocation.body, _headers(invocation))

    async def _call_batch(self, invocations: list[Invocation]) -> list[WorkerResponse]:
        response = await self.client.invoke(
            encode_invocations(invocations), {BATCH_HEADER: str(len(invocations))}
        )
        if response.status != 200:
            raise WorkerBroken(f"the worker refused a batch: {response.status} {response.body[:200]!r}")
        try:
            answers = decode_answers(response.body)
        except FrameError as error:
            raise WorkerBroken(f"unreadable batch answer: {error}") from error
        if len(answers) != len(invocations):
            raise WorkerBroken(f"{len(answers)} answers to a batch of {len(invocations)}")
        return [_response(answer) for answer in answers]


def _headers(invocation: Invocation) -> dict[str, str]:
    headers = {}
    if invocation.content_type is not None:
        headers[_CONTENT_TYPE] = invocation.content_type
    if invocation.accept is not None:
        headers[_ACCEPT] = invocation.accept
    if invocation.custom_attributes is not None:
        headers[_CUSTOM_ATTRIBUTES] = invocation.custom_attributes
    return headers


def _response(answer: InvocationResult) -> WorkerResponse:
    """An answer from a batch, as the client returns a lone answer (lower-case header names)."""
    headers = {}
    if answer.content_type is not None:
        headers["content-type"] = answer.content_type
    if answer.custom_attributes is not None:
        headers["x-amzn-sagemaker-custom-attributes"] = answer.custom_attributes
    return WorkerResponse(answer.status, headers, answer.body)
