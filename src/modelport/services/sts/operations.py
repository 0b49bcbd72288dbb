"""STS: GetCallerIdentity and AssumeRole.

AssumeRole answers ``AccessDenied`` both for a role that does not exist and for one whose trust
policy does not admit the caller, as STS does, so that it never tells a caller which roles
exist. The root user may assume any role (a modelport choice: AWS forbids it, but here root is
the operator who sets everything up). The identity side (``sts:AssumeRole`` in the caller's own
policies) is checked by ``authorization.authorize`` before the handler runs.
"""

from __future__ import annotations

from typing import Any

from modelport.aws.auth.principal import PrincipalKind
from modelport.core.arns import account_root_arn, assumed_role_arn
from modelport.core.errors import AccessDenied, InvalidRequest
from modelport.services.context import ServiceContext
from modelport.services.iam.authorization import caller_arn
from modelport.services.iam.entities import ROLE, USER
from modelport.services.iam.operations import Handler, issue_role_credentials
from modelport.services.iam.policy import PolicyKind, Requester, evaluate
from modelport.services.iam.policy_parse import parse_policy
from modelport.services.iam.roles import role_by_arn

MIN_DURATION_S = 900
CHAINED_MAX_S = 3600  # a role session assuming a role gets at most an hour
ACTION = "sts:AssumeRole"


def get_caller_identity(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    account = ctx.settings.account_id
    principal = ctx.principal
    if principal is None or principal.kind is PrincipalKind.ROOT:
        return {"UserId": account, "Account": account, "Arn": account_root_arn(account)}
    if principal.kind is PrincipalKind.USER:
        user = ctx.store.get(USER, principal.name)
        user_id = user.body["UserId"] if user is not None else principal.access_key_id
        return {"UserId": user_id, "Account": account, "Arn": caller_arn(ctx, principal)}
    role_name, _, session = principal.name.partition("/")
    role = ctx.store.get(ROLE, role_name)
    role_id = role.body["RoleId"] if role is not None else principal.access_key_id
    return {"UserId": f"{role_id}:{session}", "Account": account, "Arn": caller_arn(ctx, principal)}


def assume_role(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    role_arn = params["RoleArn"]
    session = params["RoleSessionName"]
    principal = ctx.principal
    who = caller_arn(ctx, principal) if principal is not None else account_root_arn(ctx.settings.account_id)
    # STS's own text: no reason given, whether the role is missing or does not trust the caller.
    refusal = f"User: {who} is not authorized to perform: {ACTION} on resource: {role_arn}"
    role = role_by_arn(ctx, role_arn)
    if role is None:
        raise AccessDenied(refusal)
    if principal is not None and principal.kind is not PrincipalKind.ROOT:
        trust = parse_policy(role.body["AssumeRolePolicyDocument"], kind=PolicyKind.TRUST)
        if not evaluate([trust], ACTION, role_arn, requester=Requester("AWS", who)).allowed:
            raise AccessDenied(refusal)
    duration = params.get("DurationSeconds") or 3600
    limit = role.body["MaxSessionDuration"]
    if principal is not None and principal.kind is PrincipalKind.ROLE:
        limit = min(limit, CHAINED_MAX_S)
        if duration > limit:
            raise InvalidRequest(
                "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining."
            )
    if duration < MIN_DURATION_S:
        raise InvalidRequest(
            f"1 validation error detected: Value '{duration}' at 'durationSeconds' failed to satisfy"
            f" constraint: Member must have value greater than or equal to {MIN_DURATION_S}"
        )
    if duration > limit:
        raise InvalidRequest(
            "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."
        )
    credentials = issue_role_credentials(ctx, role_arn, session, duration)
    return {
        "Credentials": credentials,
        "AssumedRoleUser": {
            "AssumedRoleId": f"{role.body['RoleId']}:{session}",
            "Arn": assumed_role_arn(ctx.settings.account_id, role.name, session),
        },
    }


OPERATIONS: dict[str, Handler] = {
    "GetCallerIdentity": get_caller_identity,
    "AssumeRole": assume_role,
}
