"""The front door: one ASGI app serving the SageMaker control plane and runtime.

    POST /                                  SageMaker control plane (JSON 1.1, X-Amz-Target)
    POST /endpoints/{name}/invocations      SageMaker runtime InvokeEndpoint (rest-json)
    GET  /health                            liveness, unauthenticated, says nothing else

Every request but /health is verified with SigV4 before anything else is read from it. The
invocation route is the hot path and is served by a plain ASGI handler
(``http/invocations.py``); everything else goes through Starlette. Handlers only translate
between HTTP and the protocol layer; they never build AWS bodies themselves.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from modelport.bootstrap import Platform
from modelport.errors import UnknownOperation
from modelport.http.auth import authenticate
from modelport.http.invocations import SIGNING_NAME, InvocationHandler, is_invocation, read_body
from modelport.ids import request_id
from modelport.protocol.json_rpc import parse_json_request, serialize_json_error, serialize_json_response
from modelport.protocol.models import ServiceProtocol, WireResponse
from modelport.service.hosting import OPERATIONS


class FrontDoor:
    """Sends invocations straight to their handler and everything else to Starlette."""

    def __init__(self, platform: Platform) -> None:
        self.invocations = InvocationHandler(platform)
        self.rest = _starlette_app(platform)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if is_invocation(scope):
            await self.invocations(scope, receive, send)
        else:
            await self.rest(scope, receive, send)


def create_app(platform: Platform) -> FrontDoor:
    return FrontDoor(platform)


def _starlette_app(platform: Platform) -> Starlette:
    control = ServiceProtocol.load("sagemaker")
    settings = platform.settings

    async def control_plane(request: Request) -> Response:
        rid = request_id()
        try:
            body = await read_body(request.scope, request.receive, settings.limits.max_control_body_bytes)
            authenticate(platform, request.scope, body, service=SIGNING_NAME)
            parsed = parse_json_request(control, request.headers.get("x-amz-target"), body)
            handler = OPERATIONS.get(parsed.operation)
            if handler is None:
                raise UnknownOperation(f"Operation {parsed.operation} is not supported by modelport yet.")
            result = handler(platform.context, parsed.params)
            reply = serialize_json_response(control, parsed.operation, result, rid)
        except Exception as exc:
            reply = serialize_json_error(control, exc, rid)
        return _response(reply)

    async def health(request: Request) -> Response:
        return PlainTextResponse("ok")

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await platform.controller.start()
        try:
            yield
        finally:
            await platform.controller.stop()

    routes = [
        Route("/", control_plane, methods=["POST"]),
        Route("/health", health, methods=["GET"]),
    ]
    return Starlette(routes=routes, lifespan=lifespan)


def _response(reply: WireResponse) -> Response:
    return Response(content=reply.body, status_code=reply.status, headers=reply.headers)
