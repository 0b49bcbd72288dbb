"""IAM users and their long-term access keys: CreateUser, GetUser, ListUsers, DeleteUser,
AttachUserPolicy, DetachUserPolicy, ListAttachedUserPolicies, the inline policies
(Put/Get/Delete/ListUserPolicies), CreateAccessKey, ListAccessKeys, DeleteAccessKey. Console passwords are ``login_profiles``'.

Access keys live in the KeyStore the SigV4 verifier reads, so a key is usable as soon as
CreateAccessKey returns. Without ``UserName``, the key operations act on the calling user, as
IAM does; other callers must name the user.
"""

from __future__ import annotations

from typing import Any

from modelport.aws.auth.keys import AccessKey, new_access_key_id, new_secret_access_key
from modelport.aws.auth.principal import PrincipalKind
from modelport.core.errors import (
    InvalidRequest,
    InvalidState,
    ResourceAlreadyExists,
    ResourceLimitExceeded,
    ResourceNotFound,
)
from modelport.services.context import ServiceContext
from modelport.services.iam.entities import (
    ATTACHED,
    INLINE,
    USER,
    USER_ID_PREFIX,
    attach_policy,
    attached_policies,
    checked_path,
    delete_entity,
    delete_inline_policy,
    detach_policy,
    find_user,
    iam_arn,
    inline_policy,
    new_unique_id,
    page,
    put_inline_policy,
)
from modelport.store.base import Resource

ACCESS_KEYS_PER_USER = 2  # IAM's quota


def create_user(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    name = params["UserName"]
    path = checked_path(params)
    now = ctx.clock.now()
    body: dict[str, Any] = {"Path": path, "UserId": new_unique_id(USER_ID_PREFIX), INLINE: {}, ATTACHED: []}
    user = Resource(USER, name, iam_arn(ctx, "user", path, name), now, now, body)
    if not ctx.store.insert(user):
        raise ResourceAlreadyExists(f"User with name {name} already exists.")
    if tags := params.get("Tags"):
        ctx.store.put_tags(user.arn, {tag["Key"]: tag.get("Value", "") for tag in tags})
    shape = {"Path": path, "UserName": name, "UserId": body["UserId"], "Arn": user.arn, "CreateDate": now}
    if tags:
        shape["Tags"] = tags
    return {"User": shape}


def get_user(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    user = find_user(ctx, _user_name(ctx, params))
    shape = user_shape(user)
    if stored := ctx.store.get_tags(user.arn):
        shape["Tags"] = [{"Key": k, "Value": v} for k, v in sorted(stored.items())]
    return {"User": shape}


def list_users(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    prefix = params.get("PathPrefix") or "/"
    users = sorted(ctx.store.list(USER), key=lambda u: u.name.lower())
    return page([user_shape(u) for u in users if u.body["Path"].startswith(prefix)], params, "Users")


def delete_user(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    user = find_user(ctx, params["UserName"])
    if ctx.keys.list(kind=PrincipalKind.USER, name=user.name):
        raise InvalidState("Cannot delete entity, must delete access keys first.")
    if "LoginProfile" in user.body:
        raise InvalidState("Cannot delete entity, must delete login profile first.")
    delete_entity(ctx, user)
    return {}


def detach_user_policy(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    detach_policy(ctx, find_user(ctx, params["UserName"]), params["PolicyArn"])
    return {}


def list_attached_user_policies(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    return attached_policies(ctx, find_user(ctx, params["UserName"]), params)


def attach_user_policy(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    attach_policy(ctx, find_user(ctx, params["UserName"]), params["PolicyArn"])
    return {}


def put_user_policy(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    user = find_user(ctx, params["UserName"])
    put_inline_policy(ctx, user, params["PolicyName"], params["PolicyDocument"])
    return {}


def get_user_policy(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    user = find_user(ctx, params["UserName"])
    name = params["PolicyName"]
    return {"UserName": user.name, "PolicyName": name, "PolicyDocument": inline_policy(user, name)}


def delete_user_policy(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    delete_inline_policy(ctx, find_user(ctx, params["UserName"]), params["PolicyName"])
    return {}


def list_user_policies(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    user = find_user(ctx, params["UserName"])
    return page(sorted(user.body[INLINE]), params, "PolicyNames")


def create_access_key(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    user = find_user(ctx, _user_name(ctx, params))
    if len(ctx.keys.list(kind=PrincipalKind.USER, name=user.name)) >= ACCESS_KEYS_PER_USER:
        raise ResourceLimitExceeded(f"Cannot exceed quota for AccessKeysPerUser: {ACCESS_KEYS_PER_USER}")
    key = AccessKey(
        new_access_key_id(), new_secret_access_key(), PrincipalKind.USER, user.name, created=ctx.clock.now()
    )
    ctx.keys.put(key)
    return {"AccessKey": {**_metadata(key), "SecretAccessKey": key.secret_access_key}}


def list_access_keys(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    user = find_user(ctx, _user_name(ctx, params))
    keys = [_metadata(k) for k in ctx.keys.list(kind=PrincipalKind.USER, name=user.name)]
    return page(keys, params, "AccessKeyMetadata")


def delete_access_key(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    user = find_user(ctx, _user_name(ctx, params))
    key_id = params["AccessKeyId"]
    key = ctx.keys.get(key_id)
    if key is None or key.kind is not PrincipalKind.USER or key.name != user.name:
        raise ResourceNotFound(f"The Access Key with id {key_id} cannot be found.")
    ctx.keys.delete(key_id)
    return {}


def _user_name(ctx: ServiceContext, params: dict[str, Any]) -> str:
    name = params.get("UserName")
    if name:
        return str(name)
    if ctx.principal is not None and ctx.principal.kind is PrincipalKind.USER:
        return ctx.principal.name
    # IAM would act on the root user's own keys; modelport manages the root key itself.
    raise InvalidRequest("Must specify userName when calling with non-User credentials")


def user_shape(user: Resource) -> dict[str, Any]:
    """IAM's ``User`` structure (without tags; ListUsers leaves them out too)."""
    return {
        "Path": user.body["Path"],
        "UserName": user.name,
        "UserId": user.body["UserId"],
        "Arn": user.arn,
        "CreateDate": user.creation_time,
    }


def _metadata(key: AccessKey) -> dict[str, Any]:
    return {
        "UserName": key.name,
        "AccessKeyId": key.access_key_id,
        "Status": "Active",
        "CreateDate": key.created,
    }
