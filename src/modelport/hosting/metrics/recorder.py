"""Per-minute aggregates of invocations, kept in memory until the flusher stores them.

``record`` runs once per InvokeEndpoint answered by a model: it finds (or makes) the bucket of
the endpoint, variant and minute and adds to it. Nothing there touches a file or a lock: the
event loop is the only writer, and ``drain`` swaps the pending buckets out in one assignment.

Besides the minutes, the recorder keeps running totals per endpoint and variant since the
server started, for Prometheus, whose counters are cumulative.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from modelport.core.clock import Clock

NAMESPACE = "AWS/SageMaker"
USAGE_NAMESPACE = "/aws/sagemaker/Endpoints"
MICROSECONDS = "Microseconds"
COUNT = "None"  # CloudWatch's unit for SageMaker's counts
PERCENT = "Percent"
SECONDS = "Seconds"
ENDPOINT_ONLY = ""  # the variant of a metric whose only dimension is EndpointName


@dataclass(frozen=True)
class Datapoint:
    """One metric's statistics for one endpoint, variant and minute (``timestamp`` its start)."""

    namespace: str
    metric: str
    endpoint: str
    variant: str
    timestamp: int
    unit: str
    sample_count: float
    sum: float
    minimum: float
    maximum: float


@dataclass
class Statistic:
    """Count, sum, minimum and maximum of the samples seen."""

    count: float = 0.0
    total: float = 0.0
    minimum: float = float("inf")
    maximum: float = float("-inf")

    def add(self, value: float) -> None:
        self.count += 1
        self.total += value
        if value < self.minimum:
            self.minimum = value
        if value > self.maximum:
            self.maximum = value


@dataclass
class Bucket:
    """What one endpoint variant did in one minute (or, for the totals, since start)."""

    invocations: Statistic = field(default_factory=Statistic)
    per_instance: Statistic = field(default_factory=Statistic)
    errors_4xx: Statistic = field(default_factory=Statistic)
    errors_5xx: Statistic = field(default_factory=Statistic)
    model_latency: Statistic = field(default_factory=Statistic)
    overhead_latency: Statistic = field(default_factory=Statistic)
    model_setup_time: Statistic = field(default_factory=Statistic)

    def add(self, status: int, instances: int, model_us: float, overhead_us: float) -> None:
        self.invocations.add(1.0)
        self.per_instance.add(1.0 / max(instances, 1))
        self.errors_4xx.add(1.0 if 400 <= status < 500 else 0.0)
        # 0 is a timeout, as SageMaker's "Received server error (0)" says.
        self.errors_5xx.add(1.0 if status >= 500 or status < 100 else 0.0)
        self.model_latency.add(model_us)
        self.overhead_latency.add(overhead_us)


# Bucket field -> (namespace, CloudWatch metric name, unit).
INVOCATION_METRICS: dict[str, tuple[str, str, str]] = {
    "invocations": (NAMESPACE, "Invocations", COUNT),
    "per_instance": (NAMESPACE, "InvocationsPerInstance", COUNT),
    "errors_4xx": (NAMESPACE, "Invocation4XXErrors", COUNT),
    "errors_5xx": (NAMESPACE, "Invocation5XXErrors", COUNT),
    "model_latency": (NAMESPACE, "ModelLatency", MICROSECONDS),
    "overhead_latency": (NAMESPACE, "OverheadLatency", MICROSECONDS),
    "model_setup_time": (NAMESPACE, "ModelSetupTime", MICROSECONDS),
}
USAGE_METRICS: dict[str, tuple[str, str, str]] = {
    "cpu": (USAGE_NAMESPACE, "CPUUtilization", PERCENT),
    "memory": (USAGE_NAMESPACE, "MemoryUtilization", PERCENT),
}
# An asynchronous endpoint's backlog, sampled by the metrics loop: metric -> unit. Their only
# dimension is EndpointName (stored under the variant ENDPOINT_ONLY).
BACKLOG_METRICS: dict[str, str] = {
    "ApproximateBacklogSize": COUNT,
    "ApproximateBacklogSizePerInstance": COUNT,
    "ApproximateAgeOfOldestRequest": SECONDS,
    "HasBacklogWithoutCapacity": COUNT,
}
Key = tuple[str, str, int]  # endpoint, variant, minute start (epoch seconds)


class MetricsRecorder:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._pending: dict[Key, Bucket] = {}
        self._usage: dict[tuple[str, str, int, str], Statistic] = {}
        self.totals: dict[tuple[str, str], Bucket] = {}
        # endpoint, variant, instance -> (CPUUtilization, MemoryUtilization) last sampled
        self.instances: dict[tuple[str, str, str], tuple[float, float]] = {}
        self._backlog: dict[tuple[str, int, str], Statistic] = {}
        self.backlog: dict[tuple[str, str], float] = {}  # endpoint, metric -> the last sample

    def _key(self, endpoint: str, variant: str) -> Key:
        now = self.clock.now()
        return endpoint, variant, int(now - now % 60)

    def record(
        self, endpoint: str, variant: str, status: int, instances: int, model_us: float, overhead_us: float
    ) -> None:
        """One invocation a model answered (``status`` 0: it timed out)."""
        key = self._key(endpoint, variant)
        bucket = self._pending.get(key)
        if bucket is None:
            bucket = self._pending[key] = Bucket()
        bucket.add(status, instances, model_us, overhead_us)
        total = self.totals.get(key[:2])
        if total is None:
            total = self.totals[key[:2]] = Bucket()
        total.add(status, instances, model_us, overhead_us)

    def setup(self, endpoint: str, variant: str, microseconds: float) -> None:
        """An instance started and passed its health check after ``microseconds``."""
        key = self._key(endpoint, variant)
        self._pending.setdefault(key, Bucket()).model_setup_time.add(microseconds)

    def usage(self, endpoint: str, variant: str, instance: str, cpu: float, memory: float) -> None:
        """One instance's CPUUtilization and MemoryUtilization (percent) at one sampling."""
        endpoint_, variant_, minute = self._key(endpoint, variant)
        self._usage.setdefault((endpoint_, variant_, minute, "cpu"), Statistic()).add(cpu)
        self._usage.setdefault((endpoint_, variant_, minute, "memory"), Statistic()).add(memory)
        self.instances[(endpoint, variant, instance)] = (cpu, memory)

    def backlog_sample(self, samples: list[tuple[str, str, float]]) -> None:
        """One sampling of every asynchronous endpoint's backlog metrics: (endpoint, metric, value);
        an endpoint missing from ``samples`` has none any more."""
        self.backlog = {}
        for endpoint, metric, value in samples:
            _, _, minute = self._key(endpoint, ENDPOINT_ONLY)
            self._backlog.setdefault((endpoint, minute, metric), Statistic()).add(value)
            self.backlog[(endpoint, metric)] = value

    def forget_instances(self, live: set[tuple[str, str, str]]) -> None:
        """Drop the last samples of instances that no longer run, and totals of gone endpoints."""
        for instance in [instance for instance in self.instances if instance not in live]:
            del self.instances[instance]
        endpoints = {endpoint for endpoint, _, _ in live}
        for pair in [pair for pair in self.totals if pair[0] not in endpoints]:
            del self.totals[pair]

    def drain(self) -> list[Datapoint]:
        """Every pending aggregate as datapoints; the recorder starts afresh."""
        pending, self._pending = self._pending, {}
        usage, self._usage = self._usage, {}
        backlog, self._backlog = self._backlog, {}
        points: list[Datapoint] = []
        for (endpoint, variant, minute), bucket in pending.items():
            for attribute, (namespace, metric, unit) in INVOCATION_METRICS.items():
                stat: Statistic = getattr(bucket, attribute)
                if stat.count:
                    points.append(_point(namespace, metric, endpoint, variant, minute, unit, stat))
        for (endpoint, variant, minute, kind), stat in usage.items():
            namespace, metric, unit = USAGE_METRICS[kind]
            points.append(_point(namespace, metric, endpoint, variant, minute, unit, stat))
        for (endpoint, minute, metric), stat in backlog.items():
            points.append(
                _point(NAMESPACE, metric, endpoint, ENDPOINT_ONLY, minute, BACKLOG_METRICS[metric], stat)
            )
        return points


def _point(
    namespace: str, metric: str, endpoint: str, variant: str, minute: int, unit: str, stat: Statistic
) -> Datapoint:
    return Datapoint(
        namespace, metric, endpoint, variant, minute, unit, stat.count, stat.total, stat.minimum, stat.maximum
    )
