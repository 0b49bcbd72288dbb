"""The front door: one ASGI app for every AWS API modelport serves.

    POST /endpoints/{name}/invocations      SageMaker runtime (the hot path: http/invocations.py)
    <id>.execute-api.<host>/<stage>/<path>  API Gateway invoke URLs (http/gateway.py)
    /restapis/<id>/<stage>/_user_request_/…   the same, path form
    GET  /health                            liveness, unauthenticated, says nothing else
    GET  /metrics                           endpoint metrics as Prometheus text, unauthenticated
                                            (read-only; MODELPORT_OPEN_METRICS=0 turns it off)
    /console/…                              the web console (console/app.py; its own sign-in)
    GET  /  from a browser (Accept: text/html) redirects to /console
    GET  /_modelport/lambda/functions/…     GetFunction's Code.Location, presigned (http/function_code.py)
    GET  /_modelport/sagemaker/endpoints/{name}/instances
                                            where each instance runs (node, address), JSON; signed
                                            and authorized as DescribeEndpoint (a modelport extension)
    everything else                         AWS control planes: SageMaker (JSON 1.1), IAM and
                                            STS (query), Lambda and API Gateway (rest-json),
                                            told apart by ``http/services.classify``

Every AWS API request is verified with SigV4, then authorized against the caller's IAM
policies, before its use case runs. Handlers only translate between HTTP and the protocol
layer; they never build AWS bodies themselves.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.types import Receive, Scope, Send

from modelport.aws.protocol.json_rpc import parse_json_request, serialize_json_error, serialize_json_response
from modelport.aws.protocol.models import ParsedRequest, WireResponse
from modelport.aws.protocol.query import parse_query_request, serialize_query_error, serialize_query_response
from modelport.aws.protocol.rest_json import parse_rest_request, serialize_rest_error, serialize_rest_response
from modelport.bootstrap import Platform
from modelport.console.app import console_app
from modelport.core.arns import request_id
from modelport.core.config import Settings
from modelport.core.errors import UnknownOperation
from modelport.hosting.metrics import prometheus
from modelport.http.auth import authenticate
from modelport.http.bindings import OPERATIONS, bindings
from modelport.http.bodiless import strip_body
from modelport.http.function_code import function_code_route
from modelport.http.gateway import GatewayHandler, is_api_invoke
from modelport.http.invocations import InvocationHandler, is_invocation, read_body
from modelport.http.notebook_urls import notebook_url_route
from modelport.http.role_credentials import role_credentials_routes
from modelport.http.services import Binding, Handler, classify
from modelport.services.context import ServiceContext
from modelport.services.sagemaker.endpoints import INSTANCES_PATH, endpoint_instances
from modelport.services.sagemaker.invocations import invoke_endpoint
from modelport.services.sagemaker.notebook_instances import restore as restore_notebook_instances

METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"]


class FrontDoor:
    """Sends invocations and API Gateway calls to their handlers, everything else to Starlette."""

    def __init__(self, platform: Platform) -> None:
        self.invocations = InvocationHandler(platform)
        self.gateway = GatewayHandler(platform)
        self.rest = _starlette_app(platform)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if is_api_invoke(scope):  # first: on an execute-api host every path is the API's
            await self.gateway(scope, receive, send)
        elif is_invocation(scope):
            await self.invocations(scope, receive, send)
        else:
            await self.rest(scope, receive, send)


def create_app(platform: Platform) -> FrontDoor:
    return FrontDoor(platform)


def _starlette_app(platform: Platform) -> Starlette:
    services = bindings(platform)
    settings = platform.settings

    async def aws(request: Request) -> Response:
        rid = request_id()
        query_string = request.scope.get("query_string", b"").decode("latin-1")
        if _browser_at_root(request, query_string):
            return RedirectResponse("/console/", status_code=303)
        body = b""
        try:
            body = await read_body(request.scope, request.receive, _body_limit(request.url.path, settings))
        except Exception as exc:
            # Unread, the body cannot say which API it was for; the path still does (Lambda's
            # CreateFunction with an oversized zip gets Lambda's 413, not SageMaker's shape).
            early = classify(request.method, request.url.path, request.headers, query_string, b"")
            return _response(_error(services.get(early or "", services["sagemaker"]), exc, rid))
        name = classify(request.method, request.url.path, request.headers, query_string, body)
        binding = services.get(name or "")
        if binding is None:
            binding = services["sagemaker"]
            return _response(
                _error(
                    binding,
                    UnknownOperation(f"No AWS API here answers {request.method} {request.url.path}."),
                    rid,
                )
            )
        try:
            principal = authenticate(platform, request.scope, body, service=binding.signing_name)
            parsed = _parse(binding, request, query_string, body)
            context = platform.context.acting_as(principal)
            platform.authorize(context, binding.name, parsed.operation, parsed.params)
            result = await binding.call(context, parsed)
            reply = _serialize(binding, parsed.operation, result, rid)
        except Exception as exc:
            reply = _error(binding, exc, rid)
        return _response(reply)

    async def instances(request: Request) -> Response:
        rid = request_id()
        binding = services["sagemaker"]
        name = request.path_params["name"]
        try:
            principal = authenticate(platform, request.scope, b"", service=binding.signing_name)
            context = platform.context.acting_as(principal)
            platform.authorize(context, binding.name, "DescribeEndpoint", {"EndpointName": name})
            found = endpoint_instances(context, name)
        except Exception as exc:
            return _response(_error(binding, exc, rid))
        return JSONResponse({"Instances": found}, headers={"x-amzn-RequestId": rid})

    async def health(request: Request) -> Response:
        return PlainTextResponse("ok")

    async def metrics(request: Request) -> Response:
        if not platform.settings.open_metrics:
            return PlainTextResponse("Not served: MODELPORT_OPEN_METRICS is off.\n", status_code=404)
        return Response(prometheus.render(platform.metrics.recorder), media_type=prometheus.CONTENT_TYPE)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        platform.start_logs()
        await platform.controller.start()
        await platform.transforms.resume()
        await platform.async_inference.resume()
        await restore_notebook_instances(platform.context)
        try:
            yield
        finally:
            await platform.close()

    routes = [
        Route("/health", health, methods=["GET"]),
        Route("/metrics", metrics, methods=["GET"]),
        Route(INSTANCES_PATH, instances, methods=["GET"]),
        function_code_route(platform),
        *role_credentials_routes(platform),
        notebook_url_route(platform),
        Route("/console", lambda request: RedirectResponse("/console/", status_code=303), methods=["GET"]),
        Mount("/console", app=console_app(platform, console_tables(platform))),
        Route("/{path:path}", aws, methods=METHODS),
    ]
    return Starlette(routes=routes, lifespan=lifespan)


def console_tables(platform: Platform) -> dict[str, Mapping[str, Handler]]:
    """The operations the console may run, by botocore service name: the front door's tables,
    and the runtime's InvokeEndpoint (its hot path has no table) for the console's test box,
    which counts like any invocation: metrics, data capture and shadow copies included."""
    tables: dict[str, Mapping[str, Handler]] = {name: table for name, (_, table) in OPERATIONS.items()}

    async def invoke(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
        return await invoke_endpoint(
            params,
            router=ctx.router,
            store=ctx.store,
            settings=ctx.settings,
            capture=platform.capture,
            shadow=platform.shadow,
            metrics=platform.metrics.recorder,
        )

    tables["sagemaker-runtime"] = {**tables["sagemaker-runtime"], "InvokeEndpoint": invoke}
    return tables


def _browser_at_root(request: Request, query_string: str) -> bool:
    """A person's browser opening the server's address: AWS clients never send a bare ``GET /``
    asking for HTML (IAM's and STS's GET requests carry ``Action=`` in the query)."""
    return (
        request.method == "GET"
        and request.url.path == "/"
        and not query_string
        and "text/html" in request.headers.get("accept", "")
    )


# Lambda takes deployment packages inline: 50 MB zipped, base64 in JSON (AWS's quota).
_LAMBDA_BODY_LIMIT = 70 * 1024 * 1024


def _body_limit(path: str, settings: Settings) -> int:
    if path.startswith("/2015-03-31/functions"):
        return _LAMBDA_BODY_LIMIT
    return settings.limits.max_control_body_bytes


def _parse(binding: Binding, request: Request, query_string: str, body: bytes) -> ParsedRequest:
    kind = binding.protocol.protocol
    if kind == "json":
        return parse_json_request(binding.protocol, request.headers.get("x-amz-target"), body)
    if kind == "query":
        return parse_query_request(binding.protocol, query_string if request.method == "GET" else body)
    raw_path = (request.scope.get("raw_path") or request.url.path.encode()).decode("latin-1")
    if query_string:
        raw_path = f"{raw_path}?{query_string}"
    return parse_rest_request(binding.protocol, request.method, raw_path, request.headers, body)


def _serialize(binding: Binding, operation: str, result: dict[str, object], rid: str) -> WireResponse:
    kind = binding.protocol.protocol
    if kind == "json":
        return serialize_json_response(binding.protocol, operation, result, rid)
    if kind == "query":
        return serialize_query_response(binding.protocol, operation, result, rid)
    return serialize_rest_response(binding.protocol, operation, result, rid)


def _error(binding: Binding, exc: BaseException, rid: str) -> WireResponse:
    kind = binding.protocol.protocol
    if kind == "json":
        return serialize_json_error(binding.protocol, exc, rid)
    if kind == "query":
        return serialize_query_error(binding.protocol, exc, rid)
    return serialize_rest_error(binding.protocol, exc, rid)


def _response(reply: WireResponse) -> Response:
    headers, body = strip_body(reply.status, reply.headers, reply.body)
    return Response(content=body, status_code=reply.status, headers=headers)
