"""An in-process wire: real botocore clients whose requests go through modelport's protocol layer.

A ``before-send`` hook hands botocore's prepared request to our parser, calls a fake handler,
and answers with our serializer's bytes, which botocore then parses as it would AWS's.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
from collections.abc import Callable, Iterator
from typing import Any, TypeVar, overload
from urllib.parse import urlsplit

import botocore.session
from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.config import Config
from botocore.model import ListShape, MapShape, Shape, StructureShape

from modelport.aws.protocol import (
    InvocationContext,
    ParsedRequest,
    ServiceProtocol,
    WireResponse,
    parse_json_request,
    parse_rest_request,
    serialize_json_error,
    serialize_json_response,
    serialize_rest_error,
    serialize_rest_response,
)

REQUEST_ID = "8a1f4c1e-0000-4000-8000-000000000001"
CONTEXT = InvocationContext(endpoint_name="my-endpoint", region="us-east-1", account_id="123456789012")
Handler = Callable[[str, dict[str, Any]], dict[str, Any] | None]


class _Raw:
    """Just enough of urllib3's response for botocore's AWSResponse and StreamingBody."""

    def __init__(self, data: bytes) -> None:
        self._buffer = io.BytesIO(data)

    def stream(self, *args: Any, **kwargs: Any) -> Iterator[bytes]:
        yield self._buffer.read()

    def read(self, amt: int | None = None) -> bytes:
        return self._buffer.read(amt)

    def close(self) -> None:
        pass


class Wire:
    """Captures what our parser made of each request; answers with ``handler``'s output."""

    def __init__(self, service: str, handler: Handler) -> None:
        self.proto = ServiceProtocol.load(service)
        self.handler = handler
        self.requests: list[ParsedRequest] = []
        self.responses: list[WireResponse] = []

    def __call__(self, request: AWSPreparedRequest, **kwargs: Any) -> AWSResponse:
        body = request.body or b""
        if isinstance(body, str):
            body = body.encode("utf-8")
        elif not isinstance(body, bytes):
            body = body.read()
        try:
            parsed = self._parse(request, body)
            self.requests.append(parsed)
            output = self.handler(parsed.operation, parsed.params)
            wire = self._serialize(parsed.operation, output)
        except Exception as exc:
            wire = self._serialize_error(exc)
        self.responses.append(wire)
        return AWSResponse(request.url, wire.status, wire.headers, _Raw(wire.body))

    def _parse(self, request: AWSPreparedRequest, body: bytes) -> ParsedRequest:
        headers = {k: v.decode() if isinstance(v, bytes) else v for k, v in request.headers.items()}
        if self.proto.protocol == "json":
            return parse_json_request(self.proto, headers.get("X-Amz-Target"), body)
        url = urlsplit(request.url)
        raw_path = url.path + (f"?{url.query}" if url.query else "")
        return parse_rest_request(self.proto, request.method, raw_path, headers, body)

    def _serialize(self, operation: str, output: dict[str, Any] | None) -> WireResponse:
        if self.proto.protocol == "json":
            return serialize_json_response(self.proto, operation, output, REQUEST_ID)
        return serialize_rest_response(self.proto, operation, output, REQUEST_ID)

    def _serialize_error(self, exc: BaseException) -> WireResponse:
        if self.proto.protocol == "json":
            return serialize_json_error(self.proto, exc, REQUEST_ID)
        return serialize_rest_error(self.proto, exc, REQUEST_ID, CONTEXT)


@functools.cache
def _session() -> botocore.session.Session:
    return botocore.session.get_session()  # one session: its loader caches the large JSON models


W = TypeVar("W", bound=Wire)


@overload
def make_client(service: str, handler: Handler) -> tuple[Any, Wire]: ...
@overload
def make_client(service: str, handler: Handler, wire_type: type[W]) -> tuple[Any, W]: ...
def make_client(service: str, handler: Handler, wire_type: type[Wire] = Wire) -> tuple[Any, Wire]:
    """A real botocore client whose requests ``wire_type`` answers with ``handler``, in process."""
    client = _session().create_client(
        service,
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="y",
        endpoint_url="http://localhost",
        config=Config(retries={"total_max_attempts": 1}),
    )
    wire = wire_type(service, handler)
    client.meta.events.register("before-send", wire)
    return client, wire


WHEN = dt.datetime(2024, 5, 6, 7, 8, 9, 123000, tzinfo=dt.UTC)


def example(shape: Shape, depth: int = 0) -> Any:
    """A value for every member of ``shape`` (recursion cut at depth 5), for output round trips."""
    if isinstance(shape, StructureShape):
        if depth > 5 or shape.metadata.get("document"):
            return None
        members = {n: example(m, depth + 1) for n, m in shape.members.items()}
        if shape.metadata.get("union"):
            members = dict(list((k, v) for k, v in members.items() if v is not None)[:1])
        return {k: v for k, v in members.items() if v is not None}
    if isinstance(shape, ListShape):
        item = example(shape.member, depth + 1)
        return [] if item is None else [item]
    if isinstance(shape, MapShape):
        item = example(shape.value, depth + 1)
        return {} if item is None else {"key": item}
    kind = shape.type_name
    if kind == "string":
        return shape.enum[0] if shape.enum else f"{shape.name}-value"
    if kind in ("integer", "long"):
        return 7
    if kind in ("float", "double"):
        return 0.5
    if kind == "boolean":
        return True
    if kind == "timestamp":
        return WHEN
    if kind == "blob":
        return b"\x00binary\xff"
    return None
