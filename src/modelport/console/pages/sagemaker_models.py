"""SageMaker → Models and Endpoint configurations: lists, a page for each (containers and their
environment; production variants), delete. Created with boto3, the SDK or ``modelport deploy``;
the console shows and removes them, as the tutorial's clean-up does.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from modelport.console import rendering
from modelport.console.actions import AwsError, call
from modelport.console.pages.sagemaker_endpoints import list_page


def routes() -> list[BaseRoute]:
    return [
        Route("/sagemaker/models", models_list, methods=["GET"]),
        Route("/sagemaker/models/{name}", model_page, methods=["GET"]),
        Route("/sagemaker/models/{name}/delete", delete_model, methods=["POST"]),
        Route("/sagemaker/endpoint-configs", configs_list, methods=["GET"]),
        Route("/sagemaker/endpoint-configs/{name}", config_page, methods=["GET"]),
        Route("/sagemaker/endpoint-configs/{name}/delete", delete_config, methods=["POST"]),
    ]


async def models_list(request: Request) -> Response:
    context = await list_page(request, "ListModels", "Models")
    return rendering.render(request, "sagemaker/models.html", context, error=context["error"])


async def _tags(request: Request, arn: str) -> list[dict[str, Any]]:
    try:
        found: list[dict[str, Any]] = (await call(request, "sagemaker", "ListTags", {"ResourceArn": arn}))[
            "Tags"
        ]
        return found
    except AwsError:
        return []  # a user allowed to describe but not to list tags still sees the rest


async def model_page(request: Request) -> Response:
    name = request.path_params["name"]
    context: dict[str, Any] = {"name": name, "model": None, "containers": [], "tags": []}
    try:
        model = await call(request, "sagemaker", "DescribeModel", {"ModelName": name})
    except AwsError as exc:
        return rendering.render(request, "sagemaker/model.html", context, error=exc, status_code=404)
    context["model"] = model
    context["containers"] = ([model["PrimaryContainer"]] if "PrimaryContainer" in model else []) + model.get(
        "Containers", []
    )
    context["tags"] = await _tags(request, model["ModelArn"])
    return rendering.render(request, "sagemaker/model.html", context)


async def delete_model(request: Request) -> Response:
    name = request.path_params["name"]
    try:
        await call(request, "sagemaker", "DeleteModel", {"ModelName": name})
    except AwsError as exc:
        return rendering.redirect(request, f"/sagemaker/models/{rendering.part(name)}", error=exc)
    return rendering.redirect(request, "/sagemaker/models", flash=f"Model {name} deleted.")


async def configs_list(request: Request) -> Response:
    context = await list_page(request, "ListEndpointConfigs", "EndpointConfigs")
    return rendering.render(request, "sagemaker/endpoint_configs.html", context, error=context["error"])


async def config_page(request: Request) -> Response:
    name = request.path_params["name"]
    context: dict[str, Any] = {"name": name, "config": None, "tags": []}
    try:
        config = await call(request, "sagemaker", "DescribeEndpointConfig", {"EndpointConfigName": name})
    except AwsError as exc:
        return rendering.render(
            request, "sagemaker/endpoint_config.html", context, error=exc, status_code=404
        )
    context["config"] = config
    context["tags"] = await _tags(request, config["EndpointConfigArn"])
    return rendering.render(request, "sagemaker/endpoint_config.html", context)


async def delete_config(request: Request) -> Response:
    name = request.path_params["name"]
    try:
        await call(request, "sagemaker", "DeleteEndpointConfig", {"EndpointConfigName": name})
    except AwsError as exc:
        return rendering.redirect(request, f"/sagemaker/endpoint-configs/{rendering.part(name)}", error=exc)
    return rendering.redirect(
        request, "/sagemaker/endpoint-configs", flash=f"Endpoint configuration {name} deleted."
    )
