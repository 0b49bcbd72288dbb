"""A transform job's statuses, its store kind, and its plan: CreateTransformJob's request with
every default resolved, as the runner uses it.

Precedence for MaxConcurrentTransforms, MaxPayloadInMB and BatchStrategy is SageMaker's: the
job's own value, else what the model's container answers at ``GET /execution-parameters``, else
the platform default (1, 6 MB, MultiRecord).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

TRANSFORM_JOB_KIND = "transform_job"
# Instance ids of a job's workers; ':' never appears in an endpoint name, so the two never mix.
INSTANCE_PREFIX = "transform-job:"
LOG_GROUP = "/aws/sagemaker/TransformJobs"

DEFAULT_MAX_CONCURRENT = 1
DEFAULT_MAX_PAYLOAD_MB = 6
DEFAULT_STRATEGY = "MultiRecord"
DEFAULT_INVOCATION_TIMEOUT_S = 600
DEFAULT_MAX_RETRIES = 3
MB = 1024 * 1024


class TransformJobStatus(StrEnum):
    IN_PROGRESS = "InProgress"
    COMPLETED = "Completed"
    FAILED = "Failed"
    STOPPING = "Stopping"
    STOPPED = "Stopped"


RUNNING = frozenset({TransformJobStatus.IN_PROGRESS, TransformJobStatus.STOPPING})


def instance_id(job_name: str, index: int) -> str:
    return f"{INSTANCE_PREFIX}{job_name}/{index}"


def is_transform_instance(instance: str) -> bool:
    return instance.startswith(INSTANCE_PREFIX)


def log_stream(instance: str) -> str:
    """CloudWatch Logs stream of a job's instance: ``<job>/i-<n>`` (the data log adds ``/data-log``)."""
    job_name, index = instance[len(INSTANCE_PREFIX) :].rsplit("/", 1)
    return f"{job_name}/i-{index}"


@dataclass(frozen=True)
class JobPlan:
    """What a job does, read from its stored CreateTransformJob request."""

    name: str
    model: dict[str, Any]  # the model's snapshot: ModelKey, ModelDataUrl, Runtime, Environment, ...
    s3_data_type: str
    s3_uri: str
    content_type: str | None
    compression: str
    split_type: str
    output_path: str
    accept: str | None
    assemble_with: str
    instance_count: int
    instance_type: str
    environment: dict[str, str]
    data_processing: dict[str, Any]
    max_concurrent: int | None  # None: ask the container, then the default
    max_payload_mb: int | None
    strategy: str | None
    invocation_timeout_s: float
    max_retries: int
    caller: dict[str, str] | None = None  # whose S3 permissions the job has (None: the root user's)

    @classmethod
    def from_request(
        cls, name: str, request: dict[str, Any], model: dict[str, Any], caller: dict[str, str] | None = None
    ) -> JobPlan:
        source = request["TransformInput"]["DataSource"]["S3DataSource"]
        transform_input = request["TransformInput"]
        output = request["TransformOutput"]
        client = request.get("ModelClientConfig") or {}
        return cls(
            name=name,
            model=model,
            s3_data_type=source["S3DataType"],
            s3_uri=source["S3Uri"],
            content_type=transform_input.get("ContentType"),
            compression=transform_input.get("CompressionType", "None"),
            split_type=transform_input.get("SplitType", "None"),
            output_path=output["S3OutputPath"],
            accept=output.get("Accept"),
            assemble_with=output.get("AssembleWith", "None"),
            instance_count=int(request["TransformResources"]["InstanceCount"]),
            instance_type=str(request["TransformResources"].get("InstanceType", "")),
            environment=dict(request.get("Environment") or {}),
            data_processing=dict(request.get("DataProcessing") or {}),
            max_concurrent=request.get("MaxConcurrentTransforms") or None,
            max_payload_mb=request.get("MaxPayloadInMB"),
            strategy=request.get("BatchStrategy"),
            invocation_timeout_s=float(
                client.get("InvocationsTimeoutInSeconds", DEFAULT_INVOCATION_TIMEOUT_S)
            ),
            max_retries=int(client.get("InvocationsMaxRetries", DEFAULT_MAX_RETRIES)),
            caller=caller,
        )

    def container_environment(self) -> dict[str, str]:
        """What the job adds to its model's environment: its own Environment, ``SAGEMAKER_BATCH``,
        and the three execution values the job sets (only those: the container answers for the
        rest at ``/execution-parameters``)."""
        environment = {**self.environment, "SAGEMAKER_BATCH": "true"}
        if self.max_payload_mb is not None:
            environment["SAGEMAKER_MAX_PAYLOAD_IN_MB"] = str(self.max_payload_mb)
        if self.strategy is not None:
            environment["SAGEMAKER_BATCH_STRATEGY"] = _container_strategy(self.strategy)
        if self.max_concurrent is not None:
            environment["SAGEMAKER_MAX_CONCURRENT_TRANSFORMS"] = str(self.max_concurrent)
        return environment


@dataclass(frozen=True)
class Execution:
    """The three values a job runs with, once resolved (they go to the data log's first line)."""

    max_concurrent: int
    max_payload_bytes: int
    strategy: str  # MultiRecord | SingleRecord

    @classmethod
    def resolve(cls, plan: JobPlan, container: dict[str, Any] | None) -> Execution:
        """The job's values, else the container's ``/execution-parameters``, else the defaults."""
        answered = container or {}
        strategy = plan.strategy or _strategy(answered.get("BatchStrategy")) or DEFAULT_STRATEGY
        payload_mb = plan.max_payload_mb
        if payload_mb is None:
            payload_mb = _positive(answered.get("MaxPayloadInMB")) or DEFAULT_MAX_PAYLOAD_MB
        concurrent = (
            plan.max_concurrent
            or _positive(answered.get("MaxConcurrentTransforms"))
            or DEFAULT_MAX_CONCURRENT
        )
        return cls(max_concurrent=concurrent, max_payload_bytes=payload_mb * MB, strategy=strategy)

    def log_line(self) -> str:
        return (
            f"MaxConcurrentTransforms={self.max_concurrent}, "
            f"MaxPayloadInMB={self.max_payload_bytes // MB}, BatchStrategy={_container_strategy(self.strategy)}"
        )


def _container_strategy(strategy: str) -> str:
    return "MULTI_RECORD" if strategy == "MultiRecord" else "SINGLE_RECORD"


def _strategy(value: Any) -> str | None:
    return {"MULTI_RECORD": "MultiRecord", "SINGLE_RECORD": "SingleRecord"}.get(str(value).upper())


def _positive(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None
