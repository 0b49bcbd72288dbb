"""GetMetricStatistics, GetMetricData and ListMetrics over the endpoint metrics' store.

Only what modelport measures exists: namespaces ``AWS/SageMaker`` and
``/aws/sagemaker/Endpoints``, dimensions ``EndpointName`` and ``VariantName`` (a shadow
variant's metrics are under its own name; a query without ``VariantName`` sums the production
variants). Metrics are kept per minute, so a period is a multiple of 60 seconds. A query naming
other metrics gets no datapoints, as CloudWatch answers for a metric nobody published.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from modelport.core.errors import InvalidRequest
from modelport.hosting.deployments import ENDPOINT_KIND
from modelport.hosting.metrics.recorder import ENDPOINT_ONLY
from modelport.hosting.metrics.store import MetricStore, Period
from modelport.services.context import ServiceContext

STATISTICS = ("SampleCount", "Average", "Sum", "Minimum", "Maximum")
DIMENSION_NAMES = ("EndpointName", "VariantName")


def _store(ctx: ServiceContext) -> MetricStore:
    if ctx.metrics is None:
        raise InvalidRequest("This server keeps no metrics.")
    return ctx.metrics.store


def value(period: Period, statistic: str) -> float:
    return {
        "SampleCount": period.sample_count,
        "Average": period.average,
        "Sum": period.sum,
        "Minimum": period.minimum,
        "Maximum": period.maximum,
    }[statistic]


def _series(dimensions: list[dict[str, str]]) -> tuple[str, str | None] | None:
    """(endpoint, variant or None) the dimensions name, or None when they name no endpoint metric."""
    named = {d["Name"]: d.get("Value", "") for d in dimensions}
    if "EndpointName" not in named or set(named) - set(DIMENSION_NAMES):
        return None
    return named["EndpointName"], named.get("VariantName")


def check_period(seconds: int) -> int:
    if seconds <= 0 or seconds % 60:
        raise InvalidRequest(
            f"The parameter Period must be a multiple of 60: endpoint metrics are kept per minute (got {seconds})."
        )
    return seconds


def _window(params: dict[str, Any]) -> tuple[float, float]:
    start: dt.datetime = params["StartTime"]
    end: dt.datetime = params["EndTime"]
    if end <= start:
        raise InvalidRequest("The parameter StartTime must be earlier than the parameter EndTime.")
    return start.timestamp(), end.timestamp()


def periods(
    ctx: ServiceContext, metric: dict[str, Any], start: float, end: float, period: int
) -> list[Period]:
    series = _series(metric.get("Dimensions") or [])
    if series is None:
        return []
    endpoint, variant = series
    return _store(ctx).statistics(
        metric["Namespace"],
        metric["MetricName"],
        endpoint,
        variant,
        start,
        end,
        period,
        exclude=() if variant is not None else shadow_variants(ctx, endpoint),
    )


def shadow_variants(ctx: ServiceContext, endpoint: str) -> list[str]:
    """The endpoint's shadow variants (now, or in an update under way): an EndpointName-only
    query sums the production variants, which answer clients; a shadow is read by its name."""
    record = ctx.store.get(ENDPOINT_KIND, endpoint)
    names: list[str] = []
    for field in ("Deployment", "PendingDeployment"):
        deployment = (record.body.get(field) if record is not None else None) or {}
        names += [v["VariantName"] for v in deployment.get("ShadowVariants", [])]
    return names


def get_metric_statistics(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    statistics = params.get("Statistics") or []
    if not statistics and not params.get("ExtendedStatistics"):
        raise InvalidRequest("Either the Statistics or the ExtendedStatistics parameter must be given.")
    if params.get("ExtendedStatistics"):
        raise InvalidRequest(
            "ExtendedStatistics (percentiles) are not kept here: ask for Statistics instead."
        )
    start, end = _window(params)
    period = check_period(params["Period"])
    points = []
    for found in periods(ctx, params, start, end, period):
        if params.get("Unit") not in (None, found.unit):
            continue
        point: dict[str, Any] = {
            "Timestamp": dt.datetime.fromtimestamp(found.timestamp, dt.UTC),
            "Unit": found.unit,
        }
        point.update({statistic: value(found, statistic) for statistic in statistics})
        points.append(point)
    return {"Label": params["MetricName"], "Datapoints": points}


def get_metric_data(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    start, end = _window(params)
    descending = params.get("ScanBy", "TimestampDescending") == "TimestampDescending"
    results = []
    for query in params["MetricDataQueries"]:
        stat = query.get("MetricStat")
        if stat is None:
            raise InvalidRequest(
                f"Query {query['Id']}: metric math Expression is not supported here; give a MetricStat."
            )
        if stat["Stat"] not in STATISTICS:
            raise InvalidRequest(f"Query {query['Id']}: Stat must be one of {', '.join(STATISTICS)}.")
        found = periods(ctx, stat["Metric"], start, end, check_period(stat["Period"]))
        if descending:
            found.reverse()
        if query.get("ReturnData", True) is False:
            continue
        results.append(
            {
                "Id": query["Id"],
                "Label": query.get("Label") or stat["Metric"]["MetricName"],
                "Timestamps": [dt.datetime.fromtimestamp(p.timestamp, dt.UTC) for p in found],
                "Values": [value(p, stat["Stat"]) for p in found],
                "StatusCode": "Complete",
            }
        )
    return {"MetricDataResults": results, "Messages": []}


def list_metrics(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    wanted = {d["Name"]: d.get("Value") for d in params.get("Dimensions") or []}
    metrics = []
    for namespace, metric, endpoint, variant in _store(ctx).metrics(params.get("Namespace")):
        if params.get("MetricName") not in (None, metric):
            continue
        have = {"EndpointName": endpoint}
        if variant != ENDPOINT_ONLY:  # an asynchronous endpoint's backlog has no VariantName
            have["VariantName"] = variant
        if any(name not in have or value not in (None, have[name]) for name, value in wanted.items()):
            continue
        dimensions = [{"Name": name, "Value": value} for name, value in have.items()]
        metrics.append({"Namespace": namespace, "MetricName": metric, "Dimensions": dimensions})
    return {"Metrics": metrics}
