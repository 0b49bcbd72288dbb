"""IAM customer managed policies: CreatePolicy, GetPolicy, DeletePolicy.

modelport keeps one version per policy (``v1``, the default); ``AttachmentCount`` is counted
from the roles and users that hold the ARN, so it can never drift from them.
"""

from __future__ import annotations

from typing import Any

from modelport.core.errors import InvalidState, ResourceAlreadyExists
from modelport.services.context import ServiceContext
from modelport.services.iam.entities import (
    ATTACHED,
    POLICY,
    POLICY_ID_PREFIX,
    ROLE,
    USER,
    checked_document,
    checked_path,
    find_policy,
    iam_arn,
    new_unique_id,
)
from modelport.services.iam.policy import PolicyKind
from modelport.store.base import Resource

DEFAULT_VERSION = "v1"


def create_policy(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    name = params["PolicyName"]
    path = checked_path(params)
    document = params["PolicyDocument"]
    checked_document(document, PolicyKind.MANAGED)
    now = ctx.clock.now()
    body: dict[str, Any] = {
        "Path": path,
        "PolicyId": new_unique_id(POLICY_ID_PREFIX),
        "PolicyDocument": document,
    }
    if params.get("Description"):
        body["Description"] = params["Description"]
    policy = Resource(POLICY, name, iam_arn(ctx, "policy", path, name), now, now, body)
    if not ctx.store.insert(policy):
        raise ResourceAlreadyExists(
            f"A policy called {name} already exists. Duplicate names are not allowed."
        )
    if tags := params.get("Tags"):
        ctx.store.put_tags(policy.arn, {tag["Key"]: tag.get("Value", "") for tag in tags})
    return {"Policy": policy_shape(ctx, policy)}


def get_policy(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    return {"Policy": policy_shape(ctx, find_policy(ctx, params["PolicyArn"]))}


def delete_policy(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    policy = find_policy(ctx, params["PolicyArn"])
    if attachment_count(ctx, policy.arn):
        raise InvalidState("Cannot delete a policy attached to entities.")
    ctx.store.delete(POLICY, policy.name)
    ctx.store.delete_tags(policy.arn)
    return {}


def attachment_count(ctx: ServiceContext, arn: str) -> int:
    return sum(
        arn in entity.body.get(ATTACHED, []) for kind in (ROLE, USER) for entity in ctx.store.list(kind)
    )


def policy_shape(ctx: ServiceContext, policy: Resource) -> dict[str, Any]:
    """IAM's ``Policy`` structure (the document itself is GetPolicyVersion's, not here)."""
    shape: dict[str, Any] = {
        "PolicyName": policy.name,
        "PolicyId": policy.body["PolicyId"],
        "Arn": policy.arn,
        "Path": policy.body["Path"],
        "DefaultVersionId": DEFAULT_VERSION,
        "AttachmentCount": attachment_count(ctx, policy.arn),
        "PermissionsBoundaryUsageCount": 0,
        "IsAttachable": True,
        "CreateDate": policy.creation_time,
        "UpdateDate": policy.creation_time,
    }
    if "Description" in policy.body:
        shape["Description"] = policy.body["Description"]
    if stored := ctx.store.get_tags(policy.arn):
        shape["Tags"] = [{"Key": k, "Value": v} for k, v in sorted(stored.items())]
    return shape
