"""uvicorn's httptools protocol, sending each response's head in the same write as its body.

uvicorn writes a response's status line and headers with one ``transport.write`` and its body
with another, and each write to a TCP socket is a ``send``: a packet through the loopback, and a
wake-up of the client for a head it cannot use alone. The front door's answers (InvokeEndpoint
above all) send head and body back to back, so the connection's transport here holds a
response's head until the next write, its body's first bytes, and sends both at once.

The head leaves on its own when the response completes without a body write (uvicorn writes no
body for ``HEAD``) and when the transport closes. An informational head (``100 Continue``, ``101
Switching Protocols``) is never held: the client waits for it before it sends anything more.
One ``send`` fewer per response is measured in docs/benchmarks.md.
"""

from __future__ import annotations

import asyncio
from typing import Any, cast

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

_HEAD = b"HTTP/1.1 "
_INFORMATIONAL = b"1"  # the status code's first digit, just after _HEAD


class HeldHeadTransport:
    """A transport that keeps a final response head back until the next write."""

    def __init__(self, transport: asyncio.Transport) -> None:
        self.transport = transport
        self._head: bytes | None = None

    def write(self, data: bytes | bytearray | memoryview) -> None:
        head = self._head
        if head is not None:
            self._head = None
            self.transport.write(head + data)
        elif data[:9] == _HEAD and data[9:10] not in (_INFORMATIONAL, b""):
            self._head = bytes(data)
        else:
            self.transport.write(data)

    def flush(self) -> None:
        """Send a head still held, if any."""
        head, self._head = self._head, None
        if head is not None and not self.transport.is_closing():
            self.transport.write(head)

    def close(self) -> None:
        self.flush()
        self.transport.close()

    # Written out, not left to __getattr__: uvicorn calls these on every request.
    def is_closing(self) -> bool:
        return self.transport.is_closing()

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return self.transport.get_extra_info(name, default)

    def __getattr__(self, name: str) -> Any:
        # Everything else (pause_reading, set_protocol, abort, ...) is the transport's own.
        return getattr(self.transport, name)


class OneWriteHttpTools(HttpToolsProtocol):
    """uvicorn's httptools protocol on a ``HeldHeadTransport``: pass it as ``Config(http=...)``."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        # Set after uvicorn's own set-up, which reads addresses and flow control off the real one.
        self.transport = cast(asyncio.Transport, HeldHeadTransport(transport))

    def on_response_complete(self) -> None:
        # A HEAD response's head: no body write followed it.
        cast(HeldHeadTransport, self.transport).flush()
        super().on_response_complete()
