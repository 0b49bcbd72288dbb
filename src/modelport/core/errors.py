"""The one error tree of modelport. It carries no HTTP and no AWS codes.

The protocol layer (``modelport.aws.protocol.errors``) maps each class to the AWS error code and
HTTP status of the service that raised it. Anything not in the tree becomes ``InternalFailure``
there, logged with a request id, never a traceback to the client.

    ModelportError
    ├── InvalidRequest            a request that can never succeed as sent
    │   ├── ResourceNotFound      a named resource does not exist
    │   │   └── JobNotFound       a SageMaker job (batch transform): its modeled ResourceNotFound
    │   ├── ResourceAlreadyExists a create whose name is taken
    │   │   └── JobNameInUse      a SageMaker job's name is taken: its modeled ResourceInUse
    │   ├── InvalidState          the resource's status forbids the call
    │   ├── PreconditionFailed    a conditional update whose revision id is out of date
    │   ├── PayloadTooLarge       a body over a named limit
    │   ├── InvalidNextToken      a paging token this server did not issue for this query
    │   ├── MalformedPolicyDocument   not an IAM policy (services/iam/policy_parse.py)
    │   │   └── UnsupportedPolicyElement  valid IAM that modelport does not evaluate
    │   ├── PolicyTooLarge        a policy over one of IAM's size quotas
    │   └── PasswordPolicyViolation  a console password the password policy refuses
    ├── UnsupportedMediaType      a request body the service cannot decode (bad JSON, ...)
    ├── UnknownOperation          no such operation in the service
    ├── ResourceLimitExceeded     a configured quota is full
    ├── Throttled                 too many requests in flight; try again
    ├── ModelNotReady             the endpoint has no instance able to serve yet
    ├── ServiceUnavailable        a transient platform condition
    ├── ModelFailure              the model's container answered non-2xx, or not at all
    ├── ArtifactError             model data could not be fetched or safely unpacked
    └── AuthError                 a request whose signature or key is not acceptable
        ├── MissingAuthentication   no signature at all
        ├── IncompleteSignature     a malformed Authorization header or presign query
        ├── UnrecognizedClient      an access key the server does not know
        ├── InvalidSignature        the signature does not match
        ├── SignatureExpired        the request time is outside the allowed skew
        └── AccessDenied            a known principal without permission
"""

from __future__ import annotations


class ModelportError(Exception):
    """Base of every error modelport raises on purpose. ``message`` is shown to the client."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidRequest(ModelportError):
    """The request is wrong as sent; repeating it will not help."""


class MalformedPolicyDocument(InvalidRequest):
    """The document is not a policy in IAM's grammar; the message starts with IAM's own text."""


class UnsupportedPolicyElement(MalformedPolicyDocument):
    """The document is valid IAM but uses an element modelport does not evaluate (a Condition in
    an identity or trust policy; an operator or key ``policy_conditions`` does not know).

    It is refused rather than ignored: ignoring a Condition would widen an Allow or narrow a
    Deny, and both are silent security bugs.
    """


class PasswordPolicyViolation(InvalidRequest):
    """A console password that does not meet the account's password policy (IAM's code)."""


class PolicyTooLarge(InvalidRequest):
    """The document is over one of IAM's size quotas (IAM answers ``LimitExceeded``)."""

    def __init__(self, message: str, *, quota: str, limit: int, size: int) -> None:
        super().__init__(message)
        self.quota = quota
        self.limit = limit
        self.size = size


class ResourceNotFound(InvalidRequest):
    """A named resource does not exist (SageMaker reports this as ValidationException)."""


class ResourceAlreadyExists(InvalidRequest):
    """A create call names a resource that already exists."""


class JobNotFound(ResourceNotFound):
    """A SageMaker job that does not exist: unlike endpoints, jobs answer the modeled ResourceNotFound."""


class JobNameInUse(ResourceAlreadyExists):
    """A SageMaker job's name is taken (the modeled ResourceInUse); names stay taken after the job ends."""


class InvalidState(InvalidRequest):
    """The resource's current status does not allow this call."""


class PreconditionFailed(InvalidRequest):
    """A conditional update (``RevisionId``) names a revision that is no longer the current one."""


class PayloadTooLarge(InvalidRequest):
    """A body is over a named size limit."""


class InvalidNextToken(InvalidRequest):
    """A paging token this server did not issue, or issued for another query."""


class UnsupportedMediaType(ModelportError):
    """The body could not be decoded (malformed JSON, wrong content type)."""


class UnknownOperation(ModelportError):
    """The service has no such operation."""


class ResourceLimitExceeded(ModelportError):
    """A configured quota (instances, resources) would be exceeded."""


class Throttled(ModelportError):
    """Too many requests in flight for the capacity available."""


class ModelNotReady(ModelportError):
    """No instance of the endpoint can serve right now."""


class ServiceUnavailable(ModelportError):
    """A transient platform condition; the client may retry."""


class ModelFailure(ModelportError):
    """The model's container answered with a non-2xx status, an unreadable body, or not at all.

    ``status`` is the container's HTTP status (0 when it did not answer in time) and ``body``
    the text it sent.
    """

    def __init__(self, message: str, *, status: int, body: str, variant: str) -> None:
        super().__init__(message)
        self.status = status
        self.body = body
        self.variant = variant


class ArtifactError(ModelportError):
    """Model data could not be fetched, or an archive was refused as unsafe or too large."""


class AuthError(ModelportError):
    """A request that cannot be authenticated or authorised."""


class MissingAuthentication(AuthError):
    """The request carries no signature."""


class IncompleteSignature(AuthError):
    """The Authorization header or presigned query is malformed."""


class UnrecognizedClient(AuthError):
    """The access key id is not known to this server."""


class InvalidSignature(AuthError):
    """The signature does not match the one computed from the request."""


class SignatureExpired(AuthError):
    """The request's timestamp is outside the allowed clock skew."""


class AccessDenied(AuthError):
    """The caller is known but not allowed to make this call."""
