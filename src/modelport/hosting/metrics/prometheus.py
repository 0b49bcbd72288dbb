"""The Prometheus text exposition (format 0.0.4) of the recorder's running totals.

Counters are cumulative since the server started, as Prometheus expects (a restart is a counter
reset, which ``rate()`` handles). Labels keep SageMaker's dimension names, ``EndpointName`` and
``VariantName``; latencies are summaries in microseconds, SageMaker's unit. Asynchronous
endpoints' backlog is a gauge per endpoint, from the last sampling.
"""

from __future__ import annotations

from modelport.hosting.metrics.recorder import MetricsRecorder, Statistic

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

# name, help, Bucket attribute, how the statistic is shown: "sum" counter or "summary".
SERIES: list[tuple[str, str, str, str]] = [
    (
        "sagemaker_invocations",
        "InvokeEndpoint requests a model answered (Invocations).",
        "invocations",
        "sum",
    ),
    (
        "sagemaker_invocations_per_instance",
        "Invocations divided by the variant's instance count (InvocationsPerInstance).",
        "per_instance",
        "sum",
    ),
    (
        "sagemaker_invocation_4xx_errors",
        "Invocations the model answered 4xx (Invocation4XXErrors).",
        "errors_4xx",
        "sum",
    ),
    (
        "sagemaker_invocation_5xx_errors",
        "Invocations the model answered 5xx or not in time (Invocation5XXErrors).",
        "errors_5xx",
        "sum",
    ),
    (
        "sagemaker_model_latency_microseconds",
        "Time the model took to answer (ModelLatency).",
        "model_latency",
        "summary",
    ),
    (
        "sagemaker_overhead_latency_microseconds",
        "Time modelport added around the model (OverheadLatency).",
        "overhead_latency",
        "summary",
    ),
]


def render(recorder: MetricsRecorder) -> str:
    lines: list[str] = []
    totals = sorted(recorder.totals.items())
    for name, help_text, attribute, kind in SERIES:
        # The text format (0.0.4) names a counter by its sample, ``_total`` included.
        family = f"{name}_total" if kind == "sum" else name
        lines.append(f"# HELP {family} {help_text}")
        lines.append(f"# TYPE {family} {'counter' if kind == 'sum' else 'summary'}")
        for (endpoint, variant), bucket in totals:
            stat: Statistic = getattr(bucket, attribute)
            labels = _labels(endpoint, variant)
            if kind == "sum":
                lines.append(f"{name}_total{labels} {_number(stat.total)}")
            else:
                lines.append(f"{name}_sum{labels} {_number(stat.total)}")
                lines.append(f"{name}_count{labels} {_number(stat.count)}")
    for index, (name, help_text) in enumerate(
        [
            (
                "sagemaker_cpu_utilization_percent",
                "An instance's CPU use, 100 per busy core (CPUUtilization).",
            ),
            (
                "sagemaker_memory_utilization_percent",
                "An instance's resident memory share (MemoryUtilization).",
            ),
        ]
    ):
        lines.append(f"# HELP {name} {help_text}")
        lines.append(f"# TYPE {name} gauge")
        for (endpoint, variant, instance), values in sorted(recorder.instances.items()):
            labels = _labels(endpoint, variant, instance)
            lines.append(f"{name}{labels} {_number(values[index])}")
    lines += _backlog(recorder)
    return "\n".join(lines) + "\n"


# Asynchronous endpoints' backlog metrics, last sampled: CloudWatch name -> (name, help).
BACKLOG_SERIES: dict[str, tuple[str, str]] = {
    "ApproximateBacklogSize": (
        "sagemaker_approximate_backlog_size",
        "Asynchronous requests queued or running (ApproximateBacklogSize).",
    ),
    "ApproximateAgeOfOldestRequest": (
        "sagemaker_approximate_age_of_oldest_request_seconds",
        "Age of the oldest queued or running asynchronous request (ApproximateAgeOfOldestRequest).",
    ),
    "HasBacklogWithoutCapacity": (
        "sagemaker_has_backlog_without_capacity",
        "1 when asynchronous requests wait and the endpoint has no instance (HasBacklogWithoutCapacity).",
    ),
}


def _backlog(recorder: MetricsRecorder) -> list[str]:
    lines: list[str] = []
    for metric, (name, help_text) in BACKLOG_SERIES.items():
        samples = sorted(
            (endpoint, value) for (endpoint, m), value in recorder.backlog.items() if m == metric
        )
        if not samples:
            continue
        lines.append(f"# HELP {name} {help_text}")
        lines.append(f"# TYPE {name} gauge")
        lines += [
            f'{name}{{EndpointName="{_escape(endpoint)}"}} {_number(value)}' for endpoint, value in samples
        ]
    return lines


def _labels(endpoint: str, variant: str, instance: str | None = None) -> str:
    pairs = [("EndpointName", endpoint), ("VariantName", variant)]
    if instance is not None:
        pairs.append(("InstanceId", instance))
    return "{" + ",".join(f'{key}="{_escape(value)}"' for key, value in pairs) + "}"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _number(value: float) -> str:
    return repr(float(value)) if value != int(value) else str(int(value))
