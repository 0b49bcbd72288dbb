"""Writing a handler's output dict as the XML of a botocore ``query``-protocol output shape.

One ``XmlWriter`` per shape, built once and cached by shape name. A writer appends the *content*
of an element (text, or child elements) to a list of fragments; the caller writes the element's
own tags, because a member's tag is its name in the parent (``locationName`` or member name).

The rules are those botocore's ``QueryParser`` reads:

- structure members in model order, ``None`` members left out;
- lists ``<Member><member>...</member></Member>`` (the inner tag is the list member's
  ``locationName``, default ``member``); flattened lists repeat ``<Member>`` with no wrapper;
- maps ``<Map><entry><key>..</key><value>..</value></entry></Map>`` (flattened: no ``entry``);
- timestamps ISO 8601 in UTC with ``Z`` (milliseconds only when not zero, as IAM's
  ``CreateDate`` has none), booleans ``true``/``false``, blobs base64;
- IAM's ``policyDocumentType`` strings are URL-encoded JSON, as IAM sends them; botocore's
  ``after-call.iam`` handler decodes them back to a dict for boto3 users. A handler may return
  the document as text or as a dict.

Text is escaped for XML; ``\\r`` is written as ``&#13;`` so a parser's newline normalisation
does not turn a policy's ``\\r\\n`` into ``\\n``.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from botocore.model import ListShape, MapShape, Shape, StructureShape

from modelport.aws.protocol.timestamps import UTC, from_epoch

XmlWriter = Callable[[Any, list[str]], None]

# Shape names whose strings IAM URL-encodes on the wire (botocore's ``json_decode_policies``).
URL_ENCODED_SHAPES = frozenset({"policyDocumentType"})

_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"})


def escape(text: str) -> str:
    """``text`` as XML character data (also safe inside a double-quoted attribute)."""
    if "&" in text or "<" in text or ">" in text or "\r" in text or '"' in text:
        return text.translate(_ESCAPES).replace('"', "&quot;")
    return text


def iso8601(value: dt.datetime | float) -> str:
    """A timestamp as query services send it: ``2024-05-06T07:08:09Z`` (``.123Z`` with millis)."""
    when = value if isinstance(value, dt.datetime) else from_epoch(value)
    when = when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
    millis = when.microsecond // 1000
    base = when.strftime("%Y-%m-%dT%H:%M:%S")
    return f"{base}.{millis:03d}Z" if millis else f"{base}Z"


def _string(value: Any, out: list[str]) -> None:
    out.append(escape(value if isinstance(value, str) else str(value)))


def _url_encoded(value: Any, out: list[str]) -> None:
    text = value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
    out.append(quote(text, safe=""))  # only ASCII letters, digits and %XX: nothing to escape


def _boolean(value: Any, out: list[str]) -> None:
    out.append("true" if value else "false")


def _number(value: Any, out: list[str]) -> None:
    out.append(repr(value) if isinstance(value, float) else str(int(value)))


def _timestamp(value: Any, out: list[str]) -> None:
    out.append(iso8601(value))


def _blob(value: Any, out: list[str]) -> None:
    data = value.encode("utf-8") if isinstance(value, str) else value
    out.append(base64.b64encode(data).decode("ascii"))


_SCALARS: dict[str, XmlWriter] = {
    "boolean": _boolean,
    "integer": _number,
    "long": _number,
    "float": _number,
    "double": _number,
    "timestamp": _timestamp,
    "blob": _blob,
}


class StructureXmlWriter:
    """Members in model order: (member name, open tag, close tag, writer, repeated)."""

    __slots__ = ("members",)

    def __init__(self) -> None:
        # ``repeated`` marks a flattened list or map: one element per item, no wrapper.
        self.members: list[tuple[str, str, str, XmlWriter, bool]] = []

    def __call__(self, value: Any, out: list[str]) -> None:
        for name, open_tag, close_tag, writer, repeated in self.members:
            item = value.get(name)
            if item is None:
                continue
            if repeated:
                for element in item.items() if isinstance(item, dict) else item:
                    out.append(open_tag)
                    writer(element, out)
                    out.append(close_tag)
            else:
                out.append(open_tag)
                writer(item, out)
                out.append(close_tag)


def _tags(name: str) -> tuple[str, str]:
    return f"<{name}>", f"</{name}>"


def _list_writer(shape: ListShape, member: XmlWriter) -> XmlWriter:
    open_tag, close_tag = _tags(shape.member.serialization.get("name", "member"))

    def write(value: Any, out: list[str]) -> None:
        for item in value:
            out.append(open_tag)
            member(item, out)
            out.append(close_tag)

    return write


def _entry_writer(shape: MapShape, key: XmlWriter, value: XmlWriter) -> XmlWriter:
    """One ``(key, value)`` pair's content: ``<key>..</key><value>..</value>``."""
    key_open, key_close = _tags(shape.key.serialization.get("name") or "key")
    value_open, value_close = _tags(shape.value.serialization.get("name") or "value")

    def write(pair: Any, out: list[str]) -> None:
        out.append(key_open)
        key(pair[0], out)
        out.append(key_close)
        out.append(value_open)
        value(pair[1], out)
        out.append(value_close)

    return write


def _map_writer(entry: XmlWriter) -> XmlWriter:
    def write(value: Any, out: list[str]) -> None:
        for pair in value.items():
            out.append("<entry>")
            entry(pair, out)
            out.append("</entry>")

    return write


def member_tag(name: str, shape: Shape) -> str:
    """The XML tag (and query key) of member ``name``: its locationName; a flattened list whose
    member has a locationName repeats that name (botocore's rule)."""
    if isinstance(shape, ListShape) and shape.serialization.get("flattened"):
        member_name = shape.member.serialization.get("name")
        if member_name:
            return str(member_name)
    return str(shape.serialization.get("name", name))


def build_xml_writer(shape: Shape, cache: dict[str, XmlWriter]) -> XmlWriter:
    """The content writer for ``shape``; ``cache`` (by shape name) ends recursive shapes."""
    cached = cache.get(shape.name)
    if cached is not None:
        return cached
    writer: XmlWriter
    if isinstance(shape, StructureShape):
        struct = StructureXmlWriter()
        cache[shape.name] = struct  # before the members, so a recursive member finds it
        for name, member in shape.members.items():
            open_tag, close_tag = _tags(member_tag(name, member))
            flattened = bool(member.serialization.get("flattened"))
            member_writer = build_xml_writer(member, cache)
            if flattened and isinstance(member, ListShape):
                member_writer = build_xml_writer(member.member, cache)
            elif flattened and isinstance(member, MapShape):
                member_writer = _entry_writer(
                    member, build_xml_writer(member.key, cache), build_xml_writer(member.value, cache)
                )
            struct.members.append((name, open_tag, close_tag, member_writer, flattened))
        return struct
    if isinstance(shape, ListShape):
        writer = _list_writer(shape, build_xml_writer(shape.member, cache))
    elif isinstance(shape, MapShape):
        key, value = build_xml_writer(shape.key, cache), build_xml_writer(shape.value, cache)
        writer = _map_writer(_entry_writer(shape, key, value))
    elif shape.name in URL_ENCODED_SHAPES and shape.type_name == "string":
        writer = _url_encoded
    else:
        writer = _SCALARS.get(shape.type_name, _string)
    cache[shape.name] = writer
    return writer
