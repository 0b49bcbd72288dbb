"""The verifier against requests signed by real botocore clients."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable
from urllib.parse import urlsplit

import boto3
import pytest
from botocore.auth import S3SigV4Auth, SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from modelport.aws.auth.canonical import canonical_request
from modelport.aws.auth.principal import PrincipalKind
from modelport.aws.auth.sigv4 import SignedRequest, VerifiedRequest, verify
from modelport.core.clock import FakeClock
from modelport.core.errors import (
    IncompleteSignature,
    InvalidSignature,
    MissingAuthentication,
    SignatureExpired,
    UnrecognizedClient,
)

from .conftest import AKID, ENDPOINT, HOST, SECRET, TOKEN, Capture, Keys, header_pairs

SKEW = 15 * 60.0
MISMATCH = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
)


def check(request: SignedRequest, clock: FakeClock, **kwargs: str) -> VerifiedRequest:
    return verify(request, Keys(), clock=clock, skew_s=SKEW, **kwargs)


def replace_header(request: SignedRequest, name: str, value: str | None) -> SignedRequest:
    headers = [(k, v) for k, v in header_pairs(request) if k != name]
    if value is not None:
        headers.append((name, value))
    return dataclasses.replace(request, headers=headers)


def header(request: SignedRequest, name: str) -> str:
    return next(v for k, v in header_pairs(request) if k == name)


# --- accepted -------------------------------------------------------------------------------


def test_sagemaker_json_post_with_target(capture: Capture, clock: FakeClock) -> None:
    request = capture("sagemaker", "describe_endpoint", EndpointName="my-endpoint")
    assert header(request, "x-amz-target") == "SageMaker.DescribeEndpoint"
    verified = check(request, clock, expected_service="sagemaker", expected_region="us-east-1")
    assert verified.principal.access_key_id == AKID
    assert verified.principal.kind is PrincipalKind.ROOT
    assert (verified.service, verified.region, verified.payload_signed) == ("sagemaker", "us-east-1", True)


@pytest.mark.parametrize("name", ["my-endpoint", "a b", "x%y", "ünï", "a/b", "..", "e~_.-!*'()"])
def test_invoke_endpoint_odd_names_and_binary_body(capture: Capture, clock: FakeClock, name: str) -> None:
    body = bytes(range(256)) * 4
    request = capture(
        "sagemaker-runtime", "invoke_endpoint", EndpointName=name, Body=body, ContentType="application/x-npy"
    )
    assert request.body == body
    verified = check(request, clock, expected_service="sagemaker")
    assert verified.service == "sagemaker"  # the runtime's signing name is sagemaker too


def test_query_string_request(capture: Capture, clock: FakeClock) -> None:
    request = capture("lambda", "list_functions", Marker="a b/c=d&e+f~", MaxItems=5)
    assert "Marker=" in request.query_string
    check(request, clock, expected_service="lambda")


def test_arn_in_path_and_qualifier(capture: Capture, clock: FakeClock) -> None:
    arn = "arn:aws:lambda:us-east-1:123456789012:function:fn"
    request = capture("lambda", "get_function", FunctionName=arn, Qualifier="$LATEST")
    assert "%3A" in request.raw_path and "%24LATEST" in request.query_string
    check(request, clock, expected_service="lambda")


def test_form_body_query_protocol(capture: Capture, clock: FakeClock) -> None:
    request = capture("iam", "list_roles", PathPrefix="/service-role/")
    check(request, clock, expected_service="iam")


def test_session_token(capture: Capture, clock: FakeClock) -> None:
    request = capture("sagemaker-runtime", "invoke_endpoint", temporary=True, EndpointName="e", Body=b"1,2")
    assert header(request, "x-amz-security-token") == TOKEN
    verified = check(request, clock)
    assert verified.principal.kind is PrincipalKind.ROLE
    assert "token" not in repr(verified.principal).lower()


def test_unsigned_extra_header_is_fine(capture: Capture, clock: FakeClock) -> None:
    request = capture("sagemaker", "list_endpoints")
    request = replace_header(request, "x-forwarded-for", "10.0.0.1")
    request = replace_header(request, "user-agent", "something else")
    check(request, clock)


def test_mapping_headers_accepted(capture: Capture, clock: FakeClock) -> None:
    request = capture("sagemaker", "list_endpoints")
    check(dataclasses.replace(request, headers=dict(request.headers)), clock)


def test_date_header_instead_of_x_amz_date(clock: FakeClock) -> None:
    aws = AWSRequest("POST", f"{ENDPOINT}/endpoints/e/invocations", data=b"x", headers={"Date": "x"})
    SigV4Auth(Credentials(AKID, SECRET), "sagemaker", "us-east-1").add_auth(aws)
    prepared = aws.prepare()
    assert "X-Amz-Date" not in prepared.headers
    request = SignedRequest(
        "POST",
        "/endpoints/e/invocations",
        "",
        [
            ("host", HOST),
            ("date", prepared.headers["Date"]),
            ("authorization", prepared.headers["Authorization"]),
        ],
        b"x",
    )
    check(request, clock)


def test_x_amz_content_sha256_header(clock: FakeClock) -> None:
    body = b"payload"
    digest = hashlib.sha256(body).hexdigest()
    signed = _sign_manually("POST", "/p", "", {"x-amz-content-sha256": digest}, body, clock)
    check(signed, clock)
    with pytest.raises(InvalidSignature, match="x-amz-content-sha256"):
        check(dataclasses.replace(signed, body=b"other"), clock)


@pytest.mark.parametrize(
    "declared",
    [
        hashlib.sha256(b"payload").hexdigest().upper(),  # hex, but not lower-case as SigV4 writes it
        "z" * 64,  # 64 characters, not hex
        "é" * 64,  # 64 characters, not ASCII
    ],
)
def test_x_amz_content_sha256_that_is_no_digest_is_refused_as_such(clock: FakeClock, declared: str) -> None:
    signed = _sign_manually("POST", "/p", "", {"x-amz-content-sha256": declared}, b"payload", clock)
    with pytest.raises(IncompleteSignature, match="must be UNSIGNED-PAYLOAD or a valid sha256 value"):
        check(signed, clock)


def test_unsigned_payload_is_accepted_and_flagged(clock: FakeClock) -> None:
    signed = _sign_manually("POST", "/p", "", {"x-amz-content-sha256": "UNSIGNED-PAYLOAD"}, b"abc", clock)
    assert check(signed, clock).payload_signed is False
    assert check(dataclasses.replace(signed, body=b"xyz"), clock).payload_signed is False


def test_streaming_signed_payload_is_refused(clock: FakeClock) -> None:
    signed = _sign_manually(
        "PUT", "/p", "", {"x-amz-content-sha256": "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"}, b"", clock
    )
    with pytest.raises(IncompleteSignature, match="x-amz-content-sha256"):
        check(signed, clock)


def test_s3_accepts_signed_chunks_and_a_caller_supplied_digest(clock: FakeClock) -> None:
    """S3's aws-chunked uploads: the header signature covers the marker, the S3 front decodes the
    chunks; a streaming caller passes the declared digest as body_sha256 and checks the body itself."""
    extra = {"x-amz-content-sha256": "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"}
    signed = _sign_manually("PUT", "/bucket/key", "", extra, b"", clock, service="s3")
    assert check(signed, clock).payload_signed is False
    digest = hashlib.sha256(b"big body").hexdigest()
    signed = _sign_manually(
        "PUT", "/bucket/key", "", {"x-amz-content-sha256": digest}, b"", clock, service="s3"
    )
    assert check(dataclasses.replace(signed, body_sha256=digest), clock).payload_signed is True


# --- presigned URLs -------------------------------------------------------------------------


def presigned(clock: FakeClock, expires: int = 60, token: str | None = None) -> SignedRequest:
    client = boto3.client(
        "lambda",
        endpoint_url=ENDPOINT,
        region_name="us-east-1",
        aws_access_key_id=AKID if token is None else "ASIAIOSFODNN7EXAMPLE",
        aws_secret_access_key=SECRET if token is None else "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY",
        aws_session_token=token,
    )
    url = urlsplit(
        client.generate_presigned_url(
            "get_function", Params={"FunctionName": "fn a", "Qualifier": "1"}, ExpiresIn=expires
        )
    )
    return SignedRequest("GET", url.path, url.query, [("host", url.netloc)], b"")


def test_presigned_url(clock: FakeClock) -> None:
    request = presigned(clock)
    assert "X-Amz-Signature=" in request.query_string
    assert check(request, clock, expected_service="lambda").principal.access_key_id == AKID


def test_presigned_url_with_session_token(clock: FakeClock) -> None:
    assert check(presigned(clock, token=TOKEN), clock).principal.kind is PrincipalKind.ROLE


def test_presigned_url_expired(clock: FakeClock) -> None:
    request = presigned(clock, expires=60)
    clock.advance(61)
    with pytest.raises(
        SignatureExpired, match=r"^Request has expired\. X-Amz-Date: \d{8}T\d{6}Z, X-Amz-Expires: 60"
    ):
        check(request, clock)


def test_presigned_url_valid_past_skew_until_expiry(clock: FakeClock) -> None:
    request = presigned(clock, expires=3600)
    clock.advance(30 * 60)
    check(request, clock)


def test_presigned_tampered_query(clock: FakeClock) -> None:
    request = presigned(clock)
    tampered = dataclasses.replace(
        request, query_string=request.query_string.replace("Qualifier=1", "Qualifier=2")
    )
    with pytest.raises(InvalidSignature):
        check(tampered, clock)


def test_presigned_with_body_does_not_verify(clock: FakeClock) -> None:
    request = presigned(clock)
    with pytest.raises(InvalidSignature):
        check(dataclasses.replace(request, method="POST", body=b"smuggled"), clock)


@pytest.mark.parametrize(
    ("expires", "message"),
    [("0", "positive integer"), ("abc", "positive integer"), ("604801", "less than a week")],
)
def test_presigned_bad_expires(clock: FakeClock, expires: str, message: str) -> None:
    request = presigned(clock)
    query = "&".join(
        f"X-Amz-Expires={expires}" if p.startswith("X-Amz-Expires=") else p
        for p in request.query_string.split("&")
    )
    with pytest.raises(IncompleteSignature, match=message):
        check(dataclasses.replace(request, query_string=query), clock)


@pytest.mark.parametrize("name", ["X-Amz-Signature", "X-Amz-Credential", "X-Amz-Date"])
def test_presigned_repeated_parameter(clock: FakeClock, name: str) -> None:
    request = presigned(clock)
    query = f"{request.query_string}&{name}=garbage"
    with pytest.raises(InvalidSignature, match=f"carries the {name} query parameter more than once"):
        check(dataclasses.replace(request, query_string=query), clock)


def test_presigned_missing_parameters(clock: FakeClock) -> None:
    request = presigned(clock)
    query = "&".join(
        p for p in request.query_string.split("&") if not p.startswith(("X-Amz-Credential", "X-Amz-Date"))
    )
    with pytest.raises(IncompleteSignature) as raised:
        check(dataclasses.replace(request, query_string=query), clock)
    assert raised.value.message == (
        "AWS query-string parameters must include 'X-Amz-Credential'. "
        "AWS query-string parameters must include 'X-Amz-Date'. Re-examine the query-string parameters."
    )


def test_both_forms_at_once(capture: Capture, clock: FakeClock) -> None:
    request = presigned(clock)
    both = replace_header(request, "authorization", f"AWS4-HMAC-SHA256 Credential={AKID}/x")
    with pytest.raises(IncompleteSignature, match="Only one auth mechanism allowed"):
        check(both, clock)


# --- rejected -------------------------------------------------------------------------------


@pytest.fixture
def invoke(capture: Capture) -> SignedRequest:
    return capture(
        "sagemaker-runtime", "invoke_endpoint", EndpointName="ep", Body=b"1,2,3", ContentType="text/csv"
    )


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda r: dataclasses.replace(r, body=b"1,2,4"), id="body"),
        pytest.param(lambda r: dataclasses.replace(r, body=b""), id="empty-body"),
        pytest.param(lambda r: dataclasses.replace(r, raw_path="/endpoints/ep2/invocations"), id="path"),
        pytest.param(lambda r: dataclasses.replace(r, query_string="a=1"), id="query"),
        pytest.param(lambda r: dataclasses.replace(r, method="PUT"), id="method"),
        pytest.param(lambda r: replace_header(r, "content-type", "application/json"), id="signed-header"),
        pytest.param(lambda r: replace_header(r, "host", "evil.example:80"), id="host"),
        pytest.param(lambda r: replace_header(r, "content-type", None), id="signed-header-dropped"),
    ],
)
def test_tampered_requests_are_rejected(
    invoke: SignedRequest, clock: FakeClock, tamper: Callable[[SignedRequest], SignedRequest]
) -> None:
    check(invoke, clock)
    with pytest.raises(InvalidSignature) as raised:
        check(tamper(invoke), clock)
    assert raised.value.message == MISMATCH


def test_wrong_secret(capture: Capture, clock: FakeClock) -> None:
    request = capture("sagemaker", "list_endpoints", secret="x" * 40)
    with pytest.raises(InvalidSignature, match="does not match"):
        check(request, clock)


def test_unknown_key(capture: Capture, clock: FakeClock) -> None:
    request = capture("sagemaker", "list_endpoints", access_key_id="AKIAUNKNOWNUNKNOWN00")
    with pytest.raises(
        UnrecognizedClient, match=r"^The security token included in the request is invalid\.$"
    ):
        check(request, clock)


def test_session_token_missing_or_wrong(capture: Capture, clock: FakeClock) -> None:
    request = capture("sagemaker", "list_endpoints", temporary=True)
    for token in (None, TOKEN + "x"):
        with pytest.raises(UnrecognizedClient):
            check(replace_header(request, "x-amz-security-token", token), clock)


def test_token_on_a_long_term_key(invoke: SignedRequest, clock: FakeClock) -> None:
    with pytest.raises(UnrecognizedClient):
        check(replace_header(invoke, "x-amz-security-token", "t"), clock)


def test_missing_authentication(invoke: SignedRequest, clock: FakeClock) -> None:
    with pytest.raises(MissingAuthentication, match=r"^Missing Authentication Token$"):
        check(replace_header(invoke, "authorization", None), clock)


def _with_authorization(request: SignedRequest, value: str) -> SignedRequest:
    return replace_header(request, "authorization", value)


def test_authorization_missing_everything(invoke: SignedRequest, clock: FakeClock) -> None:
    request = replace_header(_with_authorization(invoke, "AWS4-HMAC-SHA256 foo"), "x-amz-date", None)
    with pytest.raises(IncompleteSignature) as raised:
        check(request, clock)
    assert raised.value.message == (
        "Authorization header requires 'Credential' parameter. "
        "Authorization header requires 'Signature' parameter. "
        "Authorization header requires 'SignedHeaders' parameter. "
        "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. "
        "Authorization=AWS4-HMAC-SHA256 foo"
    )


@pytest.mark.parametrize(
    ("drop", "message"),
    [
        ("Credential", "requires 'Credential' parameter"),
        ("Signature", "requires 'Signature' parameter"),
        ("SignedHeaders", "requires 'SignedHeaders' parameter"),
    ],
)
def test_authorization_missing_part(invoke: SignedRequest, clock: FakeClock, drop: str, message: str) -> None:
    algorithm, _, rest = header(invoke, "authorization").partition(" ")
    parts = [p for p in rest.split(", ") if not p.startswith(drop + "=")]
    with pytest.raises(IncompleteSignature, match=message):
        check(_with_authorization(invoke, f"{algorithm} {', '.join(parts)}"), clock)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("AWS4-HMAC-SHA256 ", "AWS4-HMAC-SHA512 ", "Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA512'"),
        ("/aws4_request", "", "exactly 5 slash-delimited elements"),
        ("/aws4_request", "/aws5_request", "valid terminator: 'aws4_request', not 'aws5_request'"),
        ("SignedHeaders=content-type;host;", "SignedHeaders=content-type;", "'Host' or ':authority' must be"),
    ],
)
def test_malformed_authorization(
    invoke: SignedRequest, clock: FakeClock, old: str, new: str, message: str
) -> None:
    value = header(invoke, "authorization")
    assert old in value
    with pytest.raises(IncompleteSignature, match=message):
        check(_with_authorization(invoke, value.replace(old, new)), clock)


def test_sigv2_style_header(invoke: SignedRequest, clock: FakeClock) -> None:
    with pytest.raises(IncompleteSignature, match="Unsupported AWS 'algorithm': 'AWS'"):
        check(_with_authorization(invoke, f"AWS {AKID}:abc"), clock)


def test_bad_x_amz_date_format(invoke: SignedRequest, clock: FakeClock) -> None:
    with pytest.raises(IncompleteSignature, match="ISO-8601 'basic format'"):
        check(replace_header(invoke, "x-amz-date", "2024-01-01T00:00:00Z"), clock)


def test_scope_date_must_match_x_amz_date(invoke: SignedRequest, clock: FakeClock) -> None:
    stamp = header(invoke, "x-amz-date")
    other_day = ("2001" if stamp[:4] != "2001" else "2002") + stamp[4:]
    with pytest.raises(InvalidSignature, match="Date in Credential scope does not match"):
        check(replace_header(invoke, "x-amz-date", other_day), clock)


def test_expired_after_skew(invoke: SignedRequest, clock: FakeClock) -> None:
    clock.advance(14 * 60)
    check(invoke, clock)
    clock.advance(2 * 60)
    with pytest.raises(SignatureExpired) as raised:
        check(invoke, clock)
    stamp = header(invoke, "x-amz-date")
    assert raised.value.message.startswith(f"Signature expired: {stamp} is now earlier than ")
    assert raised.value.message.endswith(" - 15 min.)")


def test_expired_message_exact() -> None:
    # 2024-01-01T00:00:00Z signed, server clock at 00:20:00Z.
    clock = FakeClock(1704068400.0)
    request = _sign_manually("GET", "/", "", {}, b"", FakeClock(1704067200.0))
    with pytest.raises(SignatureExpired) as raised:
        check(request, clock)
    assert raised.value.message == (
        "Signature expired: 20240101T000000Z is now earlier than 20240101T000500Z "
        "(20240101T002000Z - 15 min.)"
    )


def test_not_yet_current(invoke: SignedRequest, clock: FakeClock) -> None:
    clock.advance(-16 * 60)
    with pytest.raises(SignatureExpired, match=r"^Signature not yet current: .* \+ 15 min\.\)$"):
        check(invoke, clock)


def test_wrong_service_scope(capture: Capture, clock: FakeClock) -> None:
    request = capture("lambda", "list_functions")
    with pytest.raises(
        InvalidSignature, match=r"^Credential should be scoped to correct service: 'sagemaker'\.$"
    ):
        check(request, clock, expected_service="sagemaker")


def test_wrong_region(capture: Capture, clock: FakeClock) -> None:
    request = capture("sagemaker", "list_endpoints", region="eu-west-1")
    check(request, clock)  # no region enforced
    with pytest.raises(InvalidSignature, match=r"^Credential should be scoped to a valid region\.$"):
        check(request, clock, expected_region="us-east-1")


@pytest.mark.parametrize(
    ("name", "garbage"),
    [
        ("authorization", "AWS4-HMAC-SHA256 garbage"),
        ("host", "attacker.example"),
        ("x-amz-date", "20000101T000000Z"),
        ("x-amz-security-token", "garbage"),
        ("x-amz-content-sha256", "UNSIGNED-PAYLOAD"),
    ],
)
def test_repeated_signing_header_is_refused(
    capture: Capture, clock: FakeClock, name: str, garbage: str
) -> None:
    """A valid request plus a second copy of a signing header: the copies could be read apart."""
    request = capture("sagemaker-runtime", "invoke_endpoint", temporary=True, EndpointName="e", Body=b"1,2")
    headers = header_pairs(request)
    if name == "x-amz-content-sha256":  # botocore does not send it for SageMaker: both copies are added
        headers.append((name, hashlib.sha256(b"1,2").hexdigest()))
    headers.append((name, garbage))
    with pytest.raises(InvalidSignature) as raised:
        check(dataclasses.replace(request, headers=headers), clock)
    assert raised.value.message.startswith(MISMATCH)
    assert "more than once; send each of Authorization, Host, X-Amz-Date" in raised.value.message


def test_repeated_unsigned_header_is_fine(capture: Capture, clock: FakeClock) -> None:
    request = capture("sagemaker", "list_endpoints")
    headers = [*header_pairs(request), ("x-forwarded-for", "10.0.0.1"), ("x-forwarded-for", "10.0.0.2")]
    check(dataclasses.replace(request, headers=headers), clock)


# --- the canonical request equals botocore's -------------------------------------------------


@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("/", ""),
        ("", ""),
        ("/a//b/./c/../d/", ""),
        ("/endpoints/a%20b/invocations", "x=1&x=0&a=%2F&b="),
        ("/f/arn%3Aaws%3Alambda", "Qualifier=%24LATEST&Marker=a%20b%2Fc%3Dd%26e"),
        ("/~user/x_y-z.w", "flag&k=v+w"),
    ],
)
def test_canonical_request_matches_botocore(path: str, query: str) -> None:
    from urllib.parse import parse_qsl

    pairs = parse_qsl(query, keep_blank_values=True)
    aws = AWSRequest("POST", f"{ENDPOINT}{path}", params=pairs, data=b"body")
    aws.headers["Content-Type"] = "text/csv"
    aws.headers["X-Amz-Date"] = "20240101T000000Z"
    aws.headers["host"] = HOST
    aws.context["timestamp"] = "20240101T000000Z"
    expected = SigV4Auth(Credentials(AKID, SECRET), "sagemaker", "us-east-1").canonical_request(aws)
    headers = {"content-type": ["  text/csv "], "host": [HOST], "x-amz-date": ["20240101T000000Z"]}
    ours = canonical_request(
        "post",
        path,
        pairs,
        headers,
        "content-type;host;x-amz-date",
        hashlib.sha256(b"body").hexdigest(),
        "sagemaker",
    )
    assert ours == expected


def test_repeated_headers_are_joined(clock: FakeClock) -> None:
    request = _sign_manually("GET", "/", "", {"x-multi": "a"}, b"", clock)
    with pytest.raises(InvalidSignature):
        check(dataclasses.replace(request, headers=[*header_pairs(request), ("x-multi", "b")]), clock)


def _sign_manually(
    method: str,
    path: str,
    query: str,
    extra: dict[str, str],
    body: bytes,
    clock: FakeClock,
    service: str = "sagemaker",
) -> SignedRequest:
    """Sign with botocore at the fake clock's time, through the canonical request we build."""
    from modelport.aws.auth.canonical import signing_key
    from modelport.aws.auth.sigv4 import format_timestamp

    stamp = format_timestamp(clock.now())
    headers = {"host": HOST, "x-amz-date": stamp, **extra}
    names = ";".join(sorted(headers))
    aws = AWSRequest(method, f"{ENDPOINT}{path}", data=body)
    for name, value in headers.items():
        aws.headers[name] = value
    aws.context["timestamp"] = stamp
    auth = (S3SigV4Auth if service == "s3" else SigV4Auth)(Credentials(AKID, SECRET), service, "us-east-1")
    signature = auth.signature(auth.string_to_sign(aws, auth.canonical_request(aws)), aws)
    assert signing_key(SECRET, stamp[:8], "us-east-1", service)  # exercised by verify too
    authorization = (
        f"AWS4-HMAC-SHA256 Credential={AKID}/{stamp[:8]}/us-east-1/{service}/aws4_request, "
        f"SignedHeaders={names}, Signature={signature}"
    )
    return SignedRequest(method, path, query, [*headers.items(), ("authorization", authorization)], body)


def test_query_auth_signer_presign_for_sagemaker(clock: FakeClock) -> None:
    aws = AWSRequest("GET", f"{ENDPOINT}/endpoints/a%20b/invocations", params={"k": "v w"})
    SigV4QueryAuth(Credentials(AKID, SECRET), "sagemaker", "us-east-1", expires=300).add_auth(aws)
    url = urlsplit(aws.prepare().url)
    check(
        SignedRequest("GET", url.path, url.query, [("host", url.netloc)], b""),
        clock,
        expected_service="sagemaker",
    )


def test_precomputed_body_hash_is_used(invoke: SignedRequest, clock: FakeClock) -> None:
    digest = hashlib.sha256(invoke.body).hexdigest()
    check(dataclasses.replace(invoke, body=b"", body_sha256=digest), clock)
    with pytest.raises(InvalidSignature):
        check(dataclasses.replace(invoke, body_sha256=hashlib.sha256(b"other").hexdigest()), clock)
