"""Log events: PutLogEvents, GetLogEvents, FilterLogEvents.

GetLogEvents' tokens are CloudWatch's shape, ``f/<digits>`` and ``b/<digits>``: the digits hold
the (timestamp, id) of the event a page starts after (forward) or before (backward). At the end
of a stream the token handed back is the one sent, which is how AWS tells clients to stop.
FilterLogEvents' ``nextToken`` is opaque; one call scans at most ``SCAN_BUDGET`` events and
hands back a token when it stopped early, as AWS may return an empty page with a token.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from modelport.core.errors import InvalidRequest
from modelport.services.context import ServiceContext
from modelport.services.logs.groups import INVALID_TOKEN, find_group, find_stream, group_name, writer
from modelport.services.logs.patterns import parse_filter_pattern
from modelport.services.logs.store import DAY_MS, Event, Group

MAX_BATCH_BYTES = 1_048_576  # PutLogEvents: messages in UTF-8 plus 26 bytes each
EVENT_OVERHEAD = 26
MAX_EVENT_BYTES = 256 * 1024  # one event with its overhead
MAX_SPAN_MS = DAY_MS  # a batch may not span more than 24 hours
TOO_OLD_MS = 14 * DAY_MS
TOO_NEW_MS = 2 * 3_600_000
SCAN_BUDGET = 100_000
GET_LIMIT = 10_000


def put_log_events(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    logs = writer(ctx)
    group = find_group(ctx, params["logGroupName"])
    stream = find_stream(ctx, group, params["logStreamName"])
    events = [(int(e["timestamp"]), str(e["message"])) for e in params["logEvents"]]
    sizes = [len(message.encode()) + EVENT_OVERHEAD for _, message in events]
    if any(size > MAX_EVENT_BYTES for size in sizes):
        raise InvalidRequest(f"Log event too large: an event may be at most {MAX_EVENT_BYTES} bytes.")
    if sum(sizes) > MAX_BATCH_BYTES:
        raise InvalidRequest(f"Upload too large: {sum(sizes)} bytes exceeds limit of {MAX_BATCH_BYTES}")
    stamps = [ts for ts, _ in events]
    if stamps != sorted(stamps):
        raise InvalidRequest("Log events in a single PutLogEvents request must be in chronological order.")
    if stamps[-1] - stamps[0] > MAX_SPAN_MS:
        raise InvalidRequest(
            "The batch of log events in a single PutLogEvents request cannot span more than 24 hours."
        )
    now = logs.now_ms()
    too_old = [i for i, ts in enumerate(stamps) if ts < now - TOO_OLD_MS]
    expired = [i for i, ts in enumerate(stamps) if ts < group.cutoff(now)]
    too_new = [i for i, ts in enumerate(stamps) if ts > now + TOO_NEW_MS]
    first = max([*too_old, *expired, -1]) + 1
    last = min([*too_new, len(events)])
    sequence = logs.store.append(group, stream, events[first:last], now)
    logs.store.enforce_cap(group, logs.max_group_bytes)
    output: dict[str, Any] = {"nextSequenceToken": f"{sequence:056d}"}
    rejected: dict[str, int] = {}
    if too_old:
        rejected["tooOldLogEventEndIndex"] = max(too_old)
    if expired:
        rejected["expiredLogEventEndIndex"] = max(expired)
    if too_new:
        rejected["tooNewLogEventStartIndex"] = min(too_new)
    if rejected:
        output["rejectedLogEventsInfo"] = rejected
    return output


def _key_token(direction: str, key: tuple[int, int]) -> str:
    return f"{direction}/{key[0]:020d}{key[1]:020d}"


def _token_key(token: str) -> tuple[str, tuple[int, int]]:
    direction, _, digits = token.partition("/")
    if direction not in ("f", "b") or len(digits) != 40 or not digits.isdigit():
        raise InvalidRequest(INVALID_TOKEN)
    return direction, (int(digits[:20]), int(digits[20:]))


def _window(group: Group, params: dict[str, Any], now: int) -> tuple[int, int | None]:
    start = max(int(params.get("startTime") or 0), group.cutoff(now))
    end = params.get("endTime")
    return start, None if end is None else int(end)


def get_log_events(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    logs = writer(ctx)
    group = find_group(ctx, group_name(ctx, params))
    stream = find_stream(ctx, group, params["logStreamName"])
    start, end = _window(group, params, logs.now_ms())
    limit = params.get("limit") or GET_LIMIT
    token = params.get("nextToken")
    if token:
        direction, key = _token_key(token)
    else:
        direction = "f" if params.get("startFromHead") else "b"
        key = (-1, -1) if direction == "f" else (2**62, 2**62)
    if direction == "f":
        events = logs.store.events(group, streams=[stream], start=start, end=end, after=key, limit=limit)
    else:
        events = logs.store.events(group, streams=[stream], start=start, end=end, before=key, limit=limit)
    if not events:
        same = token or _key_token(direction, key)
        return {"events": [], "nextForwardToken": same, "nextBackwardToken": same}
    return {
        "events": [
            {"timestamp": e.timestamp, "message": e.message, "ingestionTime": e.ingested} for e in events
        ],
        "nextForwardToken": _key_token("f", events[-1].key),
        "nextBackwardToken": _key_token("b", events[0].key),
    }


def _filter_token(key: tuple[int, int]) -> str:
    return base64.urlsafe_b64encode(f"{key[0]}:{key[1]}".encode()).decode()


def _filter_key(token: str) -> tuple[int, int]:
    try:
        ts, _, event_id = base64.urlsafe_b64decode(token.encode()).decode().partition(":")
        return int(ts), int(event_id)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise InvalidRequest(INVALID_TOKEN) from None


def filter_log_events(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    logs = writer(ctx)
    group = find_group(ctx, group_name(ctx, params))
    pattern = parse_filter_pattern(params.get("filterPattern"))
    names, prefix = params.get("logStreamNames"), params.get("logStreamNamePrefix")
    if names and prefix:
        raise InvalidRequest("logStreamNames and logStreamNamePrefix are mutually exclusive parameters.")
    streams = None
    if names or prefix:
        streams = [
            s
            for s in logs.store.streams(group)
            if (names and s.name in names) or (prefix and s.name.startswith(prefix))
        ]
        if names and not streams:
            raise InvalidRequest("The specified log stream names do not exist in the log group.")
    start, end = _window(group, params, logs.now_ms())
    limit = params.get("limit") or GET_LIMIT
    cursor = _filter_key(params["nextToken"]) if params.get("nextToken") else (-1, -1)
    found: list[Event] = []
    scanned, exhausted = 0, False
    while len(found) < limit and scanned < SCAN_BUDGET and not exhausted:
        batch = logs.store.events(group, streams=streams, start=start, end=end, after=cursor, limit=1000)
        exhausted = len(batch) < 1000
        for event in batch:
            scanned += 1
            cursor = event.key
            if pattern.matches(event.message):
                found.append(event)
                if len(found) == limit:
                    break
    output: dict[str, Any] = {
        "events": [
            {
                "logStreamName": e.stream,
                "timestamp": e.timestamp,
                "message": e.message,
                "ingestionTime": e.ingested,
                "eventId": f"{e.timestamp:020d}{e.id:020d}",
            }
            for e in found
        ]
    }
    more = len(found) == limit or scanned >= SCAN_BUDGET
    if more and logs.store.events(group, streams=streams, start=start, end=end, after=cursor, limit=1):
        output["nextToken"] = _filter_token(cursor)
    return output
