"""Server-side verification of AWS Signature Version 4 (``AWS4-HMAC-SHA256``).

One entry point, :func:`verify`, takes a :class:`SignedRequest` (plain data, no HTTP framework
types) and returns the :class:`VerifiedRequest` or raises one of the ``AuthError`` classes of
``modelport.core.errors``. Both forms are accepted: the ``Authorization`` header and the presigned
query string (``X-Amz-Algorithm=...&X-Amz-Signature=...``), never both at once.

The steps follow section 8 of the functions-and-apis spec; the canonical request itself is in
``modelport.aws.auth.canonical``. A presigned request leaves ``X-Amz-Signature`` out of it.

- Repeats: a request that carries a signing header (``Authorization``, ``Host``, ``X-Amz-Date``,
  ``X-Amz-Security-Token``, ``X-Amz-Content-Sha256``) or a presign parameter more than once is
  refused as a signature mismatch before anything else is read. Otherwise the copy this module
  reads and the copy a proxy or handler reads could differ (a valid signature, then garbage).
- Payload: the ``x-amz-content-sha256`` value when the header is there (``UNSIGNED-PAYLOAD`` means
  the body is not covered; a hex digest must match the body), otherwise sha256 of the body.
  A caller that streams the body (the S3 front) passes the declared digest as ``body_sha256``
  and checks the body itself as it forwards it. S3 requests may also declare the signed
  aws-chunked modes (``STREAMING-AWS4-HMAC-SHA256-PAYLOAD``).
  A presigned request hashes the body it carries, which is empty for botocore's presigned URLs,
  so a body cannot be slipped into somebody's presigned URL.
"""

from __future__ import annotations

import calendar
import hashlib
import hmac
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from email.utils import parsedate_tz
from functools import lru_cache
from typing import NamedTuple, Protocol
from urllib.parse import parse_qsl

from modelport.aws.auth.canonical import SIGNATURE_MISMATCH, canonical_request, signing_key
from modelport.aws.auth.principal import Principal
from modelport.core.clock import Clock
from modelport.core.errors import (
    IncompleteSignature,
    InvalidSignature,
    MissingAuthentication,
    SignatureExpired,
    UnrecognizedClient,
)

ALGORITHM = "AWS4-HMAC-SHA256"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
# botocore sends this for S3 uploads with trailing checksums; the body is not signed either.
STREAMING_UNSIGNED_PAYLOAD_TRAILER = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
# S3 only: aws-chunked bodies whose chunks carry their own signatures. The header signature
# covers this marker; the S3 front checks each chunk's signature (``ChunkSigning``) as it decodes.
STREAMING_SIGNED_PAYLOADS = frozenset(
    {"STREAMING-AWS4-HMAC-SHA256-PAYLOAD", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"}
)
MAX_PRESIGN_EXPIRES_S = 604_800  # one week, as AWS

_PRESIGN_PARAMS = (
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-Signature",
    "X-Amz-Date",
    "X-Amz-SignedHeaders",
    "X-Amz-Expires",
)
_HEX = frozenset("0123456789abcdef")
# Headers a signed request may carry once only, as AWS spells them in the refusal.
_SINGLE_HEADERS = ("Authorization", "Host", "X-Amz-Date", "X-Amz-Security-Token", "X-Amz-Content-Sha256")
_SINGLE_HEADER_KEYS = tuple((name, name.lower()) for name in _SINGLE_HEADERS)
_SINGLE_PARAMS = (*_PRESIGN_PARAMS, "X-Amz-Security-Token")

MISSING_AUTHENTICATION = "Missing Authentication Token"
INVALID_TOKEN = "The security token included in the request is invalid."
BOTH_FORMS = (
    "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, "
    "Signature query string parameter or the Authorization header should be specified"
)
HOST_NOT_SIGNED = "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."
REPEATED = (
    SIGNATURE_MISMATCH + " The request carries {what} more than once; send each of {names} at most once."
)
CONTENT_SHA256_MISMATCH = "The provided 'x-amz-content-sha256' header does not match what was computed."


@dataclass(frozen=True)
class SignedRequest:
    """A request as the HTTP layer received it.

    ``raw_path`` and ``query_string`` are exactly as on the wire (still percent-encoded; an ASGI
    server's ``raw_path`` decoded as latin-1). ``headers`` has lower-case names; pass a list of
    pairs when a header may repeat. ``body_sha256``, the hex digest of ``body``, lets the HTTP
    layer hash the body while it reads it (a 6 MB body costs milliseconds to hash afterwards).
    """

    method: str
    raw_path: str
    query_string: str
    headers: Mapping[str, str] | Sequence[tuple[str, str]]
    body: bytes = field(default=b"", repr=False)
    body_sha256: str | None = None


@dataclass(frozen=True)
class ChunkSigning:
    """What checking an aws-chunked body's chunk signatures needs: each chunk's signature chains
    from the previous one, starting at the header's (``seed``)."""

    key: bytes = field(repr=False)
    timestamp: str
    scope: str
    seed: str

    def expected(self, previous: str, chunk_sha256: str) -> str:
        to_sign = (
            f"{ALGORITHM}-PAYLOAD\n{self.timestamp}\n{self.scope}\n{previous}\n{EMPTY_SHA256}\n{chunk_sha256}"
        )
        return hmac.new(self.key, to_sign.encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class VerifiedRequest:
    """The outcome of a good signature.

    ``payload_signed`` is false when the client declared ``UNSIGNED-PAYLOAD``: the signature
    then covers the headers, path and query but not the body. ``chunks`` is set for S3's signed
    aws-chunked bodies (``STREAMING-AWS4-HMAC-SHA256-PAYLOAD``), whose reader checks each chunk.
    """

    principal: Principal
    service: str
    region: str
    payload_signed: bool = True
    chunks: ChunkSigning | None = None


class KeyLookup(Protocol):
    def secret_for(self, access_key_id: str) -> tuple[str, Principal] | None:
        """The secret access key and principal of an active key, or None if it is unknown."""
        ...


class _Signature(NamedTuple):
    """The signature parameters, from either the header or the presigned query (a named tuple:
    made on every signed request, at half the cost of a frozen dataclass)."""

    access_key_id: str
    date: str  # YYYYMMDD from the credential scope
    region: str
    service: str
    signed_headers: str
    signature: str
    timestamp: str  # YYYYMMDDTHHMMSSZ
    expires: int | None  # presigned only
    security_token: str | None

    @property
    def presigned(self) -> bool:
        return self.expires is not None


def verify(
    request: SignedRequest,
    keys: KeyLookup,
    *,
    clock: Clock,
    skew_s: float,
    expected_service: str | None = None,
    expected_region: str | None = None,
) -> VerifiedRequest:
    """Check the request's SigV4 signature and return who sent it.

    ``skew_s`` is the allowed distance between the request's time stamp and ``clock.now()``
    (``Limits.signature_skew_s``). ``expected_service`` is the signing name of the API the
    request reached (``sagemaker`` for both SageMaker APIs); ``expected_region`` the server's
    region, when it should be enforced.
    """
    headers = _header_map(request.headers)
    query = parse_qsl(request.query_string, keep_blank_values=True) if request.query_string else []
    _refuse_repeats(headers, query)
    sig = _parse(headers, query)
    _check_scope(sig, expected_service, expected_region)
    _check_time(sig, clock.now(), skew_s)

    found = keys.secret_for(sig.access_key_id)
    if found is None:
        raise UnrecognizedClient(INVALID_TOKEN)
    secret, principal = found
    if not _token_matches(principal.session_token, sig.security_token):
        raise UnrecognizedClient(INVALID_TOKEN)

    payload_hash, payload_signed = _payload_hash(headers, request, sig.presigned, sig.service)
    if sig.presigned:
        query = [(k, v) for k, v in query if k != "X-Amz-Signature"]
    canonical = canonical_request(
        request.method, request.raw_path, query, headers, sig.signed_headers, payload_hash, sig.service
    )
    scope = f"{sig.date}/{sig.region}/{sig.service}/aws4_request"
    string_to_sign = (
        f"{ALGORITHM}\n{sig.timestamp}\n{scope}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
    )
    key = signing_key(secret, sig.date, sig.region, sig.service)
    expected = hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()
    if not (sig.signature.isascii() and hmac.compare_digest(expected, sig.signature)):
        raise InvalidSignature(SIGNATURE_MISMATCH)
    chunks = None
    if payload_hash in STREAMING_SIGNED_PAYLOADS:
        chunks = ChunkSigning(key, sig.timestamp, scope, sig.signature)
    return VerifiedRequest(principal, sig.service, sig.region, payload_signed, chunks)


def _header_map(headers: Mapping[str, str] | Sequence[tuple[str, str]]) -> dict[str, list[str]]:
    if isinstance(headers, Mapping):
        return {name.lower(): [value] for name, value in headers.items()}
    grouped: dict[str, list[str]] = {}
    for name, value in headers:
        grouped.setdefault(name.lower(), []).append(value)
    return grouped


def _refuse_repeats(headers: Mapping[str, list[str]], query: Sequence[tuple[str, str]]) -> None:
    for name, lowered in _SINGLE_HEADER_KEYS:
        if len(headers.get(lowered, ())) > 1:
            raise InvalidSignature(
                REPEATED.format(what=f"the {name} header", names=", ".join(_SINGLE_HEADERS))
            )
    seen: set[str] = set()
    for key, _ in query:
        if key in _SINGLE_PARAMS:
            if key in seen:
                raise InvalidSignature(
                    REPEATED.format(what=f"the {key} query parameter", names=", ".join(_SINGLE_PARAMS))
                )
            seen.add(key)


def _parse(headers: Mapping[str, list[str]], query: Sequence[tuple[str, str]]) -> _Signature:
    authorization = headers.get("authorization")
    presigned = bool(query) and any(k == "X-Amz-Algorithm" or k == "X-Amz-Signature" for k, _ in query)
    if authorization is not None and presigned:
        raise IncompleteSignature(BOTH_FORMS)
    if presigned:
        return _parse_query(dict(query))
    if authorization is None:
        raise MissingAuthentication(MISSING_AUTHENTICATION)
    return _parse_header(authorization[0], headers)


def _parse_header(authorization: str, headers: Mapping[str, list[str]]) -> _Signature:
    algorithm, _, rest = authorization.strip().partition(" ")
    if algorithm != ALGORITHM:
        raise IncompleteSignature(f"Unsupported AWS 'algorithm': '{algorithm}'")
    params: dict[str, str] = {}
    for part in rest.split(","):
        name, sep, value = part.strip().partition("=")
        if sep:
            params[name] = value.strip()
    credential, signature, signed_headers = (
        params.get("Credential"),
        params.get("Signature"),
        params.get("SignedHeaders"),
    )
    amz_date = headers.get("x-amz-date")
    date = headers.get("date")
    if not (credential and signature and signed_headers) or (amz_date is None and date is None):
        problems = [
            f"Authorization header requires '{name}' parameter."
            for name in ("Credential", "Signature", "SignedHeaders")
            if not params.get(name)
        ]
        if amz_date is None and date is None:
            problems.append(
                "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."
            )
        raise IncompleteSignature(" ".join([*problems, f"Authorization={authorization}"]))
    timestamp = _iso_basic(amz_date[0]) if amz_date is not None else _http_date(date[0] if date else "")
    token = headers.get("x-amz-security-token")
    return _signature(
        credential, signed_headers, signature, timestamp, expires=None, token=token[0] if token else None
    )


def _parse_query(params: Mapping[str, str]) -> _Signature:
    missing = [name for name in _PRESIGN_PARAMS if not params.get(name)]
    if missing:
        raise IncompleteSignature(
            " ".join(f"AWS query-string parameters must include '{name}'." for name in missing)
            + " Re-examine the query-string parameters."
        )
    algorithm = params["X-Amz-Algorithm"]
    if algorithm != ALGORITHM:
        raise IncompleteSignature(f"Unsupported AWS 'algorithm': '{algorithm}'")
    raw_expires = params["X-Amz-Expires"]
    if not raw_expires.isdigit() or int(raw_expires) < 1:
        raise IncompleteSignature("X-Amz-Expires must be a positive integer number of seconds")
    expires = int(raw_expires)
    if expires > MAX_PRESIGN_EXPIRES_S:
        raise IncompleteSignature(
            f"X-Amz-Expires must be less than a week (in seconds) that is {MAX_PRESIGN_EXPIRES_S}"
        )
    return _signature(
        params["X-Amz-Credential"],
        params["X-Amz-SignedHeaders"],
        params["X-Amz-Signature"],
        _iso_basic(params["X-Amz-Date"]),
        expires=expires,
        token=params.get("X-Amz-Security-Token"),
    )


def _signature(
    credential: str,
    signed_headers: str,
    signature: str,
    timestamp: str,
    *,
    expires: int | None,
    token: str | None,
) -> _Signature:
    """The parsed signature; ``expires`` is set for presigned requests only."""
    parts = credential.split("/")
    if len(parts) != 5 or not all(parts[:4]):
        raise IncompleteSignature(
            "Credential must have exactly 5 slash-delimited elements, "
            f"e.g. keyid/date/region/service/term, got '{credential}'"
        )
    access_key_id, date, region, service, terminator = parts
    if terminator != "aws4_request":
        raise IncompleteSignature(
            f"Credential should be scoped with a valid terminator: 'aws4_request', not '{terminator}'."
        )
    if "host" not in signed_headers.split(";"):
        raise IncompleteSignature(HOST_NOT_SIGNED)
    if date != timestamp[:8]:
        raise InvalidSignature(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from "
            f"HTTP: '{date}' != '{timestamp[:8]}', from '{timestamp}'."
        )
    # Positional: a NamedTuple built from keywords costs several times as much, on every request.
    return _Signature(
        access_key_id,
        date,
        region,
        service,
        signed_headers,
        signature,
        timestamp,
        expires,
        token,
    )


def _check_scope(sig: _Signature, service: str | None, region: str | None) -> None:
    if service is not None and sig.service != service:
        raise InvalidSignature(f"Credential should be scoped to correct service: '{service}'.")
    if region is not None and sig.region != region:
        raise InvalidSignature("Credential should be scoped to a valid region.")


def _check_time(sig: _Signature, now: float, skew_s: float) -> None:
    signed_at = _epoch(sig.timestamp)
    if signed_at > now + skew_s:
        raise SignatureExpired(
            f"Signature not yet current: {sig.timestamp} is still later than "
            f"{format_timestamp(now + skew_s)} ({format_timestamp(now)} + {_minutes(skew_s)})"
        )
    if sig.expires is not None:
        if now > signed_at + sig.expires:
            raise SignatureExpired(
                f"Request has expired. X-Amz-Date: {sig.timestamp}, X-Amz-Expires: {sig.expires}, "
                f"now: {format_timestamp(now)}."
            )
    elif signed_at < now - skew_s:
        raise SignatureExpired(
            f"Signature expired: {sig.timestamp} is now earlier than "
            f"{format_timestamp(now - skew_s)} ({format_timestamp(now)} - {_minutes(skew_s)})"
        )


def _minutes(skew_s: float) -> str:
    return f"{skew_s / 60:g} min."


def _token_matches(issued: str | None, presented: str | None) -> bool:
    if issued is None or presented is None:
        return issued is None and presented is None
    return hmac.compare_digest(issued.encode(), presented.encode())


def _payload_hash(
    headers: Mapping[str, list[str]], request: SignedRequest, presigned: bool, service: str
) -> tuple[str, bool]:
    if presigned and service == "s3":
        return UNSIGNED_PAYLOAD, False  # S3's presigned URLs never cover the body
    declared = None if presigned else headers.get("x-amz-content-sha256")
    if declared is None:
        return _body_sha256(request), True
    value = declared[0]
    if value in (UNSIGNED_PAYLOAD, STREAMING_UNSIGNED_PAYLOAD_TRAILER) or (
        service == "s3" and value in STREAMING_SIGNED_PAYLOADS
    ):
        return value, False
    if len(value) == 64 and value.isascii():
        if hmac.compare_digest(value, _body_sha256(request)):
            return value, True
        if _HEX.issuperset(value):
            raise InvalidSignature(CONTENT_SHA256_MISMATCH)
    # STREAMING-AWS4-HMAC-SHA256-PAYLOAD and friends: chunk signatures are not supported.
    raise IncompleteSignature(
        "x-amz-content-sha256 must be UNSIGNED-PAYLOAD or a valid sha256 value; "
        f"'{value}' is not supported by this server."
    )


def _body_sha256(request: SignedRequest) -> str:
    if request.body_sha256 is not None:
        return request.body_sha256
    return hashlib.sha256(request.body).hexdigest() if request.body else EMPTY_SHA256


def _iso_basic(value: str) -> str:
    """Check ``YYYYMMDDTHHMMSSZ`` (the only form X-Amz-Date may take)."""
    if (
        len(value) == 16
        and value[8] == "T"
        and value[15] == "Z"
        and value[:8].isdigit()
        and value[9:15].isdigit()
    ):
        return value
    raise IncompleteSignature(
        f"Date must be in ISO-8601 'basic format'. Got '{value}'. See http://en.wikipedia.org/wiki/ISO_8601"
    )


def _http_date(value: str) -> str:
    """A ``Date`` header (RFC 7231, or the ISO basic form) as ``YYYYMMDDTHHMMSSZ``."""
    if len(value) == 16 and value.endswith("Z"):
        return _iso_basic(value)
    parsed = parsedate_tz(value)
    if parsed is None:
        return _iso_basic(value)  # raises with AWS's wording
    offset = parsed[9] or 0
    return format_timestamp(calendar.timegm((*parsed[:6], 0, 0, 0)) - offset)


@lru_cache(maxsize=256)  # many requests carry the same second's time stamp
def _epoch(timestamp: str) -> float:
    try:
        return calendar.timegm(
            (
                int(timestamp[0:4]),
                int(timestamp[4:6]),
                int(timestamp[6:8]),
                int(timestamp[9:11]),
                int(timestamp[11:13]),
                int(timestamp[13:15]),
                0,
                0,
                0,
            )
        )
    except ValueError:  # int() is safe after _iso_basic; this is for out-of-range fields
        raise IncompleteSignature(
            f"Date must be in ISO-8601 'basic format'. Got '{timestamp}'. See http://en.wikipedia.org/wiki/ISO_8601"
        ) from None


def format_timestamp(epoch: float) -> str:
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(epoch))
