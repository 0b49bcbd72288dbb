"""Every console action is an AWS operation run as the signed-in principal, through the same path
as the API's: the botocore model's input validation, ``platform.authorize`` (the caller's IAM
policies, ``iam:PassRole`` included), then the operation's handler from the front door's table.

``call`` returns the operation's result (botocore's member names, as boto3 would return it) or
raises ``AwsError`` with the code and message the API would have answered, such as
``AccessDeniedException: User: arn:aws:iam::123456789012:user/reader is not authorized to perform:
lambda:CreateFunction on resource: ...``; pages show it in the red error box.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from starlette.requests import Request

from modelport.aws.protocol.errors import wire_error
from modelport.aws.protocol.inputs import read_input
from modelport.aws.protocol.models import ServiceProtocol
from modelport.bootstrap import Platform
from modelport.core.arns import request_id
from modelport.core.errors import ModelportError

logger = logging.getLogger(__name__)

Handler = Callable[[Any, dict[str, Any]], dict[str, Any] | Awaitable[dict[str, Any]]]


class AwsError(Exception):
    """An AWS operation's error answer: ``code`` (``AccessDeniedException``, ``NoSuchEntity``...)
    and the ``message`` the API sends with it."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class Operations:
    """The front door's operation tables and protocols, by botocore service name."""

    def __init__(self, tables: Mapping[str, Mapping[str, Handler]]) -> None:
        self._tables = tables
        self._protocols: dict[str, ServiceProtocol] = {}

    def handler(self, service: str, operation: str) -> Handler:
        handler = self._tables.get(service, {}).get(operation)
        if handler is None:
            raise AwsError("UnknownOperationException", f"{service} {operation} is not served by modelport.")
        return handler

    def protocol(self, service: str) -> ServiceProtocol:
        if service not in self._protocols:
            self._protocols[service] = ServiceProtocol.load(service)
        return self._protocols[service]


async def call(request: Request, service: str, operation: str, params: dict[str, Any]) -> dict[str, Any]:
    """Run ``operation`` of ``service`` (botocore's names: ``"iam"``, ``"CreateRole"``) with
    ``params`` as the signed-in principal; its result, or ``AwsError``."""
    platform: Platform = request.app.state.platform
    operations: Operations = request.app.state.operations
    principal = request.state.session.principal
    return await run(platform, operations, principal, service, operation, params)


async def run(
    platform: Platform,
    operations: Operations,
    principal: Any,
    service: str,
    operation: str,
    params: dict[str, Any],
) -> dict[str, Any]:
    handler = operations.handler(service, operation)
    try:
        checked = read_input(operations.protocol(service).plan(operation).reader, params)
        context = platform.context.acting_as(principal)
        platform.authorize(context, service, operation, checked)
        result = handler(context, checked)
        if inspect.isawaitable(result):
            result = await result
        return result
    except ModelportError as exc:
        mapped = wire_error(service, exc)
        if mapped is not None:
            raise AwsError(mapped.code, exc.message) from None
        rid = request_id()
        logger.exception("console %s %s failed (request id %s)", service, operation, rid)
        raise AwsError("InternalFailure", f"An internal error occurred. Request id: {rid}") from None
    except Exception:
        rid = request_id()
        logger.exception("console %s %s failed (request id %s)", service, operation, rid)
        raise AwsError("InternalFailure", f"An internal error occurred. Request id: {rid}") from None
