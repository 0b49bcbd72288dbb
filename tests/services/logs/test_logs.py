"""CloudWatch Logs' use cases, called directly: groups, streams, events, tokens, retention, cap."""

from __future__ import annotations

from typing import Any

import pytest

from modelport.core.clock import FakeClock
from modelport.core.errors import InvalidRequest, ResourceAlreadyExists, ResourceNotFound
from modelport.services.context import ServiceContext
from modelport.services.logs.operations import USE_CASES
from modelport.services.logs.writer import FileSource, LogWriter
from services.iam_fixtures import ACCOUNT
from services.logs.conftest import CAP


def call(ctx: ServiceContext, operation: str, **params: Any) -> dict[str, Any]:
    return USE_CASES[operation](ctx, params)


def now_ms(clock: FakeClock) -> int:
    return int(clock.now() * 1000)


def put(ctx: ServiceContext, clock: FakeClock, group: str, stream: str, *messages: str) -> None:
    ts = now_ms(clock)
    events = [{"timestamp": ts, "message": m} for m in messages]
    call(ctx, "PutLogEvents", logGroupName=group, logStreamName=stream, logEvents=events)


def messages(events: list[dict[str, Any]]) -> list[str]:
    return [e["message"] for e in events]


def test_groups_are_created_described_and_deleted_as_aws_answers(lctx: ServiceContext) -> None:
    call(lctx, "CreateLogGroup", logGroupName="/app/b")
    call(lctx, "CreateLogGroup", logGroupName="/app/a")
    with pytest.raises(ResourceAlreadyExists, match="already exists"):
        call(lctx, "CreateLogGroup", logGroupName="/app/a")
    groups = call(lctx, "DescribeLogGroups", logGroupNamePrefix="/app/")["logGroups"]
    assert [g["logGroupName"] for g in groups] == ["/app/a", "/app/b"]
    arn = f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/app/a"
    assert groups[0]["arn"] == arn + ":*" and groups[0]["logGroupArn"] == arn
    assert groups[0]["storedBytes"] == 0 and "retentionInDays" not in groups[0]
    call(lctx, "DeleteLogGroup", logGroupName="/app/a")
    with pytest.raises(ResourceNotFound, match="log group does not exist"):
        call(lctx, "DeleteLogGroup", logGroupName="/app/a")
    assert [g["logGroupName"] for g in call(lctx, "DescribeLogGroups")["logGroups"]] == ["/app/b"]


def test_describe_log_groups_pages_with_next_token(lctx: ServiceContext) -> None:
    for i in range(5):
        call(lctx, "CreateLogGroup", logGroupName=f"g{i}")
    first = call(lctx, "DescribeLogGroups", limit=2)
    second = call(lctx, "DescribeLogGroups", limit=2, nextToken=first["nextToken"])
    third = call(lctx, "DescribeLogGroups", limit=2, nextToken=second["nextToken"])
    names = [g["logGroupName"] for page in (first, second, third) for g in page["logGroups"]]
    assert names == [f"g{i}" for i in range(5)] and "nextToken" not in third
    with pytest.raises(InvalidRequest, match="nextToken is invalid"):
        call(lctx, "DescribeLogGroups", nextToken="garbage")
    assert [
        g["logGroupName"] for g in call(lctx, "DescribeLogGroups", logGroupNamePattern="G3")["logGroups"]
    ] == ["g3"]


def test_streams_events_and_get_log_events_tokens(lctx: ServiceContext, clock: FakeClock) -> None:
    call(lctx, "CreateLogGroup", logGroupName="g")
    with pytest.raises(ResourceNotFound, match="log stream does not exist"):
        put(lctx, clock, "g", "s", "x")
    call(lctx, "CreateLogStream", logGroupName="g", logStreamName="s")
    with pytest.raises(ResourceAlreadyExists):
        call(lctx, "CreateLogStream", logGroupName="g", logStreamName="s")
    for i in range(5):
        put(lctx, clock, "g", "s", f"line {i}")
        clock.advance(1)
    stream = call(lctx, "DescribeLogStreams", logGroupName="g")["logStreams"][0]
    assert stream["logStreamName"] == "s" and stream["storedBytes"] == 0
    assert stream["arn"].endswith(":log-group:g:log-stream:s")
    assert stream["lastEventTimestamp"] - stream["firstEventTimestamp"] == 4000
    # Without a token: the latest events; the backward token walks towards the head.
    last = call(lctx, "GetLogEvents", logGroupName="g", logStreamName="s", limit=2)
    assert messages(last["events"]) == ["line 3", "line 4"]
    back = call(
        lctx,
        "GetLogEvents",
        logGroupName="g",
        logStreamName="s",
        limit=2,
        nextToken=last["nextBackwardToken"],
    )
    assert messages(back["events"]) == ["line 1", "line 2"]
    # From the head, forward until the token comes back unchanged (how clients stop).
    seen, token = [], None
    for _ in range(10):
        extra = {"nextToken": token} if token else {"startFromHead": True}
        page = call(lctx, "GetLogEvents", logGroupName="g", logStreamName="s", limit=2, **extra)
        seen += messages(page["events"])
        if page["nextForwardToken"] == token:
            break
        token = page["nextForwardToken"]
    assert seen == [f"line {i}" for i in range(5)]
    assert call(lctx, "DescribeLogGroups")["logGroups"][0]["storedBytes"] == 5 * len("line 0")
    with pytest.raises(InvalidRequest, match="nextToken is invalid"):
        call(lctx, "GetLogEvents", logGroupName="g", logStreamName="s", nextToken="f/12")


def test_put_log_events_checks_order_and_rejects_old_and_new_events(
    lctx: ServiceContext, clock: FakeClock
) -> None:
    call(lctx, "CreateLogGroup", logGroupName="g")
    call(lctx, "CreateLogStream", logGroupName="g", logStreamName="s")
    now = now_ms(clock)
    with pytest.raises(InvalidRequest, match="chronological order"):
        call(lctx, "PutLogEvents", logGroupName="g", logStreamName="s",
             logEvents=[{"timestamp": now, "message": "b"}, {"timestamp": now - 1, "message": "a"}])  # fmt: skip
    day = 86_400_000
    events = [
        {"timestamp": now - 15 * day, "message": "too old"},
        {"timestamp": now - 15 * day + 1, "message": "too old too"},
    ]
    answer = call(lctx, "PutLogEvents", logGroupName="g", logStreamName="s", logEvents=events)
    assert answer["rejectedLogEventsInfo"] == {"tooOldLogEventEndIndex": 1}
    events = [{"timestamp": now, "message": "kept"}, {"timestamp": now + 3 * 3_600_000, "message": "too new"}]
    answer = call(lctx, "PutLogEvents", logGroupName="g", logStreamName="s", logEvents=events)
    assert answer["rejectedLogEventsInfo"] == {"tooNewLogEventStartIndex": 1}
    assert messages(call(lctx, "FilterLogEvents", logGroupName="g")["events"]) == ["kept"]


def test_retention_hides_then_purges_expired_events(
    lctx: ServiceContext, logs: LogWriter, clock: FakeClock
) -> None:
    call(lctx, "CreateLogGroup", logGroupName="g")
    call(lctx, "CreateLogStream", logGroupName="g", logStreamName="s")
    with pytest.raises(InvalidRequest, match="enum value set"):
        call(lctx, "PutRetentionPolicy", logGroupName="g", retentionInDays=2)
    call(lctx, "PutRetentionPolicy", logGroupName="g", retentionInDays=1)
    assert call(lctx, "DescribeLogGroups")["logGroups"][0]["retentionInDays"] == 1
    put(lctx, clock, "g", "s", "old")
    clock.advance(12 * 3600)
    put(lctx, clock, "g", "s", "new")
    clock.advance(13 * 3600)  # "old" is now 25 hours old
    assert messages(call(lctx, "FilterLogEvents", logGroupName="g")["events"]) == ["new"]
    assert messages(call(lctx, "GetLogEvents", logGroupName="g", logStreamName="s")["events"]) == ["new"]
    assert logs.purge() == 1
    assert call(lctx, "DescribeLogGroups")["logGroups"][0]["storedBytes"] == len("new")
    call(lctx, "DeleteRetentionPolicy", logGroupName="g")
    assert "retentionInDays" not in call(lctx, "DescribeLogGroups")["logGroups"][0]


def test_size_cap_deletes_the_oldest_events_first(lctx: ServiceContext, clock: FakeClock) -> None:
    call(lctx, "CreateLogGroup", logGroupName="g")
    call(lctx, "CreateLogStream", logGroupName="g", logStreamName="s")
    line = "x" * 999
    for i in range(15):
        put(lctx, clock, "g", "s", f"{i:>3}{line}"[:1000])
        clock.advance(1)
    group = call(lctx, "DescribeLogGroups")["logGroups"][0]
    assert group["storedBytes"] <= CAP
    kept = messages(call(lctx, "FilterLogEvents", logGroupName="g")["events"])
    assert [int(m[:3]) for m in kept] == list(range(5, 15))


def test_filter_log_events_pattern_streams_and_paging(lctx: ServiceContext, clock: FakeClock) -> None:
    call(lctx, "CreateLogGroup", logGroupName="g")
    for stream in ("a", "b"):
        call(lctx, "CreateLogStream", logGroupName="g", logStreamName=stream)
    for i in range(6):
        put(lctx, clock, "g", "ab"[i % 2], f"REPORT {i}", f"noise {i}")
        clock.advance(1)
    found = call(lctx, "FilterLogEvents", logGroupName="g", filterPattern="REPORT")["events"]
    assert messages(found) == [f"REPORT {i}" for i in range(6)]
    assert [e["logStreamName"] for e in found] == ["a", "b"] * 3
    only_b = call(lctx, "FilterLogEvents", logGroupName="g", logStreamNames=["b"], filterPattern="REPORT")
    assert messages(only_b["events"]) == ["REPORT 1", "REPORT 3", "REPORT 5"]
    page = call(lctx, "FilterLogEvents", logGroupName="g", filterPattern="REPORT", limit=4)
    rest = call(
        lctx,
        "FilterLogEvents",
        logGroupName="g",
        filterPattern="REPORT",
        limit=4,
        nextToken=page["nextToken"],
    )
    assert messages(page["events"] + rest["events"]) == [f"REPORT {i}" for i in range(6)]
    assert "nextToken" not in rest
    with pytest.raises(InvalidRequest, match="not supported"):
        call(lctx, "FilterLogEvents", logGroupName="g", filterPattern="{ $.x = 1 }")


def test_writer_creates_groups_on_first_write_and_follows_files(
    lctx: ServiceContext, logs: LogWriter, tmp_path: Any
) -> None:
    logs.append(
        "/aws/lambda/f", "2026/01/01/[$LATEST]abc", b"START RequestId: 1\nhello\n\nREPORT RequestId: 1\n"
    )
    log_file = tmp_path / "AllTraffic-0.log"
    log_file.write_bytes(b"from an earlier instance\n")
    source = FileSource(
        "e/AllTraffic/0-1", log_file, "/aws/sagemaker/Endpoints/e", "AllTraffic/i-0-1", start=25
    )
    logs.sources = lambda: [source]
    with log_file.open("ab") as out:
        out.write(b"model loaded\npartial")
    lambda_events = call(lctx, "FilterLogEvents", logGroupName="/aws/lambda/f")["events"]
    assert messages(lambda_events) == ["START RequestId: 1", "hello", "REPORT RequestId: 1"]
    endpoint = call(lctx, "FilterLogEvents", logGroupName="/aws/sagemaker/Endpoints/e")["events"]
    assert messages(endpoint) == ["model loaded"]
    with log_file.open("ab") as out:
        out.write(b" line\n")
    endpoint = call(lctx, "FilterLogEvents", logGroupName="/aws/sagemaker/Endpoints/e")["events"]
    assert messages(endpoint) == ["model loaded", "partial line"]
    streams = call(lctx, "DescribeLogStreams", logGroupName="/aws/sagemaker/Endpoints/e")["logStreams"]
    assert [s["logStreamName"] for s in streams] == ["AllTraffic/i-0-1"]


def test_a_process_that_went_away_gets_a_last_read(
    lctx: ServiceContext, logs: LogWriter, tmp_path: Any
) -> None:
    log_file = tmp_path / "AllTraffic-0.log"
    log_file.write_bytes(b"")
    source = FileSource("e/AllTraffic/0-1", log_file, "/aws/sagemaker/Endpoints/e", "AllTraffic/i-0-1")
    logs.sources = lambda: [source]
    logs.flush()
    log_file.write_bytes(b"Traceback (most recent call last):\nValueError: no model")
    logs.sources = list  # the instance failed and was stopped
    endpoint = call(lctx, "FilterLogEvents", logGroupName="/aws/sagemaker/Endpoints/e")["events"]
    assert messages(endpoint) == ["Traceback (most recent call last):", "ValueError: no model"]


def test_the_buffer_drops_lines_past_its_bound_and_says_so(
    lctx: ServiceContext, logs: LogWriter, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("modelport.services.logs.writer.MAX_PENDING_BYTES", 10)
    logs.append("g", "s", b"12345\n")
    logs.append("g", "s", b"678901\n")
    kept = messages(call(lctx, "FilterLogEvents", logGroupName="g")["events"])
    assert kept == ["12345", "[modelport] 1 log lines were dropped: the log buffer was full"]


def test_a_stopped_process_is_read_once_even_if_never_seen(
    lctx: ServiceContext, logs: LogWriter, tmp_path: Any
) -> None:
    log_file = tmp_path / "AllTraffic-0.log"
    log_file.write_bytes(b"earlier generation\nloading\nValueError: bad model")
    source = FileSource(str(log_file), log_file, "/aws/sagemaker/Endpoints/e", "AllTraffic/i-0-2", start=19)
    logs.stopped(source)  # it failed and was stopped before any flush looked
    endpoint = call(lctx, "FilterLogEvents", logGroupName="/aws/sagemaker/Endpoints/e")["events"]
    assert messages(endpoint) == ["loading", "ValueError: bad model"]
    logs.sources = lambda: [source]  # a newer instance of the same slot writes the same file
    logs.flush()
    logs.stopped(source)  # the file is still followed for a newer process: left to the flushes
    with log_file.open("ab") as out:
        out.write(b"\nserving\n")
    endpoint = call(lctx, "FilterLogEvents", logGroupName="/aws/sagemaker/Endpoints/e")["events"]
    assert messages(endpoint)[-1] == "serving"


def test_deleting_a_group_deletes_its_streams_and_events(
    lctx: ServiceContext, logs: LogWriter, clock: FakeClock
) -> None:
    call(lctx, "CreateLogGroup", logGroupName="g")
    call(lctx, "CreateLogStream", logGroupName="g", logStreamName="s")
    put(lctx, clock, "g", "s", "one", "two")
    call(lctx, "DeleteLogGroup", logGroupName="g")
    (left,) = logs.store._db.execute("SELECT count(*) FROM log_events").fetchone()
    assert left == 0
    call(lctx, "CreateLogGroup", logGroupName="g")
    assert call(lctx, "DescribeLogStreams", logGroupName="g")["logStreams"] == []
    assert call(lctx, "DescribeLogGroups")["logGroups"][0]["storedBytes"] == 0
