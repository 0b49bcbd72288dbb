"""The framed hop (router → worker over an abstract Unix socket): the codec, and the client's
contract against a real listener — keep-alive, and the same three ways to fail as over HTTP."""

from __future__ import annotations

import asyncio
import os
import random
import select
import socket
import subprocess
from pathlib import Path

import pytest

from modelport.hosting.worker_client import WorkerBroken, WorkerClient, WorkerTimeout, WorkerUnreachable
from modelport.sandboxes.worker import framing
from support.waiting import async_wait_until

pytestmark = [
    pytest.mark.skipif(not framing.supported(), reason="abstract Unix sockets are Linux's"),
    pytest.mark.usefixtures("event_loop_kind"),  # every case on asyncio and uvloop (the server's)
]


def test_frames_round_trip_in_any_split() -> None:
    request = framing.request_frame(framing.FramedRequest(b"1,2\n3,4", "text/csv", None, "a=b"))
    response = framing.response_frame(framing.FramedAnswer(415, b"no", None, "c=d"))
    buffer = framing.FrameBuffer()
    stream = request + response
    frames: list[bytes] = []
    cut = random.Random(7).sample(range(1, len(stream)), 5)
    for start, end in zip([0, *sorted(cut)], [*sorted(cut), len(stream)], strict=True):
        frames += buffer.feed(stream[start:end])
    assert buffer.empty()
    assert framing.read_request(frames[0]) == (b"1,2\n3,4", "text/csv", None, "a=b", False)
    assert framing.read_response(frames[1]) == (415, b"no", None, "c=d", False)
    batch = framing.request_frame(framing.FramedRequest(b"frame", None, None, None, batch=True))
    offer = framing.response_frame(framing.FramedAnswer(200, b"0.5", "text/csv", None, batching=True))
    assert framing.read_request(framing.FrameBuffer().feed(batch)[0]).batch
    assert framing.read_response(framing.FrameBuffer().feed(offer)[0]).batching
    with pytest.raises(ValueError):
        framing.FrameBuffer().feed(b"\xff\xff\xff\xff")


def _port() -> int:
    """A number no worker in this process listens on (the name is the only thing it is used for)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _answer(behaviour: str, seen: list[bytes]) -> framing.Invoke:
    def invoke(request: framing.FramedRequest) -> framing.FramedAnswer:
        seen.append(request.body)
        return framing.FramedAnswer(200, b"0.5\n", request.content_type, request.attributes)

    return invoke


def test_keeps_one_connection_and_carries_the_headers() -> None:
    async def run() -> None:
        port, seen = _port(), list[bytes]()
        server = await framing.listen(_answer("ok", seen), port)
        client = WorkerClient("127.0.0.1", port, timeout_s=5, max_idle=4, framed=True)
        headers = {"Content-Type": "text/csv", "X-Amzn-SageMaker-Custom-Attributes": "x=1"}
        for _ in range(10):
            response = await client.invoke(b"1,2,3,4", headers)
            assert (response.status, response.body) == (200, b"0.5\n")
            assert response.headers == {
                "content-type": "text/csv",
                "x-amzn-sagemaker-custom-attributes": "x=1",
            }
        assert len(client._idle) == 1 and seen == [b"1,2,3,4"] * 10
        await client.aclose()
        # Each connection leaves the listener's set once the worker's side sees it close.
        await async_wait_until(lambda: not server.connections, "the closed connection is still listed")
        await server.close()

    asyncio.run(run())


def test_no_listener_is_unreachable() -> None:
    client = WorkerClient("127.0.0.1", _port(), timeout_s=5, max_idle=4, framed=True)
    with pytest.raises(WorkerUnreachable):
        asyncio.run(client.invoke(b"x", {}))


@pytest.mark.parametrize(("behaviour", "error"), [("drop", WorkerBroken), ("slow", WorkerTimeout)])
def test_failures_after_sending(behaviour: str, error: type[Exception]) -> None:
    async def run() -> None:
        port = _port()
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(framing.socket_name(port))
        listener.listen(4)
        listener.setblocking(False)
        loop = asyncio.get_running_loop()

        async def serve() -> None:
            conn, _ = await loop.sock_accept(listener)
            try:
                await loop.sock_recv(conn, 65536)  # the whole small request
                if behaviour == "slow":
                    await asyncio.sleep(5)
            finally:
                conn.close()

        task = asyncio.ensure_future(serve())
        client = WorkerClient("127.0.0.1", port, timeout_s=0.5, max_idle=4, framed=True)
        with pytest.raises(error):
            await client.invoke(b"1,2,3,4", {})
        task.cancel()
        listener.close()

    asyncio.run(run())


def test_a_request_a_dying_worker_never_accepted_is_unreachable() -> None:
    """As over TCP: the request sat in the listener's queue; the listener closed; the model never
    saw it, so the router may send it elsewhere."""

    async def run() -> None:
        port = _port()
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(framing.socket_name(port))
        listener.listen(4)
        client = WorkerClient("127.0.0.1", port, timeout_s=10, max_idle=4, framed=True)
        call = asyncio.ensure_future(client.invoke(b"1,2,3,4", {"Content-Type": "text/csv"}))
        # Queued by the kernel, never accepted. (Closed earlier or later, the answer is the same:
        # a refused connect and a reset before any answer are both "never reached the model".)
        await async_wait_until(lambda: bool(select.select([listener], [], [], 0)[0]), "no connection queued")
        listener.close()
        with pytest.raises(WorkerUnreachable):
            await call

    asyncio.run(run())


@pytest.mark.skipif(
    os.geteuid() != 0 or not Path("/usr/bin/python3").exists(),
    reason="needs root, to start a process as another user, and a Python that user may run",
)
def test_a_name_taken_by_another_user_is_never_sent_a_request() -> None:
    """Abstract names have no file permissions: the router checks the peer's user (SO_PEERCRED)."""
    port = _port()
    squatter = subprocess.Popen(
        [
            "/usr/bin/python3",  # the checkout's interpreter may be out of that user's reach
            "-c",
            "import socket, sys, time\n"
            "s = socket.socket(socket.AF_UNIX)\n"
            f"s.bind({framing.socket_name(port)!r})\n"
            "s.listen(8)\n"
            "print('ready', flush=True)\n"
            "time.sleep(60)\n",
        ],
        user=65534,  # nobody
        stdout=subprocess.PIPE,
    )
    try:
        assert squatter.stdout is not None and squatter.stdout.readline() == b"ready\n"
        client = WorkerClient("127.0.0.1", port, timeout_s=5, max_idle=4, framed=True)
        with pytest.raises(WorkerUnreachable, match="another user"):
            asyncio.run(client.invoke(b"secret,row", {}))
    finally:
        squatter.kill()
        squatter.communicate()
