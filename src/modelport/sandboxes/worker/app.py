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

from modelport.sandboxes.runtimes.base import InvocationResult, Runtime

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
        for name, value in scope["headers"]:
            if name == b"content-type":
                content_type = value.decode("latin-1")
            elif name == b"accept":
                accept = value.decode("latin-1")
            elif name == _CUSTOM_ATTRIBUTES:
                custom_attributes = value.decode("latin-1")
        status, out, out_type, out_attributes = self.answer(body, content_type, accept, custom_attributes)
        headers = [] if status == 204 else [(b"content-length", str(len(out)).encode())]
        if out_type is not None:
            headers.append((b"content-type", out_type.encode("latin-1")))
        if out_attributes is not None:
            headers.append((_CUSTOM_ATTRIBUTES, out_attributes.encode("latin-1")))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": out})

    def answer(
        self, body: bytes, content_type: str | None, accept: str | None, custom_attributes: str | None
    ) -> tuple[int, bytes, str | None, str | None]:
        """One invocation, whichever way it came (HTTP or a frame): status, body, type, attributes."""
        if self.runtime is None:
            return 500, f"Unable to load model: {self.load_error}".encode(), _TEXT_TYPE, None
        try:
            result = self.runtime.invoke(body, content_type, accept, custom_attributes)
        except Exception:
            logger.exception("runtime failed on /invocations")
            result = InvocationResult(500, b"Internal Server Error", _TEXT_TYPE)
        out = b"" if result.status == 204 else result.body
        return result.status, out, result.content_type, result.custom_attributes


async def _respond(send: Send, status: int, body: bytes, content_type: bytes) -> None:
    headers = [(b"content-length", str(len(body)).encode()), (b"content-type", content_type)]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
