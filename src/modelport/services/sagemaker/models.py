"""CreateModel, DescribeModel, ListModels, DeleteModel."""

from __future__ import annotations

from typing import Any

from modelport.core.errors import InvalidRequest
from modelport.hosting.artifacts.urls import parse_model_data_url
from modelport.hosting.deployments import MODEL_KIND, model_key
from modelport.services.context import ServiceContext
from modelport.services.sagemaker import resources
from modelport.services.sagemaker.images import resolve_image
from modelport.store.base import Resource

KIND = MODEL_KIND

# Members echoed back by DescribeModel, in the order the API reference lists them.
_DESCRIBED = ("PrimaryContainer", "Containers", "InferenceExecutionConfig", "ExecutionRoleArn", "VpcConfig")


def create_model(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    name = params["ModelName"]
    container = _single_container(params)
    resolve_image(container.get("Image", ""))  # refuse unknown images now, not at deploy time
    if url := container.get("ModelDataUrl"):
        parse_model_data_url(url)
    if container.get("ModelDataSource") or container.get("AdditionalModelDataSources"):
        raise InvalidRequest(
            "modelport does not support ModelDataSource or AdditionalModelDataSources yet; "
            "give the model's location as ModelDataUrl."
        )
    if container.get("Mode", "SingleModel") != "SingleModel":
        raise InvalidRequest("Multi-model containers (Mode=MultiModel) are not supported yet by modelport.")
    body = {key: params[key] for key in (*_DESCRIBED, "EnableNetworkIsolation") if key in params}
    return {"ModelArn": resources.create(ctx, KIND, name, body, params.get("Tags")).arn}


def describe_model(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    model = get_model(ctx, params["ModelName"])
    return {
        "ModelName": model.name,
        **model.body,
        "CreationTime": model.creation_time,
        "ModelArn": model.arn,
        "EnableNetworkIsolation": model.body.get("EnableNetworkIsolation", False),
    }


def list_models(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    return resources.list_page(
        ctx,
        KIND,
        params,
        result_key="Models",
        summary=lambda m: {"ModelName": m.name, "ModelArn": m.arn, "CreationTime": m.creation_time},
        name_field="ModelName",
        sort_fields={"Name": "ModelName", "CreationTime": "CreationTime"},
        bodies=False,
    )


def delete_model(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    # Like SageMaker, deleting a model does not check whether an endpoint still uses it.
    resources.remove(ctx, get_model(ctx, params["ModelName"]))
    ctx.engine.model_deleted()
    return {}


def get_model(ctx: ServiceContext, name: str) -> Resource:
    return resources.find(ctx, KIND, name)


def model_snapshot(ctx: ServiceContext, model: Resource) -> dict[str, Any]:
    """What running the model needs, frozen: an endpoint's variant or a transform job keeps it, so
    it runs on (and comes back after a restart) even if the Model is deleted."""
    container = model_container(model)
    image = resolve_image(container["Image"])
    return {
        "ModelName": model.name,
        # Artifacts are unpacked once per model; a re-created model gets a new key.
        "ModelKey": model_key(model.name, model.creation_time),
        "Image": container["Image"],
        "Runtime": image.runtime,
        "FrameworkVersion": image.version,
        "ModelDataUrl": container.get("ModelDataUrl"),
        "Environment": dict(container.get("Environment") or {}),
    }


def model_container(model: Resource) -> dict[str, Any]:
    """The one container a stored model serves (checked at CreateModel)."""
    return _single_container(model.body)


def _single_container(params: dict[str, Any]) -> dict[str, Any]:
    primary = params.get("PrimaryContainer")
    containers = params.get("Containers") or []
    if primary and containers:
        raise InvalidRequest("Specify either PrimaryContainer or Containers, not both.")
    if not primary and not containers:
        raise InvalidRequest("Either PrimaryContainer or Containers must be specified.")
    if len(containers) > 1:
        raise InvalidRequest(
            "Inference pipelines (Containers with more than one container) are not supported yet by modelport."
        )
    container: dict[str, Any] = primary or containers[0]
    if not container.get("Image"):
        raise InvalidRequest(
            "The container must name an Image, e.g. xgboost:1.7-1 or a SageMaker XGBoost image URI."
        )
    return container
