"""Timestamps on the wire and in handlers.

Handlers see every timestamp as an aware ``datetime`` in UTC, whichever form the client sent
(JSON protocols send epoch seconds, possibly fractional; ISO 8601 strings are accepted too).
Handlers may return an aware or naive (meaning UTC) ``datetime``, or epoch seconds as a number.
JSON bodies carry epoch seconds with millisecond precision, as AWS does
(``"CreationTime": 1529870369.986``); headers carry RFC 7231 dates unless the model says otherwise.
"""

from __future__ import annotations

import datetime as dt
from email.utils import format_datetime, parsedate_to_datetime

UTC = dt.UTC


def from_epoch(seconds: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(seconds, UTC)


def parse_timestamp(text: str) -> dt.datetime:
    """Epoch seconds as text, ISO 8601, or an HTTP date; ``ValueError`` if none fits."""
    try:
        return from_epoch(float(text))
    except ValueError:
        pass
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        try:
            parsed = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError) as exc:
            raise ValueError(text) from exc
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def to_epoch(value: dt.datetime | float) -> float | int:
    """Epoch seconds for a JSON body, rounded to milliseconds like AWS."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        seconds = round(value.timestamp(), 3)
        return int(seconds) if seconds.is_integer() else seconds
    return value


def to_header(value: dt.datetime | float, timestamp_format: str | None) -> str:
    """A timestamp for an HTTP header: RFC 7231 by default (the rest-json rule)."""
    when = from_epoch(value) if not isinstance(value, dt.datetime) else value
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    if timestamp_format == "iso8601":
        return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if timestamp_format == "unixTimestamp":
        return str(to_epoch(when))
    return format_datetime(when.astimezone(UTC), usegmt=True)
