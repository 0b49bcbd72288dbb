"""The one table from modelport's error tree to AWS error codes and HTTP statuses, per service.

A class not in a service's table is looked up through its bases (``ResourceNotFound`` finds
``InvalidRequest``). Anything still unmapped, including every exception outside the tree, is
answered as ``InternalFailure`` 500 with ``An internal error occurred. Request id: <id>`` and
logged with its traceback and the request id; the client never sees a traceback.

Choices worth knowing:

- SageMaker reports "not found", "already exists" and wrong-state as ``ValidationException``
  (spec §0.2); the ``endpoint_deleted`` waiter depends on it.
- ``SignatureExpired`` is ``InvalidSignatureException`` (``Signature expired: ...``), as AWS's
  JSON services answer.
- ``AccessDeniedException`` is 400 on the JSON 1.1 control plane (Coral's status) and 403 on the
  rest-json runtime.
- Runtime ``PayloadTooLarge`` is ``ValidationError`` with HTTP 413: AWS's exact answer is not
  documented (spec §6.1 open question); 413 tells proxies and people what happened and botocore
  does not retry it.
- Runtime ``ModelFailure`` is ``ModelError`` 424 with the body AWS sends (spec §6.1); building
  its ``Message`` and ``LogStreamArn`` needs an ``InvocationContext``.
- Runtime ``Throttled`` with an empty message sends ``"message": null``, as AWS does.
- IAM and STS (``query`` protocol) use the query front end's codes: ``ValidationError`` for
  constraint violations, ``InvalidAction`` for an unknown action or version,
  ``MissingAuthenticationToken``/``InvalidClientTokenId``/``SignatureDoesNotMatch`` for auth
  (an expired signature is ``SignatureDoesNotMatch`` ``Signature expired: ...``, as STS answers),
  and IAM's modeled codes (``NoSuchEntity`` 404, ``EntityAlreadyExists``/``LimitExceeded``/
  ``DeleteConflict`` 409). STS has no "not found": AssumeRole of an unknown role is
  ``AccessDenied``, which the service raises itself. A value that does not parse as its type
  (``MaxItems=abc``) or a body that is not UTF-8 is ``InvalidParameterValue`` 400 and
  ``IncompleteSignature`` is 400, both from AWS's list of common query errors (less certain
  than the rest: not checked against a live IAM).
- Lambda (rest-json) answers ``{"Type": "User", "message": ...}`` (``"Service"`` for 5xx) with
  the code in ``x-amzn-ErrorType`` and no ``code`` member; the message key is the modeled one
  (``ResourceNotFoundException`` carries ``Message``, most others ``message``), as AWS sends it.
  ``TooManyRequestsException`` also carries ``Reason`` (taken from the exception's ``reason``).
  Not found is 404, already exists ``ResourceConflictException`` 409, a bad value
  ``InvalidParameterValueException`` 400, an unreadable body ``InvalidRequestContentException``
  400, an oversized one ``RequestTooLargeException`` 413 (spec §6); a stale ``RevisionId`` is
  ``PreconditionFailedException`` 412 and a function policy over 20 KB
  ``PolicyLengthExceededException`` 400.
- API Gateway (rest-json) answers ``{"message": ...}`` with ``x-amzn-ErrorType``: not found is
  ``NotFoundException`` 404 (``Invalid API identifier specified <account>:<id>``, ...), a taken
  name or a wrong state ``ConflictException`` 409, any other bad request ``BadRequestException``
  400, throttling ``TooManyRequestsException`` 429, auth errors as the JSON services.
- CloudWatch Logs (JSON 1.1) answers every client error with 400, as AWS does:
  ``ResourceNotFoundException``, ``ResourceAlreadyExistsException``, ``InvalidParameterException``
  (also for values the model's constraints refuse) and ``AccessDeniedException``.
- Application Auto Scaling (JSON 1.1) answers every client error with 400:
  ``ValidationException``, ``ObjectNotFoundException`` (no such scalable target or policy),
  ``InvalidNextTokenException``, ``AccessDeniedException``.
- A service without its own table uses SageMaker's until it gets one: add it here, next to
  the others.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from modelport.aws.protocol.models import ServiceProtocol
from modelport.core import errors as e
from modelport.core.arns import log_group_arn
from modelport.core.errors import MalformedPolicyDocument, PolicyTooLarge

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class WireError:
    code: str
    status: int


_AUTH: dict[type[BaseException], WireError] = {
    e.MissingAuthentication: WireError("MissingAuthenticationTokenException", 403),
    e.IncompleteSignature: WireError("IncompleteSignatureException", 403),
    e.UnrecognizedClient: WireError("UnrecognizedClientException", 403),
    e.InvalidSignature: WireError("InvalidSignatureException", 403),
    e.SignatureExpired: WireError("InvalidSignatureException", 403),
    e.AuthError: WireError("AccessDeniedException", 403),
}

# The query protocol's front end (IAM, STS) answers these the same way for every service.
_QUERY_COMMON: dict[type[BaseException], WireError] = {
    e.InvalidRequest: WireError("ValidationError", 400),
    e.UnsupportedMediaType: WireError("InvalidParameterValue", 400),
    e.UnknownOperation: WireError("InvalidAction", 400),
    e.Throttled: WireError("Throttling", 400),
    e.ServiceUnavailable: WireError("ServiceUnavailable", 503),
    e.MissingAuthentication: WireError("MissingAuthenticationToken", 403),
    e.IncompleteSignature: WireError("IncompleteSignature", 400),
    e.UnrecognizedClient: WireError("InvalidClientTokenId", 403),
    e.InvalidSignature: WireError("SignatureDoesNotMatch", 403),
    e.SignatureExpired: WireError("SignatureDoesNotMatch", 403),
    e.AuthError: WireError("AccessDenied", 403),
    e.AccessDenied: WireError("AccessDenied", 403),
}

ERROR_TABLE: dict[str, dict[type[BaseException], WireError]] = {
    "sagemaker": {
        e.InvalidRequest: WireError("ValidationException", 400),
        e.JobNotFound: WireError("ResourceNotFound", 400),
        e.JobNameInUse: WireError("ResourceInUse", 400),
        e.ArtifactError: WireError("ValidationException", 400),
        e.UnsupportedMediaType: WireError("SerializationException", 400),
        e.UnknownOperation: WireError("UnknownOperationException", 400),
        e.ResourceLimitExceeded: WireError("ResourceLimitExceeded", 400),
        e.Throttled: WireError("ThrottlingException", 400),
        e.ServiceUnavailable: WireError("ServiceUnavailable", 503),
        **_AUTH,
        e.AccessDenied: WireError("AccessDeniedException", 400),
    },
    "sagemaker-runtime": {
        e.InvalidRequest: WireError("ValidationError", 400),
        e.PayloadTooLarge: WireError("ValidationError", 413),
        # A multi-model endpoint whose model data cannot be fetched: AWS says ValidationError.
        e.ArtifactError: WireError("ValidationError", 400),
        e.UnsupportedMediaType: WireError("ValidationError", 400),
        e.UnknownOperation: WireError("UnknownOperationException", 404),
        e.ResourceLimitExceeded: WireError("ValidationError", 400),
        e.ModelFailure: WireError("ModelError", 424),
        e.ModelNotReady: WireError("ModelNotReadyException", 429),
        e.Throttled: WireError("ThrottlingException", 400),
        e.ServiceUnavailable: WireError("ServiceUnavailable", 503),
        **_AUTH,
        e.AccessDenied: WireError("AccessDeniedException", 403),
    },
    "iam": {
        **_QUERY_COMMON,
        e.ResourceNotFound: WireError("NoSuchEntity", 404),
        e.ResourceAlreadyExists: WireError("EntityAlreadyExists", 409),
        e.InvalidState: WireError("DeleteConflict", 409),
        e.ResourceLimitExceeded: WireError("LimitExceeded", 409),
        MalformedPolicyDocument: WireError("MalformedPolicyDocument", 400),
        PolicyTooLarge: WireError("LimitExceeded", 409),
        e.PasswordPolicyViolation: WireError("PasswordPolicyViolation", 400),
    },
    "sts": dict(_QUERY_COMMON),
    "lambda": {
        e.InvalidRequest: WireError("InvalidParameterValueException", 400),
        e.ResourceNotFound: WireError("ResourceNotFoundException", 404),
        e.ResourceAlreadyExists: WireError("ResourceConflictException", 409),
        e.InvalidState: WireError("ResourceConflictException", 409),
        e.PreconditionFailed: WireError("PreconditionFailedException", 412),
        PolicyTooLarge: WireError("PolicyLengthExceededException", 400),
        e.PayloadTooLarge: WireError("RequestTooLargeException", 413),
        e.ArtifactError: WireError("InvalidParameterValueException", 400),
        e.UnsupportedMediaType: WireError("InvalidRequestContentException", 400),
        e.UnknownOperation: WireError("UnknownOperationException", 404),
        # Lambda's answer to a full concurrency quota is the throttle, too.
        e.ResourceLimitExceeded: WireError("TooManyRequestsException", 429),
        e.Throttled: WireError("TooManyRequestsException", 429),
        e.ServiceUnavailable: WireError("ServiceException", 500),
        **_AUTH,
        e.AccessDenied: WireError("AccessDeniedException", 403),
    },
    "apigateway": {
        e.InvalidRequest: WireError("BadRequestException", 400),
        e.ResourceNotFound: WireError("NotFoundException", 404),
        e.ResourceAlreadyExists: WireError("ConflictException", 409),
        e.InvalidState: WireError("ConflictException", 409),
        e.ArtifactError: WireError("BadRequestException", 400),
        e.UnsupportedMediaType: WireError("BadRequestException", 400),
        e.UnknownOperation: WireError("NotFoundException", 404),
        e.ResourceLimitExceeded: WireError("LimitExceededException", 429),
        e.Throttled: WireError("TooManyRequestsException", 429),
        e.ServiceUnavailable: WireError("ServiceUnavailableException", 503),
        **_AUTH,
        e.AccessDenied: WireError("AccessDeniedException", 403),
    },
    "logs": {
        e.InvalidRequest: WireError("InvalidParameterException", 400),
        e.ResourceNotFound: WireError("ResourceNotFoundException", 400),
        e.ResourceAlreadyExists: WireError("ResourceAlreadyExistsException", 400),
        e.InvalidState: WireError("OperationAbortedException", 400),
        e.UnsupportedMediaType: WireError("SerializationException", 400),
        e.UnknownOperation: WireError("UnknownOperationException", 400),
        e.ResourceLimitExceeded: WireError("LimitExceededException", 400),
        e.Throttled: WireError("ThrottlingException", 400),
        e.ServiceUnavailable: WireError("ServiceUnavailableException", 500),
        **_AUTH,
        e.AccessDenied: WireError("AccessDeniedException", 400),
    },
    # Application Auto Scaling (JSON 1.1) answers every client error with 400.
    "application-autoscaling": {
        e.InvalidRequest: WireError("ValidationException", 400),
        e.ResourceNotFound: WireError("ObjectNotFoundException", 400),
        e.InvalidNextToken: WireError("InvalidNextTokenException", 400),
        e.InvalidState: WireError("ConcurrentUpdateException", 400),
        e.ResourceLimitExceeded: WireError("LimitExceededException", 400),
        e.UnsupportedMediaType: WireError("SerializationException", 400),
        e.UnknownOperation: WireError("UnknownOperationException", 400),
        e.Throttled: WireError("ThrottlingException", 400),
        e.ServiceUnavailable: WireError("InternalServiceException", 500),
        **_AUTH,
        e.AccessDenied: WireError("AccessDeniedException", 400),
    },
    # CloudWatch is query-compatible: its JSON errors use the query protocol's codes.
    "cloudwatch": {
        **_QUERY_COMMON,
        e.InvalidRequest: WireError("InvalidParameterValue", 400),
        e.ResourceNotFound: WireError("ResourceNotFound", 404),
        e.ResourceLimitExceeded: WireError("LimitExceeded", 400),
    },
}

# Services whose error body names who is at fault (``Type``) instead of repeating the code.
_TYPED_ERROR_BODIES = frozenset({"lambda"})

INTERNAL_FAILURE = WireError("InternalFailure", 500)


@dataclass(frozen=True, slots=True)
class InvocationContext:
    """Who was invoked, for the parts of runtime errors that name the endpoint."""

    endpoint_name: str
    region: str
    account_id: str


@dataclass(frozen=True, slots=True)
class ErrorReply:
    """An error ready for a protocol serializer: code, status, JSON members, extra headers."""

    code: str
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


def wire_error(service: str, exc: BaseException) -> WireError | None:
    """The code and status for ``exc`` in ``service``, or ``None`` when unmapped."""
    table = ERROR_TABLE.get(service, ERROR_TABLE["sagemaker"])
    for cls in type(exc).__mro__:
        found = table.get(cls)
        if found is not None:
            return found
    return None


def error_reply(
    proto: ServiceProtocol,
    exc: BaseException,
    request_id: str,
    context: InvocationContext | None = None,
) -> ErrorReply:
    mapped = wire_error(proto.name, exc)
    if mapped is None or not isinstance(exc, e.ModelportError):
        logger.exception("Unhandled error in request %s", request_id, exc_info=exc)
        internal = f"An internal error occurred. Request id: {request_id}"
        return ErrorReply(INTERNAL_FAILURE.code, INTERNAL_FAILURE.status, {"message": internal})
    if isinstance(exc, e.ModelFailure) and mapped.code == "ModelError":
        return _model_error(exc, mapped, context)
    key = proto.error_message_members.get(mapped.code) or "message"
    message: str | None = exc.message
    if isinstance(exc, e.Throttled) and not message:
        message = None
    if proto.name in _TYPED_ERROR_BODIES:
        body: dict[str, Any] = {"Type": "User" if mapped.status < 500 else "Service", key: message}
        reason = getattr(exc, "reason", None)
        if isinstance(reason, str):
            body["Reason"] = reason
        return ErrorReply(mapped.code, mapped.status, body)
    return ErrorReply(mapped.code, mapped.status, {key: message})


def repeats_code_in_body(proto: ServiceProtocol) -> bool:
    """Whether the rest-json error body also carries ``code`` (not for Lambda's typed bodies)."""
    return proto.name not in _TYPED_ERROR_BODIES


def _log_group(context: InvocationContext) -> str:
    return f"/aws/sagemaker/Endpoints/{context.endpoint_name}"


def _model_error(exc: e.ModelFailure, mapped: WireError, context: InvocationContext | None) -> ErrorReply:
    if context is None:
        # Without a context the message cannot name the log group; say what the model said.
        context = InvocationContext(endpoint_name="unknown", region="us-east-1", account_id="000000000000")
    error_code = "CLIENT_ERROR_FROM_MODEL" if 400 <= exc.status < 500 else "SERVER_ERROR_FROM_MODEL"
    body = {
        "ErrorCode": error_code,
        "LogStreamArn": log_group_arn(context.region, context.account_id, _log_group(context)),
        # The service words the message (client/server error, timeout, unreadable body).
        "Message": exc.message,
        "OriginalMessage": exc.body,
        "OriginalStatusCode": exc.status,
    }
    headers = {"x-Amzn-Invoked-Production-Variant": exc.variant} if exc.variant else {}
    return ErrorReply(mapped.code, mapped.status, body, headers)
