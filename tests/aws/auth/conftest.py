"""Requests signed by real botocore clients, turned into the verifier's SignedRequest."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

import boto3
import pytest
from botocore.awsrequest import AWSPreparedRequest, AWSResponse

from modelport.aws.auth.principal import Principal, PrincipalKind
from modelport.aws.auth.sigv4 import SignedRequest
from modelport.core.clock import FakeClock

AKID = "AKIAIOSFODNN7EXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
TEMP_AKID = "ASIAIOSFODNN7EXAMPLE"
TEMP_SECRET = "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY"
TOKEN = "FwoGZXIvYXdzEXAMPLETOKEN//////////wEaDExample+token/with=chars"
ENDPOINT = "http://127.0.0.1:8790"
HOST = "127.0.0.1:8790"


class Keys:
    """A KeyLookup with one long-term and one temporary key."""

    def secret_for(self, access_key_id: str) -> tuple[str, Principal] | None:
        if access_key_id == AKID:
            return SECRET, Principal(AKID, PrincipalKind.ROOT, "root")
        if access_key_id == TEMP_AKID:
            return TEMP_SECRET, Principal(TEMP_AKID, PrincipalKind.ROLE, "fn-role", session_token=TOKEN)
        return None


def to_signed_request(prepared: AWSPreparedRequest) -> SignedRequest:
    """What the server would receive: urllib3 adds Host from the URL; names arrive lower-cased."""
    url = urlsplit(prepared.url)
    headers = [("host", url.netloc)]
    for name, value in prepared.headers.items():
        headers.append((name.lower(), value.decode() if isinstance(value, bytes) else value))
    body = prepared.body
    if body is None:
        body = b""
    elif isinstance(body, str):
        body = body.encode()
    elif not isinstance(body, bytes):
        body = body.read()
    return SignedRequest(prepared.method, url.path, url.query, headers, body)


def header_pairs(request: SignedRequest) -> list[tuple[str, str]]:
    headers = request.headers
    return list(headers.items()) if isinstance(headers, Mapping) else list(headers)


Capture = Callable[..., SignedRequest]
_SENT: list[AWSPreparedRequest] = []


def _before_send(request: AWSPreparedRequest, **_: Any) -> AWSResponse:
    _SENT.append(request)
    raise _Sent


@functools.cache
def _client(service: str, region: str, access_key_id: str, secret: str, token: str | None) -> Any:
    # Clients are slow to build (~0.4 s, endpoint rules); one per combination for the whole run.
    session = boto3.Session(
        aws_access_key_id=access_key_id,
        aws_secret_access_key=secret,
        aws_session_token=token,
        region_name=region,
    )
    client = session.client(service, endpoint_url=ENDPOINT)
    client.meta.events.register("before-send", _before_send)
    return client


@pytest.fixture
def capture() -> Capture:
    """``capture(service, operation, **params)``: the request a boto3 client would have sent."""

    def run(
        service: str,
        operation: str,
        *,
        region: str = "us-east-1",
        temporary: bool = False,
        access_key_id: str = AKID,
        secret: str = SECRET,
        **params: Any,
    ) -> SignedRequest:
        if temporary:
            client = _client(service, region, TEMP_AKID, TEMP_SECRET, TOKEN)
        else:
            client = _client(service, region, access_key_id, secret, None)
        _SENT.clear()
        with pytest.raises(_Sent):
            getattr(client, operation)(**params)
        return to_signed_request(_SENT[0])

    return run


class _Sent(Exception):
    pass


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(time.time())
