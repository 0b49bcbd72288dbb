"""Lambda → a function's page, in the AWS console's tabs: **Code** (``lambda_function.py`` in an
editor; **Deploy** is UpdateFunctionCode with a package built here), **Test** (an event, Invoke
with the log tail, the result), **Configuration** (environment variables: edit, add, remove;
UpdateFunctionConfiguration) and **Monitor** (the latest log streams of ``/aws/lambda/<name>``
and the newest one's events).

The editor shows the package's ``lambda_function.py`` only after GetFunction, the call that gives
an API caller the code, allowed the signed-in principal. Environment values are shown as the AWS
console shows them; the code's download URL (a bearer link) is not.
"""

from __future__ import annotations

import base64
import binascii
import io
import json
import zipfile
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from modelport.console import rendering
from modelport.console.actions import AwsError, call
from modelport.console.guard import Form
from modelport.console.pages.lambda_functions import CODE_FILE, code_zip
from modelport.services.lambda_.host import code_archive

TABS = ("code", "test", "configuration", "monitor")
# The AWS console's "hello-world" test event.
DEFAULT_EVENT = '{\n  "key1": "value1",\n  "key2": "value2",\n  "key3": "value3"\n}'
RECENT_STREAMS = 5
TAIL_EVENTS = 50


def routes() -> list[BaseRoute]:
    return [
        Route("/lambda/functions/{name}", function_page, methods=["GET"]),
        Route("/lambda/functions/{name}/code", deploy, methods=["POST"]),
        Route("/lambda/functions/{name}/environment", environment, methods=["POST"]),
        Route("/lambda/functions/{name}/test", test, methods=["POST"]),
    ]


def log_group(name: str) -> str:
    return f"/aws/lambda/{name}"


def _path(name: str, tab: str = "code") -> str:
    return f"/lambda/functions/{rendering.part(name)}?tab={tab}"


def _package(request: Request, configuration: dict[str, Any]) -> bytes | None:
    """The function's current zip, as stored by the Lambda service."""
    try:
        sha_hex = base64.b64decode(configuration["CodeSha256"]).hex()
        path = code_archive(rendering.platform(request).context, configuration["FunctionName"], sha_hex)
        return path.read_bytes()
    except (KeyError, binascii.Error, OSError):
        return None


def _source(package: bytes | None) -> str | None:
    if package is None:
        return None
    try:
        with zipfile.ZipFile(io.BytesIO(package)) as archive:
            return archive.read(CODE_FILE).decode("utf-8")
    except (KeyError, zipfile.BadZipFile, UnicodeDecodeError):
        return None


async def _monitor(request: Request, name: str) -> dict[str, Any]:
    """The newest streams of the function's log group and the newest stream's last events."""
    group = log_group(name)
    found: dict[str, Any] = {"group": group, "streams": [], "events": [], "invocations": [], "error": None}
    try:
        streams = (
            await call(
                request,
                "logs",
                "DescribeLogStreams",
                {
                    "logGroupName": group,
                    "orderBy": "LastEventTime",
                    "descending": True,
                    "limit": RECENT_STREAMS,
                },
            )
        )["logStreams"]
        found["streams"] = streams
        if streams:
            events = await call(
                request,
                "logs",
                "GetLogEvents",
                {
                    "logGroupName": group,
                    "logStreamName": streams[0]["logStreamName"],
                    "limit": TAIL_EVENTS,
                    "startFromHead": False,
                },
            )
            found["events"] = events["events"]
            found["invocations"] = [
                report for event in reversed(events["events"]) if (report := invocation(event)) is not None
            ]
    except AwsError as exc:
        if exc.code != "ResourceNotFoundException":  # no invocation yet: no group
            found["error"] = exc
    return found


def invocation(event: dict[str, Any]) -> dict[str, Any] | None:
    """One invocation from its REPORT line (``REPORT RequestId: <id>\tDuration: 52.09 ms\t…``)."""
    message = str(event.get("message", ""))
    if not message.startswith("REPORT RequestId:"):
        return None
    fields = dict(
        part.split(": ", 1) for part in message.removeprefix("REPORT ").strip().split("\t") if ": " in part
    )
    return {"timestamp": event.get("timestamp", 0), **fields}


async def _page(
    request: Request,
    name: str,
    *,
    tab: str,
    error: AwsError | None = None,
    source: str | None = None,
    event: str = DEFAULT_EVENT,
    result: dict[str, Any] | None = None,
    variables: list[tuple[str, str]] | None = None,
    status_code: int = 200,
) -> Response:
    if tab not in TABS:
        tab = "code"
    try:
        got = await call(request, "lambda", "GetFunction", {"FunctionName": name})
    except AwsError as exc:
        missing = {"function": None, "name": name, "tab": tab}
        return rendering.render(request, "lambda/function.html", missing, error=error or exc, status_code=404)
    configuration = got["Configuration"]
    if source is None:
        source = _source(_package(request, configuration))
    if variables is None:
        variables = sorted((configuration.get("Environment") or {}).get("Variables", {}).items())
    context: dict[str, Any] = {
        "function": configuration,
        "name": name,
        "tab": tab,
        "tabs": TABS,
        "source": source,
        "code_file": CODE_FILE,
        "event": event,
        "result": result,
        "variables": variables,
        "tags": got.get("Tags", {}),
        "monitor": await _monitor(request, name) if tab == "monitor" else None,
        "log_group": log_group(name),
    }
    return rendering.render(request, "lambda/function.html", context, error=error, status_code=status_code)


async def function_page(request: Request) -> Response:
    return await _page(request, request.path_params["name"], tab=request.query_params.get("tab", "code"))


async def deploy(request: Request) -> Response:
    name = request.path_params["name"]
    source = rendering.form(request).get("source")
    try:
        configuration = await call(request, "lambda", "GetFunctionConfiguration", {"FunctionName": name})
        package = code_zip(source, _package(request, configuration))
        await call(request, "lambda", "UpdateFunctionCode", {"FunctionName": name, "ZipFile": package})
    except AwsError as exc:
        return await _page(request, name, tab="code", error=exc, source=source, status_code=400)
    return rendering.redirect(request, _path(name), flash=f"Successfully updated the function {name}.")


def _variables(form: Form) -> list[tuple[str, str]]:
    """The editor's rows (``env_key``/``env_value``), less those ticked **Remove** or left blank."""
    removed = set(form.getlist("env_remove"))
    rows = zip(form.getlist("env_key"), form.getlist("env_value"), strict=False)
    return [
        (key.strip(), value)
        for index, (key, value) in enumerate(rows)
        if key.strip() and str(index) not in removed
    ]


async def environment(request: Request) -> Response:
    name = request.path_params["name"]
    variables = _variables(rendering.form(request))
    keys = [key for key, _ in variables]
    if len(set(keys)) != len(keys):
        twice = sorted({key for key in keys if keys.count(key) > 1})
        error = AwsError(
            "InvalidParameterValueException", f"Environment variable keys must be unique: {', '.join(twice)}."
        )
        return await _page(
            request, name, tab="configuration", error=error, variables=variables, status_code=400
        )
    params = {"FunctionName": name, "Environment": {"Variables": dict(variables)}}
    try:
        await call(request, "lambda", "UpdateFunctionConfiguration", params)
    except AwsError as exc:
        return await _page(
            request, name, tab="configuration", error=exc, variables=variables, status_code=400
        )
    return rendering.redirect(
        request, _path(name, "configuration"), flash=f"Successfully updated the function {name}."
    )


async def test(request: Request) -> Response:
    name = request.path_params["name"]
    event = rendering.form(request).get("event")
    try:
        json.loads(event or "{}")
    except ValueError as exc:
        error = AwsError(
            "InvalidRequestContentException", f"The event is not valid JSON: {exc}. Fix it and test again."
        )
        return await _page(request, name, tab="test", error=error, event=event, status_code=400)
    params = {"FunctionName": name, "Payload": event.encode("utf-8"), "LogType": "Tail"}
    try:
        answer = await call(request, "lambda", "Invoke", params)
    except AwsError as exc:
        return await _page(request, name, tab="test", error=exc, event=event, status_code=400)
    result = {
        "status": "Failed" if answer.get("FunctionError") else "Succeeded",
        "status_code": answer.get("StatusCode"),
        "function_error": answer.get("FunctionError"),
        "payload": bytes(answer.get("Payload") or b"").decode("utf-8", errors="replace"),
        "log": _log_tail(answer.get("LogResult")),
    }
    return await _page(request, name, tab="test", event=event, result=result)


def _log_tail(encoded: str | None) -> str:
    if not encoded:
        return ""
    try:
        return base64.b64decode(encoded).decode("utf-8", errors="replace")
    except binascii.Error:
        return ""
