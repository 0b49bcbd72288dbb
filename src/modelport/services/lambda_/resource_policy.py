"""A Lambda function's resource policy: the statements ``AddPermission`` writes, as Lambda writes
them, and the ARN API Gateway presents when it invokes a function.

The document is ``{"Version": "2012-10-17", "Id": "default", "Statement": [...]}`` and each
statement is::

    {"Sid": "<StatementId>", "Effect": "Allow",
     "Principal": {"Service": "apigateway.amazonaws.com"},     # or {"AWS": "<arn>"} or "*"
     "Action": "lambda:InvokeFunction", "Resource": "<function ARN>",
     "Condition": {"StringEquals": {"AWS:SourceAccount": "<account>"},
                   "ArnLike": {"AWS:SourceArn": "<arn>"}}}                 # when given

A principal ending in ``.amazonaws.com`` is a service; a 12-digit account becomes
``arn:aws:iam::<account>:root``; an IAM ARN stays as it is; ``*`` is everyone.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from modelport.core import arns
from modelport.core.errors import InvalidRequest

GATEWAY_PRINCIPAL = "apigateway.amazonaws.com"
INVOKE_ACTION = "lambda:InvokeFunction"

_ACTION = re.compile(r"lambda:(\*|[a-zA-Z]+)|\*")
_ACCOUNT = re.compile(r"\d{12}")
_SERVICE = re.compile(r"[a-z0-9][a-z0-9.\-]*\.amazonaws\.com(\.cn)?")
_IAM_ARN = re.compile(r"arn:aws[a-zA-Z-]*:(iam|sts)::\d{12}:[^\s]+")
# Members of AddPermission whose conditions modelport cannot evaluate: refused, not ignored.
_UNSUPPORTED = ("EventSourceToken", "PrincipalOrgID", "FunctionUrlAuthType")


def empty_policy() -> dict[str, Any]:
    return {"Version": "2012-10-17", "Id": "default", "Statement": []}


def principal_element(principal: str) -> str | dict[str, str]:
    """Lambda's Principal element for AddPermission's ``Principal`` string."""
    if principal == "*":
        return "*"
    if _SERVICE.fullmatch(principal):
        return {"Service": principal}
    if _ACCOUNT.fullmatch(principal):
        return {"AWS": arns.account_root_arn(principal)}
    if _IAM_ARN.fullmatch(principal):
        return {"AWS": principal}
    raise InvalidRequest("The provided principal was invalid. Please check the principal and try again.")


def permission_statement(params: Mapping[str, Any], function_arn: str) -> dict[str, Any]:
    """The statement AddPermission adds, from its members (botocore's names)."""
    action = str(params.get("Action") or "")
    if not _ACTION.fullmatch(action):
        raise InvalidRequest(
            f"1 validation error detected: Value '{action}' at 'action' failed to satisfy constraint:"
            " Member must satisfy regular expression pattern: (lambda:[*]|lambda:[a-zA-Z]+|[*])"
        )
    for member in _UNSUPPORTED:
        if params.get(member):
            raise InvalidRequest(f"modelport does not support {member} in AddPermission yet.")
    if params.get("InvokedViaFunctionUrl"):
        raise InvalidRequest("modelport has no function URLs: InvokedViaFunctionUrl is not supported.")
    statement: dict[str, Any] = {
        "Sid": params["StatementId"],
        "Effect": "Allow",
        "Principal": principal_element(str(params.get("Principal") or "")),
        "Action": action,
        "Resource": function_arn,
    }
    condition: dict[str, dict[str, str]] = {}
    if params.get("SourceAccount"):
        condition["StringEquals"] = {"AWS:SourceAccount": str(params["SourceAccount"])}
    if params.get("SourceArn"):
        condition["ArnLike"] = {"AWS:SourceArn": str(params["SourceArn"])}
    if condition:
        statement["Condition"] = condition
    return statement


def execute_api_arn(region: str, account_id: str, api_id: str, stage: str, method: str, path: str) -> str:
    """The ARN API Gateway presents as ``aws:SourceArn`` when it calls an integration.

    ``path`` is the resource's path (``/irisprediction``, ``/items/{id}``), so a permission for
    ``.../*/POST/irisprediction`` or ``.../*/POST/items/*`` matches, as the console writes them.
    """
    return arns.execute_api_arn(region, account_id, api_id, stage, method.upper(), path.lstrip("/"))
