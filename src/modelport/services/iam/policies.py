"""IAM managed policies: CreatePolicy, GetPolicy, GetPolicyVersion, ListPolicies, DeletePolicy.

modelport keeps one version per customer managed policy (``v1``, the default); an AWS managed
policy (``iam_aws_policies``) has the one version AWS publishes as its default (``v29`` ...).
``AttachmentCount`` is counted from the roles and users that hold the ARN, so it can never
drift from them.
"""

from __future__ import annotations

from typing import Any

from modelport.core.errors import InvalidRequest, InvalidState, ResourceAlreadyExists, ResourceNotFound
from modelport.services.context import ServiceContext
from modelport.services.iam.aws_policies import aws_policies, is_aws_managed, refuse_change
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
    page,
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


def get_policy_version(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    """The document of the policy's one version; IAM's ``PolicyVersion`` structure."""
    policy = find_policy(ctx, params["PolicyArn"])
    version = default_version(policy)
    if params["VersionId"] != version:
        raise ResourceNotFound(
            f"Policy {policy.arn} version {params['VersionId']} does not exist or is not attachable."
            f" Its only version is {version}."
        )
    return {
        "PolicyVersion": {
            "Document": policy.body["PolicyDocument"],
            "VersionId": version,
            "IsDefaultVersion": True,
            "CreateDate": policy.last_modified_time,
        }
    }


SCOPES = ("All", "AWS", "Local")


def list_policies(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    """ListPolicies: ``Scope`` ``All`` (the default), ``AWS`` (the AWS managed policies modelport
    ships) or ``Local`` (this account's); ``OnlyAttached``, ``PathPrefix``, ``Marker``/``MaxItems``."""
    scope = params.get("Scope") or "All"
    if scope not in SCOPES:
        raise InvalidRequest(f"Invalid Scope {scope!r}: use one of {', '.join(SCOPES)}.")
    prefix = params.get("PathPrefix") or "/"
    found: list[Resource] = []
    if scope in ("All", "AWS"):
        found += aws_policies()
    if scope in ("All", "Local"):
        found += sorted(ctx.store.list(POLICY), key=lambda p: p.name.lower())
    shapes = [policy_shape(ctx, p, tags=False) for p in found if p.body["Path"].startswith(prefix)]
    if params.get("OnlyAttached"):
        shapes = [shape for shape in shapes if shape["AttachmentCount"]]
    return page(shapes, params, "Policies")


def delete_policy(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    refuse_change(params["PolicyArn"], "delete")
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


def default_version(policy: Resource) -> str:
    return str(policy.body.get("DefaultVersionId", DEFAULT_VERSION))


def policy_shape(ctx: ServiceContext, policy: Resource, *, tags: bool = True) -> dict[str, Any]:
    """IAM's ``Policy`` structure (the document itself is GetPolicyVersion's, not here)."""
    shape: dict[str, Any] = {
        "PolicyName": policy.name,
        "PolicyId": policy.body["PolicyId"],
        "Arn": policy.arn,
        "Path": policy.body["Path"],
        "DefaultVersionId": default_version(policy),
        "AttachmentCount": attachment_count(ctx, policy.arn),
        "PermissionsBoundaryUsageCount": 0,
        "IsAttachable": True,
        "CreateDate": policy.creation_time,
        "UpdateDate": policy.last_modified_time if is_aws_managed(policy.arn) else policy.creation_time,
    }
    if "Description" in policy.body:
        shape["Description"] = policy.body["Description"]
    if tags and (stored := ctx.store.get_tags(policy.arn)):
        shape["Tags"] = [{"Key": k, "Value": v} for k, v in sorted(stored.items())]
    return shape
