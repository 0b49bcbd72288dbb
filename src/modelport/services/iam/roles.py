"""IAM roles: CreateRole, GetRole, ListRoles, DeleteRole, their inline policies
(Put/Get/DeleteRolePolicy) and attached managed policies (Attach/Detach/ListAttachedRolePolicies).

Messages are IAM's: ``The role with name X cannot be found.``, ``Role with name X already
exists.``, ``Cannot delete entity, must delete policies first.`` and so on.
"""

from __future__ import annotations

from typing import Any

from modelport.core.errors import InvalidRequest, ResourceAlreadyExists
from modelport.services.context import ServiceContext
from modelport.services.iam.entities import (
    ATTACHED,
    INLINE,
    ROLE,
    ROLE_ID_PREFIX,
    attach_policy,
    attached_policies,
    checked_document,
    checked_path,
    delete_entity,
    delete_inline_policy,
    detach_policy,
    find_role,
    iam_arn,
    inline_policy,
    new_unique_id,
    page,
    put_inline_policy,
)
from modelport.services.iam.policy import PolicyKind
from modelport.store.base import Resource

DEFAULT_MAX_SESSION_S = 3600
MIN_MAX_SESSION_S, MAX_MAX_SESSION_S = 3600, 43200


def create_role(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    name = params["RoleName"]
    path = checked_path(params)
    trust = params["AssumeRolePolicyDocument"]
    checked_document(trust, PolicyKind.TRUST)
    max_session = params.get("MaxSessionDuration") or DEFAULT_MAX_SESSION_S
    if not MIN_MAX_SESSION_S <= max_session <= MAX_MAX_SESSION_S:
        raise InvalidRequest(
            f"The requested MaxSessionDuration ({max_session}) must be between 3600 and 43200 seconds."
        )
    now = ctx.clock.now()
    body: dict[str, Any] = {
        "Path": path,
        "RoleId": new_unique_id(ROLE_ID_PREFIX),
        "AssumeRolePolicyDocument": trust,
        "MaxSessionDuration": max_session,
        INLINE: {},
        ATTACHED: [],
    }
    if params.get("Description"):
        body["Description"] = params["Description"]
    role = Resource(ROLE, name, iam_arn(ctx, "role", path, name), now, now, body)
    if not ctx.store.insert(role):
        raise ResourceAlreadyExists(f"Role with name {name} already exists.")
    if tags := params.get("Tags"):
        ctx.store.put_tags(role.arn, {tag["Key"]: tag.get("Value", "") for tag in tags})
    return {"Role": role_shape(ctx, role)}


def get_role(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    return {"Role": role_shape(ctx, find_role(ctx, params["RoleName"]))}


def list_roles(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    prefix = params.get("PathPrefix") or "/"
    roles = sorted(ctx.store.list(ROLE), key=lambda r: r.name.lower())
    shapes = [role_shape(ctx, r, tags=False) for r in roles if r.body["Path"].startswith(prefix)]
    return page(shapes, params, "Roles")


def delete_role(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    delete_entity(ctx, find_role(ctx, params["RoleName"]))
    return {}


def put_role_policy(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    role = find_role(ctx, params["RoleName"])
    put_inline_policy(ctx, role, params["PolicyName"], params["PolicyDocument"])
    return {}


def get_role_policy(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    role = find_role(ctx, params["RoleName"])
    name = params["PolicyName"]
    return {"RoleName": role.name, "PolicyName": name, "PolicyDocument": inline_policy(role, name)}


def delete_role_policy(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    delete_inline_policy(ctx, find_role(ctx, params["RoleName"]), params["PolicyName"])
    return {}


def attach_role_policy(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    attach_policy(ctx, find_role(ctx, params["RoleName"]), params["PolicyArn"])
    return {}


def detach_role_policy(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    detach_policy(ctx, find_role(ctx, params["RoleName"]), params["PolicyArn"])
    return {}


def list_attached_role_policies(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    return attached_policies(ctx, find_role(ctx, params["RoleName"]), params)


def list_role_policies(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    role = find_role(ctx, params["RoleName"])
    return page(sorted(role.body[INLINE]), params, "PolicyNames")


def role_shape(ctx: ServiceContext, role: Resource, *, tags: bool = True) -> dict[str, Any]:
    """IAM's ``Role`` structure. The trust document is the text as given; the query serializer
    URL-encodes it, as IAM does."""
    shape: dict[str, Any] = {
        "Path": role.body["Path"],
        "RoleName": role.name,
        "RoleId": role.body["RoleId"],
        "Arn": role.arn,
        "CreateDate": role.creation_time,
        "AssumeRolePolicyDocument": role.body["AssumeRolePolicyDocument"],
        "MaxSessionDuration": role.body["MaxSessionDuration"],
    }
    if "Description" in role.body:
        shape["Description"] = role.body["Description"]
    if tags and (stored := ctx.store.get_tags(role.arn)):
        shape["Tags"] = [{"Key": k, "Value": v} for k, v in sorted(stored.items())]
    return shape


def role_by_arn(ctx: ServiceContext, arn: str) -> Resource | None:
    role = ctx.store.get(ROLE, arn.rsplit("/", 1)[-1])
    return role if role is not None and role.arn == arn else None
