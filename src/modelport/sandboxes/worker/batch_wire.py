"""The batch frame: several invocations in one worker call, and their answers in one response.

The router sends a batch as ``POST /invocations`` with the ``x-modelport-batch`` header (which
it never forwards from a client, so a caller cannot forge one); the worker answers 200 with one
answer per invocation, in order. Both sides are plain functions over bytes, standard library only
(the router imports this module; the worker is an island).

Request frame: a count, then per invocation four lengths (Content-Type, Accept, custom
attributes, body; ``NONE`` for an absent header) followed by those bytes. Answer frame: a count,
then per answer the status and three lengths (Content-Type, custom attributes, body) followed by
those bytes. Header values are latin-1, as on the wire.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence

from modelport.sandboxes.runtimes.base import Invocation, InvocationResult

BATCH_HEADER = "x-modelport-batch"  # on a request: its body is a request frame
BATCHING_HEADER = "x-modelport-batching"  # on an answer: this worker takes request frames
FRAME_CONTENT_TYPE = "application/x-modelport-batch"
NONE = 0xFFFFFFFF

_COUNT = struct.Struct("!I")
_REQUEST = struct.Struct("!IIII")
_ANSWER = struct.Struct("!HIII")


class FrameError(ValueError):
    """A frame that does not parse (never sent by modelport's router)."""


def _text(value: str | None) -> bytes:
    return b"" if value is None else value.encode("latin-1", "replace")


def _length(value: str | None, raw: bytes) -> int:
    return NONE if value is None else len(raw)


def encode_invocations(invocations: Sequence[Invocation]) -> bytes:
    parts = [_COUNT.pack(len(invocations))]
    for item in invocations:
        texts = [_text(item.content_type), _text(item.accept), _text(item.custom_attributes)]
        parts.append(
            _REQUEST.pack(
                _length(item.content_type, texts[0]),
                _length(item.accept, texts[1]),
                _length(item.custom_attributes, texts[2]),
                len(item.body),
            )
        )
        parts.extend(texts)
        parts.append(item.body)
    return b"".join(parts)


def encode_answers(answers: Sequence[InvocationResult]) -> bytes:
    parts = [_COUNT.pack(len(answers))]
    for answer in answers:
        content_type, attributes = _text(answer.content_type), _text(answer.custom_attributes)
        parts.append(
            _ANSWER.pack(
                answer.status,
                _length(answer.content_type, content_type),
                _length(answer.custom_attributes, attributes),
                len(answer.body),
            )
        )
        parts += [content_type, attributes, answer.body]
    return b"".join(parts)


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.view = memoryview(data)
        self.at = 0

    def unpack(self, layout: struct.Struct) -> tuple[int, ...]:
        if self.at + layout.size > len(self.view):
            raise FrameError("batch frame ends inside a header")
        values = layout.unpack_from(self.view, self.at)
        self.at += layout.size
        return values

    def take(self, length: int) -> bytes:
        if length == NONE:
            return b""
        if self.at + length > len(self.view):
            raise FrameError("batch frame ends inside a value")
        value = bytes(self.view[self.at : self.at + length])
        self.at += length
        return value

    def text(self, length: int) -> str | None:
        return None if length == NONE else self.take(length).decode("latin-1")

    def done(self) -> None:
        if self.at != len(self.view):
            raise FrameError("batch frame has bytes after its last entry")


def decode_invocations(data: bytes) -> list[Invocation]:
    reader = _Reader(data)
    (count,) = reader.unpack(_COUNT)
    invocations = []
    for _ in range(count):
        content_type, accept, attributes, body = reader.unpack(_REQUEST)
        invocations.append(
            Invocation(
                content_type=reader.text(content_type),
                accept=reader.text(accept),
                custom_attributes=reader.text(attributes),
                body=reader.take(body),
            )
        )
    reader.done()
    return invocations


def decode_answers(data: bytes) -> list[InvocationResult]:
    reader = _Reader(data)
    (count,) = reader.unpack(_COUNT)
    answers = []
    for _ in range(count):
        status, content_type, attributes, body = reader.unpack(_ANSWER)
        answers.append(
            InvocationResult(
                status=status,
                content_type=reader.text(content_type),
                custom_attributes=reader.text(attributes),
                body=reader.take(body),
            )
        )
    reader.done()
    return answers
