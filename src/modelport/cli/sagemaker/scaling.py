"""Endpoint variants' automatic scaling, as ``describe`` shows it and ``rm``/``cleanup`` remove it.

Application Auto Scaling keeps a variant's scalable target (and its policies, with their
CloudWatch alarms) after the endpoint is deleted, on AWS as here; an endpoint created again
under the same name would then be scaled by the old policies. So the commands that delete
endpoints deregister their targets first, as the SageMaker guide tells users to.
"""

from __future__ import annotations

from typing import Any

from modelport.cli.client import Connection

NAMESPACE = "sagemaker"
DIMENSION = "sagemaker:variant:DesiredInstanceCount"


def resource_id(endpoint: str, variant: str) -> str:
    return f"endpoint/{endpoint}/variant/{variant}"


def variant_scaling(conn: Connection, endpoint: str, variants: list[str]) -> dict[str, str] | None:
    """Each variant's automatic scaling in a few words: ``"1–3: policy-a"``, ``"1–3, no policy"``
    or ``"no"``; None when the caller may not read Application Auto Scaling."""
    from botocore.exceptions import ClientError

    if not variants:
        return {}
    scaling = client(conn)
    ids = {resource_id(endpoint, variant): variant for variant in variants}
    try:
        targets = scaling.describe_scalable_targets(
            ServiceNamespace=NAMESPACE, ScalableDimension=DIMENSION, ResourceIds=list(ids)
        )["ScalableTargets"]
        shown = dict.fromkeys(variants, "no")
        for target in targets:
            policies = [
                policy["PolicyName"]
                for page in scaling.get_paginator("describe_scaling_policies").paginate(
                    ServiceNamespace=NAMESPACE, ScalableDimension=DIMENSION, ResourceId=target["ResourceId"]
                )
                for policy in page["ScalingPolicies"]
            ]
            bounds = f"{target['MinCapacity']}–{target['MaxCapacity']}"
            shown[ids[target["ResourceId"]]] = (
                f"{bounds}: {', '.join(policies)}" if policies else f"{bounds}, no policy"
            )
    except ClientError:
        return None
    return shown


def client(conn: Connection) -> Any:
    """An Application Auto Scaling client aimed at the server, for ``registered`` and ``deregister``."""
    return conn.client("application-autoscaling")


def registered(scaling: Any, endpoint: str | None = None) -> list[str]:
    """The resource ids of ``endpoint``'s variants that have a scalable target (of every
    endpoint when None)."""
    prefix = None if endpoint is None else f"endpoint/{endpoint}/variant/"
    return [
        target["ResourceId"]
        for page in scaling.get_paginator("describe_scalable_targets").paginate(
            ServiceNamespace=NAMESPACE, ScalableDimension=DIMENSION
        )
        for target in page["ScalableTargets"]
        if prefix is None or target["ResourceId"].startswith(prefix)
    ]


def deregister(scaling: Any, resource_ids: list[str]) -> None:
    """Deregister these scalable targets, which deletes their policies and alarms too."""
    for resource in resource_ids:
        scaling.deregister_scalable_target(
            ServiceNamespace=NAMESPACE, ScalableDimension=DIMENSION, ResourceId=resource
        )
