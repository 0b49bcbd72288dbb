"""Non-proxy integrations (``AWS``): Lambda and direct SageMaker runtime, plus the API key check.

No mapping templates (VTL) are supported, so a request either passes through untouched or is
refused as the passthrough behaviour says (spec §2). The integration's answer is chosen among
the method's integration responses:

- Lambda: ``selectionPattern`` is matched against the function error's ``errorMessage``; a
  success, or an error nothing matches, takes the default response (no pattern). Spec §2:
  "When the function raises, with no mapping configured (the tutorial's case): the client gets
  **200** and this JSON body, passed through".
- SageMaker (an AWS service integration): the pattern is matched against the backend's HTTP
  status, so with only the default response a ModelError 424 also reaches the client as 200
  with the error body (the well-known API Gateway behaviour for AWS integrations).

Patterns are Java regexes on AWS; we use Python ``re.fullmatch`` (AWS's examples such as
``.*Not Found.*`` are written for a whole-string match; the spec allows ``re.match``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from enum import StrEnum

from modelport.services.apigateway.responses import (
    APPLICATION_JSON,
    FORBIDDEN,
    INTERNAL_SERVER_ERROR,
    UNSUPPORTED_MEDIA_TYPE,
    GatewayResponse,
)


class PassthroughBehavior(StrEnum):
    WHEN_NO_MATCH = "WHEN_NO_MATCH"
    WHEN_NO_TEMPLATES = "WHEN_NO_TEMPLATES"
    NEVER = "NEVER"


@dataclass(frozen=True)
class IntegrationResponse:
    """PutIntegrationResponse, minus templates: ``selection_pattern`` None is the default."""

    status_code: int
    selection_pattern: str | None = None
    content_type: str = APPLICATION_JSON


# What the console creates for a new method (and what our "create API" helper mirrors).
DEFAULT_INTEGRATION_RESPONSES = (IntegrationResponse(200),)
DEFAULT_METHOD_RESPONSES = frozenset({200})


def passthrough_check(
    content_type: str | None,
    behavior: PassthroughBehavior = PassthroughBehavior.WHEN_NO_MATCH,
    template_content_types: Collection[str] = (),
) -> GatewayResponse | None:
    """None when the raw body may pass through, else 415 (no templates are applied here).

    A missing Content-Type counts as application/json. Since we apply no templates, a type that
    *has* a template is refused too, with 415, rather than silently not transformed.
    """
    media = (content_type or APPLICATION_JSON).split(";", 1)[0].strip().lower()
    templated = {t.lower() for t in template_content_types}
    if media in templated:
        return UNSUPPORTED_MEDIA_TYPE
    if behavior is PassthroughBehavior.WHEN_NO_MATCH:
        return None
    if behavior is PassthroughBehavior.WHEN_NO_TEMPLATES and not templated:
        return None
    return UNSUPPORTED_MEDIA_TYPE


def lambda_request_payload(body: bytes) -> bytes | GatewayResponse:
    """The Invoke payload for a non-proxy Lambda integration: the request body, unchanged.

    - Empty body -> ``{}``, as LocalStack does (spec §2, UNVERIFIED on AWS).
    - A body that is not JSON would be refused by Lambda's Invoke with 400
      InvalidRequestContentException, which the gateway turns into 500 Internal server error
      (spec §2, our choice, UNVERIFIED for non-proxy); we answer that without calling.
    """
    if not body.strip():
        return b"{}"
    if json_body_error(body) is not None:
        return INTERNAL_SERVER_ERROR
    return body


def json_body_error(body: bytes) -> str | None:
    """Why Lambda's Invoke would refuse ``body`` as a payload (its words), or None for JSON."""
    try:
        json.loads(body)
    except UnicodeDecodeError as exc:
        return f"Could not parse request body into json: the body is not UTF-8 ({exc.reason})"
    except ValueError as exc:
        return f"Could not parse request body into json: {exc}"
    return None


def _error_message(payload: bytes) -> str:
    try:
        error = json.loads(payload)
    except (UnicodeDecodeError, ValueError):
        return ""
    message = error.get("errorMessage") if isinstance(error, dict) else None
    return message if isinstance(message, str) else ""


def select_integration_response(
    subject: str | None, responses: Sequence[IntegrationResponse]
) -> IntegrationResponse | None:
    """The response whose pattern fully matches ``subject``, else the default, else None.

    ``subject`` None (a Lambda success) goes straight to the default response.
    """
    if subject is not None:
        for response in responses:
            pattern = response.selection_pattern
            if pattern and _fullmatch(pattern, subject):
                return response
    return next((r for r in responses if not r.selection_pattern), None)


def _fullmatch(pattern: str, subject: str) -> bool:
    try:
        return re.fullmatch(pattern, subject, flags=re.DOTALL) is not None
    except re.error:
        return False  # a Java-only construct; treat as not matching


def _integration_answer(
    selected: IntegrationResponse | None, body: bytes, method_responses: Collection[int]
) -> GatewayResponse:
    # No integration response at all: API_CONFIGURATION_ERROR. A selected status without a
    # method response: "Output mapping refers to an invalid method response". Both 500 (§2).
    if selected is None or selected.status_code not in method_responses:
        return INTERNAL_SERVER_ERROR
    return GatewayResponse(
        status=selected.status_code, body=body, headers={"Content-Type": selected.content_type}
    )


def lambda_response(
    payload: bytes,
    *,
    function_error: str | None = None,
    integration_responses: Sequence[IntegrationResponse] = DEFAULT_INTEGRATION_RESPONSES,
    method_responses: Collection[int] = DEFAULT_METHOD_RESPONSES,
) -> GatewayResponse:
    """The client's answer for a non-proxy Lambda integration.

    ``payload`` is what Invoke returned: the runtime's JSON encoding of the handler's result
    (``"Setosa"`` with its quotes) or, with ``function_error`` set (``X-Amz-Function-Error``),
    the error object. Either passes through unchanged as the body.
    """
    subject = _error_message(payload) if function_error else None
    selected = select_integration_response(subject, integration_responses)
    return _integration_answer(selected, payload, method_responses)


# A Lambda Invoke the Lambda service refused (permission, throttle): 500 (spec §2, [S24]).
LAMBDA_INVOKE_REFUSED = INTERNAL_SERVER_ERROR


# --- direct SageMaker runtime integration -------------------------------------------------

_SAGEMAKER_URI = re.compile(
    r"^arn:aws:apigateway:(?P<region>[a-z0-9-]+):runtime\.sagemaker:path/+endpoints/"
    r"(?P<name>[^/]+)/invocations$"
)
_ENDPOINT_NAME = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9])*$")
_STAGE_VARIABLE = re.compile(r"\$\{stageVariables\.([a-zA-Z0-9_]+)\}")


def substitute_stage_variables(text: str, stage_variables: dict[str, str]) -> str:
    """Replace ``${stageVariables.name}``; an undefined variable becomes "" (UNVERIFIED)."""
    return _STAGE_VARIABLE.sub(lambda m: stage_variables.get(m[1], ""), text)


def sagemaker_endpoint_name(uri: str) -> str | None:
    """The endpoint of ``arn:aws:apigateway:<region>:runtime.sagemaker:path//endpoints/<name>/invocations``.

    None when the URI is not a SageMaker runtime invocation or the name is not a valid name.
    """
    found = _SAGEMAKER_URI.match(uri)
    if found is None:
        return None
    name = found["name"]
    return name if len(name) <= 63 and _ENDPOINT_NAME.match(name) else None


@dataclass(frozen=True)
class SageMakerInvocation:
    """The arguments of InvokeEndpoint for one gateway request."""

    endpoint_name: str
    body: bytes
    content_type: str
    accept: str | None


def sagemaker_invocation(
    uri: str,
    body: bytes,
    content_type: str | None,
    accept: str | None = None,
    stage_variables: dict[str, str] | None = None,
) -> SageMakerInvocation | GatewayResponse:
    """Body and Content-Type pass through; a URI that names no endpoint is a 500."""
    name = sagemaker_endpoint_name(substitute_stage_variables(uri, stage_variables or {}))
    if name is None:
        return INTERNAL_SERVER_ERROR
    return SageMakerInvocation(name, body, content_type or APPLICATION_JSON, accept)


def sagemaker_response(
    status: int,
    body: bytes,
    content_type: str | None,
    *,
    integration_responses: Sequence[IntegrationResponse] = DEFAULT_INTEGRATION_RESPONSES,
    method_responses: Collection[int] = DEFAULT_METHOD_RESPONSES,
) -> GatewayResponse:
    """The client's answer for the endpoint's answer: its body, with its Content-Type.

    The pattern is matched against the endpoint's status (``"424"``); the selected response's
    status is what the client sees (the default 200 unless a pattern says otherwise).
    """
    selected = select_integration_response(str(status), integration_responses)
    answer = _integration_answer(selected, body, method_responses)
    if answer is INTERNAL_SERVER_ERROR:
        return answer
    return GatewayResponse(answer.status, body, {"Content-Type": content_type or APPLICATION_JSON})


# --- API keys -------------------------------------------------------------------------------


def check_api_key(
    required: bool, presented_key: str | None, valid_keys: Collection[str]
) -> GatewayResponse | None:
    """None when the call may proceed; 403 Forbidden when a required key is missing or unknown.

    ``valid_keys`` are the enabled keys of the usage plans bound to this API stage.
    """
    if not required:
        return None
    if presented_key and presented_key in valid_keys:
        return None
    return FORBIDDEN
