"""Batch transform's ``DataProcessing``: InputFilter, JoinSource and OutputFilter, one record at a time.

It owns the JSONPath subset, the checks CreateTransformJob makes on it, and the per-record
filter the runner calls; it does no I/O. The behaviour follows AWS's "Associate Prediction
Results with Input Records" (docs.aws.amazon.com/sagemaker/latest/dg/batch-transform-data-processing.html):

- InputFilter selects what the model receives; JoinSource=Input joins the record *as read*
  (before InputFilter) with the model's output; OutputFilter selects from the joined record.
- A CSV row is a JSON array of its fields, so only index selectors apply to it. Joining appends
  the output's fields to the input's.
- A JSON object gets the output under ``SageMakerOutput``; any other JSON value becomes
  ``{"SageMakerInput": <input>, "SageMakerOutput": <output>}``.
- JSONPath subset: ``$``, ``.name``, ``.*``/``[*]``, ``['a','b']``, ``[i,j]`` (negative
  indexes count from the end), ``[start:end]``, unions of indexes and slices (``[0,5:]``),
  chained (``$.a.b[1:]``) as long as nothing follows a selector that yields several values.
  An index outside the array is an error; a slice is clamped, as in Jayway JsonPath (which AWS
  names as its reference) and Python.

AWS's prose says ``$[1:4]`` means "the second through fifth columns" (end inclusive) while its
operator table describes JavaScript's ``slice()`` (end exclusive). We follow the table and
Jayway: ``$[1:4]`` is fields 1, 2 and 3, as Python's ``fields[1:4]``.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from modelport.core.errors import InvalidRequest

MAX_PATH_LENGTH = 63
_JOINABLE = ("text/csv", "application/json", "application/jsonlines")


class RecordError(Exception):
    """A record the filters cannot handle (not valid JSON, an index out of range, ...); the message says which and why."""


@dataclass(frozen=True)
class _Keys:
    names: tuple[str, ...]
    many: bool  # ['a','b'] yields an object of those keys; .a and ['a'] yield the value


@dataclass(frozen=True)
class _Indexes:
    items: tuple[int | slice, ...]
    many: bool  # [i] yields the element; slices and unions yield an array


@dataclass(frozen=True)
class _Wildcard:
    many: bool = True


_Segment = _Keys | _Indexes | _Wildcard
_NAME = re.compile(r"\.([A-Za-z0-9_@$-]+)")
_BRACKET = re.compile(r"\.?\[([^\[\]]*)\]")
_QUOTED = re.compile(r"'([^']*)'|\"([^\"]*)\"")
_QUOTED_LIST = re.compile(rf"\s*(?:{_QUOTED.pattern})\s*(?:,\s*(?:{_QUOTED.pattern})\s*)*")
_INDEX_ITEM = re.compile(r"\s*(-?\d+)?\s*(:)?\s*(-?\d+)?\s*")


def _normal_type(content_type: str | None) -> str | None:
    return content_type.split(";", 1)[0].strip().lower() if content_type else None


@dataclass(frozen=True)
class _Path:
    field: str  # "InputFilter" or "OutputFilter", to name in messages
    text: str
    segments: tuple[_Segment, ...]  # () is "$", the whole record

    def refuse(self, why: str) -> InvalidRequest:
        return InvalidRequest(f"DataProcessing.{self.field} {self.text!r} {why}")


def _parse(field: str, text: object) -> _Path:
    """The JSONPath in ``text``, or InvalidRequest naming the field and saying what to fix."""
    if not isinstance(text, str):
        raise InvalidRequest(f"DataProcessing.{field} must be a JSONPath string.")
    if len(text) > MAX_PATH_LENGTH:
        raise InvalidRequest(
            f"DataProcessing.{field} must be at most {MAX_PATH_LENGTH} characters, got {len(text)}."
        )
    path = _Path(field, text, ())
    if text == "":  # the API allows length 0; AWS's default is "$", so "" means the whole record
        return path
    if not text.startswith("$"):
        raise path.refuse("must start with '$' (the whole record).")
    segments: list[_Segment] = []
    pos = 1
    while pos < len(text):
        if segments and segments[-1].many:
            raise path.refuse(
                f"cannot select past a slice, union, ['a','b'] or * (at {pos}): end the path there."
            )
        if text.startswith(".*", pos) or text.startswith("[*]", pos):
            segments.append(_Wildcard())
            pos += 2 if text[pos] == "." else 3
        elif (name := _NAME.match(text, pos)) is not None:
            segments.append(_Keys((name.group(1),), many=False))
            pos = name.end()
        elif (bracket := _BRACKET.match(text, pos)) is not None:
            segments.append(_parse_bracket(bracket.group(1), path))
            pos = bracket.end()
        else:
            raise path.refuse(
                f"is not in the supported JSONPath subset at {pos}: use $, .name, ['a','b'], "
                "[i,j] (negative allowed), [start:end] or *."
            )
    return _Path(field, text, tuple(segments))


def _parse_bracket(body: str, path: _Path) -> _Segment:
    if _QUOTED_LIST.fullmatch(body):  # names may hold commas, so they are found, not split
        names = tuple(single or double for single, double in _QUOTED.findall(body))
        return _Keys(names, many=len(names) > 1)
    items: list[int | slice] = []
    for part in body.split(","):
        m = _INDEX_ITEM.fullmatch(part)
        if m is None or (m.group(1) is None and m.group(2) is None):
            raise path.refuse(
                f"has [{body}], which is not a list of quoted names or of indexes and start:end slices."
            )
        start, colon, end = m.groups()
        if colon is None:
            items.append(int(start))
        else:
            items.append(slice(None if start is None else int(start), None if end is None else int(end)))
    return _Indexes(tuple(items), many=len(items) > 1 or isinstance(items[0], slice))


def _format(content_type: str | None, path: _Path) -> str:
    """'csv', 'json' or 'opaque' for records of ``content_type``, checking that ``path`` applies to them."""
    kind = _normal_type(content_type)
    if kind == "text/csv":
        if len(path.segments) > 1 or (path.segments and isinstance(path.segments[0], _Keys)):
            raise path.refuse(
                "cannot apply to CSV: a CSV row is an array of fields, so use one index selector "
                "such as $[0], $[1:] or $[0,-1]."
            )
        return "csv"
    if kind in ("application/json", "application/jsonlines"):
        return "json"
    if path.segments:
        raise path.refuse(
            f"needs records in one of {', '.join(_JOINABLE)}, not {content_type or 'an unset content type'}."
        )
    return "opaque"


@dataclass(frozen=True)
class _Settings:
    input_filter: _Path
    output_filter: _Path
    join: bool
    input_format: str
    output_format: str


def _settings(data_processing: Mapping[str, Any], content_type: str | None, accept: str | None) -> _Settings:
    join_source = data_processing.get("JoinSource", "None")
    if join_source not in ("Input", "None"):
        raise InvalidRequest(f"DataProcessing.JoinSource must be Input or None, got {join_source!r}.")
    input_filter = _parse("InputFilter", data_processing.get("InputFilter", "$"))
    output_filter = _parse("OutputFilter", data_processing.get("OutputFilter", "$"))
    return _Settings(
        input_filter=input_filter,
        output_filter=output_filter,
        join=join_source == "Input",
        input_format=_format(content_type, input_filter),
        # A missing Accept means the output has the input's type.
        output_format=_format(accept or content_type, output_filter),
    )


def check_data_processing(
    data_processing: Mapping[str, Any],
    *,
    content_type: str | None,
    accept: str | None,
    split_type: str,
    assemble_with: str,
) -> None:
    """CreateTransformJob-time validation: InvalidRequest, saying what to fix, for a JSONPath
    outside the subset or over 63 characters, a filter on a type it cannot read, or a
    JoinSource=Input that cannot join (ContentType = Accept in text/csv, application/json,
    application/jsonlines; for CSV also SplitType = AssembleWith = Line)."""
    if not _settings(data_processing, content_type, accept).join:
        return
    kind = _normal_type(content_type)
    if kind not in _JOINABLE:
        raise InvalidRequest(
            f"JoinSource=Input needs TransformInput.ContentType to be one of {', '.join(_JOINABLE)}, got {content_type!r}."
        )
    if (_normal_type(accept) or kind) != kind:
        raise InvalidRequest(
            f"JoinSource=Input needs TransformOutput.Accept equal to TransformInput.ContentType ({content_type}), got {accept!r}."
        )
    if kind == "text/csv" and (split_type, assemble_with) != ("Line", "Line"):
        raise InvalidRequest(
            "JoinSource=Input with text/csv needs TransformInput.SplitType=Line and TransformOutput.AssembleWith=Line, "
            f"got SplitType={split_type} and AssembleWith={assemble_with}."
        )


class RecordFilter:
    """DataProcessing for one job, applied to one record at a time."""

    def __init__(
        self, data_processing: Mapping[str, Any], *, content_type: str | None, accept: str | None
    ) -> None:
        self._s = _settings(data_processing, content_type, accept)

    @property
    def active(self) -> bool:
        """False when DataProcessing is empty or all defaults ($, $, None): the runner then skips per-record work."""
        return bool(self._s.input_filter.segments) or self.needs_outputs_per_record

    @property
    def needs_outputs_per_record(self) -> bool:
        """True when JoinSource=Input or OutputFilter is not '$': the runner must pair each input record with its output record."""
        return self._s.join or bool(self._s.output_filter.segments)

    def input(self, record: bytes) -> bytes:
        """InputFilter applied to one input record (raises RecordError)."""
        s = self._s
        if not s.input_filter.segments:
            return record
        return _dump(_select(_load(record, s.input_format, "input"), s.input_filter), s.input_format)

    def output(self, input_record: bytes, output_record: bytes) -> bytes:
        """Join (JoinSource=Input) then OutputFilter, for one record (raises RecordError).
        ``input_record`` is the record as read, before InputFilter."""
        s = self._s
        if not s.join and not s.output_filter.segments:
            return _strip_newline(output_record)
        if not s.join:
            value = _load(output_record, s.output_format, "output")
        elif s.output_format == "csv":
            joined = _strip_newline(input_record) + b"," + _strip_newline(output_record)
            if not s.output_filter.segments:
                return joined
            value = _load(joined, "csv", "joined")
        else:
            value = _join_json(_load(input_record, "json", "input"), output_record)
        return _dump(_select(value, s.output_filter), s.output_format)


def _strip_newline(record: bytes) -> bytes:
    return record.rstrip(b"\r\n")


def _text(record: bytes, which: str) -> str:
    try:
        return _strip_newline(record).decode("utf-8")
    except UnicodeDecodeError as e:
        raise RecordError(f"The {which} record is not UTF-8 text: {e}.") from None


def _load(record: bytes, fmt: str, which: str) -> Any:
    text = _text(record, which)
    if fmt == "csv":
        try:
            return next(csv.reader([text], strict=True), [])
        except csv.Error as e:
            raise RecordError(f"The {which} record is not a CSV row: {e}.") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise RecordError(f"The {which} record is not valid JSON: {e}.") from None


def _join_json(input_value: Any, output_record: bytes) -> dict[str, Any]:
    text = _text(output_record, "output")
    try:
        output: Any = json.loads(text)
    except json.JSONDecodeError:
        output = text  # a model may answer JSON Lines input with plain text; keep it as a string
    if isinstance(input_value, dict):
        return {**input_value, "SageMakerOutput": output}
    return {"SageMakerInput": input_value, "SageMakerOutput": output}


def _dump(value: Any, fmt: str) -> bytes:
    if fmt == "csv":
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="").writerow(value if isinstance(value, list) else [value])
        return buffer.getvalue().encode("utf-8")
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _select(value: Any, path: _Path) -> Any:
    where = f"{path.field} {path.text!r}:"
    for segment in path.segments:
        if isinstance(segment, _Wildcard):
            if isinstance(value, dict):
                value = list(value.values())
            elif not isinstance(value, list):
                raise RecordError(f"{where} * needs an object or an array, got {type(value).__name__}.")
        elif isinstance(segment, _Keys):
            if not isinstance(value, dict):
                raise RecordError(f"{where} a name selects from an object, got {type(value).__name__}.")
            if not segment.many:
                if segment.names[0] not in value:
                    raise RecordError(f"{where} the record has no key {segment.names[0]!r}.")
                value = value[segment.names[0]]
            else:
                # Jayway JsonPath (AWS's reference) leaves out the keys a record lacks.
                value = {name: value[name] for name in segment.names if name in value}
        else:
            if not isinstance(value, list):
                raise RecordError(f"{where} an index selects from an array, got {type(value).__name__}.")
            picked: list[Any] = []
            for item in segment.items:
                if isinstance(item, slice):
                    picked.extend(value[item])
                elif -len(value) <= item < len(value):
                    picked.append(value[item])
                else:
                    raise RecordError(
                        f"{where} index {item} is out of range for a record of {len(value)} elements."
                    )
            value = picked if segment.many else picked[0]
    return value
