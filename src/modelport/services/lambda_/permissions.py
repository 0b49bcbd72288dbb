"""Lambda resource policies: AddPermission, RemovePermission, GetPolicy, and the check API
Gateway's invocations pass (``gateway_may_invoke``).

The policy is kept in the function's record (``Policy``: the document; ``PolicyRevisionId``:
its revision), so DeleteFunction drops it with the function. Changing it does not change the
function's ``RevisionId``: that one names code and configuration, and a new one would restart
the function's warm environments for nothing. ``RevisionId`` in AddPermission and
RemovePermission is therefore compared with the policy's revision, the one GetPolicy returns.
Only ``$LATEST`` exists, so a ``Qualifier`` other than ``$LATEST`` is not found.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from modelport.core.errors import (
    InvalidRequest,
    PolicyTooLarge,
    PreconditionFailed,
    ResourceAlreadyExists,
    ResourceNotFound,
)
from modelport.services.context import ServiceContext
from modelport.services.iam.policy import PolicyKind, Requester, evaluate
from modelport.services.iam.policy_conditions import SOURCE_ACCOUNT, SOURCE_ARN
from modelport.services.iam.policy_parse import parse_policy
from modelport.services.lambda_.names import find_function
from modelport.services.lambda_.resource_policy import (
    GATEWAY_PRINCIPAL,
    INVOKE_ACTION,
    empty_policy,
    permission_statement,
)
from modelport.store.base import Resource

Handler = Callable[[ServiceContext, dict[str, Any]], Awaitable[dict[str, Any]]]

POLICY = "Policy"
POLICY_REVISION = "PolicyRevisionId"
NO_POLICY = "The resource you requested does not exist."

# gateway_may_invoke's answers, by (function ARN, policy revision, source ARN, account). Every
# invocation through a REST API asks, with the same few arguments; a policy's revision changes
# whenever AddPermission or RemovePermission writes it (``_save_policy``), so an answer is never
# asked again of a policy that has changed.
_GATEWAY_DECISIONS: dict[tuple[str, str, str, str], bool] = {}
_MAX_GATEWAY_DECISIONS = 4096


def _compact(document: Any) -> str:
    return json.dumps(document, separators=(",", ":"))


def _check_revision(record: Resource, params: dict[str, Any]) -> None:
    wanted = params.get("RevisionId")
    if wanted and wanted != record.body.get(POLICY_REVISION):
        raise PreconditionFailed(
            "The Revision Id provided does not match the latest Revision Id. Call the GetPolicy API"
            " to retrieve the latest Revision Id"
        )


def _save_policy(ctx: ServiceContext, record: Resource, document: dict[str, Any] | None) -> None:
    body = {k: v for k, v in record.body.items() if k not in (POLICY, POLICY_REVISION)}
    if document is not None and document["Statement"]:
        body[POLICY] = document
        body[POLICY_REVISION] = str(uuid.uuid4())
    ctx.store.update(record.evolve(body=body))


async def add_permission(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    record = find_function(ctx, params["FunctionName"], params.get("Qualifier"))
    _check_revision(record, params)
    document = dict(record.body.get(POLICY) or empty_policy())
    sid = params["StatementId"]
    if any(statement.get("Sid") == sid for statement in document["Statement"]):
        raise ResourceAlreadyExists(
            f"The statement id ({sid}) provided already exists. Please provide a new statement id,"
            " or remove the existing statement."
        )
    statement = permission_statement(params, record.arn)
    document["Statement"] = [*document["Statement"], statement]
    try:
        parse_policy(document, kind=PolicyKind.RESOURCE)  # what the gateway will evaluate must parse
    except PolicyTooLarge as exc:
        raise PolicyTooLarge(
            f"The final policy size ({exc.size}) is bigger than the limit ({exc.limit}).",
            quota=exc.quota,
            limit=exc.limit,
            size=exc.size,
        ) from None
    _save_policy(ctx, record, document)
    return {"Statement": _compact(statement)}


async def remove_permission(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    record = find_function(ctx, params["FunctionName"], params.get("Qualifier"))
    document = record.body.get(POLICY)
    if not document:
        raise ResourceNotFound(f"No policy is found for: {record.arn}")
    sid = params["StatementId"]
    kept = [s for s in document["Statement"] if s.get("Sid") != sid]
    if len(kept) == len(document["Statement"]):
        raise ResourceNotFound(f"Statement {sid} is not found in resource policy.")
    _check_revision(record, params)
    _save_policy(ctx, record, {**document, "Statement": kept})
    return {}


async def get_policy(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    record = find_function(ctx, params["FunctionName"], params.get("Qualifier"))
    document = record.body.get(POLICY)
    if not document:
        raise ResourceNotFound(NO_POLICY)
    return {"Policy": _compact(document), "RevisionId": record.body[POLICY_REVISION]}


def gateway_may_invoke(ctx: ServiceContext, record: Resource, source_arn: str) -> bool:
    """Whether the function's policy lets API Gateway, calling from ``source_arn``, invoke it.

    Evaluated as IAM evaluates a resource policy: principal ``apigateway.amazonaws.com``, action
    ``lambda:InvokeFunction`` on the function's ARN, with ``aws:SourceArn`` and
    ``aws:SourceAccount`` (this account) for the statements' conditions. No policy: denied.
    """
    document = record.body.get(POLICY)
    if not document:
        return False
    revision = record.body.get(POLICY_REVISION)
    key = None if revision is None else (record.arn, str(revision), source_arn, ctx.settings.account_id)
    known = None if key is None else _GATEWAY_DECISIONS.get(key)
    if known is not None:
        return known
    try:
        policy = parse_policy(document, kind=PolicyKind.RESOURCE)
    except InvalidRequest:  # only a store edited by hand: AddPermission checked what it wrote
        return False
    context = {SOURCE_ARN: source_arn, SOURCE_ACCOUNT: ctx.settings.account_id}
    requester = Requester("Service", GATEWAY_PRINCIPAL)
    allowed = evaluate([policy], INVOKE_ACTION, record.arn, requester=requester, context=context).allowed
    if key is not None:
        if len(_GATEWAY_DECISIONS) >= _MAX_GATEWAY_DECISIONS:
            _GATEWAY_DECISIONS.clear()
        _GATEWAY_DECISIONS[key] = allowed
    return allowed


def function_record(ctx: ServiceContext, function: str) -> Resource | None:
    """The stored function an integration names (a name or an ARN), or None when there is none."""
    try:
        return find_function(ctx, function, shared=True)  # only read (gateway_may_invoke)
    except InvalidRequest:
        return None


OPERATIONS: dict[str, Handler] = {
    "AddPermission": add_permission,
    "RemovePermission": remove_permission,
    "GetPolicy": get_policy,
}
