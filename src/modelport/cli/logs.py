"""``modelport logs NAME [-f]``: an endpoint's logs, read from the server's CloudWatch Logs.

The server keeps what each instance prints in log group ``/aws/sagemaker/Endpoints/<name>``,
one stream per instance (``<variant>/i-<n>-<generation>``); this command reads it with boto3's
``logs`` client, as any AWS tool would, prefixing each line with its stream. A NAME starting
with ``/`` is a log group name (``modelport logs /aws/lambda/my-function``). ``-f`` keeps
polling for new events, including those of instances that start later, until Ctrl-C.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from typing import Any

import click

from modelport.cli.client import ConnectionOptions, F, connection_options
from modelport.cli.failures import CommandFailed
from modelport.cli.roles import aws_client, error_code, server_connection

POLL_S = 0.5


def endpoint_log_group(name: str) -> str:
    return name if name.startswith("/") else f"/aws/sagemaker/Endpoints/{name}"


def log_options(command: F) -> F:
    """``--follow``, ``--tail`` and the connection options: what every log command takes."""
    command = connection_options(command)
    command = click.option(
        "--tail", "-n", type=click.IntRange(min=0), default=None, help="Only the last N lines of each stream."
    )(command)
    return click.option(
        "--follow", "-f", is_flag=True, help="Keep printing new lines as they are written (Ctrl-C stops)."
    )(command)


@click.command()
@click.argument("name")
@log_options
def logs(name: str, follow: bool, tail: int | None, connection: ConnectionOptions) -> None:
    """Print the logs of endpoint NAME (a NAME starting with / is a log group).

    Reads log group /aws/sagemaker/Endpoints/NAME from the server; each line is prefixed with
    its stream, <variant>/<instance>.
    """
    missing = (
        f"no logs for endpoint {name}: log group {endpoint_log_group(name)} does not exist (is it deployed?)"
    )
    print_logs(connection, endpoint_log_group(name), follow=follow, tail=tail, missing=missing)


def print_logs(
    connection: ConnectionOptions, group: str, *, follow: bool, tail: int | None, missing: str
) -> None:
    """Print each stream of ``group`` (its last ``tail`` lines), then with ``follow`` new events
    of any stream until Ctrl-C. ``missing`` is the error when the group does not exist."""
    from botocore.exceptions import ClientError

    client = aws_client(server_connection(connection), "logs")
    try:
        since, seen = _print_streams(client, group, tail)
        if not follow:
            return
        try:
            while True:
                since, seen = _print_new(client, group, since, seen)
                time.sleep(POLL_S)
        except KeyboardInterrupt:
            return  # Ctrl-C is how -f ends
    except ClientError as exc:
        if error_code(exc) == "ResourceNotFoundException":
            raise CommandFailed(missing) from None
        raise


Seen = set[tuple[str, str]]  # (stream, message) of the events at the newest timestamp printed


def _print_streams(client: Any, group: str, tail: int | None) -> tuple[int, Seen]:
    since = 0
    seen: Seen = set()
    for stream in _streams(client, group):
        events = _stream_events(client, group, stream, tail)
        for event in events:
            _emit(stream, event["message"])
            if event["timestamp"] > since:
                since, seen = event["timestamp"], set()
            if event["timestamp"] == since:
                seen.add((stream, event["message"]))
    return since, seen


def _streams(client: Any, group: str) -> Iterator[str]:
    for page in client.get_paginator("describe_log_streams").paginate(logGroupName=group):
        for stream in page["logStreams"]:
            yield stream["logStreamName"]


def _stream_events(client: Any, group: str, stream: str, tail: int | None) -> list[dict[str, Any]]:
    if tail is not None:
        if tail == 0:
            return []
        answer = client.get_log_events(
            logGroupName=group, logStreamName=stream, limit=tail, startFromHead=False
        )
        return list(answer["events"])
    events: list[dict[str, Any]] = []
    token: str | None = None
    while True:
        extra = {"nextToken": token} if token else {}
        answer = client.get_log_events(logGroupName=group, logStreamName=stream, startFromHead=True, **extra)
        events += answer["events"]
        if answer["nextForwardToken"] == token or not answer["events"]:
            return events
        token = answer["nextForwardToken"]


def _print_new(client: Any, group: str, since: int, seen: Seen) -> tuple[int, Seen]:
    for page in client.get_paginator("filter_log_events").paginate(logGroupName=group, startTime=since):
        for event in page["events"]:
            key = (event["logStreamName"], event["message"])
            if event["timestamp"] == since and key in seen:
                continue
            _emit(*key)
            if event["timestamp"] > since:
                since, seen = event["timestamp"], set()
            seen.add(key)
    return since, seen


def _emit(stream: str, line: str) -> None:
    sys.stdout.write(f"{stream} | {line}\n")
    sys.stdout.flush()
