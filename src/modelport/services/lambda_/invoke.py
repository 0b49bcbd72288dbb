"""Invoke: run a function's handler in one of its warm execution environments.

- ``RequestResponse`` (the default) answers 200 with the handler's result as the payload; a
  function error is still 200, with ``FunctionError: Unhandled`` and the error JSON as payload.
- ``Event`` answers 202 at once and runs the invocation in the background (no retries, no
  destinations: a failed event is only logged, in the function's log).
- ``DryRun`` answers 204 after checking the function exists and the request is well formed.
- ``LogType: Tail`` adds ``LogResult``: base64 of the last 4 KB of the invocation's log.

A payload must be JSON (as on Lambda: ``InvalidRequestContentException`` otherwise) and at
most 6 MB (256 KB for ``Event``). An empty payload is the event ``{}``.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
from typing import Any

from modelport.core.errors import InvalidRequest, PayloadTooLarge, UnsupportedMediaType
from modelport.sandboxes.lambda_.environment import Invocation
from modelport.sandboxes.lambda_.pool import EnvironmentPool
from modelport.services.context import ServiceContext
from modelport.services.lambda_.names import LATEST, find_function

logger = logging.getLogger(__name__)

SYNC_PAYLOAD_LIMIT = 6 * 1024 * 1024
ASYNC_PAYLOAD_LIMIT = 256 * 1024
INVOCATION_TYPES = ("RequestResponse", "Event", "DryRun")


async def invoke(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    record = find_function(ctx, params["FunctionName"], params.get("Qualifier"), shared=True)
    kind = params.get("InvocationType") or "RequestResponse"
    if kind not in INVOCATION_TYPES:
        raise InvalidRequest(
            f"1 validation error detected: Value '{kind}' at 'invocationType' failed to satisfy "
            f"constraint: Member must satisfy enum value set: [{', '.join(INVOCATION_TYPES)}]"
        )
    log_type = params.get("LogType") or "None"
    if log_type not in ("None", "Tail"):
        raise InvalidRequest(
            f"1 validation error detected: Value '{log_type}' at 'logType' failed to satisfy "
            "constraint: Member must satisfy enum value set: [None, Tail]"
        )
    payload = bytes(params.get("Payload") or b"")
    limit = ASYNC_PAYLOAD_LIMIT if kind == "Event" else SYNC_PAYLOAD_LIMIT
    if len(payload) > limit:
        raise PayloadTooLarge(f"Request must be smaller than {limit} bytes for the InvokeFunction operation")
    _check_json(payload)
    invocation = Invocation(
        payload=payload or b"{}",
        client_context=_client_context(params.get("ClientContext")),
        invoked_function_arn=record.arn,
    )
    if kind == "DryRun":
        return {"StatusCode": 204}
    host = ctx.functions
    pool = host.pool(ctx, record)
    if kind == "Event":
        host.spawn(_run_event(pool, invocation))
        return {"StatusCode": 202}
    result = await pool.invoke(invocation)
    output: dict[str, Any] = {"StatusCode": 200, "Payload": result.payload, "ExecutedVersion": LATEST}
    if result.function_error:
        output["FunctionError"] = result.function_error
    if log_type == "Tail":
        output["LogResult"] = result.log_result()
    return output


async def _run_event(pool: EnvironmentPool, invocation: Invocation) -> None:
    result = await pool.invoke(invocation)
    if result.error is not None:
        logger.info(
            "Event invocation %s of %s failed: %s",
            result.request_id,
            pool.spec.function_name,
            result.error_type,
        )


def _check_json(payload: bytes) -> None:
    if not payload:
        return
    try:
        json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UnsupportedMediaType(f"Could not parse request body into json: {exc}") from None


def _client_context(value: str | None) -> str | None:
    """Invoke's ``ClientContext`` header: base64 of a JSON object; the runner wants the JSON."""
    if not value:
        return None
    try:
        text = base64.b64decode(value, validate=True).decode("utf-8")
        if not isinstance(json.loads(text), dict):
            raise ValueError("not a JSON object")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise InvalidRequest("Client context must be a valid Base64-encoded JSON object.") from None
    return text
