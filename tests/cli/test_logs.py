"""``modelport logs`` and ``modelport function logs`` read CloudWatch Logs through boto3.

A real in-process front door (``create_app(build_platform())``) would need a port for the CLI's
boto3 client, so these tests give ``print_logs`` a stub client instead: what is checked here is
the printing (streams in order, ``-n``, the follow step and its de-duplication, the missing
group). The CLI against a real server is in ``test_e2e.py`` and ``test_serverless_cli.py``.
"""

from __future__ import annotations

from typing import Any

import pytest

from modelport.cli import logs as cli_logs
from modelport.cli.logs import _print_new, _print_streams, endpoint_log_group

STREAMS = {
    "AllTraffic/i-0-1": [(1, "a"), (3, "b")],
    "AllTraffic/i-1-2": [(2, "c")],
}


class Paginator:
    def __init__(self, pages: list[dict[str, Any]]) -> None:
        self.pages = pages

    def paginate(self, *, startTime: int = 0, **params: Any) -> list[dict[str, Any]]:
        return [
            {**page, "events": [e for e in page["events"] if e["timestamp"] >= startTime]}
            if "events" in page
            else page
            for page in self.pages
        ]


class StubLogs:
    def __init__(self, streams: dict[str, list[tuple[int, str]]]) -> None:
        self.streams = streams

    def get_paginator(self, name: str) -> Paginator:
        if name == "describe_log_streams":
            return Paginator([{"logStreams": [{"logStreamName": s} for s in sorted(self.streams)]}])
        events = sorted((ts, stream, msg) for stream, lines in self.streams.items() for ts, msg in lines)
        return Paginator(
            [{"events": [{"timestamp": t, "logStreamName": s, "message": m} for t, s, m in events]}]
        )

    def get_log_events(self, *, logStreamName: str, limit: int = 10_000, nextToken: str | None = None,
                       **params: Any) -> dict[str, Any]:  # fmt: skip
        events = [{"timestamp": t, "message": m} for t, m in self.streams[logStreamName]]
        if nextToken:
            return {"events": [], "nextForwardToken": nextToken}
        return {"events": events[-limit:], "nextForwardToken": "f/1"}


def test_every_stream_is_printed_with_its_name(capsys: pytest.CaptureFixture[str]) -> None:
    since, seen = _print_streams(StubLogs(STREAMS), "g", None)
    assert capsys.readouterr().out == "AllTraffic/i-0-1 | a\nAllTraffic/i-0-1 | b\nAllTraffic/i-1-2 | c\n"
    assert (since, seen) == (3, {("AllTraffic/i-0-1", "b")})


def test_tail_takes_the_last_lines_of_each_stream(capsys: pytest.CaptureFixture[str]) -> None:
    _print_streams(StubLogs(STREAMS), "g", 1)
    assert capsys.readouterr().out == "AllTraffic/i-0-1 | b\nAllTraffic/i-1-2 | c\n"


def test_follow_prints_only_what_is_new(capsys: pytest.CaptureFixture[str]) -> None:
    client = StubLogs({"s": [(1, "old"), (3, "printed")]})
    since, seen = _print_streams(client, "g", None)
    client.streams["s"] += [(3, "same millisecond"), (4, "later")]
    client.streams["t"] = [(5, "a new instance")]
    capsys.readouterr()
    since, seen = _print_new(client, "g", since, seen)
    assert capsys.readouterr().out == "s | same millisecond\ns | later\nt | a new instance\n"
    assert since == 5


def test_a_name_with_a_slash_is_a_log_group() -> None:
    assert endpoint_log_group("iris") == "/aws/sagemaker/Endpoints/iris"
    assert endpoint_log_group("/aws/lambda/f") == "/aws/lambda/f"
    assert cli_logs.POLL_S > 0
