"""What the IAM operations share: entity kinds, ids and ARNs, lookups with IAM's messages, and
the parsed policies an identity holds.

Roles, users and managed policies are resources of kinds ``iam_role``, ``iam_user`` and
``iam_policy`` in the generic Store, keyed by name (unique case-insensitively, as in IAM). A
role's or user's body holds its inline policies (``InlinePolicies``: name -> document text) and
the ARNs of the managed policies attached to it (``AttachedPolicies``). Documents are kept as
the text the caller sent, because IAM returns them as given.
"""

from __future__ import annotations

import secrets
import string
from collections.abc import Mapping
from typing import Any

from modelport.core import arns
from modelport.core.errors import (
    InvalidRequest,
    InvalidState,
    PolicyTooLarge,
    ResourceLimitExceeded,
    ResourceNotFound,
)
from modelport.services.context import ServiceContext
from modelport.services.iam.aws_policies import aws_policy, is_aws_managed
from modelport.services.iam.policy import SIZE_LIMITS, Policy, PolicyKind
from modelport.services.iam.policy_parse import parse_policy, policy_size
from modelport.services.paging import cut
from modelport.store.base import Resource

ROLE = "iam_role"
USER = "iam_user"
POLICY = "iam_policy"

ROLE_ID_PREFIX = "AROA"
USER_ID_PREFIX = "AIDA"
POLICY_ID_PREFIX = "ANPA"
_ID_ALPHABET = string.ascii_uppercase + "234567"

INLINE = "InlinePolicies"
ATTACHED = "AttachedPolicies"
DEFAULT_MAX_ITEMS = 100

# IAM's quotas on all the inline policies of one role or user together (characters, whitespace
# excluded; IAM User Guide, "IAM and AWS STS quotas"): quota name and limit.
INLINE_QUOTAS: Mapping[str, tuple[str, int]] = {
    ROLE: SIZE_LIMITS[PolicyKind.INLINE],  # RolePolicySize: 10,240
    USER: ("UserPolicySize", 2_048),
}


def new_unique_id(prefix: str) -> str:
    """IAM's unique ids: a four-letter prefix naming the kind, then 17 letters and digits."""
    return prefix + "".join(secrets.choice(_ID_ALPHABET) for _ in range(17))


def iam_arn(ctx: ServiceContext, kind: str, path: str, name: str) -> str:
    """``arn:aws:iam::<account>:<kind><path><name>``; IAM is global, so there is no region."""
    return arns.iam_arn(ctx.settings.account_id, kind, name, path)


def checked_path(params: Mapping[str, Any]) -> str:
    path = params.get("Path") or "/"
    if not (path.startswith("/") and path.endswith("/")):
        raise InvalidRequest(
            f"The specified value for path is invalid. It must begin and end with / ({path!r})."
        )
    return str(path)


def find_role(ctx: ServiceContext, name: str) -> Resource:
    role = ctx.store.get(ROLE, name)
    if role is None:
        raise ResourceNotFound(f"The role with name {name} cannot be found.")
    return role


def find_user(ctx: ServiceContext, name: str) -> Resource:
    user = ctx.store.get(USER, name)
    if user is None:
        raise ResourceNotFound(f"The user with name {name} cannot be found.")
    return user


def policy_by_arn(ctx: ServiceContext, arn: str) -> Resource | None:
    """The managed policy with this ARN (path included), or None: one of this account's, or
    one of the AWS managed policies modelport ships (``arn:aws:iam::aws:policy/...``)."""
    if is_aws_managed(arn):
        return aws_policy(arn)
    if not arn.startswith(arns.iam_arn(ctx.settings.account_id, "policy", "")):
        return None
    policy = ctx.store.get(POLICY, arn.rsplit("/", 1)[-1])
    return policy if policy is not None and policy.arn == arn else None


def find_policy(ctx: ServiceContext, arn: str) -> Resource:
    policy = policy_by_arn(ctx, arn)
    if policy is None:
        raise ResourceNotFound(f"Policy {arn} was not found.")
    return policy


def attachable(ctx: ServiceContext, arn: str) -> str:
    """The ARN of an existing managed policy (this account's or AWS's), or IAM's NoSuchEntity."""
    if policy_by_arn(ctx, arn) is None:
        raise ResourceNotFound(f"Policy {arn} does not exist or is not attachable.")
    return arn


def attach_policy(ctx: ServiceContext, entity: Resource, arn: str) -> None:
    """Attach an existing managed policy to a role or user (attaching twice changes nothing)."""
    arn = attachable(ctx, arn)
    if arn not in entity.body[ATTACHED]:
        save_body(ctx, entity, {ATTACHED: [*entity.body[ATTACHED], arn]})


def detach_policy(ctx: ServiceContext, entity: Resource, arn: str) -> None:
    """DetachRolePolicy and DetachUserPolicy: NoSuchEntity if ``arn`` is not attached."""
    if arn not in entity.body[ATTACHED]:
        raise ResourceNotFound(f"Policy {arn} was not found.")
    save_body(ctx, entity, {ATTACHED: [a for a in entity.body[ATTACHED] if a != arn]})


def attached_policies(ctx: ServiceContext, entity: Resource, params: Mapping[str, Any]) -> dict[str, Any]:
    """ListAttachedRolePolicies and ListAttachedUserPolicies: one page, filtered by PathPrefix."""
    prefix = params.get("PathPrefix") or "/"
    attached = []
    for arn in entity.body[ATTACHED]:
        policy = policy_by_arn(ctx, arn)
        if policy is not None and policy.body["Path"].startswith(prefix):
            attached.append({"PolicyName": policy.name, "PolicyArn": arn})
    return page(attached, params, "AttachedPolicies")


def inline_policy(entity: Resource, name: str) -> str:
    """GetRolePolicy and GetUserPolicy: the inline policy ``name``'s document, or NoSuchEntity."""
    document: str | None = entity.body[INLINE].get(name)
    if document is None:
        noun = "role" if entity.kind == ROLE else "user"
        raise ResourceNotFound(f"The {noun} policy with name {name} cannot be found.")
    return document


def delete_inline_policy(ctx: ServiceContext, entity: Resource, name: str) -> None:
    """DeleteRolePolicy and DeleteUserPolicy: NoSuchEntity if there is no such inline policy."""
    inline_policy(entity, name)
    save_body(ctx, entity, {INLINE: {k: v for k, v in entity.body[INLINE].items() if k != name}})


def delete_entity(ctx: ServiceContext, entity: Resource) -> None:
    """Delete a role or user, as IAM does only once it holds no inline or attached policy."""
    if entity.body[INLINE]:
        raise InvalidState("Cannot delete entity, must delete policies first.")
    if entity.body[ATTACHED]:
        raise InvalidState("Cannot delete entity, must detach all policies first.")
    ctx.store.delete(entity.kind, entity.name)
    ctx.store.delete_tags(entity.arn)


def save_body(ctx: ServiceContext, entity: Resource, changes: Mapping[str, Any]) -> None:
    ctx.store.update(entity.evolve(body={**entity.body, **changes}, last_modified_time=ctx.clock.now()))


def put_inline_policy(ctx: ServiceContext, entity: Resource, name: str, document: str) -> None:
    """PutRolePolicy and PutUserPolicy: store ``document`` as the inline policy ``name``.

    The document is checked as IAM checks it; then the entity's inline policies together, this
    one replacing any of the same name, must fit ``INLINE_QUOTAS`` of the entity's kind, or the
    call is ``ResourceLimitExceeded`` (IAM's ``LimitExceeded``) with IAM's message.
    """
    checked_document(document, PolicyKind.INLINE)
    inline = {**entity.body[INLINE], name: document}
    quota, limit = INLINE_QUOTAS[entity.kind]
    total = sum(policy_size(text) for text in inline.values())
    if total > limit:
        noun = "role" if entity.kind == ROLE else "user"
        raise ResourceLimitExceeded(
            f"Maximum policy size of {limit} bytes exceeded for {noun} {entity.name}."
            f" Its inline policies would have {total} characters, whitespace excluded ({quota})."
        )
    save_body(ctx, entity, {INLINE: inline})


def checked_document(document: str, kind: PolicyKind) -> Policy:
    """Parse ``document`` as IAM does when it is stored.

    ``MalformedPolicyDocument`` passes through (IAM's ``MalformedPolicyDocument``); a document
    over a quota becomes ``ResourceLimitExceeded``, which IAM answers as ``LimitExceeded``.
    """
    try:
        return parse_policy(document, kind=kind)
    except PolicyTooLarge as exc:
        raise ResourceLimitExceeded(exc.message) from None


def identity_policies(ctx: ServiceContext, entity: Resource) -> list[Policy]:
    """The parsed identity policies of a role or user: its attached managed ones (AWS managed
    ones included, evaluated exactly like customer managed ones) and inline ones.

    An attached policy deleted since is skipped (IAM refuses to delete an attached policy, so
    this only covers a store edited by hand). Every authorised call asks for these; the parse
    is ``parse_policy``'s, remembered by document text.
    """
    policies: list[Policy] = []
    for arn in entity.body.get(ATTACHED, []):
        managed = policy_by_arn(ctx, arn)
        if managed is not None:
            kind = PolicyKind.AWS_MANAGED if is_aws_managed(arn) else PolicyKind.MANAGED
            policies.append(parse_policy(managed.body["PolicyDocument"], kind=kind))
    for document in entity.body.get(INLINE, {}).values():
        policies.append(parse_policy(document, kind=PolicyKind.INLINE))
    return policies


def page(items: list[dict[str, Any]], params: Mapping[str, Any], key: str) -> dict[str, Any]:
    """An IAM list answer: ``items`` (sorted by the caller) after ``Marker``, at most ``MaxItems``."""
    limit = params.get("MaxItems") or DEFAULT_MAX_ITEMS
    chunk, marker = cut(items, params.get("Marker"), limit=limit, invalid="Invalid Marker.")
    return {key: chunk, "IsTruncated": marker is not None, **({"Marker": marker} if marker else {})}
