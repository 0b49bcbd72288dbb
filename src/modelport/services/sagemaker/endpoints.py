"""CreateEndpoint, DescribeEndpoint, ListEndpoints, UpdateEndpoint, DeleteEndpoint.

(UpdateEndpointWeightsAndCapacities and the DeploymentConfig checks are in ``endpoint_updates.py``.)

These calls write desired state and wake the engine. SageMaker answers at once and lets clients
poll; modelport answers once the change has settled, or after ``Limits.settle_timeout_s``
(10 s) at the latest, so that polling code written for SageMaker (``describe_endpoint`` in a
``while status == "Creating": time.sleep(60)`` loop, botocore's waiters, which sleep 30 s
between polls) sees the settled state at its first poll. The answer itself is SageMaker's;
only its timing differs. A load slower than the bound answers as SageMaker would, still
``Creating``; ``0`` restores SageMaker's answer at once.

What an endpoint runs is frozen into a *deployment snapshot* when it is created or updated
(image, model data, environment, counts and weights of every variant), so the endpoint keeps
serving — and comes back after a restart — even if its config or models are deleted.
"""

from __future__ import annotations

from typing import Any

from modelport.core.errors import InvalidState
from modelport.hosting.capture import capture_summary
from modelport.hosting.deployments import ENDPOINT_KIND, variant_summaries
from modelport.hosting.status import IN_PROGRESS, EndpointStatus
from modelport.services.context import ServiceContext
from modelport.services.sagemaker import resources
from modelport.services.sagemaker.endpoint_configs import get_endpoint_config
from modelport.services.sagemaker.endpoint_updates import check_deployment_config, refuse_rolling_with_shadows
from modelport.services.sagemaker.models import get_model, model_snapshot
from modelport.store.base import Resource

KIND = ENDPOINT_KIND


async def create_endpoint(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    name = params["EndpointName"]
    resources.refuse_existing(ctx, KIND, name)  # before the config is looked at, as SageMaker does
    body: dict[str, Any] = {"Deployment": deployment_snapshot(ctx, params["EndpointConfigName"])}
    if "DeploymentConfig" in params:
        check_deployment_config(params["DeploymentConfig"], body["Deployment"])
        body["DeploymentConfig"] = params["DeploymentConfig"]
    endpoint = resources.create(ctx, KIND, name, body, params.get("Tags"), status=EndpointStatus.CREATING)
    ctx.engine.wake(name)
    await ctx.engine.settled(name, ctx.settings.limits.settle_timeout_s)
    return {"EndpointArn": endpoint.arn}


def describe_endpoint(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    endpoint = get_endpoint(ctx, params["EndpointName"])
    deployment = endpoint.body["Deployment"]
    answer: dict[str, Any] = {
        "EndpointName": endpoint.name,
        "EndpointArn": endpoint.arn,
        "EndpointConfigName": deployment["EndpointConfigName"],
    }
    if endpoint.status != EndpointStatus.CREATING:
        live = ctx.engine.live_variants(endpoint.name)
        answer["ProductionVariants"] = (
            live if live is not None else variant_summaries(deployment, running=False)
        )
    answer["EndpointStatus"] = endpoint.status
    if reason := endpoint.body.get("FailureReason"):
        answer["FailureReason"] = reason
    answer["CreationTime"] = endpoint.creation_time
    answer["LastModifiedTime"] = endpoint.last_modified_time
    if "DeploymentConfig" in endpoint.body:
        answer["LastDeploymentConfig"] = endpoint.body["DeploymentConfig"]
    if pending := endpoint.body.get("PendingDeployment"):
        answer["PendingDeploymentSummary"] = _pending_summary(pending, endpoint)
    if shadows := deployment.get("ShadowVariants"):
        running = endpoint.status != EndpointStatus.CREATING
        answer["ShadowProductionVariants"] = variant_summaries({"Variants": shadows}, running=running)
    if capture := deployment.get("DataCaptureConfig"):
        answer["DataCaptureConfig"] = capture_summary(capture)
    if async_config := deployment.get("AsyncInferenceConfig"):
        answer["AsyncInferenceConfig"] = async_config
    return answer


INSTANCES_PATH = "/_modelport/sagemaker/endpoints/{name}/instances"  # the CLI names it too


def endpoint_instances(ctx: ServiceContext, name: str) -> list[dict[str, Any]]:
    """Where each running instance of endpoint ``name`` is (a modelport extension, served at
    ``/_modelport/sagemaker/endpoints/<name>/instances``: DescribeEndpoint has no such field)."""
    get_endpoint(ctx, name)  # ValidationException when there is none
    fleet = ctx.router.fleet(name)
    if fleet is None:
        return []
    return [
        {
            "VariantName": variant.name,
            "InstanceId": instance.worker.spec.instance_id,
            "Node": instance.worker.node,  # the Ray node id; null: the server's machine
            "Address": f"{instance.worker.host}:{instance.worker.port}",
            "Status": "InService" if instance.alive else "Replacing",
        }
        for variant in (*fleet.variants, *fleet.shadows)
        for instance in variant.instances
    ]


def _pending_summary(pending: dict[str, Any], endpoint: Resource) -> dict[str, Any]:
    progress = endpoint.body.get("RolloutProgress")
    if progress is None:  # the new fleet is starting
        status = {"Status": "Creating", "StartTime": endpoint.last_modified_time}
    else:
        share = progress["GreenShare"]
        status = {
            "Status": progress["Status"],
            "StatusMessage": f"{share:.0%} of the endpoint's traffic goes to the new fleet.",
            "StartTime": progress["StartTime"],
        }
    return {
        "EndpointConfigName": pending["EndpointConfigName"],
        "ProductionVariants": [
            {
                "VariantName": v["VariantName"],
                "DesiredWeight": v["Weight"],
                "DesiredInstanceCount": v["InstanceCount"],
                "InstanceType": v.get("InstanceType"),
                "VariantStatus": [status],
            }
            for v in pending["Variants"]
        ],
        "StartTime": endpoint.last_modified_time,
    }


def list_endpoints(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    return resources.list_page(
        ctx,
        KIND,
        params,
        result_key="Endpoints",
        summary=lambda e: {
            "EndpointName": e.name,
            "EndpointArn": e.arn,
            "CreationTime": e.creation_time,
            "LastModifiedTime": e.last_modified_time,
            "EndpointStatus": e.status,
        },
        name_field="EndpointName",
        sort_fields={"Name": "EndpointName", "CreationTime": "CreationTime", "Status": "EndpointStatus"},
        status_field="EndpointStatus",
        bodies=False,
    )


async def update_endpoint(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    endpoint = get_endpoint(ctx, params["EndpointName"])
    _refuse_unless_settled(endpoint, action="update")
    if endpoint.status == EndpointStatus.FAILED:
        raise InvalidState(
            f'Cannot update endpoint "{endpoint.arn}" because it is in Failed status; delete it and create it again.'
        )
    pending = deployment_snapshot(ctx, params["EndpointConfigName"])
    if params.get("RetainAllVariantProperties"):
        pending = _retain_variant_properties(endpoint.body["Deployment"], pending, params)
    body = {k: v for k, v in endpoint.body.items() if k != "FailureReason"}
    body["PendingDeployment"] = pending
    if "DeploymentConfig" in params:
        check_deployment_config(params["DeploymentConfig"], pending)
        refuse_rolling_with_shadows(params["DeploymentConfig"], endpoint.body["Deployment"])
        body["DeploymentConfig"] = params["DeploymentConfig"]
    elif not params.get("RetainDeploymentConfig"):
        body.pop("DeploymentConfig", None)  # as SageMaker: without it, the update is all at once
    ctx.store.update(
        endpoint.evolve(status=EndpointStatus.UPDATING, last_modified_time=ctx.clock.now(), body=body)
    )
    ctx.engine.wake(endpoint.name)
    await ctx.engine.settled(endpoint.name, ctx.settings.limits.settle_timeout_s)
    return {"EndpointArn": endpoint.arn}


async def delete_endpoint(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    endpoint = get_endpoint(ctx, params["EndpointName"])
    _refuse_unless_settled(endpoint, action="delete")
    ctx.store.update(endpoint.evolve(status=EndpointStatus.DELETING, last_modified_time=ctx.clock.now()))
    ctx.engine.wake(endpoint.name)
    await ctx.engine.settled(endpoint.name, ctx.settings.limits.settle_timeout_s)
    return {}


def get_endpoint(ctx: ServiceContext, name: str) -> Resource:
    return resources.find(ctx, KIND, name)


def deployment_snapshot(ctx: ServiceContext, config_name: str) -> dict[str, Any]:
    """Freeze everything needed to run a config: variants with their models' containers."""
    config = get_endpoint_config(ctx, config_name)
    variants = [_variant_snapshot(ctx, v) for v in config.body["ProductionVariants"]]
    snapshot: dict[str, Any] = {"EndpointConfigName": config.name, "Variants": variants}
    if shadows := config.body.get("ShadowProductionVariants"):
        snapshot["ShadowVariants"] = [_variant_snapshot(ctx, v) for v in shadows]
    if capture := config.body.get("DataCaptureConfig"):
        snapshot["DataCaptureConfig"] = capture
    if async_config := config.body.get("AsyncInferenceConfig"):
        snapshot["AsyncInferenceConfig"] = async_config
    return snapshot


def _variant_snapshot(ctx: ServiceContext, variant: dict[str, Any]) -> dict[str, Any]:
    model = model_snapshot(ctx, get_model(ctx, variant["ModelName"]))
    serverless = variant.get("ServerlessConfig")
    return {
        "VariantName": variant["VariantName"],
        **model,
        "InstanceType": variant.get("InstanceType"),
        "InstanceCount": 1 if serverless else int(variant["InitialInstanceCount"]),
        "Weight": float(variant.get("InitialVariantWeight", 1.0)),
        "ResolutionTime": ctx.clock.now(),
        **({"ServerlessConfig": dict(serverless)} if serverless else {}),
    }


def _refuse_unless_settled(endpoint: Resource, *, action: str) -> None:
    if endpoint.status in IN_PROGRESS:
        raise InvalidState(f'Cannot {action} in-progress endpoint "{endpoint.arn}".')


def _retain_variant_properties(
    current: dict[str, Any], pending: dict[str, Any], params: dict[str, Any]
) -> dict[str, Any]:
    """Keep the running variants' counts and weights, unless excluded (RetainAllVariantProperties)."""
    excluded = {e["VariantPropertyType"] for e in params.get("ExcludeRetainedVariantProperties") or []}
    running = {v["VariantName"]: v for v in current["Variants"]}
    for variant in pending["Variants"]:
        old = running.get(variant["VariantName"])
        if old is None:
            continue
        if "DesiredInstanceCount" not in excluded:
            variant["InstanceCount"] = old["InstanceCount"]
        if "DesiredWeight" not in excluded:
            variant["Weight"] = old["Weight"]
    return pending
