"""The router's HTTP/1.1 client for one worker: keep-alive connections on asyncio streams.

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
import socket
from dataclasses import dataclass, field

import httptools

_READ_CHUNK = 256 * 1024


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


@dataclass
class _Connection:
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter

    def usable(self) -> bool:
        # An idle connection the worker closed (it exited, or its keep-alive ran out) shows EOF.
        return not self.reader.at_eof() and not self.writer.is_closing()

    def close(self) -> None:
        self.writer.close()


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
    """Keep-alive connections to one worker at ``host:port``; at most ``max_idle`` kept idle."""

    def __init__(self, host: str, port: int, *, timeout_s: float, max_idle: int) -> None:
        self.host = host
        self.port = port
        self.timeout_s = timeout_s
        self.max_idle = max_idle
        self._idle: list[_Connection] = []
        self._head = f"POST /invocations HTTP/1.1\r\nHost: {host}:{port}\r\n".encode()

    async def invoke(self, body: bytes, headers: dict[str, str]) -> WorkerResponse:
        connection = await self._connection()
        request = bytearray(self._head)
        for name, value in headers.items():
            # Values come from parsed HTTP headers, so they hold no line breaks; never forward one.
            safe = value.replace("\r", " ").replace("\n", " ")
            request += f"{name}: {safe}\r\n".encode("latin-1", "replace")
        request += b"Content-Length: %d\r\n\r\n" % len(body)
        request += body
        reply = _Reply()
        parser = reply.parser = httptools.HttpResponseParser(reply)
        received = False
        try:
            async with asyncio.timeout(self.timeout_s):
                connection.writer.write(request)
                while not reply.complete:
                    data = await connection.reader.read(_READ_CHUNK)
                    if not data:
                        raise WorkerBroken("the worker closed the connection before answering completely")
                    received = True
                    parser.feed_data(data)
        except TimeoutError:
            connection.close()
            raise WorkerTimeout(f"no answer within {self.timeout_s:g} s") from None
        except (ConnectionResetError, BrokenPipeError) as exc:
            connection.close()
            if received:
                raise WorkerBroken(str(exc) or type(exc).__name__) from exc
            # A reset before any answer means the worker's socket closed with the request still
            # unread in it (a process that reads a request whole closes with a FIN, not a reset):
            # a worker that died before reading it, or a connection its dying process never
            # accepted. The model never saw the request.
            raise WorkerUnreachable(
                f"the worker at {self.host}:{self.port} reset the connection unread"
            ) from exc
        except (OSError, httptools.HttpParserError) as exc:
            connection.close()
            raise WorkerBroken(str(exc) or type(exc).__name__) from exc
        except WorkerBroken:
            connection.close()
            raise
        response = WorkerResponse(parser.get_status_code(), reply.headers, b"".join(reply.chunks))
        if reply.keep_alive and len(self._idle) < self.max_idle:
            self._idle.append(connection)
        else:
            connection.close()
        return response

    async def _connection(self) -> _Connection:
        while self._idle:
            connection = self._idle.pop()
            if connection.usable():
                return connection
            connection.close()
        try:
            async with asyncio.timeout(self.timeout_s):
                reader, writer = await asyncio.open_connection(self.host, self.port)
        except (OSError, TimeoutError) as exc:
            raise WorkerUnreachable(f"cannot connect to {self.host}:{self.port}: {exc}") from exc
        sock = writer.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return _Connection(reader, writer)

    async def aclose(self) -> None:
        idle, self._idle = self._idle, []
        for connection in idle:
            connection.close()
