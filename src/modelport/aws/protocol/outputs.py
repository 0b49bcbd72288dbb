"""Writing a handler's output dict as the JSON value of a botocore output shape.

Only members the shape declares and the handler set (not ``None``) are written. Timestamps
become epoch seconds (see ``timestamps``), blobs base64 text; everything else is already a JSON
value. One ``Writer`` per shape, built once and cached on the ``ServiceProtocol``; shapes whose
whole subtree needs no conversion pass lists and maps through untouched.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from typing import Any

from botocore.model import ListShape, MapShape, Shape, StructureShape

from modelport.aws.protocol.timestamps import to_epoch

# ``None`` means "already a JSON value, write as is".
Writer = Callable[[Any], Any] | None


def _blob(value: Any) -> str:
    if isinstance(value, str):
        value = value.encode("utf-8")
    return base64.b64encode(value).decode("ascii")


class StructureWriter:
    """Keeps the shape's members, in the handler's values, converted member by member.

    Handlers use botocore's member names; on the wire a member may have another name
    (``locationName``, e.g. API Gateway's ``items`` member is sent as ``item``).
    """

    __slots__ = ("members",)

    def __init__(self) -> None:
        self.members: list[tuple[str, str, Writer]] = []  # (member name, wire name, writer)

    def __call__(self, value: Mapping[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, wire_name, writer in self.members:
            item = value.get(name)
            if item is not None:
                out[wire_name] = item if writer is None else writer(item)
        return out


def _list_writer(member: Writer) -> Writer:
    if member is None:
        return None
    return lambda value: [member(item) for item in value]


def _map_writer(member: Writer) -> Writer:
    if member is None:
        return None
    return lambda value: {key: member(item) for key, item in value.items()}


def build_writer(shape: Shape, cache: dict[str, Writer]) -> Writer:
    """The writer for ``shape``; ``cache`` (by shape name) makes recursive shapes terminate."""
    if shape.name in cache:
        return cache[shape.name]
    writer: Writer
    if isinstance(shape, StructureShape):
        if shape.metadata.get("document"):
            cache[shape.name] = None
            return None
        struct = StructureWriter()
        cache[shape.name] = struct  # before the members, so a recursive member finds it
        for name, member in shape.members.items():
            wire_name = member.serialization.get("name", name)
            struct.members.append((name, wire_name, build_writer(member, cache)))
        return struct
    if isinstance(shape, ListShape):
        writer = _list_writer(build_writer(shape.member, cache))
    elif isinstance(shape, MapShape):
        writer = _map_writer(build_writer(shape.value, cache))
    elif shape.type_name == "timestamp":
        writer = to_epoch
    elif shape.type_name == "blob":
        writer = _blob
    else:
        writer = None
    cache[shape.name] = writer
    return writer
