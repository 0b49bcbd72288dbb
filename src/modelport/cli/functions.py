"""``modelport function deploy|invoke|logs|ls|rm``: Lambda functions, over boto3's ``lambda``.

``deploy`` zips a ``.py`` file or a folder in memory and creates the function, or updates its
code and then its configuration when it exists. ``logs`` reads the function's CloudWatch Logs
group, ``/aws/lambda/<name>``, as ``modelport logs`` does an endpoint's.
"""

from __future__ import annotations

import io
import json
import os
import re
import sys
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from modelport.cli import output
from modelport.cli.client import ConnectionOptions, connection_flags, connection_options
from modelport.cli.failures import CommandFailed
from modelport.cli.logs import log_options, print_logs
from modelport.cli.output import escape
from modelport.cli.roles import aws_client, error_code, role_arn, server_connection

if TYPE_CHECKING:
    from rich.table import Table

DEFAULT_RUNTIME = "python3.11"
DEFAULT_HANDLER_FUNCTION = "lambda_handler"
_NAME = re.compile(r"^[a-zA-Z0-9-_]{1,64}$")
_SKIPPED_DIRS = {"__pycache__", ".git", ".venv", ".mypy_cache", ".pytest_cache"}


def zip_code(path: Path) -> bytes:
    """A deployment package: the file at the zip's root, or the folder's contents."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        if path.is_file():
            archive.write(path, path.name)
        else:
            for folder, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if d not in _SKIPPED_DIRS)
                for name in sorted(files):
                    if not name.endswith(".pyc"):
                        member = Path(folder) / name
                        archive.write(member, member.relative_to(path).as_posix())
    return buffer.getvalue()


def default_handler(path: Path) -> str:
    module = path.stem if path.is_file() else "lambda_function"
    return f"{module}.{DEFAULT_HANDLER_FUNCTION}"


def function_name_from(path: Path) -> str:
    stem = path.resolve().stem if path.is_file() else path.resolve().name
    return re.sub(r"[^a-zA-Z0-9-_]+", "-", stem).strip("-")[:64] or "function"


def parse_env(pairs: tuple[str, ...]) -> dict[str, str]:
    variables: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"{pair!r} is not KEY=VALUE", param_hint="'--env'")
        variables[key] = value
    return variables


def list_functions(functions: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for page in functions.get_paginator("list_functions").paginate():
        found.extend(page["Functions"])
    return found


def functions_table(functions: list[dict[str, Any]]) -> Table:
    from rich.table import Table

    table = Table("Function", "Runtime", "Handler", "Modified", title="Functions", title_justify="left")
    for function in functions:
        table.add_row(
            escape(function["FunctionName"]),
            escape(str(function.get("Runtime", ""))),
            escape(str(function.get("Handler", ""))),
            escape(str(function.get("LastModified", ""))),
        )
    return table


def function_exists(functions: Any, name: str) -> bool:
    from botocore.exceptions import ClientError

    try:
        functions.get_function_configuration(FunctionName=name)
    except ClientError as error:
        if error_code(error) == "ResourceNotFoundException":
            return False
        raise
    return True


@click.group()
def function() -> None:
    """Lambda functions: deploy a handler, invoke it, read its logs, list, delete."""


@function.command(name="deploy")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option(
    "--handler",
    default=None,
    help="MODULE.FUNCTION to call (default: <FILE stem>.lambda_handler; lambda_function.lambda_handler for DIR).",
)
@click.option(
    "--env", "env_pairs", multiple=True, metavar="KEY=VALUE", help="Environment variable; repeatable."
)
@click.option("--role", default=None, help="Role name or ARN the function runs as (required to create).")
@click.option("--name", default=None, help="Function name (default: from FILE or DIR).")
@click.option("--runtime", default=DEFAULT_RUNTIME, show_default=True, help="Python runtime.")
@click.option(
    "--timeout", type=click.IntRange(1, 900), default=None, help="Seconds per invocation (default 3)."
)
@click.option("--memory", type=click.IntRange(128, 10240), default=None, help="Memory in MB (default 128).")
@connection_options
def deploy_function(
    path: Path,
    handler: str | None,
    env_pairs: tuple[str, ...],
    role: str | None,
    name: str | None,
    runtime: str,
    timeout: int | None,
    memory: int | None,
    connection: ConnectionOptions,
) -> None:
    """Deploy FILE (one .py) or DIR as a function: create it, or update its code and settings.

    On an update, --env replaces all variables and is left alone when not given.
    """
    name = name or function_name_from(path)
    if not _NAME.match(name):
        raise click.BadParameter(
            f"{name!r} is not a valid function name: letters, digits, - and _, at most 64",
            param_hint="'--name'",
        )
    if path.is_file() and path.suffix != ".py":
        raise click.BadParameter(f"{path} is not a .py file or a folder", param_hint="'PATH'")
    code = zip_code(path)
    conn = server_connection(connection)
    functions = aws_client(conn, "lambda")
    settings: dict[str, Any] = {"Handler": handler or default_handler(path), "Runtime": runtime}
    if env_pairs:
        settings["Environment"] = {"Variables": parse_env(env_pairs)}
    if timeout is not None:
        settings["Timeout"] = timeout
    if memory is not None:
        settings["MemorySize"] = memory
    if role is not None:
        settings["Role"] = role_arn(aws_client(conn, "iam"), role)
    out = output.stdout()
    if function_exists(functions, name):
        functions.update_function_code(FunctionName=name, ZipFile=code)
        arn = functions.update_function_configuration(FunctionName=name, **settings)["FunctionArn"]
        out.print(f"Updated function {escape(name)}: {escape(arn)}")
    else:
        if "Role" not in settings:
            raise CommandFailed(f"--role is required to create function {name} (see: modelport role create)")
        arn = functions.create_function(FunctionName=name, Code={"ZipFile": code}, **settings)["FunctionArn"]
        out.print(f"Created function {escape(name)}: {escape(arn)}")
    flags = escape(connection_flags(connection))
    out.print(
        "Invoke it with:\n"
        f'  modelport function invoke {escape(name)} --payload \'{{"data": "5.1,3.3,1.7,0.5"}}\'{flags}\n'
        "or put it behind a REST API:\n"
        f"  modelport api create {escape(name)}-api --path /{escape(name)} --function {escape(name)}{flags}"
    )


@function.command(name="invoke")
@click.argument("name")
@click.option("--payload", default=None, metavar="JSON", help="The event, as JSON text.")
@click.option(
    "--file",
    "payload_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Read the event from a JSON file.",
)
@connection_options
def invoke_function(
    name: str, payload: str | None, payload_file: Path | None, connection: ConnectionOptions
) -> None:
    """Invoke function NAME once and print its result (default event: {}).

    A function error prints its error JSON on one line and exits 1.
    """
    if payload is not None and payload_file is not None:
        raise click.UsageError("give at most one of --payload JSON or --file FILE")
    text = payload_file.read_text(encoding="utf-8") if payload_file is not None else payload or "{}"
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        raise CommandFailed(f"the payload is not JSON: {exc}") from None
    functions = aws_client(server_connection(connection), "lambda")
    response = functions.invoke(FunctionName=name, Payload=text.encode())
    result: bytes = response["Payload"].read()
    if response.get("FunctionError"):
        shown = result.decode("utf-8", errors="replace").replace("\n", " ")
        raise CommandFailed(f"function {name} failed ({response['FunctionError']}): {shown}")
    sys.stdout.buffer.write(result if result.endswith(b"\n") or not result else result + b"\n")
    sys.stdout.flush()


@function.command(name="logs")
@click.argument("name")
@log_options
def function_logs(name: str, follow: bool, tail: int | None, connection: ConnectionOptions) -> None:
    """Print the logs of function NAME: log group /aws/lambda/NAME, one stream per environment.

    Each line is prefixed with its stream, YYYY/MM/DD/[$LATEST]<environment id>.
    """
    missing = (
        f"no logs for function {name}: log group /aws/lambda/{name} does not exist (has it been invoked?)"
    )
    print_logs(connection, f"/aws/lambda/{name}", follow=follow, tail=tail, missing=missing)


@function.command(name="ls")
@connection_options
def list_function_command(connection: ConnectionOptions) -> None:
    """List functions."""
    found = list_functions(aws_client(server_connection(connection), "lambda"))
    output.stdout().print(functions_table(found) if found else "No functions.")


@function.command(name="rm")
@click.argument("name")
@connection_options
def remove_function(name: str, connection: ConnectionOptions) -> None:
    """Delete function NAME."""
    aws_client(server_connection(connection), "lambda").delete_function(FunctionName=name)
    output.stdout().print(f"Deleted function {escape(name)}.")
