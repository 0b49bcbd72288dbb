"""What an API Gateway (REST, v1) data-plane request ends in: a status, headers and body bytes.

Gateway-generated errors have the body ``{"message": "<text>"}`` and the header
``x-amzn-ErrorType: <Code>`` (spec §2). The body bytes are copied from the spec as AWS sends
them, spacing included: the 4xx responses are compact (``{"message":"Forbidden"}``), the 5xx
"Internal server error" has a space after the colon. The HTTP layer (``http/gateway.py``) adds
``x-amzn-RequestId`` and ``x-amz-apigw-id``; nothing here knows about sockets.
"""

from __future__ import annotations

from dataclasses import dataclass, field

APPLICATION_JSON = "application/json"


@dataclass(frozen=True)
class GatewayResponse:
    """A finished answer for the client. ``headers`` keep the casing they will be sent with."""

    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


def gateway_error(status: int, body: bytes, error_type: str) -> GatewayResponse:
    return GatewayResponse(
        status=status,
        body=body,
        headers={"Content-Type": APPLICATION_JSON, "x-amzn-ErrorType": error_type},
    )


# Unknown resource, or a known resource without the method (REST APIs do not answer 404/405).
MISSING_AUTHENTICATION_TOKEN = gateway_error(
    403, b'{"message":"Missing Authentication Token"}', "MissingAuthenticationTokenException"
)
# apiKeyRequired and no (or an unknown) x-api-key.
FORBIDDEN = gateway_error(403, b'{"message":"Forbidden"}', "ForbiddenException")
# Passthrough NEVER / WHEN_NO_TEMPLATES with no template for the content type.
UNSUPPORTED_MEDIA_TYPE = gateway_error(
    415, b'{"message":"Unsupported Media Type"}', "UnsupportedMediaTypeException"
)
# Configuration errors (no integration response, Lambda refused the invoke).
INTERNAL_SERVER_ERROR = gateway_error(
    500, b'{"message": "Internal server error"}', "InternalServerErrorException"
)
# Malformed Lambda proxy response, or a function error in proxy mode.
BAD_GATEWAY = gateway_error(502, b'{"message": "Internal server error"}', "InternalServerErrorException")
