"""The datapoints a target-tracking policy decides on, one every ``autoscaling_period_s``.

AWS's target tracking reads one-minute CloudWatch datapoints. Here a datapoint is read from the
metrics recorder's running totals (``hosting/metrics/recorder.py``) at each round of the
autoscaler: the difference from the previous round, over the seconds between them. Counts and
sums (``Sum``, ``SampleCount``; the predefined ``SageMakerVariantInvocationsPerInstance`` is the
``Sum`` of ``InvocationsPerInstance``) are expressed per minute, so a ``TargetValue`` means what
it means on AWS whatever the period; ``Average`` is the period's. ``CPUUtilization`` and
``MemoryUtilization`` are the variant's instances' last samples. A period without invocations
counts as 0 (an ``Average`` then has no datapoint), so an idle variant scales in to its minimum.
An asynchronous endpoint's backlog metrics (``ApproximateBacklogSizePerInstance``, …; dimension
``EndpointName`` only) are their last sample, taken by the metrics loop.
"""

from __future__ import annotations

from collections import deque
from typing import Any

from modelport.core.errors import InvalidRequest
from modelport.hosting.metrics.flusher import Metrics
from modelport.hosting.metrics.recorder import (
    BACKLOG_METRICS,
    INVOCATION_METRICS,
    NAMESPACE,
    USAGE_METRICS,
    USAGE_NAMESPACE,
)

# CloudWatch metric name -> the recorder's Bucket attribute (AWS/SageMaker) or usage kind.
_INVOCATION = {metric: attribute for attribute, (_, metric, _) in INVOCATION_METRICS.items()}
_USAGE = {metric: kind for kind, (_, metric, _) in USAGE_METRICS.items()}
_COUNTED = ("Sum", "SampleCount", "Average")  # what running totals can tell about a period
_SAMPLED = ("Average", "Minimum", "Maximum", "Sum", "SampleCount")

Series = tuple[str, str, str, str | None, str]  # namespace, metric, endpoint, variant, statistic


def check_customized(spec: dict[str, Any]) -> None:
    """Refuse a CustomizedMetricSpecification the autoscaler cannot read."""
    if spec.get("Metrics"):
        raise InvalidRequest(
            "CustomizedMetricSpecification.Metrics (metric math) is not supported here; give "
            "MetricName, Namespace, Dimensions and Statistic."
        )
    for needed in ("MetricName", "Namespace", "Statistic"):
        if not spec.get(needed):
            raise InvalidRequest(f"CustomizedMetricSpecification needs {needed}.")
    namespace, metric, statistic = spec["Namespace"], spec["MetricName"], spec["Statistic"]
    names = {d["Name"] for d in spec.get("Dimensions") or []}
    if "EndpointName" not in names or names - {"EndpointName", "VariantName"}:
        raise InvalidRequest(
            "CustomizedMetricSpecification.Dimensions must be EndpointName and, optionally, "
            "VariantName: modelport measures endpoint metrics only."
        )
    if namespace == NAMESPACE and metric in _INVOCATION:
        allowed: tuple[str, ...] = _COUNTED
    elif (namespace == USAGE_NAMESPACE and metric in _USAGE) or (
        namespace == NAMESPACE and metric in BACKLOG_METRICS
    ):
        allowed = _SAMPLED
    else:
        known = [f"{NAMESPACE} {m}" for m in (*_INVOCATION, *BACKLOG_METRICS)]
        known += [f"{USAGE_NAMESPACE} {m}" for m in _USAGE]
        raise InvalidRequest(
            f"modelport cannot scale on {namespace} {metric}: the metrics it measures are {', '.join(known)}."
        )
    if statistic not in allowed:
        raise InvalidRequest(
            f"Statistic {statistic} of {metric} is not available to target tracking here; use one of "
            f"{', '.join(allowed)}."
        )


def alarm_metric(config: dict[str, Any], resource_id: str) -> dict[str, Any]:
    """The metric a target-tracking policy's managed alarms watch (PutMetricAlarm's members)."""
    customized = config.get("CustomizedMetricSpecification")
    if customized:
        return {
            "Namespace": customized["Namespace"],
            "MetricName": customized["MetricName"],
            "Dimensions": customized.get("Dimensions") or [],
            "Statistic": customized["Statistic"],
        }
    _, endpoint, _, variant = resource_id.split("/")
    return {
        "Namespace": NAMESPACE,
        "MetricName": "InvocationsPerInstance",
        "Dimensions": [
            {"Name": "EndpointName", "Value": endpoint},
            {"Name": "VariantName", "Value": variant},
        ],
        "Statistic": "Sum",
    }


def series_of(config: dict[str, Any], resource_id: str) -> Series:
    metric = alarm_metric(config, resource_id)
    named = {d["Name"]: d["Value"] for d in metric["Dimensions"]}
    return (
        metric["Namespace"],
        metric["MetricName"],
        named["EndpointName"],
        named.get("VariantName"),
        metric["Statistic"],
    )


class Datapoints:
    """Each policy's recent datapoints, oldest first, read from the recorder once per round."""

    def __init__(self, metrics: Metrics | None, keep: int) -> None:
        self.metrics = metrics
        self.keep = keep
        self.history: dict[str, deque[float | None]] = {}
        self._previous: dict[Series, tuple[float, float, float]] = {}  # count, total, at

    def sample(self, policies: dict[str, Series], at: float) -> None:
        """One new datapoint for each policy (``policies``: name -> the series it watches)."""
        totals: dict[Series, tuple[float, float]] = {}
        for series in set(policies.values()):
            if series[0] == NAMESPACE and series[1] in _INVOCATION:
                totals[series] = self._totals(series)
        for name, series in policies.items():
            if series in totals:
                new = self._counted(series, totals[series], at)
            elif series[1] in BACKLOG_METRICS:
                new = [self._backlog(series)]
            else:
                new = [self._sampled(series)]
            self.history.setdefault(name, deque(maxlen=self.keep)).extend(new)
        self._previous = {series: (count, total, at) for series, (count, total) in totals.items()}
        for name in [name for name in self.history if name not in policies]:
            del self.history[name]

    def values(self, name: str) -> list[float | None]:
        return list(self.history.get(name, ()))

    def _totals(self, series: Series) -> tuple[float, float]:
        _, metric, endpoint, variant, _ = series
        attribute = _INVOCATION[metric]
        count = total = 0.0
        if self.metrics is not None:
            for (ep, var), bucket in list(self.metrics.recorder.totals.items()):
                if ep == endpoint and variant in (None, var):
                    stat = getattr(bucket, attribute)
                    count, total = count + stat.count, total + stat.total
        return count, total

    def _counted(self, series: Series, now_totals: tuple[float, float], at: float) -> list[float | None]:
        """The period's datapoint, or none at the first round (nothing to count from yet)."""
        previous = self._previous.get(series)
        if previous is None or at <= previous[2]:
            return []
        count, total = now_totals
        if count < previous[0]:  # the totals started again (the endpoint's fleet went away)
            d_count, d_total = count, total
        else:
            d_count, d_total = count - previous[0], total - previous[1]
        per_minute = 60.0 / (at - previous[2])
        statistic = series[4]
        if statistic == "Sum":
            return [d_total * per_minute]
        if statistic == "SampleCount":
            return [d_count * per_minute]
        return [d_total / d_count if d_count else None]

    def _backlog(self, series: Series) -> float | None:
        """The endpoint's last sample (one value: every statistic but SampleCount is itself)."""
        _, metric, endpoint, _, statistic = series
        if self.metrics is None:
            return None
        sample = self.metrics.recorder.backlog.get((endpoint, metric))
        if sample is None:
            return None
        return 1.0 if statistic == "SampleCount" else sample

    def _sampled(self, series: Series) -> float | None:
        _, metric, endpoint, variant, statistic = series
        if self.metrics is None:
            return None
        which = 0 if _USAGE[metric] == "cpu" else 1
        samples = [
            reading[which]
            for (ep, var, _), reading in list(self.metrics.recorder.instances.items())
            if ep == endpoint and variant in (None, var)
        ]
        if not samples:
            return None
        return {
            "Average": sum(samples) / len(samples),
            "Minimum": min(samples),
            "Maximum": max(samples),
            "Sum": sum(samples),
            "SampleCount": float(len(samples)),
        }[statistic]
