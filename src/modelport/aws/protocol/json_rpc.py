"""The ``json`` protocol (JSON 1.0/1.1, e.g. the SageMaker control plane).

Every request is ``POST /`` with ``X-Amz-Target: <targetPrefix>.<Operation>`` and a JSON object
body (empty means ``{}``). Responses are the output members as JSON; errors are
``{"__type": "<Code>", "message": "<text>"}`` (``Message`` for modeled errors that name it so).
"""

from __future__ import annotations

import json
from typing import Any

from modelport.aws.protocol.errors import InvocationContext, error_reply
from modelport.aws.protocol.inputs import read_input
from modelport.aws.protocol.models import ParsedRequest, ServiceProtocol, WireResponse
from modelport.core.errors import UnknownOperation, UnsupportedMediaType


def decode_json_object(body: bytes) -> dict[str, Any]:
    """The request body as a JSON object; ``UnsupportedMediaType`` when it is not one."""
    if not body or body.isspace():
        return {}
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise UnsupportedMediaType(f"Request body is not valid JSON: {exc}") from None
    if type(data) is dict:
        return data
    if type(data) is list:
        raise UnsupportedMediaType("Start of list found where not expected")
    raise UnsupportedMediaType("Unexpected field type")


def _dumps(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _headers(proto: ServiceProtocol, request_id: str) -> dict[str, str]:
    return {"Content-Type": f"application/x-amz-json-{proto.json_version}", "x-amzn-RequestId": request_id}


def parse_json_request(proto: ServiceProtocol, target: str | None, body: bytes) -> ParsedRequest:
    """Operation and converted, validated input members of a JSON-protocol request.

    Raises ``UnknownOperation`` (no or unknown target), ``UnsupportedMediaType`` (body not a
    JSON object, or a member of the wrong JSON type) or ``InvalidRequest`` (constraints).
    """
    operation = proto.targets.get(target) if target else None
    if operation is None:
        if not target:
            raise UnknownOperation("Missing required header X-Amz-Target")
        raise UnknownOperation(f"Unknown operation {target}")
    plan = proto.plan(operation)
    return ParsedRequest(operation, read_input(plan.reader, decode_json_object(body)))


def serialize_json_response(
    proto: ServiceProtocol, operation: str, output: dict[str, Any] | None, request_id: str
) -> WireResponse:
    """HTTP 200 with the output members the shape declares (``{}`` for operations without output)."""
    writer = proto.plan(operation).writer
    data = writer(output) if writer is not None and output else {}
    return WireResponse(200, _headers(proto, request_id), _dumps(data))


def serialize_json_error(
    proto: ServiceProtocol,
    exc: BaseException,
    request_id: str,
    context: InvocationContext | None = None,
) -> WireResponse:
    """The error for ``exc`` per the table in ``protocol.errors``; unmapped ones are logged."""
    reply = error_reply(proto, exc, request_id, context)
    headers = _headers(proto, request_id) | reply.headers
    return WireResponse(reply.status, headers, _dumps({"__type": reply.code, **reply.body}))
