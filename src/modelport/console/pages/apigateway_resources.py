"""API Gateway → an API's resources: **Create Resource** under the selected one, **Create
Method** with a Lambda-function integration, deleting either.

Creating a method does what the AWS console does in one step: PutMethod (authorization
``NONE``), PutIntegration (``AWS``, Lambda's non-proxy integration, or ``AWS_PROXY``), the 200
method and integration responses (without which every call answers 500), and lambda
AddPermission: API Gateway, from this API's method on any stage, may invoke the function. Each is
its own call as the signed-in principal, so a caller allowed only some stops at the first refusal.
"""

from __future__ import annotations

import re
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from modelport.console import rendering
from modelport.console.actions import AwsError, call
from modelport.console.pages.apigateway_apis import METHODS, api_path, render_api
from modelport.core import arns

GATEWAY_PRINCIPAL = "apigateway.amazonaws.com"
INTEGRATIONS = ("AWS", "AWS_PROXY")


def routes() -> list[BaseRoute]:
    return [
        Route("/apigateway/apis/{api_id}/resources", create_resource, methods=["POST"]),
        Route("/apigateway/apis/{api_id}/resources/{resource_id}/delete", delete_resource, methods=["POST"]),
        Route("/apigateway/apis/{api_id}/resources/{resource_id}/methods", create_method, methods=["POST"]),
        Route(
            "/apigateway/apis/{api_id}/resources/{resource_id}/methods/{method}/delete",
            delete_method,
            methods=["POST"],
        ),
    ]


def source_arn(region: str, account: str, api_id: str, method: str, path: str) -> str:
    """The console's SourceArn: every stage (``*``) of this method; path variables become ``*``."""
    resource = re.sub(r"\{[^}]*\}", "*", path.lstrip("/"))
    return arns.execute_api_arn(region, account, api_id, "*", "*" if method == "ANY" else method, resource)


async def create_resource(request: Request) -> Response:
    api_id = request.path_params["api_id"]
    form = rendering.form(request)
    parent = form.get("parent")
    path_part = form.get("path_part").strip()
    try:
        made = await call(
            request,
            "apigateway",
            "CreateResource",
            {"restApiId": api_id, "parentId": parent, "pathPart": path_part},
        )
    except AwsError as exc:
        return await render_api(request, api_id, resource_id=parent, error=exc, status_code=400)
    return rendering.redirect(
        request, api_path(api_id, made["id"]), flash=f"Successfully created resource '{made['path']}'."
    )


async def delete_resource(request: Request) -> Response:
    api_id, resource_id = request.path_params["api_id"], request.path_params["resource_id"]
    try:
        await call(request, "apigateway", "DeleteResource", {"restApiId": api_id, "resourceId": resource_id})
    except AwsError as exc:
        return rendering.redirect(request, api_path(api_id, resource_id), error=exc)
    return rendering.redirect(request, api_path(api_id), flash="Successfully deleted the resource.")


async def create_method(request: Request) -> Response:
    api_id, resource_id = request.path_params["api_id"], request.path_params["resource_id"]
    form = rendering.form(request)
    method = form.get("http_method").upper()
    kind = form.get("integration_type", "AWS")
    function = form.get("function").strip()
    failed = _check(method, kind, function)
    if failed is not None:
        return await render_api(request, api_id, resource_id=resource_id, error=failed, status_code=400)
    settings = rendering.platform(request).context.settings
    args: dict[str, Any] = {"restApiId": api_id, "resourceId": resource_id, "httpMethod": method}
    try:
        resource = await call(
            request, "apigateway", "GetResource", {"restApiId": api_id, "resourceId": resource_id}
        )
        function_arn = (
            await call(request, "lambda", "GetFunctionConfiguration", {"FunctionName": function})
        )["FunctionArn"]
        await call(request, "apigateway", "PutMethod", {**args, "authorizationType": "NONE"})
        integration = {
            "type": kind,
            "integrationHttpMethod": "POST",
            "uri": arns.lambda_integration_uri(settings.region, function_arn),
        }
        await call(request, "apigateway", "PutIntegration", {**args, **integration})
        await call(request, "apigateway", "PutMethodResponse", {**args, "statusCode": "200"})
        await call(request, "apigateway", "PutIntegrationResponse", {**args, "statusCode": "200"})
        await _grant(
            request,
            function_arn,
            source_arn(settings.region, settings.account_id, api_id, method, resource["path"]),
        )
    except AwsError as exc:
        return await render_api(request, api_id, resource_id=resource_id, error=exc, status_code=400)
    return rendering.redirect(
        request,
        api_path(api_id, resource_id),
        flash=f"Successfully created method {method} on {resource['path']}, integrated with Lambda function {function}.",
    )


def _check(method: str, kind: str, function: str) -> AwsError | None:
    if method not in METHODS:
        return AwsError("BadRequestException", f"Choose an HTTP method: {', '.join(METHODS)}.")
    if kind not in INTEGRATIONS:
        return AwsError("BadRequestException", "Choose a Lambda integration: AWS or AWS_PROXY.")
    if not function:
        return AwsError("BadRequestException", "Choose the Lambda function the method calls.")
    return None


async def _grant(request: Request, function_arn: str, source: str) -> None:
    """The function's resource-policy statement for this method (kept if it is there already)."""
    params = {
        "FunctionName": function_arn,
        "StatementId": f"apigateway-{re.sub(r'[^a-zA-Z0-9-_]', '-', source.split(':')[-1])}"[:100],
        "Action": "lambda:InvokeFunction",
        "Principal": GATEWAY_PRINCIPAL,
        "SourceArn": source,
    }
    try:
        await call(request, "lambda", "AddPermission", params)
    except AwsError as exc:
        if exc.code != "ResourceConflictException":
            raise


async def delete_method(request: Request) -> Response:
    api_id, resource_id = request.path_params["api_id"], request.path_params["resource_id"]
    method = request.path_params["method"]
    try:
        await call(
            request,
            "apigateway",
            "DeleteMethod",
            {"restApiId": api_id, "resourceId": resource_id, "httpMethod": method},
        )
    except AwsError as exc:
        return rendering.redirect(request, api_path(api_id, resource_id), error=exc)
    return rendering.redirect(
        request, api_path(api_id, resource_id), flash=f"Successfully deleted method {method}."
    )
