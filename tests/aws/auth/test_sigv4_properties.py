"""Property: whatever botocore signs verifies, and no single-byte change to the body does."""

from __future__ import annotations

import dataclasses
from urllib.parse import quote, urlsplit

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from hypothesis import given, settings
from hypothesis import strategies as st

from modelport.aws.auth.sigv4 import SignedRequest, verify
from modelport.core.clock import FakeClock
from modelport.core.errors import InvalidSignature

from .conftest import AKID, ENDPOINT, SECRET, Keys, header_pairs

segments = st.lists(st.text(min_size=0, max_size=12), min_size=0, max_size=4)
params = st.lists(st.tuples(st.text(min_size=1, max_size=8), st.text(max_size=12)), max_size=4)
bodies = st.binary(max_size=512)
methods = st.sampled_from(["GET", "POST", "PUT", "DELETE"])


def signed(method: str, path_segments: list[str], query: list[tuple[str, str]], body: bytes) -> SignedRequest:
    # A client percent-encodes each segment; botocore then signs the path exactly as it will be sent.
    path = "/" + "/".join(quote(s, safe="") for s in path_segments)
    aws = AWSRequest(method, f"{ENDPOINT}{path}", params=query, data=body)
    aws.headers["Content-Type"] = "application/octet-stream"
    SigV4Auth(Credentials(AKID, SECRET), "sagemaker", "us-east-1").add_auth(aws)
    prepared = aws.prepare()
    url = urlsplit(prepared.url)
    headers = [("host", url.netloc)] + [(k.lower(), v) for k, v in prepared.headers.items()]
    return SignedRequest(method, url.path, url.query, headers, body)


@settings(max_examples=150, deadline=None)
@given(methods, segments, params, bodies)
def test_botocore_signed_requests_verify(
    method: str, path: list[str], query: list[tuple[str, str]], body: bytes
) -> None:
    request = signed(method, path, query, body)
    clock = FakeClock()
    clock.advance(_offset(request, clock))
    verify(request, Keys(), clock=clock, skew_s=900.0, expected_service="sagemaker")


@settings(max_examples=150, deadline=None)
@given(bodies, st.data())
def test_any_single_byte_change_to_the_body_fails(body: bytes, data: st.DataObject) -> None:
    request = signed("POST", ["endpoints", "e", "invocations"], [], body)
    clock = FakeClock()
    clock.advance(_offset(request, clock))
    if body:
        index = data.draw(st.integers(0, len(body) - 1))
        delta = data.draw(st.integers(1, 255))
        changed = body[:index] + bytes([(body[index] + delta) % 256]) + body[index + 1 :]
    else:
        changed = data.draw(st.binary(min_size=1, max_size=1))
    with pytest.raises(InvalidSignature):
        verify(dataclasses.replace(request, body=changed), Keys(), clock=clock, skew_s=900.0)


def _offset(request: SignedRequest, clock: FakeClock) -> float:
    import calendar
    import time

    stamp = next(v for k, v in header_pairs(request) if k == "x-amz-date")
    return calendar.timegm(time.strptime(stamp, "%Y%m%dT%H%M%SZ")) - clock.now()
