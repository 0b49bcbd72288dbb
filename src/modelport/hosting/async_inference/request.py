"""One asynchronous inference request as the queue stores it, and where its answer goes.

Names are SageMaker's: the answer is ``<S3OutputPath>/<InferenceId>.out``, a failure
``<S3FailurePath>/<InferenceId>-error.out``. ``X-Amzn-SageMaker-S3OutputPathExtension`` adds a
folder below both paths, and ``X-Amzn-SageMaker-Filename`` replaces ``<InferenceId>.out`` (the
failure object then is ``<Filename>-error.out``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from modelport.core.errors import InvalidRequest

ASYNC_REQUEST_KIND = "async_inference_request"
LOG_STREAM = "async-inference/data-log"  # in the endpoint's log group: one line per request

DEFAULT_MAX_CONCURRENT_PER_INSTANCE = 4  # AWS: "SageMaker chooses an optimal value"
DEFAULT_REQUEST_TTL_S = 6 * 3600
DEFAULT_INVOCATION_TIMEOUT_S = 900


@dataclass(frozen=True)
class AsyncRequest:
    """What InvokeEndpointAsync was asked, with its defaults resolved and its locations named."""

    key: str  # the store name: ``<endpoint>/<uuid>`` (inference ids are the caller's and may repeat)
    endpoint_name: str
    inference_id: str
    input_location: str
    output_location: str
    failure_location: str | None
    content_type: str | None
    accept: str | None
    custom_attributes: str | None
    received_at: float  # epoch seconds
    expires_at: float  # received_at + RequestTTLSeconds: still queued then, it fails
    timeout_s: float  # InvocationTimeoutSeconds: how long the instance may take
    caller: dict[str, str] | None  # who the S3 reads and writes are checked for (None: anyone)

    def to_body(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_body(cls, body: dict[str, Any]) -> AsyncRequest:
        return cls(**body)


def locations(
    output_config: dict[str, Any], inference_id: str, *, extension: str | None, filename: str | None
) -> tuple[str, str | None]:
    """Where the answer and a failure go: ``(output URL, failure URL or None)``."""
    name = filename or f"{inference_id}.out"
    failure_name = f"{filename}-error.out" if filename else f"{inference_id}-error.out"
    output = _join(output_config["S3OutputPath"], extension, name)
    failure_path = output_config.get("S3FailurePath")
    return output, _join(failure_path, extension, failure_name) if failure_path else None


def _join(path: str, extension: str | None, name: str) -> str:
    parts = [path.rstrip("/")]
    if extension:
        parts.append(extension.strip("/"))
    parts.append(name)
    return "/".join(parts)


def max_concurrent_per_instance(config: dict[str, Any]) -> int:
    """ClientConfig.MaxConcurrentInvocationsPerInstance, or the default."""
    client_config = config.get("ClientConfig") or {}
    return int(
        client_config.get("MaxConcurrentInvocationsPerInstance") or DEFAULT_MAX_CONCURRENT_PER_INSTANCE
    )


def validate(config: dict[str, Any], variants: list[dict[str, Any]], shadows: list[dict[str, Any]]) -> None:
    """Refuse an ``AsyncInferenceConfig`` this server could not honour, saying what to change."""
    output = config["OutputConfig"]
    for member in ("S3OutputPath", "S3FailurePath"):
        url = output.get(member)
        if url is None and member == "S3FailurePath":
            continue
        if not url or not url.startswith("s3://") or len(url) <= len("s3://"):
            raise InvalidRequest(
                f"AsyncInferenceConfig.OutputConfig.{member} must be an s3://bucket/prefix URI; it is {url!r}."
            )
    notification = output.get("NotificationConfig") or {}
    if notification.get("SuccessTopic") or notification.get("ErrorTopic"):
        raise InvalidRequest(
            "modelport does not support Amazon SNS notifications (AsyncInferenceConfig.OutputConfig."
            "NotificationConfig) yet: leave them out and poll the output and failure locations."
        )
    if output.get("KmsKeyId"):
        raise InvalidRequest(
            "modelport does not encrypt asynchronous inference outputs with AWS KMS "
            "(AsyncInferenceConfig.OutputConfig.KmsKeyId) yet: leave it out."
        )
    for variant in variants:
        if "ServerlessConfig" in variant:
            raise InvalidRequest(
                f"Production variant {variant['VariantName']} is serverless: asynchronous inference runs on "
                "instances only; give it InstanceType and InitialInstanceCount."
            )
    if shadows:
        raise InvalidRequest(
            "modelport does not support shadow variants (ShadowProductionVariants) on asynchronous inference "
            "endpoints yet."
        )
