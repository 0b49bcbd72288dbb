"""The framed protocol between the router and a worker, over a Unix socket, beside HTTP.

Every invocation crosses this hop, and HTTP/1.1 is more than it needs: the router sends one
kind of request, to one path, with three optional headers. So on Linux the worker also listens
on an abstract Unix socket named after its TCP port (``socket_name``), and the router sends
invocations there in frames; HTTP on the port stays for ``/ping``, ``/execution-parameters``
and anyone who calls the worker directly. An abstract socket has no file to clean up and is
gone when the process is: a dead worker's name refuses connections, as its port does.

A frame is a 4-byte big-endian length, then that many bytes:

- request: a flags byte (``BATCH``: the body is a batch frame of ``batch_wire.py``), three
  optional strings (Content-Type, Accept, the custom attributes), then the body;
- response: a 2-byte status, a flags byte (``BATCHING``: this worker takes batch frames), two
  optional strings (Content-Type, the custom attributes), then the body.

An optional string is a 2-byte length (``0xFFFF`` for none) and that many latin-1 bytes, as in
HTTP headers. One frame is in flight per connection; the router pools connections.

Abstract names are first come, first served, and not guarded by file permissions, so both ends
check who is on the other side (``SO_PEERCRED``): the router talks only to a process of its own
user, and the worker answers only one. A worker whose name is taken does not start.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import struct
import sys
from collections.abc import Callable
from typing import NamedTuple, cast

logger = logging.getLogger("modelport.worker")

_LENGTH = struct.Struct(">I")
_STATUS = struct.Struct(">H")
_FLAGS = struct.Struct(">B")
BATCH = 1  # request flag: the body is a batch frame (hosting/batching.py gathered it)
BATCHING = 1  # response flag: this worker takes batch frames
_PEERCRED = struct.Struct("3i")  # pid, uid, gid
_NONE = 0xFFFF
MAX_FRAME = 64 * 1024 * 1024  # far above any payload limit; a larger length means a broken peer


class FramedRequest(NamedTuple):
    body: bytes
    content_type: str | None
    accept: str | None
    attributes: str | None
    batch: bool = False  # ``body`` is a batch frame (sandboxes/worker/batch_wire.py)


class FramedAnswer(NamedTuple):
    status: int
    body: bytes
    content_type: str | None
    attributes: str | None
    batching: bool = False  # the worker takes batch frames


Invoke = Callable[[FramedRequest], FramedAnswer]


def supported() -> bool:
    return sys.platform == "linux"  # abstract Unix socket names are Linux's


def socket_name(port: int) -> str:
    """The abstract socket of the worker serving HTTP on 127.0.0.1:``port``."""
    return f"\0modelport-worker-{port}"


def peer_uid(sock: socket.socket) -> int:
    """The user id of the process at the other end of a connected Unix socket."""
    creds = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, _PEERCRED.size)
    uid: int = _PEERCRED.unpack(creds)[1]
    return uid


def _string(value: str | None) -> bytes:
    if value is None:
        return _STATUS.pack(_NONE)
    data = value.encode("latin-1", "replace")[: _NONE - 1]
    return _STATUS.pack(len(data)) + data


def _read_string(frame: bytes, at: int) -> tuple[str | None, int]:
    (size,) = _STATUS.unpack_from(frame, at)
    at += 2
    if size == _NONE:
        return None, at
    return frame[at : at + size].decode("latin-1"), at + size


def request_frame(request: FramedRequest) -> bytes:
    flags = _FLAGS.pack(BATCH if request.batch else 0)
    head = flags + _string(request.content_type) + _string(request.accept) + _string(request.attributes)
    return _LENGTH.pack(len(head) + len(request.body)) + head + request.body


def read_request(frame: bytes) -> FramedRequest:
    (flags,) = _FLAGS.unpack_from(frame, 0)
    content_type, at = _read_string(frame, 1)
    accept, at = _read_string(frame, at)
    attributes, at = _read_string(frame, at)
    return FramedRequest(frame[at:], content_type, accept, attributes, bool(flags & BATCH))


def response_frame(answer: FramedAnswer) -> bytes:
    flags = _FLAGS.pack(BATCHING if answer.batching else 0)
    head = _STATUS.pack(answer.status) + flags + _string(answer.content_type) + _string(answer.attributes)
    return _LENGTH.pack(len(head) + len(answer.body)) + head + answer.body


def read_response(frame: bytes) -> FramedAnswer:
    (status,) = _STATUS.unpack_from(frame, 0)
    (flags,) = _FLAGS.unpack_from(frame, 2)
    content_type, at = _read_string(frame, 3)
    attributes, at = _read_string(frame, at)
    return FramedAnswer(status, frame[at:], content_type, attributes, bool(flags & BATCHING))


class FrameBuffer:
    """Bytes in, whole frames out."""

    def __init__(self) -> None:
        self._data = bytearray()

    def feed(self, data: bytes) -> list[bytes]:
        """The frames ``data`` completes; raises ValueError on a length no peer of ours sends."""
        self._data += data
        frames = []
        while len(self._data) >= 4:
            (size,) = _LENGTH.unpack_from(self._data, 0)
            if size > MAX_FRAME:
                raise ValueError(f"frame of {size} bytes")
            if len(self._data) < 4 + size:
                break
            frames.append(bytes(self._data[4 : 4 + size]))
            del self._data[: 4 + size]
        return frames

    def empty(self) -> bool:
        return not self._data


class WorkerFrames(asyncio.Protocol):
    """The worker's side: each request frame is answered in order, on the event loop's thread
    (as the HTTP app does: the runtime's ``invoke`` is synchronous)."""

    def __init__(self, invoke: Invoke, on_lost: Callable[[WorkerFrames], None] | None = None) -> None:
        self._invoke = invoke
        self._on_lost = on_lost
        self._buffer = FrameBuffer()
        self._transport: asyncio.Transport | None = None

    def connection_lost(self, exc: Exception | None) -> None:
        if self._on_lost is not None:
            self._on_lost(self)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)
        sock = transport.get_extra_info("socket")
        if sock is None or peer_uid(sock) != os.getuid():
            logger.warning("refused a framed connection from another user's process")
            self._transport.close()

    def unsent(self) -> int:
        """Bytes of answers not yet handed to the kernel."""
        transport = self._transport
        return 0 if transport is None or transport.is_closing() else transport.get_write_buffer_size()

    def data_received(self, data: bytes) -> None:
        assert self._transport is not None
        if self._transport.is_closing():
            return
        try:
            frames = self._buffer.feed(data)
        except ValueError:
            logger.warning("closing a framed connection that sent a malformed frame")
            self._transport.close()
            return
        for frame in frames:
            self._transport.write(response_frame(self._invoke(read_request(frame))))


class FrameListener:
    """The worker's framed listener and its open connections."""

    def __init__(self, invoke: Invoke) -> None:
        self._invoke = invoke
        self.connections: set[WorkerFrames] = set()
        self.server: asyncio.AbstractServer | None = None

    def _protocol(self) -> WorkerFrames:
        protocol = WorkerFrames(self._invoke, self.connections.discard)
        self.connections.add(protocol)
        return protocol

    async def close(self, grace_s: float = 5.0) -> None:
        """Stop accepting, then give answers still in the send buffers up to ``grace_s`` to leave
        (the process exits next; uvicorn does the same for HTTP during its graceful shutdown)."""
        if self.server is not None:
            self.server.close()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + grace_s
        while any(c.unsent() for c in self.connections) and loop.time() < deadline:
            await asyncio.sleep(0.01)


async def listen(invoke: Invoke, port: int) -> FrameListener:
    # Bound here, not by the loop: uvloop (libuv) cannot name an abstract socket.
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(socket_name(port))  # taken by another process: OSError, and the worker does not start
    sock.listen(128)
    sock.setblocking(False)
    listener = FrameListener(invoke)
    listener.server = await asyncio.get_running_loop().create_unix_server(listener._protocol, sock=sock)
    return listener
