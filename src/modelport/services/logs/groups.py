"""Log groups and streams: Create/Describe/DeleteLogGroup, Put/DeleteRetentionPolicy,
CreateLogStream, DescribeLogStreams.

Answers as CloudWatch Logs does: a group's ``arn`` ends in ``:*`` and ``logGroupArn`` does not;
``storedBytes`` of a group is the UTF-8 size of the messages it keeps (AWS reports compressed
bytes, so the figure differs), of a stream always 0 (AWS stopped reporting it in 2019).
``tags``, ``kmsKeyId`` and ``logGroupClass`` are accepted and not kept.
"""

from __future__ import annotations

from typing import Any

from modelport.core.errors import InvalidRequest, ResourceAlreadyExists, ResourceNotFound, ServiceUnavailable
from modelport.services.context import ServiceContext
from modelport.services.logs.store import Group, Stream
from modelport.services.logs.writer import LogWriter
from modelport.services.paging import decode_cursor, encode_cursor, fingerprint

# The values PutRetentionPolicy accepts (CloudWatch Logs API reference).
RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557,
                  2922, 3288, 3653)  # fmt: skip
INVALID_TOKEN = "The specified nextToken is invalid."
DEFAULT_LIMIT = 50


def writer(ctx: ServiceContext) -> LogWriter:
    if ctx.logs is None:
        raise ServiceUnavailable("CloudWatch Logs is not running in this server.")
    return ctx.logs


def group_arn(ctx: ServiceContext, name: str) -> str:
    return f"arn:aws:logs:{ctx.settings.region}:{ctx.settings.account_id}:log-group:{name}"


def group_name(ctx: ServiceContext, params: dict[str, Any]) -> str:
    """``logGroupName``, or ``logGroupIdentifier`` (a name or an ARN); exactly one of them."""
    name, identifier = params.get("logGroupName"), params.get("logGroupIdentifier")
    if name and identifier:
        raise InvalidRequest("LogGroup name and LogGroup ARN are mutually exclusive parameters.")
    if identifier:
        if identifier.startswith("arn:"):
            _, _, rest = identifier.partition(":log-group:")
            return str(rest).removesuffix(":*")
        return str(identifier)
    if not name:
        raise InvalidRequest("Should provide either LogGroup name or LogGroup ARN.")
    return str(name)


def find_group(ctx: ServiceContext, name: str) -> Group:
    writer(ctx).flush()
    group = writer(ctx).store.group(name)
    if group is None:
        raise ResourceNotFound("The specified log group does not exist.")
    return group


def find_stream(ctx: ServiceContext, group: Group, name: str) -> Stream:
    stream = writer(ctx).store.stream(group, name)
    if stream is None:
        raise ResourceNotFound("The specified log stream does not exist.")
    return stream


def create_log_group(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    logs = writer(ctx)
    logs.flush()
    if not logs.store.create_group(params["logGroupName"], logs.now_ms()):
        raise ResourceAlreadyExists("The specified log group already exists")
    return {}


def describe_log_groups(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    logs = writer(ctx)
    logs.flush()
    if params.get("logGroupNamePrefix") and params.get("logGroupNamePattern"):
        raise InvalidRequest(
            "LogGroup name prefix and LogGroup name pattern are mutually exclusive parameters."
        )
    query = fingerprint(params, ("nextToken", "limit"))
    after = decode_cursor(params.get("nextToken"), query, invalid=INVALID_TOKEN)
    limit = params.get("limit") or DEFAULT_LIMIT
    pattern = (params.get("logGroupNamePattern") or "").lower()
    wanted = set(params.get("logGroupIdentifiers") or ())
    found: list[Group] = []
    cursor = after if isinstance(after, str) else ""
    while len(found) <= limit:
        batch = logs.store.groups(params.get("logGroupNamePrefix") or "", cursor, limit=500)
        if not batch:
            break
        cursor = batch[-1].name
        found += [
            g
            for g in batch
            if pattern in g.name.lower()
            and (not wanted or g.name in wanted or group_arn(ctx, g.name) in wanted)
        ]
    page, more = found[:limit], len(found) > limit
    output: dict[str, Any] = {"logGroups": [_group_output(ctx, g) for g in page]}
    if more:
        output["nextToken"] = encode_cursor(page[-1].name, query)
    return output


def _group_output(ctx: ServiceContext, group: Group) -> dict[str, Any]:
    arn = group_arn(ctx, group.name)
    output: dict[str, Any] = {
        "logGroupName": group.name,
        "creationTime": group.created,
        "metricFilterCount": 0,
        "arn": f"{arn}:*",
        "logGroupArn": arn,
        "storedBytes": group.stored_bytes,
        "logGroupClass": "STANDARD",
        "deletionProtectionEnabled": False,
    }
    if group.retention_days is not None:
        output["retentionInDays"] = group.retention_days
    return output


def delete_log_group(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    group = find_group(ctx, params["logGroupName"])
    writer(ctx).store.delete_group(group)
    return {}


def put_retention_policy(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    days = params["retentionInDays"]
    if days not in RETENTION_DAYS:
        allowed = ", ".join(str(d) for d in RETENTION_DAYS)
        raise InvalidRequest(
            f"1 validation error detected: Value '{days}' at 'retentionInDays' failed to satisfy"
            f" constraint: Member must satisfy enum value set: [{allowed}]"
        )
    group = find_group(ctx, params["logGroupName"])
    writer(ctx).store.set_retention(group, days)
    return {}


def delete_retention_policy(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    group = find_group(ctx, params["logGroupName"])
    writer(ctx).store.set_retention(group, None)
    return {}


def create_log_stream(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    logs = writer(ctx)
    group = find_group(ctx, params["logGroupName"])
    if not logs.store.create_stream(group, params["logStreamName"], logs.now_ms()):
        raise ResourceAlreadyExists("The specified log stream already exists")
    return {}


def describe_log_streams(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    name = group_name(ctx, params)
    group = find_group(ctx, name)
    order_by = params.get("orderBy") or "LogStreamName"
    prefix = params.get("logStreamNamePrefix") or ""
    if order_by == "LastEventTime" and prefix:
        raise InvalidRequest("Cannot order by LastEventTime with a logStreamNamePrefix.")
    streams = [s for s in writer(ctx).store.streams(group) if s.name.startswith(prefix)]
    if order_by == "LastEventTime":
        streams.sort(key=lambda s: (s.last_event or 0, s.name))
    if params.get("descending"):
        streams.reverse()
    query = fingerprint(params, ("nextToken", "limit"))
    start = decode_cursor(params.get("nextToken"), query, invalid=INVALID_TOKEN)
    offset = start if isinstance(start, int) else 0
    limit = params.get("limit") or DEFAULT_LIMIT
    page = streams[offset : offset + limit]
    output: dict[str, Any] = {"logStreams": [_stream_output(ctx, name, s) for s in page]}
    if offset + limit < len(streams):
        output["nextToken"] = encode_cursor(offset + limit, query)
    return output


def _stream_output(ctx: ServiceContext, group: str, stream: Stream) -> dict[str, Any]:
    output: dict[str, Any] = {
        "logStreamName": stream.name,
        "creationTime": stream.created,
        "arn": f"{group_arn(ctx, group)}:log-stream:{stream.name}",
        "storedBytes": 0,
        "uploadSequenceToken": str(stream.sequence),
    }
    for member, value in (
        ("firstEventTimestamp", stream.first_event),
        ("lastEventTimestamp", stream.last_event),
        ("lastIngestionTime", stream.last_ingestion),
    ):
        if value is not None:
            output[member] = value
    return output
