"""The worker's HTTP surface as a raw ASGI callable: ``GET /ping`` and ``POST /invocations``.

Hand-written rather than routed: the hot path is a dict lookup, one body read, the runtime call
and two ``send`` calls.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from modelport.sandboxes.runtimes.base import Invocation, Runtime
from modelport.sandboxes.worker.batch import answer_batch, safe_invoke
from modelport.sandboxes.worker.batch_wire import BATCH_HEADER, BATCHING_HEADER, FRAME_CONTENT_TYPE
from modelport.sandboxes.worker.framing import FramedAnswer, FramedRequest

logger = logging.getLogger("modelport.worker")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

_TEXT_TYPE = "text/plain; charset=utf-8"
_TEXT = _TEXT_TYPE.encode()
_CUSTOM_ATTRIBUTES = b"x-amzn-sagemaker-custom-attributes"
_EMPTY_200: Message = {"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"0")]}
_EMPTY_BODY: Message = {"type": "http.response.body", "body": b""}
# Batching (hosting/batching.py): a request frame from the router, and this worker's offer of it.
_BATCH = BATCH_HEADER.encode()
_BATCHING = (BATCHING_HEADER.encode(), b"1")


class WorkerApp:
    def __init__(self, runtime: Runtime | None, load_error: str | None) -> None:
        self.runtime = runtime if load_error is None else None
        self.load_error = load_error
        self.execution_parameters = json.dumps(
            {
                "MaxConcurrentTransforms": os.cpu_count() or 1,
                "BatchStrategy": "MULTI_RECORD",
                "MaxPayloadInMB": 6,
            }
        ).encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        path = scope["path"]
        if path == "/invocations":
            if scope["method"] != "POST":
                await _respond(send, 405, b"Method Not Allowed", _TEXT)
                return
            await self._invoke(scope, receive, send)
        elif path == "/ping":
            if self.load_error is None:
                await send(_EMPTY_200)
                await send(_EMPTY_BODY)
            else:
                await _respond(send, 500, self.load_error.encode("utf-8", "replace"), _TEXT)
        elif path == "/execution-parameters":
            await _respond(send, 200, self.execution_parameters, b"application/json")
        else:
            await _respond(send, 404, b"Not Found", _TEXT)

    async def _invoke(self, scope: Scope, receive: Receive, send: Send) -> None:
        message = await receive()
        body: bytes = message.get("body", b"")
        if message.get("more_body"):
            chunks = [body]
            while message.get("more_body"):
                message = await receive()
                chunks.append(message.get("body", b""))
            body = b"".join(chunks)
        content_type = accept = custom_attributes = None
        batch = False
        for name, value in scope["headers"]:
            if name == b"content-type":
                content_type = value.decode("latin-1")
            elif name == b"accept":
                accept = value.decode("latin-1")
            elif name == _CUSTOM_ATTRIBUTES:
                custom_attributes = value.decode("latin-1")
            elif name == _BATCH:
                batch = True
        answer = self.answer(FramedRequest(body, content_type, accept, custom_attributes, batch))
        headers = [] if answer.status == 204 else [(b"content-length", str(len(answer.body)).encode())]
        if answer.batching:
            headers.append(_BATCHING)
        if answer.content_type is not None:
            headers.append((b"content-type", answer.content_type.encode("latin-1")))
        if answer.attributes is not None:
            headers.append((_CUSTOM_ATTRIBUTES, answer.attributes.encode("latin-1")))
        await send({"type": "http.response.start", "status": answer.status, "headers": headers})
        await send({"type": "http.response.body", "body": answer.body})

    def answer(self, request: FramedRequest) -> FramedAnswer:
        """One invocation or one batch frame, whichever way it came (HTTP or a Unix-socket frame)."""
        if self.runtime is None:
            return FramedAnswer(500, f"Unable to load model: {self.load_error}".encode(), _TEXT_TYPE, None)
        if request.batch:
            status, frame = answer_batch(self.runtime, request.body)
            return FramedAnswer(status, frame, FRAME_CONTENT_TYPE, None, batching=True)
        r = request
        result = safe_invoke(self.runtime, Invocation(r.body, r.content_type, r.accept, r.attributes))
        body = b"" if result.status == 204 else result.body
        return FramedAnswer(
            result.status, body, result.content_type, result.custom_attributes, self.runtime.batching
        )


async def _respond(send: Send, status: int, body: bytes, content_type: bytes) -> None:
    headers = [(b"content-length", str(len(body)).encode()), (b"content-type", content_type)]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
