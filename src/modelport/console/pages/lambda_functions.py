"""Lambda → Functions: the list; "Author from scratch" (a name, a Python runtime and an existing
execution role, with the AWS console's default ``lambda_function.py``); deleting a function.

The function's own page (code, test, configuration, monitor) is ``lambda_function.py``.
"""

from __future__ import annotations

import io
import zipfile
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from modelport.console import rendering
from modelport.console.actions import AwsError, call

RUNTIMES = ("python3.13", "python3.12", "python3.11", "python3.10", "python3.9", "python3.8")
DEFAULT_RUNTIME = "python3.12"
HANDLER = "lambda_function.lambda_handler"
CODE_FILE = "lambda_function.py"
# What the AWS console puts in a new Python function.
DEFAULT_CODE = """import json

def lambda_handler(event, context):
    # TODO implement
    return {
        'statusCode': 200,
        'body': json.dumps('Hello from Lambda!')
    }
"""


def routes() -> list[BaseRoute]:
    return [
        Route("/lambda/functions", functions_list, methods=["GET"]),
        Route("/lambda/functions/create", create_form, methods=["GET"]),
        Route("/lambda/functions/create", create, methods=["POST"]),
        Route("/lambda/functions/{name}/delete", delete, methods=["POST"]),
    ]


def code_zip(source: str, previous: bytes | None = None) -> bytes:
    """A package with ``lambda_function.py`` = ``source``; the other files of ``previous`` (the
    function's current package) are kept, as the console's editor keeps them."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr(_entry(CODE_FILE), source.replace("\r\n", "\n"))
        if previous is not None:
            with zipfile.ZipFile(io.BytesIO(previous)) as old:
                for info in old.infolist():
                    if info.filename != CODE_FILE:
                        package.writestr(info, old.read(info))
    return buffer.getvalue()


def _entry(name: str) -> zipfile.ZipInfo:
    entry = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    entry.external_attr = 0o644 << 16
    entry.compress_type = zipfile.ZIP_DEFLATED
    return entry


async def functions_list(request: Request) -> Response:
    functions: list[dict[str, Any]] = []
    error = None
    try:
        functions = (await call(request, "lambda", "ListFunctions", {"MaxItems": 1000}))["Functions"]
    except AwsError as exc:
        error = exc
    return rendering.render(request, "lambda/functions.html", {"functions": functions}, error=error)


async def _roles(request: Request) -> list[dict[str, Any]]:
    try:
        found: list[dict[str, Any]] = (await call(request, "iam", "ListRoles", {"MaxItems": 1000}))["Roles"]
        return found
    except AwsError:
        return []  # the form says so; CreateFunction will say what is missing


async def create_form(request: Request) -> Response:
    values = {"name": "", "runtime": DEFAULT_RUNTIME, "role": ""}
    return await _create_page(request, values, None)


async def _create_page(request: Request, values: dict[str, str], error: AwsError | None) -> Response:
    context = {"values": values, "runtimes": RUNTIMES, "roles": await _roles(request)}
    return rendering.render(
        request, "lambda/function_create.html", context, error=error, status_code=400 if error else 200
    )


async def create(request: Request) -> Response:
    form = rendering.form(request)
    values = {k: form.get(k).strip() for k in ("name", "runtime", "role")}
    if not values["role"]:
        error = AwsError(
            "InvalidParameterValueException",
            "Choose an existing execution role (create one under IAM → Roles).",
        )
        return await _create_page(request, values, error)
    params = {
        "FunctionName": values["name"],
        "Runtime": values["runtime"],
        "Role": values["role"],
        "Handler": HANDLER,
        "Code": {"ZipFile": code_zip(DEFAULT_CODE)},
    }
    try:
        await call(request, "lambda", "CreateFunction", params)
    except AwsError as exc:
        return await _create_page(request, values, exc)
    name = values["name"]
    return rendering.redirect(
        request,
        f"/lambda/functions/{rendering.part(name)}",
        flash=f"Successfully created the function {name}. You can now change its code and configuration.",
    )


async def delete(request: Request) -> Response:
    name = request.path_params["name"]
    try:
        await call(request, "lambda", "DeleteFunction", {"FunctionName": name})
    except AwsError as exc:
        return rendering.redirect(request, f"/lambda/functions/{rendering.part(name)}", error=exc)
    return rendering.redirect(request, "/lambda/functions", flash=f"Successfully deleted function {name}.")
