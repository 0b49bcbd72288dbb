"""Adaptive batching on the router side: the pure plan (fake clock), and the gatherer against a
scripted worker on a real socket (held answers, a worker that dies holding a batch)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from modelport.core.config import Settings
from modelport.hosting.batching import BatchPolicy, Gatherer, Plan, plan
from modelport.hosting.fleet import Fleet, Instance, VariantFleet
from modelport.hosting.router import Router
from modelport.hosting.worker_client import WorkerBroken, WorkerClient, WorkerTimeout
from modelport.sandboxes.runtimes.base import InvocationResult
from modelport.sandboxes.worker.batch_wire import decode_invocations, encode_answers
from modelport.services.sagemaker.invocations import model_failure

POLICY = BatchPolicy(max_size=4, max_wait_s=0.010, max_bytes=100)


# -- the plan: a pure function of the clock and the queue -------------------------------------


def test_an_idle_instance_takes_what_waits_at_once() -> None:
    assert plan(POLICY, now=5.0, busy=False, oldest=5.0, sizes=[10, 10]) == Plan(2, None)


def test_a_busy_instance_lets_requests_wait_until_the_oldest_is_due() -> None:
    assert plan(POLICY, now=5.004, busy=True, oldest=5.0, sizes=[10, 10]) == Plan(0, 5.010)
    assert plan(POLICY, now=5.010, busy=True, oldest=5.0, sizes=[10, 10]) == Plan(2, None)


def test_a_full_batch_goes_even_while_busy() -> None:
    assert plan(POLICY, now=5.0, busy=True, oldest=5.0, sizes=[1] * 6) == Plan(4, None)
    # 60 + 30 fit the 100 bytes, the next 30 does not: the first two go, the third waits.
    assert plan(POLICY, now=5.0, busy=True, oldest=5.0, sizes=[60, 30, 30]) == Plan(2, None)


def test_nothing_waiting_is_nothing_to_do() -> None:
    assert plan(POLICY, now=5.0, busy=True, oldest=0.0, sizes=[]) == Plan(0, None)


@given(
    max_size=st.integers(1, 8),
    max_wait=st.floats(0, 1),
    max_bytes=st.integers(1, 100),
    sizes=st.lists(st.integers(0, 100), min_size=1, max_size=20),
    busy=st.booleans(),
    waited=st.floats(0, 2),
)
def test_plan_keeps_every_bound(
    max_size: int, max_wait: float, max_bytes: int, sizes: list[int], busy: bool, waited: float
) -> None:
    policy = BatchPolicy(max_size, max_wait, max_bytes)
    decision = plan(policy, now=10.0 + waited, busy=busy, oldest=10.0, sizes=sizes)
    assert decision.send <= max_size
    # A request alone always fits (the front door already refused bodies over the limit).
    assert decision.send <= 1 or sum(sizes[: decision.send]) <= max_bytes
    if decision.send == 0:
        # Only a busy instance makes a request wait, and never past its max wait.
        assert busy and waited < max_wait and decision.wake_at == 10.0 + max_wait
    else:
        assert decision.wake_at is None
        assert (
            decision.send == len(sizes)
            or sum(sizes[: decision.send + 1]) > max_bytes
            or decision.send == max_size
        )


def test_settings_name_the_bounds() -> None:
    limits = Settings.from_env(
        {"MODELPORT_MAX_BATCH_SIZE": "8", "MODELPORT_MAX_BATCH_WAIT_S": "0.002"}
    ).limits
    assert (limits.max_batch_size, limits.max_batch_wait_s) == (8, 0.002)
    assert Settings().limits.max_batch_size > 1  # on by default


# -- the gatherer against a scripted worker -----------------------------------------------------


@dataclass
class ScriptedWorker:
    """A worker on a real socket whose lone answers wait for ``release``; it records what it got."""

    batching: bool = True
    break_on_batch: bool = False
    hang_on_batch: bool = False
    release: asyncio.Event = field(default_factory=asyncio.Event)
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    received: list[Any] = field(default_factory=list)  # bodies, or lists of bodies for batches
    arrived: asyncio.Condition = field(default_factory=asyncio.Condition)

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await self._serve(reader, writer)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass  # the client went away
        finally:
            writer.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            head = await reader.readuntil(b"\r\n\r\n") if not reader.at_eof() else b""
            if not head:
                break
            lines = head.decode("latin-1").split("\r\n")
            headers = {
                k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)
            }
            body = await reader.readexactly(int(headers["content-length"]))
            if "x-modelport-batch" in headers:
                await self._record([i.body for i in decode_invocations(body)])
                if self.break_on_batch:
                    writer.close()
                    return
                if self.hang_on_batch:
                    await self.stop.wait()
                    return
                answers = encode_answers(
                    [
                        InvocationResult(200, b"batched:" + i.body, "text/csv")
                        for i in decode_invocations(body)
                    ]
                )
                writer.write(_http(answers, "application/x-modelport-batch", batching=False))
            else:
                await self._record(body)
                if body.startswith(b"hold"):
                    await self.release.wait()
                writer.write(_http(b"alone:" + body, "text/csv", batching=self.batching))
            await writer.drain()

    async def _record(self, item: Any) -> None:
        async with self.arrived:
            self.received.append(item)
            self.arrived.notify_all()

    async def wait_for(self, count: int) -> None:
        async with self.arrived:
            await self.arrived.wait_for(lambda: len(self.received) >= count)


def _http(body: bytes, content_type: str, *, batching: bool) -> bytes:
    extra = "x-modelport-batching: 1\r\n" if batching else ""
    head = f"HTTP/1.1 200 OK\r\nContent-Length: {len(body)}\r\nContent-Type: {content_type}\r\n{extra}\r\n"
    return head.encode() + body


@asynccontextmanager
async def running(
    worker: ScriptedWorker, policy: BatchPolicy = POLICY, timeout_s: float = 10
) -> AsyncIterator[Gatherer]:
    server = await asyncio.start_server(worker.serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    client = WorkerClient("127.0.0.1", port, timeout_s=timeout_s, max_idle=16)
    try:
        yield Gatherer(client, policy)
    finally:
        await client.aclose()
        worker.stop.set()
        server.close()
        await server.wait_closed()
        await asyncio.sleep(0.01)  # the handlers' own closes


def _run(test: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(asyncio.wait_for(test(), 30))


async def _learn(gatherer: Gatherer, worker: ScriptedWorker) -> None:
    """One lone request, from whose answer the gatherer learns that the worker takes batches."""
    await gatherer.invoke(b"first", {"Content-Type": "text/csv"})
    assert gatherer.enabled
    worker.received.clear()


def test_requests_for_a_busy_instance_go_together_when_it_is_free() -> None:
    async def test() -> None:
        worker = ScriptedWorker()
        policy = BatchPolicy(max_size=8, max_wait_s=60, max_bytes=1000)
        async with running(worker, policy) as gatherer:
            await _learn(gatherer, worker)
            held = asyncio.create_task(gatherer.invoke(b"hold", {}))
            await worker.wait_for(1)
            waiting = [
                asyncio.create_task(gatherer.invoke(b"r%d" % n, {"Accept": "text/csv"})) for n in range(3)
            ]
            await asyncio.sleep(0)
            assert worker.received == [b"hold"]  # the three wait while the instance is busy
            worker.release.set()
            assert (await held).body == b"alone:hold"
            answers = [(await task).body for task in waiting]
        assert answers == [b"batched:r0", b"batched:r1", b"batched:r2"]
        assert worker.received == [b"hold", [b"r0", b"r1", b"r2"]]

    _run(test)


def test_no_gathering_until_the_worker_says_it_batches() -> None:
    async def test() -> None:
        worker = ScriptedWorker(batching=False)
        async with running(worker) as gatherer:
            await gatherer.invoke(b"first", {})
            held = asyncio.create_task(gatherer.invoke(b"hold", {}))
            await worker.wait_for(2)
            other = asyncio.create_task(gatherer.invoke(b"other", {}))
            await worker.wait_for(3)  # sent at once, on its own connection, as without batching
            worker.release.set()
            assert [(await held).body, (await other).body] == [b"alone:hold", b"alone:other"]
        assert not gatherer.enabled

    _run(test)


def test_a_request_waits_for_a_busy_instance_at_most_the_max_wait() -> None:
    async def test() -> None:
        worker = ScriptedWorker()
        async with running(worker, BatchPolicy(max_size=8, max_wait_s=0.02, max_bytes=1000)) as gatherer:
            await _learn(gatherer, worker)
            held = asyncio.create_task(gatherer.invoke(b"hold", {}))
            await worker.wait_for(1)
            waiting = [asyncio.create_task(gatherer.invoke(b"r%d" % n, {})) for n in range(2)]
            # The instance stays busy, yet the batch reaches it once the wait is over.
            await worker.wait_for(2)
            assert worker.received == [b"hold", [b"r0", b"r1"]]
            assert [(await task).body for task in waiting] == [b"batched:r0", b"batched:r1"]
            worker.release.set()
            await held

    _run(test)


def test_batches_keep_to_the_payload_limit() -> None:
    async def test() -> None:
        worker = ScriptedWorker()
        async with running(worker, BatchPolicy(max_size=8, max_wait_s=60, max_bytes=10)) as gatherer:
            await _learn(gatherer, worker)
            held = asyncio.create_task(gatherer.invoke(b"hold", {}))
            await worker.wait_for(1)
            waiting = [
                asyncio.create_task(gatherer.invoke(body, {})) for body in (b"aaaaaa", b"bbbb", b"cccccc")
            ]
            await worker.wait_for(2)  # 6 + 4 bytes fill the limit: they go at once; 6 more would not fit
            worker.release.set()
            await held
            await asyncio.gather(*waiting)
        assert worker.received == [b"hold", [b"aaaaaa", b"bbbb"], b"cccccc"]

    _run(test)


def test_a_worker_dying_with_a_batch_fails_only_that_batch() -> None:
    async def test() -> None:
        worker = ScriptedWorker(break_on_batch=True)
        async with running(worker) as gatherer:
            await _learn(gatherer, worker)
            held = asyncio.create_task(gatherer.invoke(b"hold", {}))
            await worker.wait_for(1)
            batch = [asyncio.create_task(gatherer.invoke(b"r%d" % n, {})) for n in range(3)]
            await asyncio.sleep(0)
            worker.release.set()
            assert (await held).body == b"alone:hold"
            for task in batch:
                with pytest.raises(WorkerBroken):
                    await task
            # The next request is not part of it, and is answered.
            assert (await gatherer.invoke(b"after", {})).body == b"alone:after"

    _run(test)


def test_a_batch_the_worker_never_answers_times_out_like_a_lone_request() -> None:
    async def test() -> None:
        worker = ScriptedWorker(hang_on_batch=True)
        async with running(worker, timeout_s=0.5) as gatherer:
            await _learn(gatherer, worker)
            held = asyncio.create_task(gatherer.invoke(b"hold", {}))
            await worker.wait_for(1)
            batch = [asyncio.create_task(gatherer.invoke(b"r%d" % n, {})) for n in range(2)]
            await asyncio.sleep(0)
            worker.release.set()
            await held
            for task in batch:
                with pytest.raises(WorkerTimeout, match=r"no answer within 0\.5 s"):
                    await task

    _run(test)


def test_through_the_router_a_broken_batch_is_the_model_error_of_a_dead_worker() -> None:
    async def test() -> None:
        worker = ScriptedWorker(break_on_batch=True)
        server = await asyncio.start_server(worker.serve, "127.0.0.1", 0)
        router = Router(
            max_in_flight=8, timeout_s=10, batching=POLICY, framed=False
        )  # HTTP, as the script speaks
        client = router.new_client(server.sockets[0].getsockname()[1])
        alive: Any = SimpleNamespace(
            alive=lambda: True,
            stopping=False,
            spec=SimpleNamespace(instance_id="iris/AllTraffic/0-1"),
            process=SimpleNamespace(pid=0),
            port=client.port,
        )
        variant = VariantFleet(name="AllTraffic", weight=1.0, desired_count=1, snapshot={})
        variant.instances.append(Instance(worker=alive, client=client))
        fleet = Fleet(endpoint_name="iris", deployment={}, variants=[variant])

        def invoke(body: bytes) -> Any:
            return router.invoke(
                fleet, body, content_type="text/csv", accept=None, custom_attributes=None, target_variant=None
            )

        try:
            await invoke(b"first")
            held = asyncio.create_task(invoke(b"hold"))
            await worker.wait_for(2)
            batch = [asyncio.create_task(invoke(b"r%d" % n)) for n in range(2)]
            await asyncio.sleep(0)
            worker.release.set()
            assert (await held).body == b"alone:hold"
            answers = [await task for task in batch]
        finally:
            await client.aclose()
            server.close()
            await server.wait_closed()
            await asyncio.sleep(0.01)
        assert all(answer.broken and answer.status == 500 for answer in answers)
        message = str(model_failure(answers[0], endpoint_name="iris", settings=Settings()))
        assert message.startswith(
            "Received server error (500) from primary and could not load the entire response body."
        )

    _run(test)
