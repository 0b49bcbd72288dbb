"""Raw, signed HTTP requests to a modelport server, for requests boto3 would refuse to send.

boto3 validates required members, types and minimums before a request leaves; the bad-input
corpus needs to get past that, and to break signatures on purpose. ``send`` signs a request the
way botocore does (``SigV4Auth`` over an ``AWSRequest``) and then lets a case spoil it.
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from unittest import mock
from urllib.parse import urlsplit

import httpx
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

REGION = "us-east-1"
ACCOUNT = "123456789012"
JSON_11 = "application/x-amz-json-1.1"


@dataclass(frozen=True)
class Keys:
    access_key: str
    secret_key: str


def arn(kind: str, name: str) -> str:
    """The ARN modelport quotes in messages (name lower-cased, as AWS does)."""
    return f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:{kind}/{name.lower()}"


def encode(body: Any) -> bytes:
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode()
    return json.dumps(body).encode()


def sign(
    request: AWSRequest, keys: Keys, *, service: str = "sagemaker", when: dt.datetime | None = None
) -> AWSRequest:
    auth = SigV4Auth(Credentials(keys.access_key, keys.secret_key), service, REGION)
    if when is None:
        auth.add_auth(request)
    else:
        with mock.patch("botocore.auth.get_current_datetime", return_value=when):
            auth.add_auth(request)
    return request


def send(
    url: str,
    keys: Keys,
    *,
    path: str = "/",
    body: Any = b"",
    headers: dict[str, str] | None = None,
    service: str = "sagemaker",
    when: dt.datetime | None = None,
    signed: bool = True,
    spoil: Callable[[AWSRequest], None] | None = None,
    method: str = "POST",
    repeat: tuple[str, str] | None = None,
) -> httpx.Response:
    """Send ``body`` to ``path`` (POST unless told), signed with ``keys`` unless ``signed`` is false.

    ``spoil`` edits the request after signing (tampered body, forged signature ...). ``repeat``
    is a header sent a second time after the signed ones (``("Authorization", "garbage")``);
    such a request goes out through ``http.client``, which sends headers exactly as given
    (httpx's h11 refuses to send two ``Host`` headers).
    """
    data = encode(body)
    request = AWSRequest(method=method, url=url + path, data=data, headers=dict(headers or {}))
    if signed:
        sign(request, keys, service=service, when=when)
    if spoil is not None:
        spoil(request)
    prepared = request.prepare()
    if repeat is not None:
        return send_raw(prepared.url, method, [*prepared.headers.items(), repeat], prepared.body or b"")
    return httpx.request(
        method, prepared.url, content=prepared.body, headers=dict(prepared.headers.items()), timeout=30.0
    )


def send_raw(url: str, method: str, headers: list[tuple[str, str]], body: bytes) -> httpx.Response:
    """One request with exactly ``headers`` after ``Host`` (and ``Content-Length`` if missing)."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.netloc, timeout=30.0)
    try:
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        connection.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
        connection.putheader("Host", parts.netloc)
        for name, value in headers:
            connection.putheader(name, value)
        if not any(name.lower() == "content-length" for name, _ in headers):
            connection.putheader("Content-Length", str(len(body)))
        connection.endheaders(body)
        answer = connection.getresponse()
        return httpx.Response(answer.status, headers=answer.getheaders(), content=answer.read())
    finally:
        connection.close()


def control(url: str, keys: Keys, target: str | None, body: Any, **kwargs: Any) -> httpx.Response:
    """A control-plane call: ``X-Amz-Target: SageMaker.<target>`` (as given when it has a dot)."""
    headers = {"Content-Type": JSON_11}
    if target is not None:
        headers["X-Amz-Target"] = target if "." in target else f"SageMaker.{target}"
    return send(url, keys, body=body, headers=headers, **kwargs)


def invocation(
    url: str, keys: Keys, endpoint: str, body: Any, headers: dict[str, str] | None = None, **kwargs: Any
) -> httpx.Response:
    """A raw, signed InvokeEndpoint request (``support.modelport_server.invoke`` is boto3's)."""
    return send(url, keys, path=f"/endpoints/{endpoint}/invocations", body=body, headers=headers, **kwargs)


def error_of(response: httpx.Response) -> tuple[str, str]:
    """(code, message) as botocore reads them from any protocol's error response (JSON or XML)."""
    if response.content.startswith(b"<"):
        root = ET.fromstring(response.content)
        namespace = root.tag.partition("}")[0] + "}" if root.tag.startswith("{") else ""
        return (
            root.findtext(f"{namespace}Error/{namespace}Code") or "",
            root.findtext(f"{namespace}Error/{namespace}Message") or "",
        )
    data = response.json()
    code = response.headers.get("x-amzn-ErrorType") or data.get("__type") or data.get("code") or ""
    code = code.split(":")[0].rsplit("#", 1)[-1]
    message = data.get("message") or data.get("Message") or ""
    return code, message
