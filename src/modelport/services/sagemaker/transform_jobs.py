"""CreateTransformJob, DescribeTransformJob, ListTransformJobs, StopTransformJob.

The request is checked and stored with a snapshot of its model (so the job runs on if the Model
is deleted), then the runner (``hosting/transform/runner.py``) runs it. SageMaker answers
CreateTransformJob at once; modelport answers once the job has ended, or after
``Limits.transform_settle_timeout_s`` (45 s) at the latest, so that a waiter's first poll
(``transform_job_completed_or_stopped`` sleeps 60 s between polls) already sees ``Completed``.
The answer itself is SageMaker's; only its timing differs.

Unlike endpoints, a job that does not exist is the modeled ``ResourceNotFound``, and a name that
is taken (by any job, ended or not) is ``ResourceInUse``.
"""

from __future__ import annotations

from typing import Any

from modelport.aws.auth.principal import stored_caller
from modelport.core.errors import (
    InvalidRequest,
    InvalidState,
    JobNameInUse,
    JobNotFound,
    ResourceLimitExceeded,
)
from modelport.hosting.transform.data_processing import check_data_processing
from modelport.hosting.transform.job import (
    DEFAULT_MAX_CONCURRENT,
    DEFAULT_MAX_PAYLOAD_MB,
    TRANSFORM_JOB_KIND,
    TransformJobStatus,
)
from modelport.hosting.transform.objects import S3Location
from modelport.services.context import ServiceContext, TransformEngine
from modelport.services.sagemaker import resources
from modelport.services.sagemaker.models import get_model, model_snapshot
from modelport.store.base import Resource

KIND = TRANSFORM_JOB_KIND
MAX_TOTAL_PAYLOAD_MB = 100  # MaxConcurrentTransforms × MaxPayloadInMB

# Members DescribeTransformJob echoes from the request, in the API reference's order.
_ECHOED = (
    "ModelName",
    "MaxConcurrentTransforms",
    "ModelClientConfig",
    "MaxPayloadInMB",
    "BatchStrategy",
    "Environment",
    "TransformInput",
    "TransformOutput",
    "DataCaptureConfig",
    "TransformResources",
)
_ECHOED_AFTER = ("DataProcessing", "ExperimentConfig")


async def create_transform_job(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    name = params["TransformJobName"]
    if ctx.store.get(KIND, name) is not None:
        raise JobNameInUse(
            "Transform job names must be unique within an AWS account and region, and a transform job "
            f"with this name already exists ({ctx.arn(KIND, name)})."
        )
    _check(ctx, params)
    model = model_snapshot(ctx, get_model(ctx, params["ModelName"]))
    request = {key: params[key] for key in (*_ECHOED, *_ECHOED_AFTER) if key in params}
    job = resources.create(
        ctx,
        KIND,
        name,
        {"Request": request, "Model": model, "Caller": stored_caller(ctx.principal)},
        params.get("Tags"),
        status=TransformJobStatus.IN_PROGRESS,
    )
    runner = _runner(ctx)
    runner.start(job.name)
    await runner.finished(job.name, ctx.settings.limits.transform_settle_timeout_s)
    return {"TransformJobArn": job.arn}


def describe_transform_job(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    job = get_transform_job(ctx, params["TransformJobName"])
    request = job.body["Request"]
    answer: dict[str, Any] = {"TransformJobName": job.name, "TransformJobArn": job.arn}
    answer["TransformJobStatus"] = job.status
    if reason := job.body.get("FailureReason"):
        answer["FailureReason"] = reason
    answer.update({key: request[key] for key in _ECHOED if key in request})
    answer["CreationTime"] = job.creation_time
    for key in ("TransformStartTime", "TransformEndTime"):
        if key in job.body:
            answer[key] = job.body[key]
    answer.update({key: request[key] for key in _ECHOED_AFTER if key in request})
    return answer


def list_transform_jobs(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    return resources.list_page(
        ctx,
        KIND,
        params,
        result_key="TransformJobSummaries",
        summary=_summary,
        name_field="TransformJobName",
        sort_fields={
            "Name": "TransformJobName",
            "CreationTime": "CreationTime",
            "Status": "TransformJobStatus",
        },
        status_field="TransformJobStatus",
    )


def stop_transform_job(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    job = get_transform_job(ctx, params["TransformJobName"])
    if job.status == TransformJobStatus.STOPPING:
        return {}
    if job.status != TransformJobStatus.IN_PROGRESS:
        raise InvalidState(
            f'Cannot stop transform job "{job.arn}" because its status is {job.status}; '
            "only an InProgress job can be stopped."
        )
    ctx.store.update(job.evolve(status=TransformJobStatus.STOPPING, last_modified_time=ctx.clock.now()))
    _runner(ctx).stop(job.name)
    return {}


def get_transform_job(ctx: ServiceContext, name: str) -> Resource:
    job = ctx.store.get(KIND, name)
    if job is None:
        raise JobNotFound(f"Could not find requested job with name {name}")
    return job


def _summary(job: Resource) -> dict[str, Any]:
    summary: dict[str, Any] = {
        "TransformJobName": job.name,
        "TransformJobArn": job.arn,
        "CreationTime": job.creation_time,
    }
    if "TransformEndTime" in job.body:
        summary["TransformEndTime"] = job.body["TransformEndTime"]
    summary["LastModifiedTime"] = job.last_modified_time
    summary["TransformJobStatus"] = job.status
    if reason := job.body.get("FailureReason"):
        summary["FailureReason"] = reason
    return summary


def _runner(ctx: ServiceContext) -> TransformEngine:
    if ctx.transforms is None:
        raise InvalidRequest("This server runs no batch transform jobs.")
    return ctx.transforms


def _check(ctx: ServiceContext, params: dict[str, Any]) -> None:
    """What the API's shapes do not say: each refusal names what to change."""
    transform_input = params["TransformInput"]
    source = transform_input["DataSource"]["S3DataSource"]
    if source["S3DataType"] not in ("S3Prefix", "ManifestFile"):
        raise InvalidRequest(
            f"S3DataType {source['S3DataType']} is not supported by modelport yet; use S3Prefix or ManifestFile."
        )
    S3Location.parse(source["S3Uri"], "S3Uri")
    S3Location.parse(params["TransformOutput"]["S3OutputPath"], "S3OutputPath")
    split_type = transform_input.get("SplitType", "None")
    if split_type not in ("None", "Line"):
        raise InvalidRequest(
            f"SplitType {split_type} is not supported by modelport yet; use Line (one record per line) or None."
        )
    payload_mb = params.get("MaxPayloadInMB")
    if payload_mb == 0:
        raise InvalidRequest(
            "MaxPayloadInMB 0 (chunked requests) is not supported by the built-in containers; "
            "give a size in MB (1 to 100; default 6)."
        )
    concurrent = params.get("MaxConcurrentTransforms") or DEFAULT_MAX_CONCURRENT
    payload_mb = payload_mb or DEFAULT_MAX_PAYLOAD_MB
    if payload_mb * concurrent > MAX_TOTAL_PAYLOAD_MB:
        raise InvalidRequest(
            f"MaxConcurrentTransforms ({concurrent}) times MaxPayloadInMB ({payload_mb}) must not "
            f"exceed {MAX_TOTAL_PAYLOAD_MB} MB; lower one of them."
        )
    count = int(params["TransformResources"]["InstanceCount"])
    limit = ctx.settings.limits.max_transform_instances
    if count > limit:
        raise ResourceLimitExceeded(
            f"InstanceCount {count} is more than this server's limit of {limit} instances per transform job "
            "(MODELPORT_MAX_TRANSFORM_INSTANCES)."
        )
    output = params["TransformOutput"]
    check_data_processing(
        params.get("DataProcessing") or {},
        content_type=transform_input.get("ContentType"),
        accept=output.get("Accept"),
        split_type=split_type,
        assemble_with=output.get("AssembleWith", "None"),
    )
