"""The ``query`` protocol (IAM, STS): form-encoded requests, XML responses.

Requests are ``POST /`` with an ``application/x-www-form-urlencoded`` body, or ``GET`` with the
same pairs in the query string: ``Action=<Operation>&Version=<apiVersion>&<members>``. Members
are flattened as botocore's ``QuerySerializer`` does: ``Parent.Child`` for structures,
``List.member.1`` for lists (flattened lists ``List.1``; the inner name is the list member's
``locationName``), ``Map.entry.1.key`` / ``Map.entry.1.value`` for maps, ``List=`` for an
empty list. ``parse_query_request`` rebuilds the nested value from the shapes, turns numbers
and booleans into JSON values, and hands it to the operation's ``StructureReader``, so types and
constraints are checked, and worded, exactly as for the JSON protocols. A number or boolean that
does not parse stays text and fails there (``STRING_VALUE can not be converted to an Integer``).
Pairs the model does not know (``X-Amz-*`` of a presigned GET, typos) are ignored.

An unknown ``Action``, or a ``Version`` other than the model's, is ``UnknownOperation``
(``InvalidAction``: ``Could not find operation X for version V``). A missing ``Version`` reads
``for version NO_VERSION_SPECIFIED``, the text AWS's query front end uses.

Responses: ``<{Op}Response xmlns="<xmlNamespace>"><{Op}Result>..</{Op}Result>
<ResponseMetadata><RequestId>..</RequestId></ResponseMetadata></{Op}Response>`` (no result
element for operations without output); see ``query_xml`` for how members are written. Errors:
``<ErrorResponse><Error><Type>Sender|Receiver</Type><Code/><Message/></Error><RequestId/>``
with the code and status from ``protocol.errors``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from botocore.model import ListShape, MapShape, Shape, StructureShape

from modelport.aws.protocol.errors import error_reply
from modelport.aws.protocol.inputs import read_input
from modelport.aws.protocol.models import ParsedRequest, ServiceProtocol, WireResponse
from modelport.aws.protocol.query_xml import XmlWriter, build_xml_writer, escape, member_tag
from modelport.core.errors import UnknownOperation, UnsupportedMediaType

NO_VERSION = "NO_VERSION_SPECIFIED"
CONTENT_TYPE = "text/xml"


class _Node:
    """One dotted-key prefix of a request: its own value and the keys one segment longer."""

    __slots__ = ("children", "text")

    def __init__(self) -> None:
        self.text: str | None = None
        self.children: dict[str, _Node] = {}


# Turns a node into the JSON-like value the input readers expect (they validate it).
Decoder = Callable[[_Node], Any]


def _indexed(node: _Node) -> list[_Node]:
    """Children named ``1``, ``2``, ... in numeric order (gaps allowed, other names ignored)."""
    found = [(int(key), child) for key, child in node.children.items() if key.isdigit()]
    return [child for _, child in sorted(found, key=lambda pair: pair[0])]


def _text(node: _Node) -> Any:
    # A node with members where a scalar belongs: a dict, which the reader reports as such.
    return node.text if node.text is not None else {}


def _integer(node: _Node) -> Any:
    text = _text(node)
    try:
        return int(text)
    except (TypeError, ValueError):
        return text


def _float(node: _Node) -> Any:
    text = _text(node)
    try:
        return float(text)
    except (TypeError, ValueError):
        return text


def _boolean(node: _Node) -> Any:
    text = _text(node)
    if text == "true":
        return True
    if text == "false":
        return False
    return text


_SCALARS: dict[str, Decoder] = {
    "integer": _integer,
    "long": _integer,
    "float": _float,
    "double": _float,
    "boolean": _boolean,
}


def _structure_decoder(members: list[tuple[str, str, Decoder]]) -> Decoder:
    def decode(node: _Node) -> Any:
        if not node.children:
            return _text(node) or {}
        out: dict[str, Any] = {}
        for wire_name, name, decoder in members:
            child = node.children.get(wire_name)
            if child is not None:
                out[name] = decoder(child)
        return out

    return decode


def _list_decoder(item_key: str | None, member: Decoder) -> Decoder:
    def decode(node: _Node) -> Any:
        if not node.children:
            return [] if not node.text else node.text  # ``List=`` is the empty list
        items = node if item_key is None else node.children.get(item_key)
        return [member(child) for child in _indexed(items)] if items is not None else []

    return decode


def _map_decoder(flattened: bool, key_name: str, value_name: str, key: Decoder, value: Decoder) -> Decoder:
    def decode(node: _Node) -> Any:
        entries = node if flattened else node.children.get("entry")
        if entries is None:
            return {} if not node.text else node.text
        out: dict[Any, Any] = {}
        for entry in _indexed(entries):
            key_node, value_node = entry.children.get(key_name), entry.children.get(value_name)
            if key_node is not None:
                out[key(key_node)] = value(value_node) if value_node is not None else None
        return out

    return decode


def build_decoder(shape: Shape, cache: dict[str, Decoder]) -> Decoder:
    """The decoder for ``shape``; ``cache`` (by shape name) makes recursive shapes terminate."""
    cached = cache.get(shape.name)
    if cached is not None:
        return cached
    decoder: Decoder
    if isinstance(shape, StructureShape):
        members: list[tuple[str, str, Decoder]] = []
        cache[shape.name] = decoder = _structure_decoder(members)  # filled below; recursion finds it
        for name, member in shape.members.items():
            members.append((member_tag(name, member), name, build_decoder(member, cache)))
        return decoder
    if isinstance(shape, ListShape):
        flattened = bool(shape.serialization.get("flattened"))
        item_key = None if flattened else str(shape.member.serialization.get("name", "member"))
        decoder = _list_decoder(item_key, build_decoder(shape.member, cache))
    elif isinstance(shape, MapShape):
        decoder = _map_decoder(
            bool(shape.serialization.get("flattened")),
            str(shape.key.serialization.get("name") or "key"),
            str(shape.value.serialization.get("name") or "value"),
            build_decoder(shape.key, cache),
            build_decoder(shape.value, cache),
        )
    else:
        decoder = _SCALARS.get(shape.type_name, _text)  # strings; timestamps and blobs stay text
    cache[shape.name] = decoder
    return decoder


@dataclass(frozen=True, slots=True)
class QueryOperation:
    """What the query protocol needs of one operation, beyond its ``OperationPlan``."""

    decoder: Decoder | None
    result_tag: str | None  # ``None``: the operation has no output shape
    writer: XmlWriter | None


class QueryModel:
    """Per-service values of the query protocol, built once (``ServiceProtocol.derived``)."""

    def __init__(self, proto: ServiceProtocol) -> None:
        self.version: str = proto.model.api_version
        namespace = proto.model.metadata.get("xmlNamespace")
        self.xmlns = f' xmlns="{escape(namespace)}"' if namespace else ""
        decoders: dict[str, Decoder] = {}
        writers: dict[str, XmlWriter] = {}
        self.operations: dict[str, QueryOperation] = {}
        for name in proto.operation_names:
            model = proto.model.operation_model(name)
            decoder = build_decoder(model.input_shape, decoders) if model.input_shape else None
            output = model.output_shape
            result_tag = writer = None
            if output is not None:
                result_tag = str(output.serialization.get("resultWrapper", f"{name}Result"))
                writer = build_xml_writer(output, writers)
            self.operations[name] = QueryOperation(decoder, result_tag, writer)


def query_model(proto: ServiceProtocol) -> QueryModel:
    found: QueryModel = proto.derived("query", QueryModel)
    return found


def _tree(pairs: list[tuple[str, str]]) -> tuple[_Node, str | None, str | None]:
    root = _Node()
    action = version = None
    for key, value in pairs:
        if key == "Action":
            action = value
        elif key == "Version":
            version = value
        else:
            node = root
            for part in key.split("."):
                child = node.children.get(part)
                if child is None:
                    child = node.children[part] = _Node()
                node = child
            node.text = value
    return root, action, version


def parse_query_request(proto: ServiceProtocol, body_or_query: str | bytes) -> ParsedRequest:
    """Operation and converted, validated input members of a query-protocol request.

    ``body_or_query`` is the form-encoded POST body, or the query string of a GET. Raises
    ``UnknownOperation`` (no, unknown or wrong-version action), ``UnsupportedMediaType`` (not
    UTF-8, or a member of the wrong kind) or ``InvalidRequest`` (constraints).
    """
    if isinstance(body_or_query, bytes):
        try:
            body_or_query = body_or_query.decode("utf-8")
        except UnicodeDecodeError:
            raise UnsupportedMediaType("The request body is not valid UTF-8") from None
    try:
        pairs = parse_qsl(body_or_query, keep_blank_values=True, errors="strict")
    except UnicodeDecodeError:
        raise UnsupportedMediaType("The query string is not valid percent-encoded UTF-8") from None
    root, action, version = _tree(pairs)
    model = query_model(proto)
    if not action:
        raise UnknownOperation("The request must contain the parameter Action")
    operation = model.operations.get(action)
    if operation is None or version != model.version:
        raise UnknownOperation(f"Could not find operation {action} for version {version or NO_VERSION}")
    data = operation.decoder(root) if operation.decoder is not None else {}
    return ParsedRequest(action, read_input(proto.plan(action).reader, data))


def _headers(request_id: str) -> dict[str, str]:
    return {"Content-Type": CONTENT_TYPE, "x-amzn-RequestId": request_id}


def _metadata(request_id: str) -> str:
    return f"<ResponseMetadata><RequestId>{escape(request_id)}</RequestId></ResponseMetadata>"


def serialize_query_response(
    proto: ServiceProtocol, operation: str, output: dict[str, Any] | None, request_id: str
) -> WireResponse:
    """HTTP 200 with ``<{Op}Response>``: the output members the shape declares and the request id."""
    model = query_model(proto)
    plan = model.operations.get(operation)
    if plan is None:
        raise UnknownOperation(f"Unknown operation {operation}")
    out = [f"<{operation}Response{model.xmlns}>"]
    if plan.result_tag is not None and plan.writer is not None:
        out.append(f"<{plan.result_tag}>")
        if output:
            plan.writer(output, out)
        out.append(f"</{plan.result_tag}>")
    out.append(_metadata(request_id))
    out.append(f"</{operation}Response>")
    return WireResponse(200, _headers(request_id), "".join(out).encode("utf-8"))


def serialize_query_error(proto: ServiceProtocol, exc: BaseException, request_id: str) -> WireResponse:
    """``<ErrorResponse>`` for ``exc`` per the table in ``protocol.errors``; unmapped ones are logged."""
    reply = error_reply(proto, exc, request_id)
    message = next(iter(reply.body.values()), None)
    fault = "Sender" if reply.status < 500 else "Receiver"
    body = (
        f"<ErrorResponse{query_model(proto).xmlns}><Error><Type>{fault}</Type>"
        f"<Code>{escape(reply.code)}</Code>"
        + (f"<Message>{escape(str(message))}</Message>" if message is not None else "")
        + f"</Error><RequestId>{escape(request_id)}</RequestId></ErrorResponse>"
    )
    return WireResponse(reply.status, _headers(request_id) | reply.headers, body.encode("utf-8"))
