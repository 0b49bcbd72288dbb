"""The router's worker client against real sockets: keep-alive, and the three ways it fails."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import pytest

from modelport.hosting.worker_client import WorkerBroken, WorkerClient, WorkerTimeout, WorkerUnreachable
from support.waiting import async_wait_until

pytestmark = pytest.mark.usefixtures("event_loop_kind")  # every case on asyncio and uvloop

OK = b"HTTP/1.1 200 OK\r\ncontent-type: text/csv; charset=utf-8\r\ncontent-length: 4\r\n\r\n0.5\n"


async def serve(behaviour: str) -> tuple[asyncio.Server, int, list[int]]:
    """A tiny HTTP server; ``connections`` counts accepted connections."""
    connections: list[int] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(1)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
                await reader.readexactly(length)
                if behaviour == "ok":
                    writer.write(OK)
                elif behaviour == "half":
                    writer.write(OK[:30])
                    return
                elif behaviour == "slow":
                    await asyncio.sleep(5)
                elif behaviour == "drop":  # read the whole request, then die without answering
                    return
                await writer.drain()
        except (asyncio.IncompleteReadError, asyncio.CancelledError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    return server, port, connections


def test_keeps_connections_alive() -> None:
    async def run() -> None:
        server, port, connections = await serve("ok")
        client = WorkerClient("127.0.0.1", port, timeout_s=5, max_idle=4)
        for _ in range(20):
            response = await client.invoke(b"1,2,3,4", {"Content-Type": "text/csv"})
            assert (response.status, response.body) == (200, b"0.5\n")
            assert response.headers["content-type"] == "text/csv; charset=utf-8"
        assert len(connections) == 1
        await client.aclose()
        server.close()
        await server.wait_closed()

    asyncio.run(run())


def test_a_closed_port_is_unreachable() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    client = WorkerClient("127.0.0.1", port, timeout_s=5, max_idle=4)
    with pytest.raises(WorkerUnreachable):
        asyncio.run(client.invoke(b"x", {}))


@pytest.mark.parametrize(
    ("behaviour", "error"), [("half", WorkerBroken), ("drop", WorkerBroken), ("slow", WorkerTimeout)]
)
def test_failures_after_sending(behaviour: str, error: type[Exception]) -> None:
    async def run() -> None:
        server, port, _ = await serve(behaviour)
        client = WorkerClient("127.0.0.1", port, timeout_s=0.5, max_idle=4)
        with pytest.raises(error):
            await client.invoke(b"1,2,3,4", {})
        await client.aclose()
        server.close()
        await server.wait_closed()

    asyncio.run(run())


def _unread_bytes_queued(port: int) -> bool:
    """Whether a connection to ``port`` that nobody accepted holds unread bytes (/proc/net/tcp)."""
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local_port = int(fields[1].split(":")[1], 16)
        state, rx_queue = fields[3], int(fields[4].split(":")[1], 16)
        if local_port == port and state == "01" and rx_queue > 0:  # 01: ESTABLISHED
            return True
    return False


def test_a_request_a_dying_worker_never_accepted_is_unreachable() -> None:
    """The flake in test_a_dead_worker_is_replaced_while_the_endpoint_serves, made deterministic.

    A SIGKILLed worker's threads take a moment to exit; until the last one has, its listening
    socket stays open (and waitpid says it is alive). A request routed to it in that moment is
    queued by the kernel, never accepted, and reset when the socket finally closes. The model
    never saw it, so the router may send it to another instance: WorkerUnreachable, not
    WorkerBroken (which answers the caller ModelError).
    """

    async def run() -> None:
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        port = listener.getsockname()[1]
        client = WorkerClient("127.0.0.1", port, timeout_s=10, max_idle=4)
        call = asyncio.ensure_future(client.invoke(b"1,2,3,4", {"Content-Type": "text/csv"}))
        await async_wait_until(lambda: _unread_bytes_queued(port), "the request never reached the queue")
        listener.close()  # the dying worker's last thread exits: the queued connection is reset
        with pytest.raises(WorkerUnreachable, match="reset the connection unread"):
            await call
        await client.aclose()

    asyncio.run(run())
