"""UpdateEndpointWeightsAndCapacities, and the checks on a DeploymentConfig (deployment guardrails).

UpdateEndpointWeightsAndCapacities writes the new desired counts and weights into the running
deployment snapshot and sets the endpoint ``Updating``; the controller converges the fleet to
them without restarting a healthy instance (``hosting/updates/run.py``). Like UpdateEndpoint it
answers once the change has settled, or after ``Limits.settle_timeout_s``.

SageMaker publishes no text for several of these refusals (spec §14, item 6); where none is
known, the message is modelport's and says what to change.
"""

from __future__ import annotations

import copy
from typing import Any

from modelport.core.errors import InvalidRequest, InvalidState, ResourceLimitExceeded
from modelport.hosting.serverless import validate as validate_serverless
from modelport.hosting.status import IN_PROGRESS, EndpointStatus
from modelport.hosting.updates.shifting import capacity_share
from modelport.services.context import ServiceContext
from modelport.services.sagemaker import resources
from modelport.store.base import Resource

_KIND = "endpoint"


async def update_endpoint_weights_and_capacities(
    ctx: ServiceContext, params: dict[str, Any]
) -> dict[str, Any]:
    endpoint = resources.find(ctx, _KIND, params["EndpointName"])
    if endpoint.status in IN_PROGRESS:
        raise InvalidState(f'Cannot update in-progress endpoint "{endpoint.arn}".')
    if endpoint.status != EndpointStatus.IN_SERVICE:
        raise InvalidState(
            f'Cannot update endpoint "{endpoint.arn}" because it is in {endpoint.status} status; '
            "weights and capacities can be changed only when it is InService."
        )
    deployment = copy.deepcopy(endpoint.body["Deployment"])
    _apply(ctx, endpoint, deployment, params["DesiredWeightsAndCapacities"])
    body = {k: v for k, v in endpoint.body.items() if k != "FailureReason"}
    body["Deployment"] = deployment
    ctx.store.update(
        endpoint.evolve(status=EndpointStatus.UPDATING, last_modified_time=ctx.clock.now(), body=body)
    )
    ctx.engine.wake(endpoint.name)
    await ctx.engine.settled(endpoint.name, ctx.settings.limits.settle_timeout_s)
    return {"EndpointArn": endpoint.arn}


def _apply(
    ctx: ServiceContext, endpoint: Resource, deployment: dict[str, Any], desired: list[dict[str, Any]]
) -> None:
    variants = {v["VariantName"]: v for v in deployment["Variants"]}
    unknown = [d["VariantName"] for d in desired if d["VariantName"] not in variants]
    if unknown:
        raise InvalidRequest(
            f'The variant(s) "[{", ".join(unknown)}]" are not present in the endpoint "{endpoint.arn}". '
            f"Its variants are: {', '.join(variants)}."
        )
    seen: set[str] = set()
    limit = ctx.settings.limits.max_instances_per_variant
    for item in desired:
        name = item["VariantName"]
        if name in seen:
            raise InvalidRequest(f"Variant {name} is listed more than once in DesiredWeightsAndCapacities.")
        seen.add(name)
        if "ServerlessConfig" in variants[name]:
            _update_serverless(name, variants[name], item)
            continue
        if "ServerlessUpdateConfig" in item:
            raise InvalidRequest(
                f"Variant {name} is not a serverless variant; ServerlessUpdateConfig applies only to "
                "serverless variants. Remove ServerlessUpdateConfig."
            )
        if "DesiredWeight" not in item and "DesiredInstanceCount" not in item:
            raise InvalidRequest(
                f"Variant {name} needs DesiredWeight, DesiredInstanceCount or both in DesiredWeightsAndCapacities."
            )
        variant = variants[name]
        if "DesiredInstanceCount" in item:
            count = int(item["DesiredInstanceCount"])
            # An asynchronous endpoint may scale to zero: its requests wait in its queue.
            lowest = 0 if "AsyncInferenceConfig" in deployment else 1
            if count < lowest:
                raise InvalidRequest(
                    f"DesiredInstanceCount for variant {name} must be at least 1 (0 only on an asynchronous "
                    "inference endpoint); to stop serving, delete the endpoint or set the variant's "
                    "DesiredWeight to 0."
                )
            if count > limit:
                raise ResourceLimitExceeded(
                    f"The account-level service limit 'instances per variant' is {limit} Instances, "
                    f"and the request asks for {count} Instances for variant {name}. Raise the limit "
                    "with MODELPORT_MAX_INSTANCES_PER_VARIANT or ask for fewer instances."
                )
            variant["InstanceCount"] = count
        if "DesiredWeight" in item:
            variant["Weight"] = float(item["DesiredWeight"])


def refuse_rolling_with_shadows(config: dict[str, Any], *deployments: dict[str, Any]) -> None:
    """A rolling update moves production variants only: refuse it where a shadow runs."""
    if config.get("RollingUpdatePolicy") and any(d.get("ShadowVariants") for d in deployments):
        raise InvalidRequest(
            "modelport does not support a RollingUpdatePolicy for an endpoint whose current or new "
            "endpoint config has ShadowProductionVariants yet; use a BlueGreenUpdatePolicy."
        )


def check_deployment_config(config: dict[str, Any] | None, deployment: dict[str, Any]) -> None:
    """Refuse a DeploymentConfig that cannot be followed for the fleet ``deployment`` describes."""
    if not config:
        return
    blue_green = config.get("BlueGreenUpdatePolicy")
    rolling = config.get("RollingUpdatePolicy")
    if blue_green and rolling:
        raise InvalidRequest(
            "DeploymentConfig may have a BlueGreenUpdatePolicy or a RollingUpdatePolicy, not both; remove one."
        )
    instances = sum(int(v["InstanceCount"]) for v in deployment["Variants"])
    refuse_rolling_with_shadows(config, deployment)
    if rolling:
        _check_size(rolling["MaximumBatchSize"], instances, "RollingUpdatePolicy.MaximumBatchSize", 0.5, 0.05)
        if rollback := rolling.get("RollbackMaximumBatchSize"):
            _check_size(rollback, instances, "RollingUpdatePolicy.RollbackMaximumBatchSize", 1.0)
    if not blue_green:
        return
    routing = blue_green["TrafficRoutingConfiguration"]
    kind = routing["Type"]
    for field, needed_by in (("CanarySize", "CANARY"), ("LinearStepSize", "LINEAR")):
        if kind == needed_by and field not in routing:
            raise InvalidRequest(f"TrafficRoutingConfiguration of Type {kind} needs {field}.")
        if kind != needed_by and field in routing:
            raise InvalidRequest(
                f"TrafficRoutingConfiguration.{field} applies only to Type {needed_by}; this one is {kind}."
            )
    if kind == "CANARY":
        _check_size(routing["CanarySize"], instances, "CanarySize", 0.5)
    if kind == "LINEAR":
        _check_size(routing["LinearStepSize"], instances, "LinearStepSize", 0.5, lowest=0.1)


def _check_size(size: dict[str, Any], instances: int, what: str, highest: float, lowest: float = 0.0) -> None:
    share = capacity_share(size, instances)
    if not lowest <= share <= highest:
        raise InvalidRequest(
            f"{what} ({size['Value']} {size['Type']}) must be between {lowest:.0%} and {highest:.0%} of "
            f"the new fleet's {instances} instances; it is {share:.0%}."
        )


def _update_serverless(name: str, variant: dict[str, Any], item: dict[str, Any]) -> None:
    """A serverless variant takes DesiredWeight and ServerlessUpdateConfig (MaxConcurrency,
    ProvisionedConcurrency); it has no instance count to set."""
    if "DesiredInstanceCount" in item:
        raise InvalidRequest(
            f"Variant {name} is serverless: it scales by itself and has no DesiredInstanceCount; "
            "give ServerlessUpdateConfig (MaxConcurrency, ProvisionedConcurrency) instead."
        )
    update = item.get("ServerlessUpdateConfig")
    if "DesiredWeight" not in item and not update:
        raise InvalidRequest(
            f"Variant {name} needs DesiredWeight, ServerlessUpdateConfig or both in DesiredWeightsAndCapacities."
        )
    if update:
        config = {**variant["ServerlessConfig"], **update}
        validate_serverless(name, config)
        variant["ServerlessConfig"] = config
    if "DesiredWeight" in item:
        variant["Weight"] = float(item["DesiredWeight"])
