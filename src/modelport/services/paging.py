"""Paging for every List operation (pure functions): one cursor codec, one page cutter.

Each API names its paging differently — SageMaker ``MaxResults``/``NextToken``, IAM
``MaxItems``/``Marker``, Lambda ``MaxItems``/``Marker``→``NextMarker``, API Gateway
``limit``/``position`` — but all of them hand the client an opaque cursor and take it back.
Here a cursor is URL-safe base64 of ``{"offset": <n>, "query": <fingerprint>}`` (the format
SageMaker's NextToken always had) or, with ``key``, ``{"key": <the sort key of the next page's
first item>, "query": ...}`` (so an item created or deleted meanwhile does not shift the pages); the
fingerprint ties the cursor to the query that issued it, so a cursor from another query is
refused rather than silently misapplied.

SageMaker's list calls also share their filters: ``NameContains``, time filters,
``SortBy``/``SortOrder`` (``paginate``).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NoReturn, TypeVar

from modelport.core.errors import InvalidRequest

DEFAULT_MAX_RESULTS = 10
SAGEMAKER_INVALID = "Invalid pagination token: NextToken is not one this server issued."
SAGEMAKER_OTHER_QUERY = "Invalid pagination token: NextToken belongs to a list call with other parameters."

T = TypeVar("T")


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

    items, next_token = cut(
        selected,
        params.get("NextToken"),
        limit=int(params.get("MaxResults", DEFAULT_MAX_RESULTS)),
        query=fingerprint(params, ("NextToken", "MaxResults")),
        invalid=SAGEMAKER_INVALID,
        other_query=SAGEMAKER_OTHER_QUERY,
    )
    return Page(items=items, next_token=next_token)


def fingerprint(params: Mapping[str, Any], paging: Sequence[str]) -> str:
    """What identifies a list query: its parameters other than the ``paging`` ones."""
    query = {k: str(v) for k, v in sorted(params.items()) if k not in paging}
    return hashlib.sha256(json.dumps(query).encode()).hexdigest()[:16]


def cut(
    items: Sequence[T],
    cursor: str | None,
    *,
    limit: int,
    invalid: str,
    query: str = "",
    other_query: str | None = None,
    key: Callable[[T], str] | None = None,
) -> tuple[list[T], str | None]:
    """The page of the sorted ``items`` that ``cursor`` points at, and the next page's cursor.

    Without ``key`` the cursor holds an offset; with it, the key of the next page's first item.
    A cursor this server did not issue raises ``InvalidRequest(invalid)``; one issued for another
    ``query``, ``InvalidRequest(other_query or invalid)``.
    """
    at = decode_cursor(cursor, query, invalid=invalid, other_query=other_query)
    if key is None:
        start = at if isinstance(at, int) else _refuse(invalid)
    elif isinstance(at, int):
        start = 0 if cursor is None else _refuse(invalid)
    else:
        start = next((i for i, item in enumerate(items) if key(item) >= at), len(items))
    page = list(items[start : start + limit])
    if start + limit >= len(items):
        return page, None
    following = items[start + limit]
    return page, encode_cursor(start + limit if key is None else key(following), query)


def encode_cursor(at: int | str, query: str = "") -> str:
    raw = json.dumps({"offset" if isinstance(at, int) else "key": at, "query": query}).encode()
    return base64.urlsafe_b64encode(raw).decode()


def decode_cursor(
    cursor: str | None, query: str = "", *, invalid: str, other_query: str | None = None
) -> int | str:
    """Where a cursor says the page starts (0 for none); ``InvalidRequest`` for a foreign one."""
    if not cursor:
        return 0
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        at = data["offset"] if "offset" in data else data["key"]
        same_query = data["query"] == query
    except (binascii.Error, ValueError, KeyError, TypeError) as exc:
        raise InvalidRequest(invalid) from exc
    if isinstance(at, bool) or not isinstance(at, int | str) or (isinstance(at, int) and at < 0):
        raise InvalidRequest(invalid)
    if not same_query:
        raise InvalidRequest(other_query or invalid)
    return at


def _refuse(message: str) -> NoReturn:
    raise InvalidRequest(message)
