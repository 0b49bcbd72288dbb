"""Whether the caller may make a call: the identity policies of its user or role, evaluated for
the one permission the call needs (``actions``).

The root user, and every caller when authentication is off (``ctx.principal is None``), may do
anything. A user is governed by its attached managed and inline policies; a role session by its
role's. A principal whose user or role has been deleted holds no policies, so it is denied.

A call that hands a role to a service — CreateFunction's and UpdateFunctionConfiguration's
``Role``, PutIntegration's ``credentials``, CreateModel's ``ExecutionRoleArn`` — also needs ``iam:PassRole`` on that role, as on AWS:
otherwise anyone allowed to create a function could run code with any role's permissions.
"""

from __future__ import annotations

from typing import Any

from modelport.aws.auth.principal import Principal, PrincipalKind
from modelport.core.arns import account_root_arn, assumed_role_arn, iam_arn
from modelport.core.errors import AccessDenied
from modelport.services.context import ServiceContext
from modelport.services.iam.actions import required_permission
from modelport.services.iam.entities import ROLE, USER, identity_policies
from modelport.services.iam.policy import Policy, denial_message, evaluate
from modelport.services.iam.policy_conditions import PASSED_TO_SERVICE


def authorize(ctx: ServiceContext, service: str, operation: str, params: dict[str, Any]) -> None:
    """Return when ``ctx.principal`` may call ``operation`` of ``service``; raise AccessDenied
    (with AWS's ``User: ... is not authorized to perform: ...`` text) otherwise."""
    principal = ctx.principal
    if principal is None or principal.kind is PrincipalKind.ROOT:
        return
    checked = _with_role_path(ctx, service, operation, params)
    if (service, operation) == ("iam", "ChangePassword") and principal.kind is PrincipalKind.USER:
        checked = {**checked, "UserName": principal.name}  # the caller's own password
    permission = required_permission(
        service,
        operation,
        checked,
        region=ctx.settings.region,
        account_id=ctx.settings.account_id,
    )
    if permission.always_allowed:
        return
    policies = _policies(ctx, principal)
    checks: list[tuple[str, str, dict[str, str] | None]] = [(permission.action, permission.resource, None)]
    passed = _passed_role(service, operation, params)
    if passed is not None:
        checks.append((PASS_ROLE, passed, {PASSED_TO_SERVICE: f"{service}.amazonaws.com"}))
    for action, resource, context in checks:
        decision = evaluate(policies, action, resource, context=context)
        if not decision.allowed:
            raise AccessDenied(denial_message(caller_arn(ctx, principal), action, resource, decision))


PASS_ROLE = "iam:PassRole"
# (service, operation) -> the member naming the role the call hands to a service.
PASSED_ROLES = {
    ("lambda", "CreateFunction"): "Role",
    ("lambda", "UpdateFunctionConfiguration"): "Role",
    ("apigateway", "PutIntegration"): "credentials",
    ("sagemaker", "CreateModel"): "ExecutionRoleArn",
}


def _passed_role(service: str, operation: str, params: dict[str, Any]) -> str | None:
    member = PASSED_ROLES.get((service, operation))
    role = params.get(member) if member else None
    return role if isinstance(role, str) and role else None


def caller_arn(ctx: ServiceContext, principal: Principal) -> str:
    """The caller's ARN as AWS names it in GetCallerIdentity and in denials."""
    account = ctx.settings.account_id
    if principal.kind is PrincipalKind.ROOT:
        return account_root_arn(account)
    if principal.kind is PrincipalKind.USER:
        user = ctx.store.get(USER, principal.name)
        return user.arn if user is not None else iam_arn(account, "user", principal.name)
    role, _, session = principal.name.partition("/")
    return assumed_role_arn(account, role, session)


def _policies(ctx: ServiceContext, principal: Principal) -> list[Policy]:
    # Every signed call of a user or role reads it: the store's shared copy, only read here.
    if principal.kind is PrincipalKind.USER:
        entity = ctx.store.get_shared(USER, principal.name)
    else:
        entity = ctx.store.get_shared(ROLE, principal.name.partition("/")[0])
    return [] if entity is None else identity_policies(ctx, entity)


def _with_role_path(
    ctx: ServiceContext, service: str, operation: str, params: dict[str, Any]
) -> dict[str, Any]:
    # A role's ARN carries its path, which only CreateRole has in the request; the others are
    # checked against the stored role's ARN, as IAM does.
    if service != "iam" or operation == "CreateRole" or not isinstance(params.get("RoleName"), str):
        return params
    role = ctx.store.get(ROLE, params["RoleName"])
    return params if role is None else {**params, "Path": role.body["Path"]}
