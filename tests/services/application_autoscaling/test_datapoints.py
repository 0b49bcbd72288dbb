"""Datapoints read from the metrics recorder's running totals: per minute whatever the period."""

from __future__ import annotations

from pathlib import Path

from modelport.bootstrap import build_router
from modelport.core.clock import FakeClock
from modelport.core.config import Settings
from modelport.hosting.metrics.flusher import Metrics
from modelport.hosting.metrics.store import MetricStore
from modelport.services.application_autoscaling.datapoints import Datapoints, series_of

PREDEFINED = {
    "PredefinedMetricSpecification": {"PredefinedMetricType": "SageMakerVariantInvocationsPerInstance"}
}
RID = "endpoint/shop/variant/AllTraffic"


def custom(namespace: str, metric: str, statistic: str) -> dict[str, object]:
    dimensions = [{"Name": "EndpointName", "Value": "shop"}, {"Name": "VariantName", "Value": "AllTraffic"}]
    return {
        "CustomizedMetricSpecification": {
            "Namespace": namespace,
            "MetricName": metric,
            "Dimensions": dimensions,
            "Statistic": statistic,
        }
    }


def test_counts_are_per_minute_and_averages_per_period(tmp_path: Path) -> None:
    clock = FakeClock()
    metrics = Metrics(
        MetricStore(tmp_path / "m.sqlite3"), clock, build_router(Settings()), retention_s=60, interval_s=1
    )
    points = Datapoints(metrics, keep=3)
    policies = {
        "per-instance": series_of(PREDEFINED, RID),
        "invocations": series_of(custom("AWS/SageMaker", "Invocations", "Sum"), RID),
        "latency": series_of(custom("AWS/SageMaker", "ModelLatency", "Average"), RID),
        "cpu": series_of(custom("/aws/sagemaker/Endpoints", "CPUUtilization", "Maximum"), RID),
    }
    points.sample(policies, at=0.0)  # the baseline: no datapoint yet
    assert points.values("per-instance") == [] and points.values("cpu") == [None]
    for _ in range(10):
        metrics.recorder.record("shop", "AllTraffic", 200, 2, model_us=1000.0, overhead_us=10.0)
    metrics.recorder.record("other", "AllTraffic", 200, 1, model_us=5.0, overhead_us=1.0)
    metrics.recorder.usage("shop", "AllTraffic", "shop/AllTraffic/1-1", 30.0, 5.0)
    metrics.recorder.usage("shop", "AllTraffic", "shop/AllTraffic/2-1", 80.0, 5.0)
    points.sample(policies, at=2.0)
    assert points.values("per-instance") == [150.0]  # 10 × ½ instance in 2 s: 150 a minute
    assert points.values("invocations") == [300.0]
    assert points.values("latency") == [1000.0]
    assert points.values("cpu") == [None, 80.0]
    points.sample(policies, at=3.0)  # an idle second: 0, and no average
    assert points.values("per-instance") == [150.0, 0.0]
    assert points.values("latency") == [1000.0, None]
    points.sample({"cpu": policies["cpu"]}, at=4.0)  # a deleted policy's history goes
    assert points.values("latency") == [] and points.values("cpu") == [80.0, 80.0, 80.0]
    metrics.store.close()
