"""CloudWatch → Log groups: the list (a name prefix filter, pages of 50); a group's streams,
latest event first; a stream's events, newest last, with older and newer pages; a search of the
whole group with a filter pattern (FilterLogEvents); delete a group.

Group and stream names hold ``/`` (``/aws/lambda/iris``, ``2026/12/07/[$LATEST]ab12``), so they
travel as query values (``?group=...&stream=...``), never as path segments.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from modelport.console import rendering
from modelport.console.actions import AwsError, call

PAGE = 50  # DescribeLogGroups' and DescribeLogStreams' maximum
EVENTS = 100


def routes() -> list[BaseRoute]:
    return [
        Route("/cloudwatch/log-groups", groups_list, methods=["GET"]),
        Route("/cloudwatch/log-groups/view", group_page, methods=["GET"]),
        Route("/cloudwatch/log-groups/events", stream_page, methods=["GET"]),
        Route("/cloudwatch/log-groups/search", search, methods=["GET"]),
        Route("/cloudwatch/log-groups/delete", delete, methods=["POST"]),
    ]


async def groups_list(request: Request) -> Response:
    prefix = request.query_params.get("prefix", "").strip()
    params: dict[str, Any] = {"limit": PAGE}
    if prefix:
        params["logGroupNamePrefix"] = prefix
    if token := request.query_params.get("token"):
        params["nextToken"] = token
    context: dict[str, Any] = {"prefix": prefix, "groups": [], "next_token": None}
    error = None
    try:
        found = await call(request, "logs", "DescribeLogGroups", params)
        context["groups"], context["next_token"] = found["logGroups"], found.get("nextToken")
    except AwsError as exc:
        error = exc
    return rendering.render(request, "cloudwatch/log_groups.html", context, error=error)


async def group_page(request: Request) -> Response:
    group = request.query_params.get("group", "")
    params: dict[str, Any] = {
        "logGroupName": group,
        "orderBy": "LastEventTime",
        "descending": True,
        "limit": PAGE,
    }
    if token := request.query_params.get("token"):
        params["nextToken"] = token
    context: dict[str, Any] = {"group": group, "streams": [], "next_token": None, "found": False}
    try:
        found = await call(request, "logs", "DescribeLogStreams", params)
    except AwsError as exc:
        status = 404 if exc.code == "ResourceNotFoundException" else 400
        return rendering.render(request, "cloudwatch/log_group.html", context, error=exc, status_code=status)
    context.update(found=True, streams=found["logStreams"], next_token=found.get("nextToken"))
    return rendering.render(request, "cloudwatch/log_group.html", context)


async def stream_page(request: Request) -> Response:
    """One page of a stream's events, oldest to newest; without a token, the newest page."""
    group = request.query_params.get("group", "")
    stream = request.query_params.get("stream", "")
    params: dict[str, Any] = {"logGroupName": group, "logStreamName": stream, "limit": EVENTS}
    if token := request.query_params.get("token"):
        params["nextToken"] = token
    context: dict[str, Any] = {"group": group, "stream": stream, "events": [], "older": None, "newer": None}
    try:
        found = await call(request, "logs", "GetLogEvents", params)
    except AwsError as exc:
        status = 404 if exc.code == "ResourceNotFoundException" else 400
        return rendering.render(request, "cloudwatch/log_stream.html", context, error=exc, status_code=status)
    context["events"] = found["events"]
    # Without a token this is the newest page: nothing newer, and older only if the page is full.
    # An empty page's tokens lead nowhere new.
    if found["events"] and (token or len(found["events"]) == EVENTS):
        context["older"] = found["nextBackwardToken"]
    if found["events"] and token:
        context["newer"] = found["nextForwardToken"]
    return rendering.render(request, "cloudwatch/log_stream.html", context)


async def search(request: Request) -> Response:
    """The group's events matching a filter pattern (terms, "quoted phrases", ?alternatives),
    oldest first, 100 a page."""
    group = request.query_params.get("group", "")
    pattern = request.query_params.get("pattern", "")
    params: dict[str, Any] = {"logGroupName": group, "limit": EVENTS}
    if pattern.strip():
        params["filterPattern"] = pattern
    if token := request.query_params.get("token"):
        params["nextToken"] = token
    context: dict[str, Any] = {"group": group, "pattern": pattern, "events": [], "next_token": None}
    try:
        found = await call(request, "logs", "FilterLogEvents", params)
    except AwsError as exc:
        status = 404 if exc.code == "ResourceNotFoundException" else 400
        return rendering.render(request, "cloudwatch/log_search.html", context, error=exc, status_code=status)
    context.update(events=found["events"], next_token=found.get("nextToken"))
    return rendering.render(request, "cloudwatch/log_search.html", context)


async def delete(request: Request) -> Response:
    group = rendering.form(request).get("group")
    try:
        await call(request, "logs", "DeleteLogGroup", {"logGroupName": group})
    except AwsError as exc:
        return rendering.redirect(
            request, f"/cloudwatch/log-groups/view?group={rendering.part(group)}", error=exc
        )
    return rendering.redirect(request, "/cloudwatch/log-groups", flash=f"Log group {group} deleted.")
