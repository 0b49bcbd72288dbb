"""The front door: one ASGI app serving the SageMaker control plane and runtime.

    POST /                                  SageMaker control plane (JSON 1.1, X-Amz-Target)
    POST /endpoints/{name}/invocations      SageMaker runtime InvokeEndpoint (rest-json)
    GET  /health                            liveness, unauthenticated, says nothing else

Every request but /health is verified with SigV4 before anything else is read from it. The
handlers here only translate between HTTP and the protocol layer; they never build AWS
bodies themselves.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from modelport.bootstrap import Platform
from modelport.errors import PayloadTooLarge, UnknownOperation
from modelport.http.auth import authenticate
from modelport.ids import request_id
from modelport.protocol.errors import InvocationContext
from modelport.protocol.json_rpc import parse_json_request, serialize_json_error, serialize_json_response
from modelport.protocol.models import ServiceProtocol, WireResponse
from modelport.protocol.rest_json import parse_rest_request, serialize_rest_error, serialize_rest_response
from modelport.service.hosting import OPERATIONS
from modelport.service.invocations import invoke_endpoint

log = logging.getLogger(__name__)

SIGNING_NAME = "sagemaker"  # both SageMaker APIs sign with this service name


def create_app(platform: Platform) -> Starlette:
    control = ServiceProtocol.load("sagemaker")
    runtime = ServiceProtocol.load("sagemaker-runtime")
    settings = platform.settings

    async def control_plane(request: Request) -> Response:
        rid = request_id()
        try:
            body = await _read_body(request, settings.limits.max_control_body_bytes)
            authenticate(platform, request, body, service=SIGNING_NAME)
            parsed = parse_json_request(control, request.headers.get("x-amz-target"), body)
            handler = OPERATIONS.get(parsed.operation)
            if handler is None:
                raise UnknownOperation(f"Operation {parsed.operation} is not supported by modelport yet.")
            result = handler(platform.context, parsed.params)
            reply = serialize_json_response(control, parsed.operation, result, rid)
        except Exception as exc:
            reply = serialize_json_error(control, exc, rid)
        return _response(reply)

    async def invocations(request: Request) -> Response:
        rid = request_id()
        name = request.path_params["name"]
        context = InvocationContext(
            endpoint_name=name, region=settings.region, account_id=settings.account_id
        )
        try:
            body = await _read_body(request, settings.limits.max_payload_bytes, hint=_PAYLOAD_HINT)
            authenticate(platform, request, body, service=SIGNING_NAME)
            raw_path = request.scope.get("raw_path") or request.scope["path"].encode()
            parsed = parse_rest_request(
                runtime, request.method, raw_path.decode("latin-1"), request.headers, body
            )
            result = await invoke_endpoint(
                parsed.params, router=platform.router, store=platform.store, settings=settings
            )
            reply = serialize_rest_response(runtime, parsed.operation, result, rid)
        except Exception as exc:
            reply = serialize_rest_error(runtime, exc, rid, context)
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
        Route("/endpoints/{name}/invocations", invocations, methods=["POST"]),
        Route("/health", health, methods=["GET"]),
    ]
    return Starlette(routes=routes, lifespan=lifespan)


_PAYLOAD_HINT = " Send fewer rows per request (InvokeEndpoint takes at most 6 MB), or use batch transform."


async def _read_body(request: Request, limit: int, *, hint: str = "") -> bytes:
    """The request body, refused as soon as it passes ``limit`` bytes (never buffered past it)."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(
            f"Request body of {declared} bytes is larger than the {limit} bytes allowed.{hint}"
        )
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"Request body is larger than the {limit} bytes allowed.{hint}")
        chunks.append(chunk)
    return b"".join(chunks)


def _response(reply: WireResponse) -> Response:
    return Response(content=reply.body, status_code=reply.status, headers=reply.headers)
