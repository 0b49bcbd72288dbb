"""The protocol between the server and a runner process (standard library only).

A frame is a 4-byte big-endian length followed by that many bytes of UTF-8 JSON (an object).
The server writes requests to the runner's stdin; the runner writes replies to its stdout.
Before running any user code the runner moves both pipes to private close-on-exec descriptors
and points fds 0/1/2 at /dev/null and the log file, so nothing the function prints (or the
children it spawns) can reach the protocol.

Runner → server, once, after init:
    {"ready": true, "init_duration_ms": float, "init_error": null | <error>}
Server → runner, per invocation:
    {"request_id", "payload": base64 of the raw event bytes, "deadline_ms": epoch ms,
     "invoked_function_arn", "client_context": str | null (JSON text), "identity": obj | null}
Runner → server, per invocation:
    {"ok": true,  "payload": base64 of the response bytes, "content_type": str, <report>}
    {"ok": false, "error": {"errorMessage", "errorType", "requestId", "stackTrace"},
     "fatal": bool, <report>}
    <report> = "duration_ms": float, "max_memory_used_mb": int, "init_duration_ms": float | null
``fatal`` means the environment is unusable (init failed, out of memory) and the runner exits.
"""

from __future__ import annotations

import json
import os
import struct
from typing import Any

_HEADER = struct.Struct(">I")
MAX_FRAME = 64 * 1024 * 1024


class ProtocolError(Exception):
    """A frame that is not length-prefixed JSON object, or a stream cut inside a frame."""


def encode(message: dict[str, Any]) -> bytes:
    body = json.dumps(message, separators=(",", ":")).encode()
    return _HEADER.pack(len(body)) + body


def decode_length(header: bytes) -> int:
    (length,) = _HEADER.unpack(header)
    if length > MAX_FRAME:
        raise ProtocolError(f"frame of {length} bytes is over the {MAX_FRAME}-byte limit")
    return int(length)


def decode_body(body: bytes) -> dict[str, Any]:
    # Text, not bytes: json.loads would first guess the encoding, and ``encode`` writes UTF-8.
    message = json.loads(body.decode("utf-8"))
    if not isinstance(message, dict):
        raise ProtocolError("a frame must hold a JSON object")
    return message


HEADER_SIZE = _HEADER.size


def write_frame(fd: int, message: dict[str, Any]) -> None:
    """Blocking write of one frame to a file descriptor (the runner's side)."""
    view = memoryview(encode(message))
    while view:
        view = view[os.write(fd, view) :]


def read_frame(fd: int) -> dict[str, Any] | None:
    """Blocking read of one frame; ``None`` on a clean end of stream (the server went away)."""
    header = _read_exactly(fd, HEADER_SIZE)
    if header is None:
        return None
    body = _read_exactly(fd, decode_length(header))
    if body is None:
        raise ProtocolError("stream ended inside a frame")
    return decode_body(body)


def _read_exactly(fd: int, size: int) -> bytes | None:
    chunks: list[bytes] = []
    left = size
    while left:
        chunk = os.read(fd, min(left, 1024 * 1024))
        if not chunk:
            if left == size:
                return None
            raise ProtocolError("stream ended inside a frame")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)
