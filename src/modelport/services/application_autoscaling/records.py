"""What the Application Auto Scaling use cases share: the one supported resource type, the store
kinds and keys of targets, policies and activities, their ARNs, and paging.

modelport scales SageMaker endpoint variants only: ``ServiceNamespace`` ``sagemaker``,
``ResourceId`` ``endpoint/<endpoint>/variant/<variant>``, ``ScalableDimension``
``sagemaker:variant:DesiredInstanceCount``. A target is stored as kind ``scalable_target`` named
by its ResourceId; a policy as kind ``scaling_policy`` named ``<ResourceId>|<PolicyName>``; an
activity as kind ``scaling_activity`` named by its id.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from modelport.core.errors import InvalidNextToken, InvalidRequest, ResourceNotFound
from modelport.services.context import ServiceContext
from modelport.services.paging import cut, fingerprint
from modelport.store.base import Resource

NAMESPACE = "sagemaker"
DIMENSION = "sagemaker:variant:DesiredInstanceCount"
TARGET_KIND = "scalable_target"
POLICY_KIND = "scaling_policy"
ACTIVITY_KIND = "scaling_activity"
_RESOURCE_ID = re.compile(r"endpoint/(?P<endpoint>[^/]+)/variant/(?P<variant>[^/]+)")
UNSUPPORTED = "Unsupported service namespace, resource type or scalable dimension"

T = TypeVar("T")


@dataclass(frozen=True)
class Variant:
    """The endpoint variant a ResourceId names."""

    resource_id: str
    endpoint: str
    variant: str


def variant_of(params: Mapping[str, Any], *, resource_id: str | None = None) -> Variant:
    """The variant a request names; ValidationException for any other namespace, dimension or id."""
    namespace = params.get("ServiceNamespace")
    if namespace != NAMESPACE:
        raise InvalidRequest(
            f"{UNSUPPORTED}: modelport scales SageMaker endpoint variants only "
            f"(ServiceNamespace sagemaker); got ServiceNamespace {namespace}."
        )
    dimension = params.get("ScalableDimension")
    if dimension is not None and dimension != DIMENSION:
        raise InvalidRequest(
            f"{UNSUPPORTED}: modelport scales ScalableDimension {DIMENSION} only; got {dimension}."
        )
    rid = resource_id if resource_id is not None else params.get("ResourceId", "")
    found = _RESOURCE_ID.fullmatch(rid)
    if found is None:
        raise InvalidRequest(
            f"{UNSUPPORTED}: ResourceId must be endpoint/<endpoint name>/variant/<variant name>; got {rid!r}."
        )
    return Variant(rid, found["endpoint"], found["variant"])


def not_registered(resource_id: str) -> ResourceNotFound:
    return ResourceNotFound(
        f"No scalable target registered for service namespace: {NAMESPACE}, resource ID: "
        f"{resource_id}, scalable dimension: {DIMENSION}"
    )


def find_target(ctx: ServiceContext, resource_id: str) -> Resource:
    target = ctx.store.get(TARGET_KIND, resource_id)
    if target is None:
        raise not_registered(resource_id)
    return target


def policy_key(resource_id: str, policy_name: str) -> str:
    return f"{resource_id}|{policy_name}"


def policies_of(ctx: ServiceContext, resource_id: str) -> list[Resource]:
    return [p for p in ctx.store.list(POLICY_KIND) if p.body["ResourceId"] == resource_id]


def target_arn(ctx: ServiceContext) -> str:
    region, account = ctx.settings.region, ctx.settings.account_id
    return f"arn:aws:application-autoscaling:{region}:{account}:scalable-target/{secrets.token_hex(18)}"


def policy_arn(ctx: ServiceContext, resource_id: str, policy_name: str) -> str:
    """AWS's form: ``arn:aws:autoscaling:<region>:<account>:scalingPolicy:<uuid>:resource/...``."""
    region, account = ctx.settings.region, ctx.settings.account_id
    uuid = "-".join(secrets.token_hex(n) for n in (4, 2, 2, 2, 6))
    return (
        f"arn:aws:autoscaling:{region}:{account}:scalingPolicy:{uuid}:resource/"
        f"{NAMESPACE}/{resource_id}:policyName/{policy_name}"
    )


def service_linked_role(ctx: ServiceContext) -> str:
    return (
        f"arn:aws:iam::{ctx.settings.account_id}:role/aws-service-role/sagemaker.application-autoscaling."
        "amazonaws.com/AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint"
    )


def page(items: Sequence[T], params: Mapping[str, Any], *, most: int) -> tuple[list[T], str | None]:
    """One page of ``items`` by ``MaxResults`` (1 to ``most``, default ``most``) and ``NextToken``."""
    limit = params.get("MaxResults", most)
    if not 1 <= limit <= most:
        raise InvalidRequest(f"MaxResults must be between 1 and {most}; got {limit}.")
    invalid = "Invalid NextToken: it is not one this server issued for this query; call again without it."
    try:
        return cut(
            items,
            params.get("NextToken"),
            limit=limit,
            query=fingerprint(params, ("NextToken", "MaxResults")),
            invalid=invalid,
        )
    except InvalidRequest as error:
        raise InvalidNextToken(error.message) from None


def identity(variant: Variant) -> dict[str, str]:
    return {"ServiceNamespace": NAMESPACE, "ResourceId": variant.resource_id, "ScalableDimension": DIMENSION}
