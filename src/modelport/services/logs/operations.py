"""CloudWatch Logs' operation table: operation name -> use case (``logs``, JSON 1.1).

Every use case runs in a worker thread (``asyncio.to_thread``): a FilterLogEvents over a large
group, or the flush a read starts with, must never hold the event loop that serves
invocations. The use cases themselves are plain functions of ``(ctx, params)``, which the web
console calls through this same table. Where events come from (Lambda functions, endpoint and
notebook instances) is the ``LogWriter``'s business (``writer.py``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from modelport.services.context import ServiceContext
from modelport.services.logs import events, groups

UseCase = Callable[[ServiceContext, dict[str, Any]], dict[str, Any]]
Handler = Callable[[ServiceContext, dict[str, Any]], Awaitable[dict[str, Any]]]

USE_CASES: dict[str, UseCase] = {
    "CreateLogGroup": groups.create_log_group,
    "DescribeLogGroups": groups.describe_log_groups,
    "DeleteLogGroup": groups.delete_log_group,
    "PutRetentionPolicy": groups.put_retention_policy,
    "DeleteRetentionPolicy": groups.delete_retention_policy,
    "CreateLogStream": groups.create_log_stream,
    "DescribeLogStreams": groups.describe_log_streams,
    "PutLogEvents": events.put_log_events,
    "GetLogEvents": events.get_log_events,
    "FilterLogEvents": events.filter_log_events,
}


def _in_thread(use_case: UseCase) -> Handler:
    async def handler(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
        return await asyncio.to_thread(use_case, ctx, params)

    handler.__name__ = use_case.__name__
    handler.__doc__ = use_case.__doc__
    return handler


OPERATIONS: dict[str, Handler] = {name: _in_thread(use_case) for name, use_case in USE_CASES.items()}
