"""Whether API Gateway may call an integration's backend on a client's behalf.

Invoke URLs are not signed (methods are ``authorizationType`` NONE), but the gateway's own call
to Lambda or SageMaker is authorized, as on AWS:

- **Lambda, no integration ``credentials``**: the function's resource policy must allow
  principal ``apigateway.amazonaws.com`` to ``lambda:InvokeFunction``, with the statement's
  conditions evaluated for ``aws:SourceArn`` = ``arn:aws:execute-api:<region>:<account>:<api
  id>/<stage>/<METHOD>/<resource path>`` and ``aws:SourceAccount`` = this account. That is
  what the console's ``AddPermission`` grants (spec §2).
- **Lambda or SageMaker with ``credentials``** (a role ARN): the gateway acts as that role, so
  the role must exist and trust ``apigateway.amazonaws.com``, and its identity policies must
  allow ``lambda:InvokeFunction`` on the function or ``sagemaker:InvokeEndpoint`` on the
  endpoint. The function's resource policy is not needed then.
- **SageMaker without ``credentials``** is refused: AWS service integrations other than Lambda
  always act as a role, and an unsigned call that reached the endpoint anyway would let any
  client use any endpoint.

Each check answers ``None`` (allowed) or the line the gateway logs before answering 500
``{"message": "Internal server error"}``; the client learns nothing more, as on AWS.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from modelport.core.arns import assumed_role_arn, sagemaker_arn
from modelport.core.errors import InvalidRequest
from modelport.services.context import ServiceContext
from modelport.services.iam.actions import function_arn
from modelport.services.iam.entities import identity_policies
from modelport.services.iam.policy import PolicyKind, Requester, denial_message, evaluate
from modelport.services.iam.policy_parse import parse_policy
from modelport.services.iam.roles import role_by_arn
from modelport.services.lambda_.permissions import function_record, gateway_may_invoke
from modelport.services.lambda_.resource_policy import GATEWAY_PRINCIPAL, INVOKE_ACTION

CONFIGURATION_ERROR = "Execution failed due to configuration error: "
INVALID_LAMBDA_PERMISSIONS = CONFIGURATION_ERROR + "Invalid permissions on Lambda function"
INVOKE_ENDPOINT = "sagemaker:InvokeEndpoint"
# The session name the gateway's role sessions are named with in denials (a log line only).
SESSION_NAME = "ApiGateway"


def lambda_access(
    ctx: ServiceContext, integration: Mapping[str, Any], function: str, source_arn: str
) -> str | None:
    """``None`` when the gateway may invoke ``function`` (a name or ARN), else what to log."""
    credentials = integration.get("credentials")
    if credentials:
        resource = function_arn(
            function, None, region=ctx.settings.region, account_id=ctx.settings.account_id
        )
        refused = _role_access(ctx, str(credentials), INVOKE_ACTION, resource)
        return None if refused is None else f"{INVALID_LAMBDA_PERMISSIONS}: {refused}"
    record = function_record(ctx, function)
    if record is None:
        return None  # no such function: Invoke itself refuses it, and the client gets 500 anyway
    return None if gateway_may_invoke(ctx, record, source_arn) else INVALID_LAMBDA_PERMISSIONS


def sagemaker_access(ctx: ServiceContext, integration: Mapping[str, Any], endpoint: str) -> str | None:
    """``None`` when the gateway may call InvokeEndpoint on ``endpoint``, else what to log."""
    credentials = integration.get("credentials")
    if not credentials:
        return (
            f"{CONFIGURATION_ERROR}No credentials for the AWS integration with SageMaker endpoint"
            f" {endpoint}: set the integration's credentials to a role that trusts"
            f" {GATEWAY_PRINCIPAL} and may call {INVOKE_ENDPOINT}"
        )
    settings = ctx.settings
    resource = sagemaker_arn("endpoint", endpoint, region=settings.region, account_id=settings.account_id)
    refused = _role_access(ctx, str(credentials), INVOKE_ENDPOINT, resource)
    return None if refused is None else CONFIGURATION_ERROR + refused


def _role_access(ctx: ServiceContext, role_arn: str, action: str, resource: str) -> str | None:
    role = role_by_arn(ctx, role_arn)
    if role is None or not _trusts_gateway(role.body.get("AssumeRolePolicyDocument"), role_arn):
        return f"API Gateway does not have permission to assume the provided role {role_arn}"
    decision = evaluate(identity_policies(ctx, role), action, resource)
    if decision.allowed:
        return None
    session = assumed_role_arn(ctx.settings.account_id, role.name, SESSION_NAME)
    return denial_message(session, action, resource, decision)


def _trusts_gateway(document: Any, role_arn: str) -> bool:
    if not document:
        return False
    try:
        trust = parse_policy(document, kind=PolicyKind.TRUST)
    except InvalidRequest:
        return False
    requester = Requester("Service", GATEWAY_PRINCIPAL)
    return evaluate([trust], "sts:AssumeRole", role_arn, requester=requester).allowed
