"""API Gateway → APIs: the REST API list; **Create API** (a new REST API); an API's page (the
resources tree, the selected resource's methods and integrations, its stages with their invoke
URLs and a copy button); **Deploy API** to a new or an existing stage; a test call; delete.

Resources and methods are made in ``apigateway_resources.py``. The invoke URL is the path form
(``<server>/restapis/<id>/<stage>/_user_request_``), which needs no wildcard DNS; append the
resource's path to it, as the tutorial does. The test call sends a request to a deployed stage
exactly as a client of that URL would (the gateway's own data plane, unsigned, like the URL).
"""

from __future__ import annotations

import contextlib
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from modelport.console import rendering
from modelport.console.actions import AwsError, call
from modelport.services.apigateway.gateway import execute
from modelport.services.apigateway.urls import path_style_url

METHODS = ("ANY", "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT")
NEW_STAGE = "*new*"
SAMPLE_BODY = '{"data": "5.1,3.3,1.7,0.5"}'


def routes() -> list[BaseRoute]:
    return [
        Route("/apigateway/apis", apis_list, methods=["GET"]),
        Route("/apigateway/apis/create", create_form, methods=["GET"]),
        Route("/apigateway/apis/create", create, methods=["POST"]),
        Route("/apigateway/apis/{api_id}", api_page, methods=["GET"]),
        Route("/apigateway/apis/{api_id}/delete", delete, methods=["POST"]),
        Route("/apigateway/apis/{api_id}/deploy", deploy, methods=["POST"]),
        Route("/apigateway/apis/{api_id}/test", test_call, methods=["POST"]),
    ]


def api_path(api_id: str, resource_id: str | None = None) -> str:
    path = f"/apigateway/apis/{rendering.part(api_id)}"
    return f"{path}?resource={rendering.part(resource_id)}" if resource_id else path


def stage_url(request: Request, api_id: str, stage: str) -> str:
    """The stage's invoke URL on the address the browser used, without a trailing ``/``."""
    origin = f"{request.url.scheme}://{request.url.netloc}"
    return path_style_url(origin, api_id, stage, "/").rstrip("/")


async def apis_list(request: Request) -> Response:
    apis: list[dict[str, Any]] = []
    error = None
    try:
        apis = (await call(request, "apigateway", "GetRestApis", {"limit": 500}))["items"]
    except AwsError as exc:
        error = exc
    return rendering.render(request, "apigateway/apis.html", {"apis": apis}, error=error)


async def create_form(request: Request) -> Response:
    values = {"name": "", "description": ""}
    return rendering.render(request, "apigateway/api_create.html", {"values": values})


async def create(request: Request) -> Response:
    form = rendering.form(request)
    values = {"name": form.get("name").strip(), "description": form.get("description").strip()}
    params: dict[str, Any] = {"name": values["name"]}
    if values["description"]:
        params["description"] = values["description"]
    try:
        api_id = (await call(request, "apigateway", "CreateRestApi", params))["id"]
    except AwsError as exc:
        context = {"values": values}
        return rendering.render(request, "apigateway/api_create.html", context, error=exc, status_code=400)
    return rendering.redirect(
        request, api_path(api_id), flash=f"Successfully created REST API '{values['name']}'."
    )


def _tree(resources: list[dict[str, Any]]) -> list[tuple[int, dict[str, Any]]]:
    """The resources in path order, each with its depth (``/`` is 0), as the tree draws them."""
    ordered = sorted(resources, key=lambda r: [part for part in str(r["path"]).split("/") if part])
    return [(len([p for p in str(r["path"]).split("/") if p]), r) for r in ordered]


async def render_api(
    request: Request,
    api_id: str,
    *,
    resource_id: str | None = None,
    error: AwsError | None = None,
    test: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    """The API's page; ``resource_id`` is the selected resource (the root by default)."""
    try:
        api = await call(request, "apigateway", "GetRestApi", {"restApiId": api_id})
    except AwsError as exc:
        missing = {"api": None, "api_id": api_id}
        return rendering.render(request, "apigateway/api.html", missing, error=error or exc, status_code=404)
    context: dict[str, Any] = {
        "api": api,
        "api_id": api_id,
        "tree": [],
        "selected": None,
        "stages": [],
        "functions": [],
        "methods": METHODS,
        "new_stage": NEW_STAGE,
        "test": test or {"stage": "", "method": "POST", "path": "", "body": SAMPLE_BODY, "answer": None},
    }
    try:
        resources = (
            await call(
                request,
                "apigateway",
                "GetResources",
                {"restApiId": api_id, "limit": 500, "embed": ["methods"]},
            )
        )["items"]
        context["tree"] = _tree(resources)
        by_id = {r["id"]: r for r in resources}
        root = next((r for r in resources if r["path"] == "/"), None)
        context["selected"] = by_id.get(resource_id or "") or root
        stages = (await call(request, "apigateway", "GetStages", {"restApiId": api_id}))["item"]
        context["stages"] = [
            {**stage, "url": stage_url(request, api_id, stage["stageName"])} for stage in stages
        ]
        if not context["test"]["path"] and context["selected"] is not None:
            context["test"]["path"] = context["selected"]["path"]
    except AwsError as exc:
        error = error or exc
    with contextlib.suppress(AwsError):  # the method form takes a typed name then
        listed = await call(request, "lambda", "ListFunctions", {"MaxItems": 1000})
        context["functions"] = listed["Functions"]
    return rendering.render(request, "apigateway/api.html", context, error=error, status_code=status_code)


async def api_page(request: Request) -> Response:
    return await render_api(
        request, request.path_params["api_id"], resource_id=request.query_params.get("resource")
    )


async def delete(request: Request) -> Response:
    api_id = request.path_params["api_id"]
    try:
        await call(request, "apigateway", "DeleteRestApi", {"restApiId": api_id})
    except AwsError as exc:
        return rendering.redirect(request, api_path(api_id), error=exc)
    return rendering.redirect(request, "/apigateway/apis", flash=f"Successfully deleted REST API {api_id}.")


async def deploy(request: Request) -> Response:
    api_id = request.path_params["api_id"]
    form = rendering.form(request)
    stage = form.get("stage")
    if stage == NEW_STAGE:
        stage = form.get("new_stage_name").strip()
    resource_id = form.get("resource") or None
    if not stage:
        error = AwsError("BadRequestException", "Choose a stage, or give the new stage a name.")
        return await render_api(request, api_id, resource_id=resource_id, error=error, status_code=400)
    params: dict[str, Any] = {"restApiId": api_id, "stageName": stage}
    if description := form.get("description").strip():
        params["description"] = description
    try:
        await call(request, "apigateway", "CreateDeployment", params)
    except AwsError as exc:
        return await render_api(request, api_id, resource_id=resource_id, error=exc, status_code=400)
    return rendering.redirect(
        request, api_path(api_id, resource_id), flash=f"Successfully deployed to stage '{stage}'."
    )


async def test_call(request: Request) -> Response:
    """A call to a deployed stage, as a client of its invoke URL makes it; shown on the API's page."""
    api_id = request.path_params["api_id"]
    form = rendering.form(request)
    test: dict[str, Any] = {k: form.get(k) for k in ("stage", "method", "path", "body")}
    resource_id = form.get("resource") or None
    try:
        await call(request, "apigateway", "GetStage", {"restApiId": api_id, "stageName": test["stage"]})
    except AwsError as exc:
        return await render_api(
            request, api_id, resource_id=resource_id, error=exc, test=test, status_code=400
        )
    path = "/" + test["path"].strip().lstrip("/")
    answer = await execute(
        rendering.platform(request).context,
        api_id=api_id,
        stage=test["stage"],
        method=test["method"].upper(),
        path=path,
        headers=[("Host", request.url.netloc), ("Content-Type", "application/json")],
        query_string="",
        body=test["body"].encode("utf-8"),
        source_ip=request.client.host if request.client else "127.0.0.1",
    )
    test["answer"] = {
        "status": answer.status,
        "headers": sorted(answer.headers.items()),
        "body": answer.body.decode("utf-8", errors="replace"),
        "url": stage_url(request, api_id, test["stage"]) + path,
    }
    return await render_api(request, api_id, resource_id=resource_id, test=test)
