"""A response's head leaves with its body (``http/one_write.py``), and HTTP still works: HEAD,
``100 Continue``, streamed bodies, keep-alive, closing, on a real uvicorn."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn

from modelport.http.one_write import HeldHeadTransport, OneWriteHttpTools


class _Recorder:
    """The transport under the held one: what it was asked to write (pure logic, no socket)."""

    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.closed = False

    def write(self, data: bytes) -> None:
        self.writes.append(bytes(data))

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed

    def pause_reading(self) -> str:
        return "paused"


def _held() -> tuple[HeldHeadTransport, _Recorder]:
    recorder = _Recorder()
    return HeldHeadTransport(recorder), recorder  # type: ignore[arg-type]


def test_a_head_leaves_with_its_body() -> None:
    transport, recorder = _held()
    transport.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n")
    assert recorder.writes == []
    transport.write(b"ok")
    assert recorder.writes == [b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok"]
    transport.write(b"more")  # later writes (a streamed body) go straight through
    assert recorder.writes[-1] == b"more"


def test_informational_heads_are_never_held() -> None:
    transport, recorder = _held()
    transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")
    assert recorder.writes == [b"HTTP/1.1 100 Continue\r\n\r\n"]


def test_short_and_body_like_writes_go_straight_through() -> None:
    transport, recorder = _held()
    for data in (b"", b"ok", b"HTTP/1.1 ", memoryview(b"chunk")):
        transport.write(data)
    assert recorder.writes == [b"", b"ok", b"HTTP/1.1 ", b"chunk"]


def test_flush_and_close_send_what_is_held() -> None:
    transport, recorder = _held()
    transport.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n")
    transport.flush()
    assert len(recorder.writes) == 1
    transport.flush()  # nothing more
    transport.write(b"HTTP/1.1 500 Internal Server Error\r\n\r\n")
    transport.close()
    assert recorder.writes[-1].startswith(b"HTTP/1.1 500") and recorder.closed
    assert transport.pause_reading() == "paused"  # the rest is the transport's own


async def _app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    if scope["path"] == "/stream":
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"first", "more_body": True})
        await asyncio.sleep(0.5)  # the first chunk must already be with the client
        await send({"type": "http.response.body", "body": b"last"})
        return
    answer = b"echo:" + body
    headers = [(b"content-length", str(len(answer)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": answer})


@pytest.fixture(scope="module")
def port() -> Iterator[int]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(_app, http=OneWriteHttpTools, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        threading.Event().wait(0.01)
    yield sock.getsockname()[1]
    server.should_exit = True
    thread.join(10)


def _exchange(port: int, request: bytes, until: bytes) -> bytes:
    # 1 s: well under uvicorn's keep-alive timeout (5 s), whose closing would send a held head.
    with socket.create_connection(("127.0.0.1", port), timeout=1) as conn:
        conn.sendall(request)
        return _read_until(conn, until)


def _read_until(conn: socket.socket, until: bytes) -> bytes:
    data = b""
    while until not in data:
        chunk = conn.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def test_keep_alive_requests_in_turn(port: int) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
        for n in range(3):
            payload = f"row{n}".encode()
            conn.sendall(b"POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 4\r\n\r\n" + payload)
            reply = _read_until(conn, b"echo:" + payload)
            assert reply.startswith(b"HTTP/1.1 200 OK") and reply.endswith(b"echo:" + payload)


def test_head_is_answered(port: int) -> None:
    reply = _exchange(port, b"HEAD / HTTP/1.1\r\nhost: x\r\n\r\n", b"\r\n\r\n")
    assert reply.startswith(b"HTTP/1.1 200 OK") and b"content-length: 5" in reply


def test_expect_100_continue(port: int) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
        conn.sendall(b"POST / HTTP/1.1\r\nhost: x\r\nexpect: 100-continue\r\ncontent-length: 2\r\n\r\n")
        assert _read_until(conn, b"\r\n\r\n").startswith(b"HTTP/1.1 100 Continue")
        conn.sendall(b"hi")
        assert _read_until(conn, b"echo:hi").endswith(b"echo:hi")


def test_a_streamed_head_and_first_chunk_come_before_the_end(port: int) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
        conn.sendall(b"GET /stream HTTP/1.1\r\nhost: x\r\n\r\n")
        conn.settimeout(0.4)  # the last chunk comes 0.5 s after the first
        early = _read_until(conn, b"first")
        assert early.startswith(b"HTTP/1.1 200 OK") and b"first" in early and b"last" not in early
        conn.settimeout(5)
        assert b"last" in _read_until(conn, b"0\r\n\r\n")


def test_connection_close_still_answers(port: int) -> None:
    request = b"POST / HTTP/1.1\r\nhost: x\r\nconnection: close\r\ncontent-length: 1\r\n\r\nz"
    assert _exchange(port, request, b"echo:z").endswith(b"echo:z")
