"""SageMaker → Batch transform jobs: the list (status, duration), a page for each (its input,
output, resources, execution values and failure reason, with links to its model and to its log
streams) and Stop, as AWS's console has them. Jobs are created with boto3 or the SDK.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from modelport.console import rendering
from modelport.console.actions import AwsError, call
from modelport.console.pages.sagemaker_endpoints import list_page

LOG_GROUP = "/aws/sagemaker/TransformJobs"
RUNNING = {"InProgress", "Stopping"}


def routes() -> list[BaseRoute]:
    return [
        Route("/sagemaker/transform-jobs", jobs_list, methods=["GET"]),
        Route("/sagemaker/transform-jobs/{name}", job_page, methods=["GET"]),
        Route("/sagemaker/transform-jobs/{name}/stop", stop_job, methods=["POST"]),
    ]


async def jobs_list(request: Request) -> Response:
    context = await list_page(request, "ListTransformJobs", "TransformJobSummaries")
    for job in context["items"]:
        job["Duration"] = duration(job.get("CreationTime"), job.get("TransformEndTime"))
    context["live"] = any(job["TransformJobStatus"] in RUNNING for job in context["items"])
    return rendering.render(request, "sagemaker/transform_jobs.html", context, error=context["error"])


async def job_page(request: Request) -> Response:
    name = request.path_params["name"]
    context: dict[str, Any] = {
        "name": name,
        "job": None,
        "streams": [],
        "log_group": LOG_GROUP,
        "live": False,
    }
    try:
        job = await call(request, "sagemaker", "DescribeTransformJob", {"TransformJobName": name})
    except AwsError as exc:
        return rendering.render(request, "sagemaker/transform_job.html", context, error=exc, status_code=404)
    job["Duration"] = duration(job.get("TransformStartTime"), job.get("TransformEndTime"))
    context.update(job=job, live=job["TransformJobStatus"] in RUNNING, streams=await _streams(request, name))
    return rendering.render(request, "sagemaker/transform_job.html", context)


async def stop_job(request: Request) -> Response:
    name = request.path_params["name"]
    page = f"/sagemaker/transform-jobs/{rendering.part(name)}"
    try:
        await call(request, "sagemaker", "StopTransformJob", {"TransformJobName": name})
    except AwsError as exc:
        return rendering.redirect(request, page, error=exc)
    return rendering.redirect(request, page, flash=f"Stopping transform job {name}.")


async def _streams(request: Request, name: str) -> list[str]:
    """The job's log streams (``<job>/i-<n>`` and their data logs); none for a user who may not
    read them, who still sees the rest of the page."""
    params = {"logGroupName": LOG_GROUP, "logStreamNamePrefix": f"{name}/"}
    try:
        found = await call(request, "logs", "DescribeLogStreams", params)
    except AwsError:
        return []
    return sorted(stream["logStreamName"] for stream in found["logStreams"])


def duration(start: Any, end: Any) -> str:
    """``1 h 2 min 3 s`` between two timestamps; empty while the job runs."""
    if start is None or end is None:
        return ""
    seconds = max(0, round(_seconds(end) - _seconds(start)))
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    parts = [f"{hours} h"] * bool(hours) + [f"{minutes} min"] * bool(minutes or hours) + [f"{seconds} s"]
    return " ".join(parts)


def _seconds(moment: Any) -> float:
    return float(moment.timestamp()) if hasattr(moment, "timestamp") else float(moment)
