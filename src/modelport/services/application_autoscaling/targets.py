"""RegisterScalableTarget, DescribeScalableTargets and DeregisterScalableTarget.

Registering a variant checks that its endpoint and variant exist and are not serverless;
registering it again updates the bounds (or the SuspendedState) it names. A capacity outside
new bounds is brought back within them by the autoscaler at its next round (``scaler.py``),
as AWS does at once. Deregistering deletes the target's policies and their managed alarms.
"""

from __future__ import annotations

from typing import Any

from modelport.core.errors import InvalidRequest
from modelport.services.application_autoscaling import records
from modelport.services.application_autoscaling.policies import remove_policy
from modelport.services.context import ServiceContext
from modelport.store.base import Resource

SUSPENDED = ("DynamicScalingInSuspended", "DynamicScalingOutSuspended", "ScheduledScalingSuspended")


def register_scalable_target(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    variant = records.variant_of(params)
    if params.get("ScalableDimension") is None:
        raise InvalidRequest("ScalableDimension is required: sagemaker:variant:DesiredInstanceCount.")
    lowest = _check_variant(ctx, variant)
    old = ctx.store.get(records.TARGET_KIND, variant.resource_id)
    body = dict(old.body) if old is not None else {}
    for bound in ("MinCapacity", "MaxCapacity"):
        if params.get(bound) is not None:
            if params[bound] < lowest or (bound == "MaxCapacity" and params[bound] < 1):
                raise InvalidRequest(
                    f"{bound} must be at least 1 for a SageMaker variant's DesiredInstanceCount (MinCapacity "
                    f"may be 0 on an asynchronous inference endpoint); got {params[bound]}. To stop serving, "
                    "delete the endpoint."
                )
            body[bound] = int(params[bound])
        elif old is None:
            raise InvalidRequest(
                f"MinCapacity and MaxCapacity are required to register a new scalable target "
                f"({variant.resource_id})."
            )
    if body["MinCapacity"] > body["MaxCapacity"]:
        raise InvalidRequest(
            f"Minimum capacity cannot be greater than maximum capacity: MinCapacity "
            f"{body['MinCapacity']}, MaxCapacity {body['MaxCapacity']}."
        )
    suspended = {name: False for name in SUSPENDED} | body.get("SuspendedState", {})
    suspended.update(params.get("SuspendedState") or {})
    body.update(
        records.identity(variant),
        SuspendedState=suspended,
        RoleARN=params.get("RoleARN") or body.get("RoleARN") or records.service_linked_role(ctx),
    )
    now = ctx.clock.now()
    if old is None:
        target = Resource(records.TARGET_KIND, variant.resource_id, records.target_arn(ctx), now, now, body)
        if not ctx.store.insert(target):  # registered meanwhile: update that one
            old = records.find_target(ctx, variant.resource_id)
    if old is not None:
        target = old.evolve(body=body, last_modified_time=now)
        ctx.store.update(target)
    if params.get("Tags"):
        ctx.store.put_tags(target.arn, dict(params["Tags"]))
    return {"ScalableTargetARN": target.arn}


def _check_variant(ctx: ServiceContext, variant: records.Variant) -> int:
    """Refuse a variant that cannot be scaled; else its lowest capacity: 0 on an asynchronous
    inference endpoint (its requests wait in its queue), else 1."""
    endpoint = ctx.store.get("endpoint", variant.endpoint)
    if endpoint is None:
        raise InvalidRequest(
            f"Cannot register {variant.resource_id}: endpoint {variant.endpoint} does not exist. "
            "Create the endpoint first."
        )
    variants = {v["VariantName"]: v for v in endpoint.body["Deployment"]["Variants"]}
    found = variants.get(variant.variant)
    if found is None:
        raise InvalidRequest(
            f"Cannot register {variant.resource_id}: endpoint {variant.endpoint} has no variant "
            f"{variant.variant}. Its variants are: {', '.join(variants)}."
        )
    if "ServerlessConfig" in found:
        raise InvalidRequest(
            f"Cannot register {variant.resource_id}: variant {variant.variant} is serverless and "
            "scales by itself; sagemaker:variant:DesiredInstanceCount applies to instance-based variants."
        )
    return 0 if "AsyncInferenceConfig" in endpoint.body["Deployment"] else 1


def shown(target: Resource) -> dict[str, Any]:
    body = target.body
    fields = ("ServiceNamespace", "ResourceId", "ScalableDimension", "MinCapacity", "MaxCapacity", "RoleARN")
    return {
        **{name: body[name] for name in fields},
        "SuspendedState": body["SuspendedState"],
        "CreationTime": target.creation_time,
        "ScalableTargetARN": target.arn,
    }


def describe_scalable_targets(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    records.variant_of(params, resource_id="endpoint/x/variant/x")  # namespace and dimension only
    wanted = set(params.get("ResourceIds") or [])
    targets = [
        shown(t) for t in ctx.store.list(records.TARGET_KIND) if not wanted or t.body["ResourceId"] in wanted
    ]
    items, token = records.page(targets, params, most=50)
    return {"ScalableTargets": items, **({"NextToken": token} if token else {})}


def deregister_scalable_target(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    variant = records.variant_of(params)
    target = records.find_target(ctx, variant.resource_id)
    for policy in records.policies_of(ctx, variant.resource_id):
        remove_policy(ctx, policy)
    ctx.store.delete(records.TARGET_KIND, target.name)
    ctx.store.delete_tags(target.arn)
    return {}
