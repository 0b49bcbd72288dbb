"""CloudWatch's operation table (botocore's ``cloudwatch``; JSON 1.0, target
``GraniteServiceVersion20100801``, which the pinned botocore picks over rpc-v2-cbor).

Each read first hands the recorder's pending minutes to the store (taken on the event loop,
where the recorder is written, then stored in a worker thread), so a read sees the minute in
progress; the query itself runs in the thread too.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from modelport.services.cloudwatch import alarms, statistics
from modelport.services.context import ServiceContext

UseCase = Callable[[ServiceContext, dict[str, Any]], dict[str, Any]]
Handler = Callable[[ServiceContext, dict[str, Any]], Awaitable[dict[str, Any]]]

USE_CASES: dict[str, UseCase] = {
    "GetMetricStatistics": statistics.get_metric_statistics,
    "GetMetricData": statistics.get_metric_data,
    "ListMetrics": statistics.list_metrics,
    "PutMetricAlarm": alarms.put_metric_alarm,
    "DescribeAlarms": alarms.describe_alarms,
    "DeleteAlarms": alarms.delete_alarms,
}


def _fresh(use_case: UseCase) -> Handler:
    async def handler(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
        points = ctx.metrics.recorder.drain() if ctx.metrics is not None else []

        def run() -> dict[str, Any]:
            if ctx.metrics is not None:
                ctx.metrics.store.add(points)
            return use_case(ctx, params)

        return await asyncio.to_thread(run)

    handler.__name__ = use_case.__name__
    return handler


OPERATIONS: dict[str, Handler] = {name: _fresh(use_case) for name, use_case in USE_CASES.items()}
