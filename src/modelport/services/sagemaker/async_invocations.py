"""InvokeEndpointAsync: checks the request, stores it, queues it, and says where its answer goes.

SageMaker answers at once (HTTP 202) with the InferenceId and the output and failure locations;
the answer appears in S3 later. modelport answers at once too, except when the request went to an
instance at once (nothing queued ahead of it): then it answers when the answer is written, or
after ``Limits.async_settle_timeout_s`` (2 s) at the latest, so that the S3 waiter a client polls
with (the SageMaker SDK's ``object_exists``, 5 or 15 s between polls) finds it at its first poll.
The answer itself is SageMaker's; only its timing differs.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from typing import Any

from modelport.aws.auth.principal import stored_caller
from modelport.core.errors import InvalidRequest, Throttled
from modelport.hosting.async_inference.request import (
    ASYNC_REQUEST_KIND,
    DEFAULT_INVOCATION_TIMEOUT_S,
    DEFAULT_REQUEST_TTL_S,
    AsyncRequest,
    locations,
)
from modelport.hosting.transform.objects import S3Location
from modelport.services.context import AsyncEngine, ServiceContext
from modelport.services.sagemaker.invocations import serving_endpoint
from modelport.store.base import Resource


async def invoke_endpoint_async(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    engine = _engine(ctx)
    name = params["EndpointName"]
    endpoint = serving_endpoint(name, ctx.store, ctx.settings)
    config = endpoint.body["Deployment"].get("AsyncInferenceConfig")
    if config is None:
        raise InvalidRequest(
            f"Endpoint {endpoint.name} of account {ctx.settings.account_id} is not an asynchronous inference "
            "endpoint: create it from an endpoint config with AsyncInferenceConfig, or call InvokeEndpoint."
        )
    input_location = params["InputLocation"]
    if input_location.startswith("https://"):
        raise InvalidRequest(
            f'InputLocation "{input_location}" is an https URL; modelport reads inputs from S3 only: '
            "write s3://bucket/key."
        )
    S3Location.parse(input_location, "InputLocation")
    limit = ctx.settings.limits.max_async_queue
    if engine.backlog(endpoint.name) >= limit:
        raise Throttled(
            f"Endpoint {endpoint.name} already has {limit} asynchronous requests queued "
            "(MODELPORT_MAX_ASYNC_QUEUE). Retry later, or add instances."
        )
    request = _request(ctx, endpoint, config, params)
    ctx.store.insert(
        Resource(
            kind=ASYNC_REQUEST_KIND,
            name=request.key,
            arn=f"{endpoint.arn}/async-inference/{request.key.rsplit('/', 1)[1]}",
            creation_time=request.received_at,
            last_modified_time=request.received_at,
            body=request.to_body(),
        )
    )
    submitted = engine.submit(request)
    settle_s = ctx.settings.limits.async_settle_timeout_s
    if submitted.started and settle_s > 0:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(submitted.done), settle_s)
    answer = {"InferenceId": request.inference_id, "OutputLocation": request.output_location}
    if request.failure_location is not None:
        answer["FailureLocation"] = request.failure_location
    return answer


def _request(
    ctx: ServiceContext, endpoint: Resource, config: dict[str, Any], params: dict[str, Any]
) -> AsyncRequest:
    # The protocol layer has checked both against the API's bounds (60–21600 s and 1–3600 s).
    ttl_s = int(params.get("RequestTTLSeconds") or DEFAULT_REQUEST_TTL_S)
    timeout_s = int(params.get("InvocationTimeoutSeconds") or DEFAULT_INVOCATION_TIMEOUT_S)
    inference_id = params.get("InferenceId") or str(uuid.uuid4())
    output, failure = locations(
        config["OutputConfig"],
        inference_id,
        extension=params.get("S3OutputPathExtension"),
        filename=params.get("Filename"),
    )
    now = ctx.clock.now()
    return AsyncRequest(
        key=f"{endpoint.name.lower()}/{uuid.uuid4().hex}",
        endpoint_name=endpoint.name,
        inference_id=inference_id,
        input_location=params["InputLocation"],
        output_location=output,
        failure_location=failure,
        content_type=params.get("ContentType"),
        accept=params.get("Accept"),
        custom_attributes=params.get("CustomAttributes"),
        received_at=now,
        expires_at=now + ttl_s,
        timeout_s=float(timeout_s),
        caller=stored_caller(ctx.principal),
    )


def _engine(ctx: ServiceContext) -> AsyncEngine:
    if ctx.async_inference is None:
        raise InvalidRequest("This server runs no asynchronous inference.")
    return ctx.async_inference
