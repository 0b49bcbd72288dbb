"""The ``rest-json`` protocol (e.g. the SageMaker runtime's ``InvokeEndpoint``).

Requests are matched on method and path against each operation's ``requestUri`` template; input
members come from the path (``location: uri``), headers, the query string, and the body: the
``payload`` member takes the whole body (raw bytes for a blob), otherwise unlocated members are a
JSON object. Responses go the other way. Errors carry the code in ``x-amzn-ErrorType`` and a JSON
body with the message. Each operation's ``RestPlan`` is computed once per ``ServiceProtocol``.
"""

from __future__ import annotations

import base64
import functools
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, unquote

from botocore.model import ListShape, OperationModel, Shape

from modelport.aws.protocol.errors import InvocationContext, error_reply, repeats_code_in_body
from modelport.aws.protocol.inputs import StructureReader, read_input
from modelport.aws.protocol.json_rpc import decode_json_object
from modelport.aws.protocol.models import ParsedRequest, ServiceProtocol, WireResponse
from modelport.aws.protocol.outputs import StructureWriter, Writer
from modelport.aws.protocol.timestamps import parse_timestamp, to_header
from modelport.core.errors import UnknownOperation, UnsupportedMediaType

_LABEL = re.compile(r"\{([^}]+?)(\+?)\}")


def _header_reader(shape: Shape) -> Callable[[str], Any]:
    kind = shape.type_name
    if shape.serialization.get("jsonvalue"):
        return lambda text: json.loads(base64.b64decode(text))
    if kind in ("integer", "long"):
        return int
    if kind in ("float", "double"):
        return float
    if kind == "boolean":
        return lambda text: text.strip().lower() == "true"
    if kind == "timestamp":
        return parse_timestamp
    if kind == "list":
        return lambda text: [part.strip() for part in text.split(",")]
    return str


def _query_reader(shape: Shape) -> Callable[[str], Any]:
    """Query values arrive as text; numbers and booleans become what the input reader expects.

    A value that does not parse is left as text, so the reader refuses it with the type error
    a JSON body of the wrong type gets (``STRING_VALUE can not be converted to an Integer``).
    """
    kind = shape.type_name

    def number(text: str) -> Any:
        try:
            return int(text) if kind in ("integer", "long") else float(text)
        except ValueError:
            return text

    if kind in ("integer", "long", "float", "double"):
        return number
    if kind == "boolean":
        return lambda text: {"true": True, "false": False}.get(text.strip().lower(), text)
    return str


def _header_writer(shape: Shape) -> Callable[[Any], str]:
    kind = shape.type_name
    if kind == "boolean":
        return lambda value: "true" if value else "false"
    if kind == "timestamp":
        return functools.partial(to_header, timestamp_format=shape.serialization.get("timestampFormat"))
    if kind == "list":
        return lambda value: ",".join(str(v) for v in value)
    if shape.serialization.get("jsonvalue"):
        return lambda value: base64.b64encode(json.dumps(value).encode()).decode()
    return str


@dataclass(frozen=True, slots=True)
class RestPlan:
    operation: str
    method: str
    path: re.Pattern[str]
    labels: tuple[tuple[str, str], ...]  # (regex group, member)
    headers_in: dict[str, tuple[str, Callable[[str], Any]]]  # lower-case header -> member, reader
    headers_out: tuple[tuple[str, str, Callable[[Any], str]], ...]  # member, header, writer
    query: dict[str, tuple[str, bool, Callable[[str], Any]]]  # query key -> member, is a list, reader
    payload: str | None
    payload_kind: str | None  # "blob", "string", "structure"
    payload_required: bool
    body_members: tuple[tuple[str, str], ...]  # (member name, wire name)
    out_payload: str | None
    out_payload_kind: str | None
    out_payload_writer: Writer  # for a structure payload
    status: int
    status_member: str | None  # an output member with ``location: statusCode`` (Lambda's Invoke)
    specificity: int  # literal characters in the template: longer literals are tried first
    reader: StructureReader
    writer: StructureWriter | None


def _route(uri: str) -> tuple[re.Pattern[str], dict[str, str]]:
    path = uri.split("?", 1)[0]
    groups: dict[str, str] = {}
    pattern = ""
    last = 0
    for index, label in enumerate(_LABEL.finditer(path)):
        pattern += re.escape(path[last : label.start()])
        group = f"g{index}"
        groups[group] = label.group(1)
        pattern += f"(?P<{group}>.+)" if label.group(2) else f"(?P<{group}>[^/]+)"
        last = label.end()
    pattern += re.escape(path[last:])
    return re.compile(pattern + "/?"), groups


def _build_plan(proto: ServiceProtocol, model: OperationModel) -> RestPlan:
    base = proto.plan(model.name)
    path, label_groups = _route(model.http["requestUri"])
    labels: list[tuple[str, str]] = []
    headers_in: dict[str, tuple[str, Callable[[str], Any]]] = {}
    query: dict[str, tuple[str, bool, Callable[[str], Any]]] = {}
    body_members: list[tuple[str, str]] = []
    payload = payload_kind = None
    payload_required = False
    input_shape = model.input_shape
    if input_shape is not None:
        by_location = {m.serialization.get("name", n): n for n, m in input_shape.members.items()}
        labels = [(group, by_location.get(name, name)) for group, name in label_groups.items()]
        payload = input_shape.serialization.get("payload")
        for name, member in input_shape.members.items():
            where = member.serialization.get("location")
            wire_name = member.serialization.get("name", name)
            if where == "header":
                headers_in[wire_name.lower()] = (name, _header_reader(member))
            elif where == "querystring":
                is_list = member.type_name == "list"
                scalar = member.member if isinstance(member, ListShape) else member
                query[wire_name] = (name, is_list, _query_reader(scalar))
            elif where is None and name != payload:
                body_members.append((name, wire_name))
        if payload is not None:
            payload_kind = input_shape.members[payload].type_name
            payload_required = payload in input_shape.required_members
    headers_out: list[tuple[str, str, Callable[[Any], str]]] = []
    output_shape = model.output_shape
    out_payload = out_payload_kind = None
    out_payload_writer: Writer = None
    status_member = None
    if output_shape is not None:
        out_payload = output_shape.serialization.get("payload")
        if out_payload is not None:
            out_payload_kind = output_shape.members[out_payload].type_name
            out_payload_writer = proto.writer_for(output_shape.members[out_payload])
        for name, member in output_shape.members.items():
            where = member.serialization.get("location")
            if where == "header":
                wire_name = member.serialization.get("name", name)
                headers_out.append((name, wire_name, _header_writer(member)))
            elif where == "statusCode":
                status_member = name
    return RestPlan(
        operation=model.name,
        method=model.http["method"],
        path=path,
        labels=tuple(labels),
        headers_in=headers_in,
        headers_out=tuple(headers_out),
        query=query,
        payload=payload,
        payload_kind=payload_kind,
        payload_required=payload_required,
        body_members=tuple(body_members),
        out_payload=out_payload,
        out_payload_kind=out_payload_kind,
        out_payload_writer=out_payload_writer,
        status=int(model.http.get("responseCode", 200)),
        status_member=status_member,
        specificity=len(_LABEL.sub("", model.http["requestUri"].split("?", 1)[0])),
        reader=base.reader,
        writer=base.writer,
    )


class RestRoutes:
    """Every operation's plan, grouped by method, most specific template first."""

    def __init__(self, proto: ServiceProtocol) -> None:
        self.by_method: dict[str, list[RestPlan]] = {}
        self.by_operation: dict[str, RestPlan] = {}
        for operation in proto.operation_names:
            plan = _build_plan(proto, proto.model.operation_model(operation))
            self.by_operation[operation] = plan
            self.by_method.setdefault(plan.method, []).append(plan)
        for plans in self.by_method.values():
            plans.sort(key=lambda p: (-p.specificity, p.operation))

    def match(self, method: str, path: str) -> tuple[RestPlan, re.Match[str]]:
        for plan in self.by_method.get(method.upper(), ()):
            found = plan.path.fullmatch(path)
            if found is not None:
                return plan, found
        raise UnknownOperation(f"No operation matches {method.upper()} {path}")


def routes(proto: ServiceProtocol) -> RestRoutes:
    """The routes of a rest-json service, built on first use and kept with the protocol."""
    found: RestRoutes = proto.derived("rest-json routes", RestRoutes)
    return found


def parse_rest_request(
    proto: ServiceProtocol,
    method: str,
    raw_path: str,
    headers: Mapping[str, str],
    body: bytes,
) -> ParsedRequest:
    """Operation and converted, validated input members of a rest-json request.

    ``raw_path`` is the percent-encoded path, optionally with ``?query``; ``headers`` is any
    mapping with ``items()`` (a dict, Starlette's ``Headers``); header names match case-insensitively.
    """
    path, _, query_string = raw_path.partition("?")
    plan, found = routes(proto).match(method, path)
    params: dict[str, Any] = {member: unquote(found.group(group)) for group, member in plan.labels}
    headers_in = plan.headers_in
    for key, value in headers.items():
        target = headers_in.get(key.lower())
        if target is not None:
            try:
                params[target[0]] = target[1](value)
            except ValueError:
                raise UnsupportedMediaType(f"Header {key} has a malformed value") from None
    if query_string and plan.query:
        for key, values in parse_qs(query_string, keep_blank_values=True).items():
            wanted = plan.query.get(key)
            if wanted is not None:
                member, is_list, reader = wanted
                converted = [reader(value) for value in values]
                params[member] = converted if is_list else converted[-1]
    if plan.payload is not None:
        if plan.payload_kind == "blob":
            if body or plan.payload_required:
                params[plan.payload] = bytes(body)
        elif plan.payload_kind == "string":
            if body:
                params[plan.payload] = body.decode("utf-8")
        elif body:
            params[plan.payload] = decode_json_object(body)
    elif plan.body_members and body:
        data = decode_json_object(body)
        for name, wire_name in plan.body_members:
            if wire_name in data:
                params[name] = data[wire_name]
    return ParsedRequest(plan.operation, read_input(plan.reader, params))


def serialize_rest_response(
    proto: ServiceProtocol, operation: str, output: dict[str, Any] | None, request_id: str
) -> WireResponse:
    """Status from the model (or from a ``statusCode`` member, e.g. Invoke's 202 and 204), header
    members as headers, the payload (or the remaining JSON members) as body."""
    plan = routes(proto).by_operation[operation]
    output = output or {}
    status = plan.status
    if plan.status_member is not None and output.get(plan.status_member) is not None:
        status = int(output[plan.status_member])
    headers = {"x-amzn-RequestId": request_id}
    for member, header, writer in plan.headers_out:
        value = output.get(member)
        if value is not None:
            headers[header] = writer(value)
    body = b""
    if plan.out_payload is not None:
        value = output.get(plan.out_payload)
        if plan.out_payload_kind in ("blob", "string"):
            if value is not None:
                body = value.encode("utf-8") if isinstance(value, str) else bytes(value)
        elif value is not None:
            if plan.out_payload_writer is not None:
                value = plan.out_payload_writer(value)
            body = json.dumps(value, separators=(",", ":")).encode("utf-8")
            headers.setdefault("Content-Type", "application/json")
    elif plan.writer is not None:
        located = {m for m, _, _ in plan.headers_out} | {plan.status_member}
        data = plan.writer({k: v for k, v in output.items() if k not in located})
        body = json.dumps(data, separators=(",", ":")).encode("utf-8")
        headers.setdefault("Content-Type", "application/json")
    return WireResponse(status, headers, body)


def serialize_rest_error(
    proto: ServiceProtocol,
    exc: BaseException,
    request_id: str,
    context: InvocationContext | None = None,
) -> WireResponse:
    """The error for ``exc`` per ``protocol.errors``: ``x-amzn-ErrorType`` plus a JSON body."""
    reply = error_reply(proto, exc, request_id, context)
    headers = {
        "Content-Type": "application/json",
        "x-amzn-RequestId": request_id,
        "x-amzn-ErrorType": reply.code,
        **reply.headers,
    }
    data = dict(reply.body)
    if reply.code != "ModelError" and repeats_code_in_body(proto):
        data.setdefault("code", reply.code)
    return WireResponse(reply.status, headers, json.dumps(data, separators=(",", ":")).encode("utf-8"))
