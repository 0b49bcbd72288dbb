"""Scaling activities: each change of a variant's desired instance count, as DescribeScalingActivities
shows it (``Description``, ``Cause``, ``StatusCode`` InProgress → Successful or Failed, with
``StatusMessage``), newest first. At most ``KEPT`` activities are kept per target.
"""

from __future__ import annotations

import uuid
from typing import Any

from modelport.services.application_autoscaling import records
from modelport.services.context import ServiceContext
from modelport.store.base import Resource

KEPT = 200


def start(ctx: ServiceContext, resource_id: str, capacity: int, cause: str) -> Resource:
    now = ctx.clock.now()
    activity_id = str(uuid.uuid4())
    body = {
        "ActivityId": activity_id,
        "ServiceNamespace": records.NAMESPACE,
        "ResourceId": resource_id,
        "ScalableDimension": records.DIMENSION,
        "Description": f"Setting desired instance count to {capacity}.",
        "Cause": cause,
        "StartTime": now,
    }
    activity = Resource(records.ACTIVITY_KIND, activity_id, "", now, now, body, "InProgress")
    ctx.store.insert(activity)
    _forget_old(ctx, resource_id)
    return activity


def finish(ctx: ServiceContext, activity: Resource, *, capacity: int, failure: str | None) -> None:
    if failure is None:
        status = "Successful"
        message = f"Successfully set desired instance count to {capacity}. Change successfully fulfilled by sagemaker."
    else:
        status = "Failed"
        message = f"Failed to set desired instance count to {capacity}. Reason: {failure}"
    body = dict(activity.body, EndTime=ctx.clock.now(), StatusMessage=message)
    ctx.store.update(activity.evolve(body=body, status=status, last_modified_time=ctx.clock.now()))


def _forget_old(ctx: ServiceContext, resource_id: str) -> None:
    mine = [a for a in ctx.store.list(records.ACTIVITY_KIND) if a.body["ResourceId"] == resource_id]
    for old in mine[:-KEPT]:
        ctx.store.delete(records.ACTIVITY_KIND, old.name)


def describe_scaling_activities(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    rid = params.get("ResourceId")
    records.variant_of(params, resource_id=rid or "endpoint/x/variant/x")
    found = [
        {**a.body, "StatusCode": a.status}
        for a in reversed(ctx.store.list(records.ACTIVITY_KIND))
        if rid is None or a.body["ResourceId"] == rid
    ]
    items, token = records.page(found, params, most=50)
    return {"ScalingActivities": items, **({"NextToken": token} if token else {})}
