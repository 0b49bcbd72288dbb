"""InvokeEndpoint: checks the request, lets the router pick an instance, judges the answer.

The container's answer passes through unchanged when it is 2xx (body and Content-Type
verbatim). Anything else becomes ModelError with the container's status and message, worded
as SageMaker's runtime words it.

An endpoint that serves but whose fleet is being started again (after a restart) holds the
request until the fleet is up, for at most the instance start-up timeout (``Limits.
startup_timeout_s``); if no fleet comes, the answer is ``ServiceUnavailable`` (503), what AWS
answers when it cannot reach an instance, which clients retry.
"""

from __future__ import annotations

import time
from typing import Any

from modelport.core.config import Settings
from modelport.core.errors import InvalidRequest, ModelFailure, ServiceUnavailable
from modelport.hosting.capture import CaptureWriter
from modelport.hosting.deployments import ENDPOINT_KIND
from modelport.hosting.fleet import Fleet
from modelport.hosting.metrics.recorder import MetricsRecorder
from modelport.hosting.router import Router, WorkerAnswer
from modelport.hosting.shadow import ShadowSender
from modelport.hosting.status import SERVING, EndpointStatus
from modelport.store.base import Resource, Store


async def invoke_endpoint(
    params: dict[str, Any],
    *,
    router: Router,
    store: Store,
    settings: Settings,
    capture: CaptureWriter | None = None,
    shadow: ShadowSender | None = None,
    metrics: MetricsRecorder | None = None,
) -> dict[str, Any]:
    started = time.perf_counter_ns()
    name = params["EndpointName"]
    body: bytes = params.get("Body") or b""
    # The front door has already refused bodies over Limits.max_payload_bytes while reading them.
    if params.get("TargetModel"):
        raise InvalidRequest(
            f"Endpoint {name} is not a multi-model endpoint and does not support target model header."
        )
    if params.get("TargetContainerHostname"):
        raise InvalidRequest(
            f"Endpoint {name} is not a multi-container endpoint with Direct invocation and does not "
            "support the target container hostname header."
        )
    fleet = router.fleet(name)
    if fleet is None and await router.arrivals.wait(name, settings.limits.startup_timeout_s):
        fleet = router.fleet(name)
    if fleet is None:
        serving_endpoint(name, store, settings)  # refuses an unknown or a stopped endpoint
        raise ServiceUnavailable(
            f"Endpoint {name} has no instance able to serve: its instances are not running "
            f"(see modelport logs {name}). Retry shortly."
        )
    if "AsyncInferenceConfig" in fleet.deployment:
        raise InvalidRequest(
            f"Endpoint {name} is an asynchronous inference endpoint: call InvokeEndpointAsync with the "
            "input's S3 location (InvokeEndpoint is for real-time endpoints)."
        )
    answered = time.perf_counter_ns()
    answer = await router.invoke(
        fleet,
        body,
        content_type=params.get("ContentType"),
        accept=params.get("Accept"),
        custom_attributes=params.get("CustomAttributes"),
        target_variant=params.get("TargetVariant"),
    )
    if shadow is not None and fleet.shadows:
        shadow.offer(fleet, body, params.get("ContentType"), params.get("Accept"))
    if metrics is not None:
        _record(metrics, fleet, answer, started, model_ns=time.perf_counter_ns() - answered)
    if answer.status < 200 or answer.status >= 300 or answer.timed_out or answer.broken:
        raise model_failure(answer, endpoint_name=name, settings=settings)
    if len(answer.body) > settings.limits.max_payload_bytes:
        raise model_failure(
            WorkerAnswer(500, b"", None, None, answer.variant, broken=True),
            endpoint_name=name,
            settings=settings,
        )
    if capture is not None and "DataCaptureConfig" in fleet.deployment:
        capture.offer(
            fleet.deployment["DataCaptureConfig"],
            fleet.endpoint_name,  # as created, whatever case the caller used
            answer.variant,
            (body, params.get("ContentType")),
            (answer.body, answer.content_type),
        )
    output: dict[str, Any] = {"Body": answer.body, "InvokedProductionVariant": answer.variant}
    if answer.content_type is not None:
        output["ContentType"] = answer.content_type
    if answer.custom_attributes is not None:
        output["CustomAttributes"] = answer.custom_attributes
    return output


def _record(
    metrics: MetricsRecorder, fleet: Fleet, answer: WorkerAnswer, started: int, *, model_ns: int
) -> None:
    """ModelLatency is the worker call (the hop included, as SageMaker's includes its own);
    OverheadLatency the rest of this function's time until the answer came back."""
    variant = fleet.variant(answer.variant)
    instances = len(variant.instances) if variant is not None else 1
    overhead_ns = time.perf_counter_ns() - started - model_ns
    metrics.record(
        fleet.endpoint_name, answer.variant, answer.status, instances, model_ns / 1000, overhead_ns / 1000
    )


def serving_endpoint(name: str, store: Store, settings: Settings) -> Resource:
    """The endpoint's record; the runtime's ValidationError when there is none, or when its status
    is not one that serves invocations."""
    record = store.get(ENDPOINT_KIND, name)
    if record is None:
        raise InvalidRequest(f"Endpoint {name} of account {settings.account_id} not found.")
    if record.status not in SERVING:
        status = EndpointStatus(record.status or EndpointStatus.FAILED)
        raise InvalidRequest(
            f"Endpoint {name} of account {settings.account_id} is in status {status} and cannot serve "
            "invocations; it serves in InService, Updating, RollingBack and UpdateRollbackFailed."
        )
    return record


def model_failure(answer: WorkerAnswer, *, endpoint_name: str, settings: Settings) -> ModelFailure:
    """The ModelError SageMaker's runtime returns for a container's non-2xx answer."""
    account = settings.account_id
    # AWS's sentence links the CloudWatch console's view of the endpoint's log group, a dead end
    # here: the same sentence links the web console's page of that group (the instances' stdout
    # and stderr) instead, and names the command that prints it.
    group = f"/aws/sagemaker/Endpoints/{endpoint_name}"
    see = (
        f'See {settings.url}/console/cloudwatch/log-groups/view?group={group} or "modelport logs {endpoint_name}" '
        f"in account {account} for more information."
    )
    text = answer.body.decode("utf-8", "replace")
    if answer.timed_out:
        message = (
            'Received server error (0) from primary with message "Your invocation timed out while waiting for a '
            "response from container primary. Review the latency metrics for each container in Amazon "
            f'CloudWatch, resolve the issue, and try again.". {see}'
        )
    elif answer.broken:
        message = f"Received server error ({answer.status}) from primary and could not load the entire response body. {see}"
    else:
        side = "client" if 400 <= answer.status < 500 else "server"
        message = f'Received {side} error ({answer.status}) from primary with message "{text}". {see}'
    return ModelFailure(message, status=answer.status, body=text, variant=answer.variant)
