"""The recorder's minutes, the store's periods and the Prometheus text, on a fake clock."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from prometheus_client import parser

from modelport.core.clock import FakeClock
from modelport.hosting.metrics import prometheus
from modelport.hosting.metrics.recorder import NAMESPACE, USAGE_NAMESPACE, MetricsRecorder
from modelport.hosting.metrics.store import MetricStore
from modelport.hosting.metrics.usage import UsageSampler

START = 1_700_000_040.0  # a minute's start


def test_a_minute_of_invocations_becomes_sagemakers_metrics() -> None:
    clock = FakeClock(START)
    recorder = MetricsRecorder(clock)
    recorder.record("ep", "AllTraffic", 200, 2, model_us=1000, overhead_us=50)
    recorder.record("ep", "AllTraffic", 404, 2, model_us=3000, overhead_us=150)
    recorder.record("ep", "AllTraffic", 0, 2, model_us=5000, overhead_us=100)  # timed out
    points = {p.metric: p for p in recorder.drain()}
    assert points["Invocations"].sum == 3
    assert points["InvocationsPerInstance"].sum == 1.5
    assert points["Invocation4XXErrors"].sum == 1
    assert points["Invocation5XXErrors"].sum == 1
    latency = points["ModelLatency"]
    assert (latency.unit, latency.sum, latency.minimum, latency.maximum) == ("Microseconds", 9000, 1000, 5000)
    assert points["OverheadLatency"].sum == 300
    assert {p.namespace for p in points.values()} == {NAMESPACE}
    assert {(p.endpoint, p.variant, p.timestamp) for p in points.values()} == {
        ("ep", "AllTraffic", int(START))
    }
    assert recorder.drain() == []


def test_setup_time_is_its_own_metric() -> None:
    recorder = MetricsRecorder(FakeClock(START))
    recorder.setup("ep", "AllTraffic", 2_500_000.0)
    (point,) = recorder.drain()
    assert (point.metric, point.unit, point.sum, point.sample_count) == (
        "ModelSetupTime",
        "Microseconds",
        2_500_000.0,
        1,
    )


def test_minutes_flushed_twice_merge_and_periods_group_minutes(tmp_path: Path) -> None:
    clock = FakeClock(START)
    recorder = MetricsRecorder(clock)
    store = MetricStore(tmp_path / "m.sqlite3")
    recorder.record("ep", "a", 200, 1, model_us=10, overhead_us=1)
    store.add(recorder.drain())
    recorder.record("ep", "a", 200, 1, model_us=30, overhead_us=1)
    recorder.record("ep", "b", 200, 1, model_us=20, overhead_us=1)
    store.add(recorder.drain())
    clock.advance(60)
    recorder.record("ep", "a", 500, 1, model_us=40, overhead_us=1)
    store.add(recorder.drain())

    per_minute = store.statistics(NAMESPACE, "ModelLatency", "ep", "a", START, START + 120, 60)
    assert [(p.timestamp, p.sample_count, p.sum, p.minimum, p.maximum) for p in per_minute] == [
        (int(START), 2, 40, 10, 30),
        (int(START) + 60, 1, 40, 40, 40),
    ]
    (both,) = store.statistics(NAMESPACE, "Invocations", "ep", None, START, START + 120, 120)
    assert both.sum == 4
    (without_b,) = store.statistics(  # b a shadow variant: left out of the endpoint's sum
        NAMESPACE, "Invocations", "ep", None, START, START + 120, 120, exclude=["b"]
    )
    assert without_b.sum == 3
    (errors,) = store.statistics(NAMESPACE, "Invocation5XXErrors", "ep", "a", START, START + 120, 120)
    assert errors.average == pytest.approx(1 / 3)
    assert ("AWS/SageMaker", "Invocations", "ep", "b") in store.metrics()

    assert store.prune(START + 60) > 0
    assert [
        p.timestamp for p in store.statistics(NAMESPACE, "Invocations", "ep", "a", START, START + 120, 60)
    ] == [int(START) + 60]
    store.close()


def test_usage_samples_average_over_instances_of_a_variant() -> None:
    recorder = MetricsRecorder(FakeClock(START))
    recorder.usage("ep", "a", "ep/a/1-1", cpu=50.0, memory=2.0)
    recorder.usage("ep", "a", "ep/a/2-1", cpu=150.0, memory=4.0)
    points = {p.metric: p for p in recorder.drain()}
    cpu = points["CPUUtilization"]
    assert (cpu.namespace, cpu.unit, cpu.sum / cpu.sample_count, cpu.maximum) == (
        USAGE_NAMESPACE,
        "Percent",
        100,
        150,
    )
    recorder.forget_instances({("ep", "a", "ep/a/1-1")})
    assert list(recorder.instances) == [("ep", "a", "ep/a/1-1")]


def test_the_sampler_reads_proc_and_reports_cpu_on_the_second_reading(tmp_path: Path) -> None:
    proc = tmp_path / "proc"
    (proc / "42").mkdir(parents=True)
    (proc / "meminfo").write_text("MemTotal:       1000000 kB\n")
    fields = ["S"] + ["0"] * 10 + ["100", "100"] + ["0"] * 10  # utime, stime are fields 14 and 15

    def write(ticks: int) -> None:
        fields[11] = str(ticks)
        (proc / "42" / "stat").write_text("42 (python a b) " + " ".join(fields) + "\n")
        (proc / "42" / "statm").write_text("1000 250 0 0 0 0 0\n")

    sampler = UsageSampler(proc)
    write(100)
    assert sampler.sample([42, 7], now=10.0) == {}  # first reading of 42; 7 does not exist
    write(150)  # 50 more ticks of user time in one second
    ((cpu, memory),) = sampler.sample([42], now=11.0).values()
    assert cpu == pytest.approx(50 / os.sysconf("SC_CLK_TCK") * 100)
    assert memory == pytest.approx(250 * os.sysconf("SC_PAGE_SIZE") / 1_024_000_000 * 100)


def test_prometheus_text_parses_with_prometheus_client() -> None:
    recorder = MetricsRecorder(FakeClock(START))
    recorder.record("ep", "AllTraffic", 200, 1, model_us=1000, overhead_us=10)
    recorder.record("ep", "AllTraffic", 500, 1, model_us=3000, overhead_us=30)
    recorder.usage("ep", "AllTraffic", "ep/AllTraffic/1-1", cpu=12.5, memory=3.0)
    families = {f.name: f for f in parser.text_string_to_metric_families(prometheus.render(recorder))}
    invocations = families["sagemaker_invocations"]
    assert invocations.type == "counter"
    (sample,) = invocations.samples
    assert sample.labels == {"EndpointName": "ep", "VariantName": "AllTraffic"}
    assert sample.value == 2
    latency = {s.name: s.value for s in families["sagemaker_model_latency_microseconds"].samples}
    assert latency == {
        "sagemaker_model_latency_microseconds_sum": 4000,
        "sagemaker_model_latency_microseconds_count": 2,
    }
    assert families["sagemaker_invocation_5xx_errors"].samples[0].value == 1
    assert families["sagemaker_cpu_utilization_percent"].samples[0].value == 12.5


def test_an_async_endpoints_backlog_is_sampled_per_minute_without_a_variant() -> None:
    clock = FakeClock(START)
    recorder = MetricsRecorder(clock)
    recorder.backlog_sample([("ep", "ApproximateBacklogSize", 4.0), ("ep", "HasBacklogWithoutCapacity", 1.0)])
    clock.advance(10)
    recorder.backlog_sample([("ep", "ApproximateBacklogSize", 2.0), ("ep", "HasBacklogWithoutCapacity", 0.0)])
    assert recorder.backlog == {
        ("ep", "ApproximateBacklogSize"): 2.0,
        ("ep", "HasBacklogWithoutCapacity"): 0.0,
    }
    points = {p.metric: p for p in recorder.drain()}
    size = points["ApproximateBacklogSize"]
    assert (size.namespace, size.variant, size.sample_count, size.sum, size.maximum) == (
        NAMESPACE,
        "",
        2,
        6.0,
        4.0,
    )
    assert points["HasBacklogWithoutCapacity"].maximum == 1.0
    families = {f.name: f for f in parser.text_string_to_metric_families(prometheus.render(recorder))}
    (sample,) = families["sagemaker_approximate_backlog_size"].samples
    assert (sample.labels, sample.value) == ({"EndpointName": "ep"}, 2.0)
    recorder.backlog_sample([])  # the endpoint is gone
    assert "sagemaker_approximate_backlog_size" not in prometheus.render(recorder)
