"""The router's HTTP/1.1 client for one worker: keep-alive connections, one asyncio protocol each.

This hop runs on every invocation, so it is kept lean. httpx cost about 2.1 ms of CPU per
round trip here, growing under concurrency, against 0.2 ms for this client (measured in
docs/benchmarks.md). HTTP parsing is done by httptools (uvicorn's parser); this module only
frames one kind of request, ``POST /invocations``, and pools the connections.

It tells its caller what happened, because the router's retry rule depends on it:

- ``WorkerUnreachable``: no connection could be made, or the connection was reset before any
  answer (the worker's socket closed with the request unread in it: the process died before it
  read the request, or never accepted the connection), so the request never reached the model
  and may safely go to another instance;
- ``WorkerTimeout``: no complete answer within the timeout;
- ``WorkerBroken``: the connection failed after the request was sent, so the worker may have
  acted on it.
"""

from __future__ import annotations

import asyncio
import os
import socket
from dataclasses import dataclass, field
from typing import cast

import httptools

from modelport.sandboxes.worker import framing
from modelport.sandboxes.worker.batch_wire import BATCH_HEADER, BATCHING_HEADER

CUSTOM_ATTRIBUTES = "x-amzn-sagemaker-custom-attributes"
CUSTOM_ATTRIBUTES_HEADER = "X-Amzn-SageMaker-Custom-Attributes"  # as the router names it


class WorkerUnreachable(Exception):
    """The connection was refused or could not be made."""


class WorkerTimeout(Exception):
    """The worker did not answer in time."""


class WorkerBroken(Exception):
    """The connection broke after the request was sent."""


@dataclass
class WorkerResponse:
    status: int
    headers: dict[str, str]  # lower-case names
    body: bytes


class _Connection(asyncio.Protocol):
    """One keep-alive connection: a protocol fed by the event loop, one request at a time.

    A protocol, not asyncio streams: the answer is parsed as it arrives (httptools callbacks)
    and handed over through one future, with the timeout as one timer handle — no stream
    buffers, no ``asyncio.timeout`` context per request (both showed in a py-spy profile of the
    pinned server; see docs/benchmarks.md).
    """

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.lost = False
        self._reply: _Reply | None = None
        self._parser: httptools.HttpResponseParser | None = None
        self._waiter: asyncio.Future[WorkerResponse] | None = None
        self._received = False
        self._keep_alive = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports implement asyncio.Transport without subclassing it.
        self.transport = cast(asyncio.Transport, transport)

    def usable(self) -> bool:
        # An idle connection the worker closed (it exited, or its keep-alive ran out) is lost.
        return not self.lost and self.transport is not None and not self.transport.is_closing()

    def send(self, request: bytes, waiter: asyncio.Future[WorkerResponse]) -> None:
        assert self.transport is not None
        reply = self._reply = _Reply()
        self._parser = reply.parser = httptools.HttpResponseParser(reply)
        self._waiter = waiter
        self._received = False
        self.transport.write(request)

    def data_received(self, data: bytes) -> None:
        reply, parser = self._reply, self._parser
        if reply is None or parser is None:  # bytes nobody asked for: the connection is unusable
            self.close()
            return
        self._received = True
        try:
            parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(WorkerBroken(str(exc) or type(exc).__name__))
            self.close()
            return
        if reply.complete:
            self._keep_alive = reply.keep_alive
            self._reply = self._parser = None
            waiter, self._waiter = self._waiter, None
            if waiter is not None and not waiter.done():
                waiter.set_result(
                    WorkerResponse(parser.get_status_code(), reply.headers, b"".join(reply.chunks))
                )

    def keep_alive_after(self) -> bool:
        """Whether the last answer left the connection open for the next request."""
        return self._keep_alive and self.usable()

    def eof_received(self) -> bool:
        return False  # close our side too; connection_lost follows

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        if self._waiter is None:
            return
        if isinstance(exc, (ConnectionResetError, BrokenPipeError)) and not self._received:
            # A reset before any answer means the worker's socket closed with the request still
            # unread in it (a process that reads a request whole closes with a FIN, not a reset):
            # a worker that died before reading it, or a connection its dying process never
            # accepted. The model never saw the request.
            self._fail(WorkerUnreachable("the worker reset the connection unread"))
        elif exc is None:
            self._fail(WorkerBroken("the worker closed the connection before answering completely"))
        else:
            self._fail(WorkerBroken(str(exc) or type(exc).__name__))

    def _fail(self, error: Exception) -> None:
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_exception(error)

    def close(self) -> None:
        self.lost = True
        if self.transport is not None:
            self.transport.close()


class _FramedConnection(_Connection):
    """The same contract over the worker's Unix socket, in frames (``sandboxes.worker.framing``)."""

    def __init__(self) -> None:
        super().__init__()
        self._buffer = framing.FrameBuffer()

    def send(self, request: bytes, waiter: asyncio.Future[WorkerResponse]) -> None:
        assert self.transport is not None
        self._waiter = waiter
        self._received = False
        self.transport.write(request)

    def data_received(self, data: bytes) -> None:
        self._received = True
        try:
            frames = self._buffer.feed(data)
        except ValueError as exc:
            self._fail(WorkerBroken(f"the worker sent a malformed frame: {exc}"))
            self.close()
            return
        if not frames:
            return  # part of a frame: wait for the rest
        waiter, self._waiter = self._waiter, None
        if waiter is None or len(frames) > 1 or not self._buffer.empty():
            self._waiter = waiter
            self._fail(WorkerBroken("the worker sent an answer out of turn"))
            self.close()
            return
        answer = framing.read_response(frames[0])
        headers = {} if answer.content_type is None else {"content-type": answer.content_type}
        if answer.attributes is not None:
            headers[CUSTOM_ATTRIBUTES] = answer.attributes
        if answer.batching:
            headers[BATCHING_HEADER] = "1"
        if not waiter.done():
            waiter.set_result(WorkerResponse(answer.status, headers, answer.body))

    def keep_alive_after(self) -> bool:
        return self.usable()


@dataclass
class _Reply:
    """httptools callbacks collect the response here."""

    headers: dict[str, str] = field(default_factory=dict)
    chunks: list[bytes] = field(default_factory=list)
    complete: bool = False
    keep_alive: bool = False
    parser: httptools.HttpResponseParser | None = None

    def on_headers_complete(self) -> None:
        # Asked here: once the message is complete the parser has reset and always says False.
        assert self.parser is not None
        self.keep_alive = self.parser.should_keep_alive()

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers[name.decode("latin-1").lower()] = value.decode("latin-1")

    def on_body(self, body: bytes) -> None:
        self.chunks.append(body)

    def on_message_complete(self) -> None:
        self.complete = True


class WorkerClient:
    """Keep-alive connections to one worker at ``host:port``; at most ``max_idle`` kept idle.

    ``framed``: send invocations in frames to the worker's Unix socket instead of HTTP to its
    port (where ``framing.supported()``; HTTP elsewhere).
    """

    def __init__(
        self, host: str, port: int, *, timeout_s: float, max_idle: int, framed: bool = False
    ) -> None:
        self.host = host
        self.port = port
        self.timeout_s = timeout_s
        self.max_idle = max_idle
        self.framed = framed and framing.supported()
        self._idle: list[_Connection] = []
        self._head = f"POST /invocations HTTP/1.1\r\nHost: {host}:{port}\r\n".encode()

    async def invoke(
        self, body: bytes, headers: dict[str, str], *, timeout_s: float | None = None
    ) -> WorkerResponse:
        """One request; ``timeout_s`` replaces the client's own timeout (an asynchronous
        request's InvocationTimeoutSeconds)."""
        timeout_s = self.timeout_s if timeout_s is None else timeout_s
        connection = await self._connection()
        if self.framed:
            request = framing.request_frame(
                framing.FramedRequest(
                    body,
                    headers.get("Content-Type"),
                    headers.get("Accept"),
                    headers.get(CUSTOM_ATTRIBUTES_HEADER),
                    batch=BATCH_HEADER in headers,
                )
            )
        else:
            request = self._http_request(body, headers)
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[WorkerResponse] = loop.create_future()
        timer = loop.call_later(timeout_s, _time_out, waiter, timeout_s)
        try:
            connection.send(request, waiter)
            response = await waiter
        except WorkerUnreachable as exc:
            connection.close()
            raise WorkerUnreachable(f"{exc} (worker at {self.host}:{self.port})") from None
        except BaseException:
            connection.close()  # timed out, broken or cancelled: its state is unknown
            raise
        finally:
            timer.cancel()
        if connection.keep_alive_after() and len(self._idle) < self.max_idle:
            self._idle.append(connection)
        else:
            connection.close()
        return response

    def _http_request(self, body: bytes, headers: dict[str, str]) -> bytes:
        parts = [self._head]
        for name, value in headers.items():
            # Values come from parsed HTTP headers, so they hold no line breaks; never forward one.
            safe = value.replace("\r", " ").replace("\n", " ")
            parts.append(f"{name}: {safe}\r\n".encode("latin-1", "replace"))
        parts.append(b"Content-Length: %d\r\n\r\n" % len(body))
        parts.append(body)
        return b"".join(parts)

    async def _connection(self) -> _Connection:
        while self._idle:
            connection = self._idle.pop()
            if connection.usable():
                return connection
            connection.close()
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(self.timeout_s):
                if self.framed:
                    return await _connect_framed(framing.socket_name(self.port))
                _, connection = await loop.create_connection(_Connection, self.host, self.port)
        except (OSError, TimeoutError) as exc:
            raise WorkerUnreachable(f"cannot connect to {self.host}:{self.port}: {exc}") from exc
        assert connection.transport is not None
        sock = connection.transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return connection

    async def aclose(self) -> None:
        idle, self._idle = self._idle, []
        for connection in idle:
            connection.close()


async def _connect_framed(name: str) -> _FramedConnection:
    # Connected here, not by the loop: uvloop (libuv) cannot name an abstract socket.
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.setblocking(False)
        loop = asyncio.get_running_loop()
        await loop.sock_connect(sock, name)
        if framing.peer_uid(sock) != os.getuid():  # someone else took the worker's name
            raise ConnectionRefusedError(f"{name[1:]!r} belongs to another user's process")
        _, connection = await loop.create_unix_connection(_FramedConnection, sock=sock)
    except BaseException:
        sock.close()
        raise
    return connection


def _time_out(waiter: asyncio.Future[WorkerResponse], timeout_s: float) -> None:
    if not waiter.done():
        waiter.set_exception(WorkerTimeout(f"no answer within {timeout_s:g} s"))
