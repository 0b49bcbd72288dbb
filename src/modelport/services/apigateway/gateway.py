"""The data plane of REST APIs: one client request against a deployed stage, to its answer.

``execute`` finds the API and stage, routes with the stage's deployment (not the API as edited
since), checks the API key, and runs the integration:

- ``AWS`` + Lambda: the body passes through as the Invoke payload; the output (or the error
  JSON of a function error) is the body, through the integration responses (spec §2);
- ``AWS_PROXY``: the format 1.0 event in, the ``{statusCode, headers, body}`` answer out (§3);
- ``AWS`` + ``runtime.sagemaker``: InvokeEndpoint on our own router; the endpoint's answer
  passes through, and an error's status selects among the integration responses;
- ``MOCK``: the default integration response with an empty body (no templates).

Before calling a backend, ``gateway_access`` checks that the gateway may: the function's
resource policy (or the integration's ``credentials`` role) for Lambda, the role for SageMaker.
A refusal is logged (``Execution failed due to configuration error: ...``) and answered 500.

Gateway-made answers (403 Missing Authentication Token, 403 Forbidden, 500, 502, 504) are the
ones ``responses`` spells. An unknown API id gets LocalStack's 404 (AWS has no
answer: its DNS would not resolve); an unknown stage gets 403 Forbidden, as AWS answers.

Lambda is reached through ``invoke_function``, the Lambda API's own Invoke; SageMaker through
``ctx.router``, the runtime's router.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from modelport.core.arns import request_id
from modelport.core.config import Settings
from modelport.core.errors import (
    InvalidRequest,
    ModelFailure,
    ModelNotReady,
    ModelportError,
    PayloadTooLarge,
    ServiceUnavailable,
    Throttled,
)
from modelport.services.apigateway.access import lambda_access, sagemaker_access
from modelport.services.apigateway.apis import lambda_function_of
from modelport.services.apigateway.documents import API_KIND, tree_of
from modelport.services.apigateway.keys import valid_keys
from modelport.services.apigateway.mapping import (
    LAMBDA_INVOKE_REFUSED,
    IntegrationResponse,
    PassthroughBehavior,
    check_api_key,
    json_body_error,
    lambda_request_payload,
    lambda_response,
    passthrough_check,
    sagemaker_invocation,
    sagemaker_response,
    substitute_stage_variables,
)
from modelport.services.apigateway.proxy import (
    ProxyContext,
    ProxyRequest,
    build_proxy_event,
    header_value,
    proxy_response,
)
from modelport.services.apigateway.responses import (
    FORBIDDEN,
    INTERNAL_SERVER_ERROR,
    GatewayResponse,
    gateway_error,
)
from modelport.services.apigateway.routes import NoRoute, ResourceTree, RouteMatch
from modelport.services.apigateway.urls import path_style_url
from modelport.services.context import ServiceContext
from modelport.services.lambda_.invoke import invoke
from modelport.services.lambda_.resource_policy import execute_api_arn
from modelport.services.sagemaker.invocations import invoke_endpoint
from modelport.store.base import Resource as StoredResource

logger = logging.getLogger(__name__)

LambdaInvoke = Callable[[ServiceContext, dict[str, Any]], dict[str, Any] | Awaitable[dict[str, Any]]]
# The Lambda API's Invoke (a test may put a fake here with monkeypatch).
invoke_function: LambdaInvoke = invoke

# The integration did not answer within timeoutInMillis (INTEGRATION_TIMEOUT, spec §2).
ENDPOINT_TIMEOUT = gateway_error(
    504, b'{"message": "Endpoint request timed out"}', "InternalServerErrorException"
)


def unknown_api(api_id: str) -> GatewayResponse:
    """LocalStack's words for an id no API has (AWS cannot be asked: its DNS has no such host)."""
    message = json.dumps(
        {"message": f"The API id '{api_id}' does not correspond to a deployed API Gateway API"}
    )
    return gateway_error(404, message.encode("utf-8"), "NotFoundException")


def invoke_url(settings: Settings, api_id: str, stage: str, path: str = "/") -> str:
    """Where clients call a stage: the path style, which needs no wildcard DNS.

    The host style ``http://{api_id}.execute-api.localhost:{port}/{stage}/{path}`` is served too.
    """
    return path_style_url(settings.url, api_id, stage, path)


async def execute(
    ctx: ServiceContext,
    *,
    api_id: str,
    stage: str,
    method: str,
    path: str,
    headers: list[tuple[str, str]],
    query_string: str,
    body: bytes,
    source_ip: str,
    request_ids: tuple[str, str] | None = None,
) -> GatewayResponse:
    """The client's answer for ``method path`` on ``api_id``/``stage`` (``path`` raw, no stage).

    ``request_ids``: the request's ``x-amzn-RequestId`` and ``x-amz-apigw-id``, which a proxy
    integration's event carries as ``requestId`` and ``extendedRequestId`` (new ones when None)."""
    # Shared with other invocations until the API is next written: read only, never changed.
    record = ctx.store.get_shared(API_KIND, api_id)
    if record is None:
        return unknown_api(api_id)
    api = record.body
    stage_doc = api["stages"].get(stage)
    if stage_doc is None:
        return FORBIDDEN
    deployment_id = stage_doc["deploymentId"]
    resources = api["deployments"][deployment_id]["resources"]
    route = _tree(record, deployment_id, resources).match(method.upper(), path)
    if isinstance(route, NoRoute):
        return GatewayResponse(route.status, route.body, dict(route.headers))
    method_doc: Mapping[str, Any] = resources[route.resource_id]["resourceMethods"][route.method_key]
    refused = check_api_key(
        bool(method_doc.get("apiKeyRequired")),
        header_value(headers, "x-api-key"),
        valid_keys(ctx, api_id, stage) if method_doc.get("apiKeyRequired") else (),
    )
    if refused is not None:
        return refused
    return await run_method(
        ctx,
        api,
        Call(
            api_id,
            stage,
            stage_doc.get("variables") or {},
            method,
            path,
            headers,
            query_string,
            body,
            source_ip,
        ),
        resources,
        route,
        request_ids,
    )


@dataclass(frozen=True)
class Call:
    """One call of a method: where it goes and what the client sent."""

    api_id: str
    stage: str  # TestInvokeMethod's calls are on AWS's "test-invoke-stage"
    variables: Mapping[str, str]  # the stage's variables
    method: str
    path: str  # raw, without the stage
    headers: list[tuple[str, str]]
    query_string: str
    body: bytes
    source_ip: str


async def run_method(
    ctx: ServiceContext,
    api: Mapping[str, Any],
    call: Call,
    resources: Mapping[str, Mapping[str, Any]],
    route: RouteMatch,
    request_ids: tuple[str, str] | None = None,
) -> GatewayResponse:
    """A routed call through its method's integration (the API key, if any, already checked)."""
    api_id, stage, method, path = call.api_id, call.stage, call.method, call.path
    headers, query_string, body, source_ip = call.headers, call.query_string, call.body, call.source_ip
    method_doc: Mapping[str, Any] = resources[route.resource_id]["resourceMethods"][route.method_key]
    integration: Mapping[str, Any] | None = method_doc.get("methodIntegration")
    if integration is None:
        return INTERNAL_SERVER_ERROR
    variables: dict[str, str] = dict(call.variables)
    kind = integration["type"]
    settings = ctx.settings
    resource_path = str(resources[route.resource_id].get("path") or "/")
    source_arn = execute_api_arn(settings.region, settings.account_id, api_id, stage, method, resource_path)
    if kind == "AWS_PROXY":
        request = ProxyRequest(method.upper(), path, headers, query_string, body, source_ip)
        now_ms = int(ctx.clock.now() * 1000)
        proxy_context = ProxyContext(
            account_id=ctx.settings.account_id,
            api_id=api_id,
            stage=stage,
            request_id=request_ids[0] if request_ids else request_id(),
            extended_request_id=request_ids[1] if request_ids else "",
            request_time_epoch_ms=now_ms,
            domain_name=header_value(headers, "Host") or f"{api_id}.execute-api.localhost",
            stage_variables=variables,
            binary_media_types=tuple(api.get("binaryMediaTypes") or ()),
        )
        event = build_proxy_event(request, route, proxy_context)
        return await _run_proxy(ctx, integration, variables, event, headers, api, source_arn)
    responses = _integration_responses(integration)
    method_responses = {int(code) for code in method_doc.get("methodResponses") or {}}
    if kind == "MOCK":
        return lambda_response(b"", integration_responses=responses, method_responses=method_responses)
    content_type = header_value(headers, "Content-Type")
    refused = passthrough_check(
        content_type,
        PassthroughBehavior(integration.get("passthroughBehavior", "WHEN_NO_MATCH")),
        tuple(integration.get("requestTemplates") or ()),
    )
    if refused is not None:
        return refused
    uri = substitute_stage_variables(integration.get("uri") or "", variables)
    function = lambda_function_of(uri)
    timeout = integration.get("timeoutInMillis", 29000) / 1000
    if function is not None:
        payload = lambda_request_payload(body)
        if isinstance(payload, GatewayResponse):
            # The client sees only AWS's 500; the cause goes to the server log (AWS: the execution log).
            return _refused(
                api_id,
                stage,
                f"{method.upper()} {resource_path}: Lambda refused the request body with "
                f"InvalidRequestContentException ({json_body_error(body)}). A non-proxy Lambda integration "
                "passes the body through as the function's event, which must be JSON: send a JSON body, "
                "or use a Lambda proxy integration (AWS_PROXY).",
            )
        if (denied := lambda_access(ctx, integration, function, source_arn)) is not None:
            return _refused(api_id, stage, denied)
        answer = await _invoke_lambda(ctx, function, payload, timeout)
        if isinstance(answer, GatewayResponse):
            return answer
        result, error = answer
        return lambda_response(
            result, function_error=error, integration_responses=responses, method_responses=method_responses
        )
    invocation = sagemaker_invocation(uri, body, content_type, header_value(headers, "Accept"), variables)
    if isinstance(invocation, GatewayResponse):
        return invocation
    if (denied := sagemaker_access(ctx, integration, invocation.endpoint_name)) is not None:
        return _refused(api_id, stage, denied)
    params: dict[str, Any] = {
        "EndpointName": invocation.endpoint_name,
        "Body": invocation.body,
        "ContentType": invocation.content_type,
    }
    if invocation.accept:
        params["Accept"] = invocation.accept
    answer_sm = await _invoke_sagemaker(ctx, params, timeout)
    if isinstance(answer_sm, GatewayResponse):
        return answer_sm
    status, out_body, out_type = answer_sm
    return sagemaker_response(
        status, out_body, out_type, integration_responses=responses, method_responses=method_responses
    )


# The routing tree of each deployment served lately, with the record it was built from: valid
# while the store hands out that same record (a write to any API makes a new one).
_trees: dict[tuple[str, str], tuple[StoredResource, ResourceTree]] = {}
_CACHED_TREES = 256


def _tree(
    record: StoredResource, deployment_id: str, resources: Mapping[str, Mapping[str, Any]]
) -> ResourceTree:
    key = (record.name, deployment_id)
    cached = _trees.get(key)
    if cached is not None and cached[0] is record:
        return cached[1]
    tree = tree_of(resources)
    if len(_trees) >= _CACHED_TREES:
        _trees.clear()
    _trees[key] = (record, tree)
    return tree


def _refused(api_id: str, stage: str, reason: str) -> GatewayResponse:
    # AWS writes this to the stage's execution log; the client only sees the 500.
    logger.warning("%s/%s: %s", api_id, stage, reason)
    return INTERNAL_SERVER_ERROR


def _integration_responses(integration: Mapping[str, Any]) -> tuple[IntegrationResponse, ...]:
    return tuple(
        IntegrationResponse(int(code), response.get("selectionPattern") or None)
        for code, response in (integration.get("integrationResponses") or {}).items()
    )


async def _run_proxy(
    ctx: ServiceContext,
    integration: Mapping[str, Any],
    variables: dict[str, str],
    event: dict[str, Any],
    headers: Sequence[tuple[str, str]],
    api: Mapping[str, Any],
    source_arn: str,
) -> GatewayResponse:
    function = lambda_function_of(substitute_stage_variables(integration.get("uri") or "", variables))
    if function is None:
        return INTERNAL_SERVER_ERROR
    if (refused := lambda_access(ctx, integration, function, source_arn)) is not None:
        return _refused(str(event["requestContext"]["apiId"]), str(event["requestContext"]["stage"]), refused)
    timeout = integration.get("timeoutInMillis", 29000) / 1000
    answer = await _invoke_lambda(ctx, function, json.dumps(event).encode("utf-8"), timeout)
    if isinstance(answer, GatewayResponse):
        return answer
    payload, error = answer
    return proxy_response(
        payload,
        function_error=error,
        accept=header_value(headers, "Accept"),
        binary_media_types=tuple(api.get("binaryMediaTypes") or ()),
    )


async def _invoke_lambda(
    ctx: ServiceContext, function: str, payload: bytes, timeout: float
) -> tuple[bytes, str | None] | GatewayResponse:
    """(output, function error) of a RequestResponse Invoke, or the gateway's own answer."""
    params = {"FunctionName": function, "Payload": payload, "InvocationType": "RequestResponse"}
    try:
        outcome = invoke_function(ctx, params)
        if inspect.isawaitable(outcome):
            async with asyncio.timeout(timeout):  # no second task, as wait_for makes
                result = await outcome
        else:
            result = outcome
    except TimeoutError:
        return ENDPOINT_TIMEOUT
    except ModelportError as exc:
        # Lambda refused the call (unknown function, throttled, bad payload): 500 (spec §2).
        logger.info("Lambda refused invoke of %s: %s", function, exc.message)
        return LAMBDA_INVOKE_REFUSED
    if result.get("StatusCode") != 200:
        return LAMBDA_INVOKE_REFUSED
    output = result.get("Payload") or b""
    if isinstance(output, str):
        output = output.encode("utf-8")
    elif not isinstance(output, bytes):
        output = bytes(output.read() if hasattr(output, "read") else output)
    return output, result.get("FunctionError")


# The runtime's (code, status) for the errors InvokeEndpoint raises; the body is what the
# runtime would send, so that integration responses can be selected on the status.
_RUNTIME_ERRORS: tuple[tuple[type[ModelportError], str, int], ...] = (
    (PayloadTooLarge, "ValidationError", 413),
    (InvalidRequest, "ValidationError", 400),
    (ModelNotReady, "ModelNotReadyException", 429),
    (Throttled, "ThrottlingException", 400),
    (ServiceUnavailable, "ServiceUnavailable", 503),
)


async def _invoke_sagemaker(
    ctx: ServiceContext, params: dict[str, Any], timeout: float
) -> tuple[int, bytes, str | None] | GatewayResponse:
    """(status, body, content type) of InvokeEndpoint as the runtime would answer it."""
    try:
        async with asyncio.timeout(timeout):
            output = await invoke_endpoint(params, router=ctx.router, store=ctx.store, settings=ctx.settings)
    except TimeoutError:
        return ENDPOINT_TIMEOUT
    except ModelFailure as exc:
        error = {
            "ErrorCode": "CLIENT_ERROR_FROM_MODEL" if 400 <= exc.status < 500 else "SERVER_ERROR_FROM_MODEL",
            "Message": exc.message,
            "OriginalMessage": exc.body,
            "OriginalStatusCode": exc.status,
        }
        return 424, json.dumps(error).encode("utf-8"), "application/json"
    except ModelportError as exc:
        for cls, code, status in _RUNTIME_ERRORS:
            if isinstance(exc, cls):
                return (
                    status,
                    json.dumps({"message": exc.message, "code": code}).encode("utf-8"),
                    "application/json",
                )
        return 500, json.dumps({"message": exc.message}).encode("utf-8"), "application/json"
    return 200, output["Body"], output.get("ContentType")
