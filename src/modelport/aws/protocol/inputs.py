"""Reading a request's values against a botocore input shape.

One ``Reader`` per shape, built once and cached on the ``ServiceProtocol``. A reader does two
things in one walk, in the order AWS's Coral front end does them:

1. **Types.** A JSON value of the wrong type fails the whole request at once with
   ``UnsupportedMediaType`` (``SerializationException``), worded like Coral:
   ``STRING_VALUE can not be converted to an Integer``,
   ``Start of structure or map found where not expected``.
2. **Constraints.** ``required``, ``min``/``max`` (length or value), ``enum`` and ``pattern`` are
   all checked and collected over the whole request, then raised together as one
   ``InvalidRequest``: ``2 validation errors detected: Value 'x' at 'modelName' failed to
   satisfy constraint: ...; Value null at 'executionRoleArn' failed to ...``.

Paths are lowerCamelCase member names joined with ``.``; list elements are ``<list>.<n>.member``
(1-based); a structure inside a map is ``<map>.<key>``. Lists and maps of scalars report once for
the whole collection, as AWS does: ``Member must satisfy constraint: [...]``,
``Map keys must satisfy constraint: [...]``, ``Map value must satisfy constraint: [...]``.

Members the model does not know are dropped, as AWS ignores them; JSON ``null`` means "not set".
Converted values: timestamps become aware UTC ``datetime``; blobs become ``bytes``.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from typing import Any

from botocore.model import ListShape, MapShape, Shape, StructureShape

from modelport.aws.protocol.patterns import PATTERN_OVERRIDES, compile_pattern
from modelport.aws.protocol.timestamps import from_epoch, parse_timestamp
from modelport.core.errors import InvalidRequest, UnsupportedMediaType

_STRUCTURE_FOUND = "Start of structure or map found where not expected"
_LIST_FOUND = "Start of list found where not expected"
_UNEXPECTED = "Unexpected field type"


def _json_kind(value: Any) -> str:
    """Coral's name for the JSON token it found."""
    if value is True:
        return "TRUE_VALUE"
    if value is False:
        return "FALSE_VALUE"
    if isinstance(value, int):
        return "NUMBER_VALUE"
    if isinstance(value, float):
        return "DECIMAL_VALUE"
    return "STRING_VALUE"


def _wrong_type(value: Any, java_type: str) -> UnsupportedMediaType:
    if isinstance(value, dict):
        return UnsupportedMediaType(_STRUCTURE_FOUND)
    if isinstance(value, list):
        return UnsupportedMediaType(f"Unrecognized collection type class java.lang.{java_type}")
    article = "an" if java_type[0] in "AEIOU" else "a"
    return UnsupportedMediaType(f"{_json_kind(value)} can not be converted to {article} {java_type}")


def render(value: Any) -> str:
    """A value the way Java's ``toString`` would show it in a validation message."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, bytes):
        return f"java.nio.HeapByteBuffer[pos=0 lim={len(value)} cap={len(value)}]"
    if isinstance(value, dt.datetime):
        return value.strftime("%a %b %d %H:%M:%S UTC %Y")
    if isinstance(value, list):
        return "[" + ", ".join(render(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}={render(v)}" for k, v in value.items()) + "}"
    return str(value)


def violation(value: Any, path: str, constraint: str) -> str:
    shown = "null" if value is None else f"'{render(value)}'"
    return f"Value {shown} at '{path}' failed to satisfy constraint: {constraint}"


def validation_message(errors: list[str]) -> str:
    count = len(errors)
    plural = "error" if count == 1 else "errors"
    return f"{count} validation {plural} detected: " + "; ".join(errors)


def _utf16_length(text: str) -> int:
    # Java counts UTF-16 code units; a character outside the BMP counts twice.
    return len(text) if text.isascii() else len(text.encode("utf-16-le")) // 2


def _length_limits(shape: Shape) -> tuple[int | None, int | None]:
    meta = shape.metadata
    return meta.get("min"), meta.get("max")


class Reader:
    """Converts and checks one JSON value; see the module docstring."""

    __slots__ = ()

    def read(self, value: Any, path: str, errors: list[str]) -> Any:
        raise NotImplementedError


class ScalarReader(Reader):
    """A leaf value: ``convert`` (type errors raise) then ``constraints`` (returns texts)."""

    __slots__ = ()

    def __init__(self, shape: Shape) -> None:
        pass

    def convert(self, value: Any) -> Any:
        raise NotImplementedError

    def constraints(self, value: Any) -> list[str]:
        return []

    def read(self, value: Any, path: str, errors: list[str]) -> Any:
        value = self.convert(value)
        for text in self.constraints(value):
            errors.append(violation(value, path, text))
        return value


class StringReader(ScalarReader):
    __slots__ = ("enum", "enum_text", "max", "min", "pattern", "regex")

    def __init__(self, shape: Shape) -> None:
        self.min, self.max = _length_limits(shape)
        self.enum: frozenset[str] | None = frozenset(shape.enum) if shape.enum else None
        self.enum_text = f"Member must satisfy enum value set: [{', '.join(shape.enum)}]"
        self.pattern: str | None = PATTERN_OVERRIDES.get(shape.name, shape.metadata.get("pattern"))
        self.regex = compile_pattern(self.pattern) if self.pattern else None

    def convert(self, value: Any) -> Any:
        if type(value) is not str:
            raise _wrong_type(value, "String")
        return value

    def constraints(self, value: str) -> list[str]:
        found: list[str] = []
        if self.min is not None or self.max is not None:
            length = _utf16_length(value)
            if self.min is not None and length < self.min:
                found.append(f"Member must have length greater than or equal to {self.min}")
            if self.max is not None and length > self.max:
                found.append(f"Member must have length less than or equal to {self.max}")
        if self.enum is not None and value not in self.enum:
            found.append(self.enum_text)
        if self.regex is not None and self.regex.fullmatch(value) is None:
            found.append(f"Member must satisfy regular expression pattern: {self.pattern}")
        return found


def _range_constraints(value: float, low: float | None, high: float | None) -> list[str]:
    found: list[str] = []
    if low is not None and value < low:
        found.append(f"Member must have value greater than or equal to {low}")
    if high is not None and value > high:
        found.append(f"Member must have value less than or equal to {high}")
    return found


class IntegerReader(ScalarReader):
    __slots__ = ("java_type", "max", "min")

    def __init__(self, shape: Shape) -> None:
        self.min, self.max = _length_limits(shape)
        self.java_type = "Long" if shape.type_name == "long" else "Integer"

    def convert(self, value: Any) -> Any:
        if type(value) is int:
            return value
        if type(value) is float and value.is_integer():
            return int(value)
        raise _wrong_type(value, self.java_type)

    def constraints(self, value: int) -> list[str]:
        return _range_constraints(value, self.min, self.max)


class FloatReader(ScalarReader):
    __slots__ = ("java_type", "max", "min")

    def __init__(self, shape: Shape) -> None:
        self.min, self.max = _length_limits(shape)
        self.java_type = "Float" if shape.type_name == "float" else "Double"

    def convert(self, value: Any) -> Any:
        if type(value) is float or type(value) is int:
            return float(value)
        raise _wrong_type(value, self.java_type)

    def constraints(self, value: float) -> list[str]:
        return _range_constraints(value, self.min, self.max)


class BooleanReader(ScalarReader):
    __slots__ = ()

    def convert(self, value: Any) -> Any:
        if type(value) is bool:
            return value
        raise _wrong_type(value, "Boolean")


class TimestampReader(ScalarReader):
    __slots__ = ()

    def convert(self, value: Any) -> Any:
        if type(value) is int or type(value) is float:
            return from_epoch(value)
        if type(value) is str:
            try:
                return parse_timestamp(value)
            except ValueError:
                pass
        raise _wrong_type(value, "Timestamp")


class BlobReader(ScalarReader):
    """Base64 text in JSON bodies; raw ``bytes`` when the body itself is the blob (rest-json)."""

    __slots__ = ("max", "min")

    def __init__(self, shape: Shape) -> None:
        self.min, self.max = _length_limits(shape)

    def convert(self, value: Any) -> Any:
        if type(value) is bytes:
            return value
        if type(value) is not str:
            if isinstance(value, dict | list):
                raise _wrong_type(value, "ByteBuffer")
            raise UnsupportedMediaType("only base-64-encoded strings are convertible to bytes")
        if len(value) % 4:
            raise UnsupportedMediaType(
                f"Base64 encoded length is expected a multiple of 4 bytes but found: {len(value)}"
            )
        try:
            return base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise UnsupportedMediaType("Invalid Base64 character detected") from None

    def constraints(self, value: bytes) -> list[str]:
        found: list[str] = []
        if self.min is not None and len(value) < self.min:
            found.append(f"Member must have length greater than or equal to {self.min}")
        if self.max is not None and len(value) > self.max:
            found.append(f"Member must have length less than or equal to {self.max}")
        return found


class DocumentReader(ScalarReader):
    """A free-form JSON document: passed through untouched."""

    __slots__ = ()

    def convert(self, value: Any) -> Any:
        return value


def _collection_length(value: Any, low: int | None, high: int | None) -> list[str]:
    found: list[str] = []
    if low is not None and len(value) < low:
        found.append(f"Member must have length greater than or equal to {low}")
    if high is not None and len(value) > high:
        found.append(f"Member must have length less than or equal to {high}")
    return found


def _scalar_texts(reader: ScalarReader, values: Any) -> tuple[list[Any], list[str]]:
    """Convert every element; the distinct constraint texts over all of them, in first-seen order."""
    converted = []
    texts: dict[str, None] = {}
    for item in values:
        item = reader.convert(item)
        converted.append(item)
        for text in reader.constraints(item):
            texts[text] = None
    return converted, list(texts)


class ListReader(Reader):
    __slots__ = ("max", "member", "min")

    def __init__(self, shape: ListShape, member: Reader) -> None:
        self.min, self.max = _length_limits(shape)
        self.member = member

    def read(self, value: Any, path: str, errors: list[str]) -> Any:
        if type(value) is not list:
            raise UnsupportedMediaType(_STRUCTURE_FOUND if isinstance(value, dict) else _UNEXPECTED)
        for text in _collection_length(value, self.min, self.max):
            errors.append(violation(value, path, text))
        member = self.member
        if isinstance(member, ScalarReader):
            converted, texts = _scalar_texts(member, [v for v in value if v is not None])
            if texts:
                errors.append(
                    violation(converted, path, f"Member must satisfy constraint: [{', '.join(texts)}]")
                )
            return converted
        return [
            member.read(item, f"{path}.{index}.member", errors)
            for index, item in enumerate(value, start=1)
            if item is not None
        ]


class MapReader(Reader):
    __slots__ = ("key", "max", "min", "value")

    def __init__(self, shape: MapShape, key: ScalarReader, value: Reader) -> None:
        self.min, self.max = _length_limits(shape)
        self.key = key
        self.value = value

    def read(self, value: Any, path: str, errors: list[str]) -> Any:
        if type(value) is not dict:
            raise UnsupportedMediaType(_LIST_FOUND if isinstance(value, list) else _UNEXPECTED)
        for text in _collection_length(value, self.min, self.max):
            errors.append(violation(value, path, text))
        keys, key_texts = _scalar_texts(self.key, value.keys())
        if key_texts:
            errors.append(
                violation(value, path, f"Map keys must satisfy constraint: [{', '.join(key_texts)}]")
            )
        items = [(k, v) for k, v in zip(keys, value.values(), strict=True) if v is not None]
        if isinstance(self.value, ScalarReader):
            values, value_texts = _scalar_texts(self.value, [v for _, v in items])
            if value_texts:
                text = f"Map value must satisfy constraint: [{', '.join(value_texts)}]"
                errors.append(violation(value, path, text))
            return {k: v for (k, _), v in zip(items, values, strict=True)}
        return {k: self.value.read(v, f"{path}.{k}", errors) for k, v in items}


class StructureReader(Reader):
    """Members in model order: (name, lowerCamel name, reader, required)."""

    __slots__ = ("members",)

    def __init__(self) -> None:
        self.members: list[tuple[str, str, Reader, bool]] = []

    def read(self, value: Any, path: str, errors: list[str]) -> Any:
        if type(value) is not dict:
            raise UnsupportedMediaType(_LIST_FOUND if isinstance(value, list) else _UNEXPECTED)
        out: dict[str, Any] = {}
        prefix = f"{path}." if path else ""
        for name, camel, reader, required in self.members:
            item = value.get(name)
            if item is None:
                if required:
                    errors.append(violation(None, prefix + camel, "Member must not be null"))
                continue
            out[name] = reader.read(item, prefix + camel, errors)
        return out


def read_input(reader: StructureReader, data: Any) -> dict[str, Any]:
    """Convert and validate a whole request; raise ``InvalidRequest`` with every violation."""
    errors: list[str] = []
    params: dict[str, Any] = reader.read(data, "", errors)
    if errors:
        raise InvalidRequest(validation_message(errors))
    return params


_SCALARS: dict[str, type[ScalarReader]] = {
    "string": StringReader,
    "integer": IntegerReader,
    "long": IntegerReader,
    "float": FloatReader,
    "double": FloatReader,
    "boolean": BooleanReader,
    "timestamp": TimestampReader,
    "blob": BlobReader,
}


def build_reader(shape: Shape, cache: dict[str, Reader]) -> Reader:
    """The reader for ``shape``; ``cache`` (by shape name) makes recursive shapes terminate."""
    cached = cache.get(shape.name)
    if cached is not None:
        return cached
    reader: Reader
    if isinstance(shape, StructureShape):
        if shape.metadata.get("document"):
            reader = cache[shape.name] = DocumentReader(shape)
            return reader
        struct = StructureReader()
        cache[shape.name] = struct  # before the members, so a recursive member finds it
        required = set(shape.required_members)
        for name, member in shape.members.items():
            camel = name[:1].lower() + name[1:]
            struct.members.append((name, camel, build_reader(member, cache), name in required))
        return struct
    if isinstance(shape, ListShape):
        reader = ListReader(shape, build_reader(shape.member, cache))
    elif isinstance(shape, MapShape):
        key = build_reader(shape.key, cache)
        assert isinstance(key, ScalarReader)
        reader = MapReader(shape, key, build_reader(shape.value, cache))
    else:
        scalar = _SCALARS.get(shape.type_name, DocumentReader)
        reader = scalar(shape)
    cache[shape.name] = reader
    return reader
