"""CreateEndpointConfig, DescribeEndpointConfig, ListEndpointConfigs, DeleteEndpointConfig."""

from __future__ import annotations

from typing import Any

from modelport.core.errors import InvalidRequest, ResourceLimitExceeded
from modelport.hosting.async_inference.request import validate as validate_async
from modelport.hosting.capture import validate as validate_capture
from modelport.hosting.serverless import validate as validate_serverless
from modelport.services.context import ServiceContext
from modelport.services.sagemaker import resources
from modelport.services.sagemaker.models import get_model
from modelport.store.base import Resource

KIND = "endpoint_config"

# Features whose members the API accepts but modelport does not serve yet: refusing them is
# honest, accepting and ignoring them would not be.
_NOT_YET = {
    "ExplainerConfig": "Clarify explainers (ExplainerConfig)",
}


def create_endpoint_config(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    name = params["EndpointConfigName"]
    for member, feature in _NOT_YET.items():
        if params.get(member):
            raise InvalidRequest(f"modelport does not support {feature} yet.")
    capture = params.get("DataCaptureConfig")
    if capture and capture.get("EnableCapture", True):
        validate_capture(capture)
    variants = [_variant(ctx, v) for v in params["ProductionVariants"]]
    shadows = [_variant(ctx, v) for v in params.get("ShadowProductionVariants") or []]
    if shadows and (len(variants) != 1 or len(shadows) != 1):
        raise InvalidRequest(
            "An endpoint configuration with ShadowProductionVariants must have exactly one production "
            f"variant and one shadow variant; this one has {len(variants)} and {len(shadows)}."
        )
    if async_config := params.get("AsyncInferenceConfig"):
        validate_async(async_config, variants, shadows)
    names = [v["VariantName"].lower() for v in (*variants, *shadows)]
    if len(set(names)) != len(names):
        raise InvalidRequest(
            "Each production and shadow variant in an endpoint configuration must have a unique VariantName."
        )
    body = {k: v for k, v in params.items() if k not in ("EndpointConfigName", "Tags", "ProductionVariants")}
    body["ProductionVariants"] = variants
    if shadows:
        body["ShadowProductionVariants"] = shadows
    return {"EndpointConfigArn": resources.create(ctx, KIND, name, body, params.get("Tags")).arn}


def _variant(ctx: ServiceContext, variant: dict[str, Any]) -> dict[str, Any]:
    if not variant.get("ModelName"):
        raise InvalidRequest(f"Production variant {variant['VariantName']} must name a ModelName.")
    get_model(ctx, variant["ModelName"])
    serverless = variant.get("ServerlessConfig")
    if serverless is None and (not variant.get("InstanceType") or "InitialInstanceCount" not in variant):
        raise InvalidRequest(
            f"Production variant {variant['VariantName']} needs InstanceType and InitialInstanceCount, "
            "or a ServerlessConfig."
        )
    if serverless is not None:
        validate_serverless(variant["VariantName"], serverless)
    count = int(variant.get("InitialInstanceCount", 1))
    limit = ctx.settings.limits.max_instances_per_variant
    if count > limit:
        raise ResourceLimitExceeded(
            f"The account-level service limit 'instances per variant' is {limit} Instances, "
            f"and the request asks for {count} Instances for variant {variant['VariantName']}. "
            "Raise the limit with MODELPORT_MAX_INSTANCES_PER_VARIANT or ask for fewer instances."
        )
    return {"InitialVariantWeight": 1.0, **variant}


def describe_endpoint_config(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    config = get_endpoint_config(ctx, params["EndpointConfigName"])
    return {
        "EndpointConfigName": config.name,
        "EndpointConfigArn": config.arn,
        **config.body,
        "CreationTime": config.creation_time,
    }


def list_endpoint_configs(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    return resources.list_page(
        ctx,
        KIND,
        params,
        result_key="EndpointConfigs",
        summary=lambda c: {
            "EndpointConfigName": c.name,
            "EndpointConfigArn": c.arn,
            "CreationTime": c.creation_time,
        },
        name_field="EndpointConfigName",
        sort_fields={"Name": "EndpointConfigName", "CreationTime": "CreationTime"},
        bodies=False,
    )


def delete_endpoint_config(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    # SageMaker does not block deleting a config in use; the running endpoint keeps its fleet.
    resources.remove(ctx, get_endpoint_config(ctx, params["EndpointConfigName"]))
    return {}


def get_endpoint_config(ctx: ServiceContext, name: str) -> Resource:
    return resources.find(ctx, KIND, name)
