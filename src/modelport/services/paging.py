"""Filtering, sorting and paging for the List* operations (pure functions).

Every SageMaker list call takes the same family of parameters: ``NameContains``, time
filters, ``SortBy``/``SortOrder``, ``MaxResults`` and an opaque ``NextToken``. The token
encodes the offset into the filtered, sorted list together with a fingerprint of the query,
so a token from another query is refused rather than silently misapplied.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from modelport.core.errors import InvalidRequest

DEFAULT_MAX_RESULTS = 10


@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]
    next_token: str | None


def epoch(value: Any) -> float:
    """A timestamp parameter as epoch seconds, whether it arrived as a number or a datetime."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        seconds: float = value.timestamp()
        return seconds
    return float(value)


# Filter parameter -> (summary field, test).
_TIME_FILTERS: dict[str, tuple[str, Callable[[float, float], bool]]] = {
    "CreationTimeBefore": ("CreationTime", lambda value, bound: value < bound),
    "CreationTimeAfter": ("CreationTime", lambda value, bound: value > bound),
    "LastModifiedTimeBefore": ("LastModifiedTime", lambda value, bound: value < bound),
    "LastModifiedTimeAfter": ("LastModifiedTime", lambda value, bound: value > bound),
}


def paginate(
    summaries: Sequence[dict[str, Any]],
    params: Mapping[str, Any],
    *,
    name_field: str,
    sort_fields: Mapping[str, str],
    status_field: str | None = None,
) -> Page:
    """Apply a List* request's filters, sort and paging to resource summaries.

    ``sort_fields`` maps each allowed ``SortBy`` value to the summary field it sorts on; the
    default sort is by creation time, newest first, as in SageMaker.
    """
    selected = list(summaries)
    if name_contains := params.get("NameContains"):
        selected = [s for s in selected if name_contains.lower() in s[name_field].lower()]
    for parameter, (field, keep) in _TIME_FILTERS.items():
        if parameter in params:
            bound = epoch(params[parameter])
            selected = [s for s in selected if keep(s[field], bound)]
    if status_field and (status := params.get("StatusEquals")):
        selected = [s for s in selected if s[status_field] == status]

    sort_by = params.get("SortBy", "CreationTime")
    key_field = sort_fields.get(sort_by, "CreationTime")
    descending = params.get("SortOrder", "Descending") == "Descending"
    selected.sort(key=lambda s: (s[key_field], s[name_field]), reverse=descending)

    fingerprint = _fingerprint(params)
    offset = _decode_token(params.get("NextToken"), fingerprint)
    limit = int(params.get("MaxResults", DEFAULT_MAX_RESULTS))
    page = selected[offset : offset + limit]
    more = offset + limit < len(selected)
    return Page(items=page, next_token=_encode_token(offset + limit, fingerprint) if more else None)


def _fingerprint(params: Mapping[str, Any]) -> str:
    query = {k: str(v) for k, v in sorted(params.items()) if k not in ("NextToken", "MaxResults")}
    return hashlib.sha256(json.dumps(query).encode()).hexdigest()[:16]


def _encode_token(offset: int, fingerprint: str) -> str:
    raw = json.dumps({"offset": offset, "query": fingerprint}).encode()
    return base64.urlsafe_b64encode(raw).decode()


def _decode_token(token: str | None, fingerprint: str) -> int:
    if not token:
        return 0
    try:
        data = json.loads(base64.urlsafe_b64decode(token.encode()))
        offset = int(data["offset"])
        same_query = data["query"] == fingerprint
    except (binascii.Error, ValueError, KeyError, TypeError) as exc:
        raise InvalidRequest("Invalid pagination token: NextToken is not one this server issued.") from exc
    if not same_query or offset < 0:
        raise InvalidRequest(
            "Invalid pagination token: NextToken belongs to a list call with other parameters."
        )
    return offset
