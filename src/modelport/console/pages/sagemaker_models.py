"""SageMaker → Models and Endpoint configurations: lists, a page for each (containers and their
environment; production variants), create (a model from an image, model data and a role; a
configuration of one variant), delete, as the tutorial's clean-up does.
"""

from __future__ import annotations

import contextlib
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from modelport.console import rendering
from modelport.console.actions import AwsError, call
from modelport.console.pages.sagemaker_endpoints import list_page
from modelport.console.pages.sagemaker_notebooks import roles

XGBOOST_IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
ENDPOINT_TYPES = ("ml.m5.large", "ml.m5.xlarge", "ml.c5.large", "ml.t2.medium", "ml.g4dn.xlarge")


def routes() -> list[BaseRoute]:
    return [
        Route("/sagemaker/models/create", model_form, methods=["GET"]),
        Route("/sagemaker/models/create", create_model, methods=["POST"]),
        Route("/sagemaker/endpoint-configs/create", config_form, methods=["GET"]),
        Route("/sagemaker/endpoint-configs/create", create_config, methods=["POST"]),
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


def environment(text: str) -> dict[str, str]:
    """``KEY=VALUE`` lines as a container's environment; blank lines are skipped."""
    found: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        key, equals, value = line.partition("=")
        if not equals or not key.strip():
            raise AwsError("ValidationException", f"Environment line {number}: write KEY=VALUE.")
        found[key.strip()] = value
    return found


async def _model_page(request: Request, values: dict[str, str], error: AwsError | None) -> Response:
    context = {"values": values, "roles": await roles(request)}
    status = 400 if error else 200
    return rendering.render(request, "sagemaker/model_create.html", context, error=error, status_code=status)


async def model_form(request: Request) -> Response:
    values = {"name": "", "image": XGBOOST_IMAGE, "model_data_url": "", "role_arn": "", "environment": ""}
    return await _model_page(request, values, None)


async def create_model(request: Request) -> Response:
    form = rendering.form(request)
    values = {k: form.get(k).strip() for k in ("name", "image", "model_data_url", "role_arn", "environment")}
    try:
        container: dict[str, Any] = {
            "Image": values["image"],
            "Environment": environment(values["environment"]),
        }
        if values["model_data_url"]:
            container["ModelDataUrl"] = values["model_data_url"]
        params = {
            "ModelName": values["name"],
            "ExecutionRoleArn": values["role_arn"],
            "PrimaryContainer": container,
        }
        await call(request, "sagemaker", "CreateModel", params)
    except AwsError as exc:
        return await _model_page(request, values, exc)
    path = f"/sagemaker/models/{rendering.part(values['name'])}"
    return rendering.redirect(request, path, flash=f"Model {values['name']} created.")


async def _config_page(request: Request, values: dict[str, str], error: AwsError | None) -> Response:
    models: list[dict[str, Any]] = []
    with contextlib.suppress(AwsError):  # the form still takes a model name typed in
        models = (await call(request, "sagemaker", "ListModels", {"MaxResults": 100}))["Models"]
    context = {"values": values, "models": models, "instance_types": ENDPOINT_TYPES}
    status = 400 if error else 200
    return rendering.render(
        request, "sagemaker/endpoint_config_create.html", context, error=error, status_code=status
    )


async def config_form(request: Request) -> Response:
    model = request.query_params.get("model", "")
    values = {"name": model, "model": model, "instance_type": ENDPOINT_TYPES[0], "count": "1"}
    values |= {"async_output": "", "async_failure": "", "async_concurrency": ""}
    return await _config_page(request, values, None)


async def create_config(request: Request) -> Response:
    form = rendering.form(request)
    names = ("name", "model", "instance_type", "count", "async_output", "async_failure", "async_concurrency")
    values = {k: (form.get(k) or "").strip() for k in names}
    try:
        if not values["count"].isdigit():
            raise AwsError("ValidationException", "Instance count: write a whole number, such as 1.")
        variant = {
            "VariantName": "AllTraffic",
            "ModelName": values["model"],
            "InstanceType": values["instance_type"],
            "InitialInstanceCount": int(values["count"]),
        }
        params: dict[str, Any] = {"EndpointConfigName": values["name"], "ProductionVariants": [variant]}
        if async_config := _async_config(values):
            params["AsyncInferenceConfig"] = async_config
        await call(request, "sagemaker", "CreateEndpointConfig", params)
    except AwsError as exc:
        return await _config_page(request, values, exc)
    path = f"/sagemaker/endpoint-configs/{rendering.part(values['name'])}"
    return rendering.redirect(request, path, flash=f"Endpoint configuration {values['name']} created.")


def _async_config(values: dict[str, str]) -> dict[str, Any] | None:
    """The form's AsyncInferenceConfig, or None when no S3 output path was given."""
    if not values["async_output"]:
        if values["async_failure"] or values["async_concurrency"]:
            raise AwsError(
                "ValidationException",
                "Asynchronous invocation config: give the S3 output path too, or leave all three empty.",
            )
        return None
    output = {"S3OutputPath": values["async_output"]}
    if values["async_failure"]:
        output["S3FailurePath"] = values["async_failure"]
    config: dict[str, Any] = {"OutputConfig": output}
    if values["async_concurrency"]:
        if not values["async_concurrency"].isdigit():
            raise AwsError(
                "ValidationException",
                "Max concurrent invocations per instance: write a whole number from 1 to 1000, or leave it empty.",
            )
        config["ClientConfig"] = {"MaxConcurrentInvocationsPerInstance": int(values["async_concurrency"])}
    return config
