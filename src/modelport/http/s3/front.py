"""The S3 front: an ASGI app that authenticates and authorizes S3 requests, then forwards them.

Served on its own loopback port (``MODELPORT_S3_FRONT_PORT``) and behind the HTTPS proxy for S3
host names. Each request is

1. located (path style ``/<bucket>/<key>``, or a virtual-hosted ``<bucket>.s3.<region>.amazonaws.com``
   Host) and classified (``services/s3/requests.py``);
2. verified with SigV4 against modelport's keys — root, IAM users', role sessions' with their
   token (``aws/auth``) — and authorized with the caller's IAM policies for the operation's S3
   action (``s3:GetObject`` on ``arn:aws:s3:::<bucket>/<key>``, ...);
3. re-signed for the S3 in use and streamed to it with httpx (``http/s3/forward.py``); the answer
   (status, headers, body) streams back unchanged.

Refusals are S3's XML errors (``<Error><Code>SignatureDoesNotMatch</Code>...``).
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import AsyncIterator, Callable
from typing import Any
from urllib.parse import parse_qsl
from xml.sax.saxutils import escape

import httpx
import uvicorn
from starlette.types import Message, Receive, Scope, Send

from modelport.aws.auth.sigv4 import SignedRequest, VerifiedRequest, verify
from modelport.bootstrap import Platform
from modelport.core.arns import request_id
from modelport.core.errors import (
    AccessDenied,
    IncompleteSignature,
    InvalidRequest,
    InvalidSignature,
    MissingAuthentication,
    SignatureExpired,
    UnknownOperation,
    UnrecognizedClient,
)
from modelport.http.auth import ANONYMOUS
from modelport.http.s3.forward import ContentMismatch, IncompleteBody, Upstream, checked, dechunked, prepare
from modelport.services.s3.requests import classify, locate

log = logging.getLogger("modelport.s3")

# Error class -> (S3 code, HTTP status), most specific first.
ERRORS: tuple[tuple[type[Exception], str, int], ...] = (
    (UnrecognizedClient, "InvalidAccessKeyId", 403),
    (InvalidSignature, "SignatureDoesNotMatch", 403),
    (IncompleteSignature, "AuthorizationHeaderMalformed", 400),
    (MissingAuthentication, "AccessDenied", 403),
    (SignatureExpired, "RequestTimeTooSkewed", 403),
    (AccessDenied, "AccessDenied", 403),
    (ContentMismatch, "XAmzContentSHA256Mismatch", 400),
    (IncompleteBody, "IncompleteBody", 400),
    (UnknownOperation, "NotImplemented", 501),
    (InvalidRequest, "InvalidRequest", 400),
)
READY_WAIT_S = 10.0  # per request, while the embedded S3 starts
SIGV2 = (
    "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256 "
    "(botocore: Config(signature_version='s3v4'), also for generate_presigned_url)."
)
_HOP_BY_HOP = frozenset({"connection", "keep-alive", "transfer-encoding"})


class UpstreamUnavailable(Exception):
    """The S3 in use is not running or not reachable (S3: ServiceUnavailable, 503)."""


class S3Front:
    """The ASGI app. ``wait_ready`` blocks until the S3 in use answers (None) or says why not."""

    def __init__(
        self, platform: Platform, upstream: Upstream, wait_ready: Callable[[], str | None] | None = None
    ) -> None:
        self.platform = platform
        self.upstream = upstream
        self.wait_ready = wait_ready
        self._client: httpx.AsyncClient | None = None
        self._ready: asyncio.Future[str | None] | None = None
        self.verified_body_bytes = platform.settings.limits.s3_verified_body_bytes

    @classmethod
    def for_settings(cls, platform: Platform, wait_ready: Callable[[], str | None] | None) -> S3Front | None:
        """The front for the S3 the platform's settings name (None when there is none)."""
        settings = platform.settings
        if settings.s3_endpoint_url is None:
            return None
        region = settings.s3_region or settings.region
        keys = (settings.s3_access_key_id, settings.s3_secret_access_key)
        return cls(platform, Upstream(settings.s3_endpoint_url, *keys, region), wait_ready)

    async def listen(self, sock: socket.socket, server_state: Any) -> asyncio.AbstractServer:
        """Serve on ``sock`` in the running loop, with uvicorn's HTTP protocol, sharing the main
        server's ``server_state`` so its graceful shutdown covers these connections too."""
        loop = asyncio.get_running_loop()
        config = uvicorn.Config(
            self,
            lifespan="off",
            log_level="warning",
            access_log=False,
            server_header=False,
            date_header=False,
        )
        config.load()

        def protocol() -> asyncio.Protocol:
            return config.http_protocol_class(  # type: ignore[call-arg]
                config=config, server_state=server_state, app_state={}, _loop=loop
            )

        return await loop.create_server(protocol, sock=sock)

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        rid = request_id()
        started = False

        async def tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self._serve(scope, receive, tracked)
        except Exception as exc:
            if started:  # the answer is half sent: all that is left is to cut it
                log.warning("S3 front: %s %s failed mid-answer: %s", scope["method"], scope["path"], exc)
                raise
            await _send_error(send, scope["method"], exc, rid)

    async def _serve(self, scope: Scope, receive: Receive, send: Send) -> None:
        method: str = scope["method"]
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]]
        values = {k.lower(): v for k, v in headers}
        raw_path = (scope.get("raw_path") or scope["path"].encode()).decode("latin-1")
        query_string = scope.get("query_string", b"").decode("latin-1")
        target = locate(values.get("host", ""), raw_path)
        names = [k for k, _ in parse_qsl(query_string, keep_blank_values=True)]
        if "AWSAccessKeyId" in names or values.get("authorization", "").startswith("AWS "):
            raise InvalidRequest(SIGV2)
        call = classify(method, target, names, values.get("x-amz-copy-source"))
        platform = self.platform
        verified = self._authenticate(method, raw_path, query_string, headers, values)
        context = platform.context.acting_as(ANONYMOUS if verified is None else verified.principal)
        platform.authorize(context, "s3", call.operation, dict(call.params))
        if call.source is not None:
            platform.authorize(context, "s3", "GetObject", {"Bucket": call.source[0], "Key": call.source[1]})
        await self._wait_ready()
        forward = prepare(self.upstream, method, target.path, query_string, headers, now=platform.clock.now())
        body: AsyncIterator[bytes] = _request_body(receive)
        chunks = None if verified is None else verified.chunks
        if forward.decode_chunks:
            body = dechunked(body, chunks, self.verified_body_bytes)
        if forward.check_sha256 is not None:
            body = checked(body, forward.check_sha256)
        content: AsyncIterator[bytes] | bytes | None = body if method in ("PUT", "POST") else None
        length = dict(forward.headers).get("content-length", "")
        small = length.isdigit() and int(length) <= self.verified_body_bytes
        checking = forward.check_sha256 is not None or chunks is not None
        if checking and (content is None or small):
            # Read and checked whole: a body that does not match never reaches S3 (a stream cut
            # short would leave S3 an empty or partial object).
            whole = b"".join([piece async for piece in body])
            content = whole if method in ("PUT", "POST") else None
        client = self._http()
        request = client.build_request(method, forward.url, headers=forward.headers, content=content)
        try:
            response = await client.send(request, stream=True)
        except httpx.TransportError as exc:
            cause = exc.__cause__ or exc.__context__
            if isinstance(cause, (ContentMismatch, IncompleteBody, InvalidSignature)):
                raise cause from None
            raise UpstreamUnavailable(
                f"modelport's S3 ({self.upstream.endpoint_url}) is not reachable: {exc}"
            ) from None
        try:
            await send(
                {
                    "type": "http.response.start",
                    "status": response.status_code,
                    "headers": [
                        (k, v)
                        for k, v in response.headers.raw
                        if k.lower().decode("latin-1") not in _HOP_BY_HOP
                    ],
                }
            )
            async for piece in response.aiter_raw():
                await send({"type": "http.response.body", "body": piece, "more_body": True})
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        finally:
            await response.aclose()

    def _authenticate(
        self,
        method: str,
        raw_path: str,
        query_string: str,
        headers: list[tuple[str, str]],
        values: dict[str, str],
    ) -> VerifiedRequest | None:
        """Who signed the request (None: authentication is off)."""
        platform = self.platform
        if not platform.settings.auth_enabled:
            return None
        declared = values.get("x-amz-content-sha256", "")
        signed = SignedRequest(
            method=method,
            raw_path=raw_path,
            query_string=query_string,
            headers=headers,
            # The body streams on unread; a declared digest is checked as it goes (forward.py).
            body_sha256=declared if len(declared) == 64 else None,
        )
        verified = verify(
            signed,
            platform.key_lookup,
            clock=platform.clock,
            skew_s=platform.settings.limits.signature_skew_s,
            expected_service="s3",
        )
        return verified

    async def _wait_ready(self) -> None:
        """Wait for the S3 in use, at most ``READY_WAIT_S`` per request: past that the answer is
        503 (SDKs retry it), so no request hangs while SeaweedFS starts. One shared wait."""
        if self.wait_ready is None:
            return
        if self._ready is None:
            self._ready = asyncio.get_running_loop().run_in_executor(None, self.wait_ready)
        try:
            failure = await asyncio.wait_for(asyncio.shield(self._ready), READY_WAIT_S)
        except TimeoutError:
            raise UpstreamUnavailable("modelport's S3 is still starting; retry in a few seconds.") from None
        if failure is not None:
            self._ready = None  # the next request asks again
            raise UpstreamUnavailable(f"modelport's S3 is not available: {failure}")
        self.wait_ready = None  # ready once: a later failure shows as a refused connection

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(
                timeout=httpx.Timeout(None, connect=10.0), follow_redirects=False, trust_env=False
            )
        return self._client


async def _request_body(receive: Receive) -> AsyncIterator[bytes]:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise IncompleteBody("The client closed the connection before its body ended.")
        piece = message.get("body", b"")
        if piece:
            yield piece
        if not message.get("more_body", False):
            return


def error_code(exc: BaseException) -> tuple[str, int]:
    """S3's code and HTTP status for ``exc``."""
    if isinstance(exc, UpstreamUnavailable):
        return "ServiceUnavailable", 503
    for kind, code, status in ERRORS:
        if isinstance(exc, kind):
            return code, status
    return "InternalError", 500


async def _send_error(send: Send, method: str, exc: BaseException, rid: str) -> None:
    code, status = error_code(exc)
    if code == "InternalError":
        log.exception("S3 front: request %s failed", rid, exc_info=exc)
        message = f"We encountered an internal error (request id {rid}). Please try again."
    else:
        message = str(exc)
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{code}</Code><Message>{escape(message)}</Message>"
        f"<RequestId>{rid}</RequestId></Error>"
    ).encode()
    headers = [
        (b"content-type", b"application/xml"),
        (b"x-amz-request-id", rid.encode()),
        (b"content-length", str(len(body)).encode()),
    ]
    if method in ("PUT", "POST"):
        headers.append((b"connection", b"close"))  # its body may be unread: the connection is done
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": b"" if method == "HEAD" else body})
