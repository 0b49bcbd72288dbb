"""Lambda proxy integration (``AWS_PROXY``), payload format 1.0: the event and the response.

``build_proxy_event`` makes the event a function receives (spec §3); ``proxy_response`` turns
what the function returned into the client's answer, or into 502 ``{"message": "Internal server
error"}`` when the answer is malformed or the function failed. The validation copies the rules
the spec lists from AWS-recorded behaviour (LocalStack's ``_is_lambda_response_valid``):

- not a JSON object, or an object with keys beyond the five known ones -> 502;
- ``statusCode`` missing -> 200; an int or an integer-like string ("201") is accepted, anything
  else -> 502. Our additions, UNVERIFIED: booleans and codes outside 100..599 -> 502;
- ``headers`` values must be strings or booleans (rendered "true"/"false");
- ``multiValueHeaders`` values must be lists (of strings or booleans);
- ``body`` must be a string or null (a JSON object body is the classic "Malformed Lambda proxy
  response"); ``isBase64Encoded`` must be a boolean or null (UNVERIFIED).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

from modelport.services.apigateway.responses import APPLICATION_JSON, BAD_GATEWAY, GatewayResponse
from modelport.services.apigateway.routes import RouteMatch

_RESPONSE_KEYS = frozenset({"statusCode", "headers", "multiValueHeaders", "body", "isBase64Encoded"})
_IDENTITY_KEYS = (
    "cognitoIdentityPoolId",
    "accountId",
    "cognitoIdentityId",
    "caller",
    "sourceIp",
    "principalOrgId",
    "accessKey",
    "cognitoAuthenticationType",
    "cognitoAuthenticationProvider",
    "userArn",
    "userAgent",
    "user",
)


@dataclass(frozen=True)
class ProxyRequest:
    """The client's request as the gateway saw it. ``path`` is without the stage, raw."""

    method: str
    path: str
    headers: Sequence[tuple[str, str]] = ()
    query_string: str = ""
    body: bytes = b""
    source_ip: str = "127.0.0.1"
    protocol: str = "HTTP/1.1"


@dataclass(frozen=True)
class ProxyContext:
    """Who and where: the deployed API, its stage, and this request's ids and time."""

    account_id: str
    api_id: str
    stage: str
    request_id: str
    request_time_epoch_ms: int
    domain_name: str
    extended_request_id: str = ""
    stage_variables: dict[str, str] = field(default_factory=dict)
    binary_media_types: tuple[str, ...] = ()


def header_value(headers: Sequence[tuple[str, str]], name: str) -> str | None:
    """The last value of a header, by case-insensitive name."""
    wanted = name.lower()
    found = None
    for key, value in headers:
        if key.lower() == wanted:
            found = value
    return found


def media_type_matches(media_type: str | None, patterns: Sequence[str]) -> bool:
    """Whether ``type/subtype`` (parameters ignored) matches one of ``binaryMediaTypes``.

    Patterns may use ``*`` for a whole part (``image/*``, ``*/*``).
    """
    if not media_type:
        return False
    kind, _, sub = media_type.split(";", 1)[0].strip().lower().partition("/")
    for pattern in patterns:
        p_kind, _, p_sub = pattern.strip().lower().partition("/")
        if p_kind in ("*", kind) and p_sub in ("*", sub):
            return True
    return False


def first_accept(accept: str | None) -> str | None:
    """API Gateway honours only the first media type of an Accept header for binary support."""
    if not accept:
        return None
    return accept.split(",", 1)[0].strip() or None


def request_time(epoch_ms: int) -> str:
    """``04/Mar/2020:19:15:17 +0000``, the CLF format of ``requestContext.requestTime``."""
    moment = datetime.fromtimestamp(epoch_ms / 1000, tz=UTC)
    return moment.strftime("%d/%b/%Y:%H:%M:%S +0000")


def _multi(pairs: Sequence[tuple[str, str]]) -> tuple[dict[str, str] | None, dict[str, list[str]] | None]:
    """(last value per name, every value per name), both None when there are no pairs."""
    if not pairs:
        return None, None
    single: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    for key, value in pairs:
        single[key] = value
        multi.setdefault(key, []).append(value)
    return single, multi


def _event_body(request: ProxyRequest, binary_media_types: Sequence[str]) -> tuple[str | None, bool]:
    if not request.body:
        return None, False
    content_type = header_value(request.headers, "Content-Type")
    if media_type_matches(content_type, binary_media_types):
        return base64.b64encode(request.body).decode("ascii"), True
    try:
        return request.body.decode("utf-8"), False
    except UnicodeDecodeError:
        # AWS would mangle undeclared binary into text; base64 keeps it intact (our choice).
        return base64.b64encode(request.body).decode("ascii"), True


def build_proxy_event(request: ProxyRequest, route: RouteMatch, context: ProxyContext) -> dict[str, Any]:
    """The format 1.0 event. Empty maps are null, not {} (spec §3)."""
    headers, multi_headers = _multi(request.headers)
    query, multi_query = _multi(parse_qsl(request.query_string, keep_blank_values=True))
    body, is_base64 = _event_body(request, context.binary_media_types)
    path = "/" + request.path.lstrip("/")
    identity: dict[str, Any] = dict.fromkeys(_IDENTITY_KEYS)
    identity["sourceIp"] = request.source_ip
    identity["userAgent"] = header_value(request.headers, "User-Agent")
    return {
        "resource": route.resource_path,
        "path": path,
        "httpMethod": request.method,
        "headers": headers,
        "multiValueHeaders": multi_headers,
        "queryStringParameters": query,
        "multiValueQueryStringParameters": multi_query,
        "pathParameters": dict(route.path_parameters) or None,
        "stageVariables": dict(context.stage_variables) or None,
        "requestContext": {
            "accountId": context.account_id,
            "apiId": context.api_id,
            "domainName": context.domain_name,
            "domainPrefix": context.domain_name.split(".", 1)[0],
            "extendedRequestId": context.extended_request_id or context.request_id,
            "httpMethod": request.method,
            "identity": identity,
            "path": f"/{context.stage}{path}",
            "protocol": request.protocol,
            "requestId": context.request_id,
            "requestTime": request_time(context.request_time_epoch_ms),
            "requestTimeEpoch": context.request_time_epoch_ms,
            "resourceId": route.resource_id,
            "resourcePath": route.resource_path,
            "stage": context.stage,
        },
        "body": body,
        "isBase64Encoded": is_base64,
    }


class _Malformed(Exception):
    """Internal: the proxy response breaks a rule; becomes 502."""


def _status_code(value: object) -> int:
    if value is None:
        return 200
    if isinstance(value, bool):
        raise _Malformed("statusCode is a boolean")
    if isinstance(value, int):
        code = value
    elif isinstance(value, str) and value.strip().isdigit():
        code = int(value.strip())
    else:
        raise _Malformed(f"statusCode {value!r} is not an integer")
    if not 100 <= code <= 599:
        raise _Malformed(f"statusCode {code} is not an HTTP status")
    return code


def _header_text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    raise _Malformed(f"header value {value!r} is not a string")


def _merged_headers(response: dict[str, Any]) -> dict[str, str]:
    """multiValueHeaders first, then headers, joined with ", ", keeping the multi-value casing."""
    single = response.get("headers") or {}
    multi = response.get("multiValueHeaders") or {}
    if not isinstance(single, dict) or not isinstance(multi, dict):
        raise _Malformed("headers or multiValueHeaders is not an object")
    merged: dict[str, list[str]] = {}
    names: dict[str, str] = {}  # lower-case -> casing sent
    for name, values in multi.items():
        if not isinstance(values, list):
            raise _Malformed(f"multiValueHeaders[{name}] is not a list")
        names.setdefault(name.lower(), name)
        merged.setdefault(name.lower(), []).extend(_header_text(v) for v in values)
    for name, value in single.items():
        names.setdefault(name.lower(), name)
        merged.setdefault(name.lower(), []).append(_header_text(value))
    return {names[key]: ", ".join(values) for key, values in merged.items()}


def _parse_proxy_response(
    payload: bytes, accept: str | None, binary_media_types: Sequence[str]
) -> GatewayResponse:
    try:
        response = json.loads(payload)
    except (UnicodeDecodeError, ValueError) as exc:
        raise _Malformed("output is not JSON") from exc
    if not isinstance(response, dict):
        raise _Malformed("output is not an object")
    if extra := set(response) - _RESPONSE_KEYS:
        raise _Malformed(f"unknown keys {sorted(extra)}")
    status = _status_code(response.get("statusCode"))
    headers = _merged_headers(response)
    body = response.get("body")
    if body is not None and not isinstance(body, str):
        raise _Malformed("body is not a string")
    is_base64 = response.get("isBase64Encoded")
    if is_base64 is not None and not isinstance(is_base64, bool):
        raise _Malformed("isBase64Encoded is not a boolean")
    data = (body or "").encode("utf-8")
    if is_base64 and media_type_matches(first_accept(accept), binary_media_types):
        try:
            data = base64.b64decode(data, validate=True)
        except binascii.Error as exc:
            raise _Malformed("body is not base64") from exc
    if not any(name.lower() == "content-type" for name in headers):
        headers["Content-Type"] = APPLICATION_JSON
    return GatewayResponse(status=status, body=data, headers=headers)


def proxy_response(
    payload: bytes,
    *,
    function_error: str | None = None,
    accept: str | None = None,
    binary_media_types: Sequence[str] = (),
) -> GatewayResponse:
    """The client's answer for a function's output (``X-Amz-Function-Error`` as ``function_error``).

    The body is base64-decoded only when ``isBase64Encoded`` is true *and* the request's
    (first) Accept type matches ``binaryMediaTypes`` (spec §3); otherwise it is sent as is.
    """
    if function_error:
        return BAD_GATEWAY
    try:
        return _parse_proxy_response(payload, accept, binary_media_types)
    except _Malformed:
        return BAD_GATEWAY


def malformed_reason(payload: bytes) -> str | None:
    """Why a proxy response is malformed (for the execution log), or None when it is fine."""
    try:
        _parse_proxy_response(payload, None, ())
    except _Malformed as exc:
        return str(exc)
    return None
