"""``modelport notebook create|open|ls|stop|start|rm``: notebook instances, over boto3's ``sagemaker``.

Each command is the SageMaker calls a user would make: ``create`` is CreateNotebookInstance and
the ``notebook_instance_in_service`` waiter; ``open`` is CreatePresignedNotebookInstanceUrl,
printed, and opened in a browser when this session has a display; ``rm`` stops an instance that
runs, then deletes it, as the console does.
"""

from __future__ import annotations

import os
import sys
import webbrowser
from typing import Any

import click

from modelport.cli import output
from modelport.cli.client import ConnectionOptions, connection_flags, connection_options
from modelport.cli.failures import CommandFailed
from modelport.cli.output import escape
from modelport.cli.roles import aws_client, role_arn, server_connection

WAIT = {"Delay": 1, "MaxAttempts": 600}  # the server answers once settled: the first poll matches


@click.group()
def notebook() -> None:
    """Notebook instances: JupyterLab servers whose kernels run as an IAM role."""


@notebook.command(name="create")
@click.argument("name")
@click.option("--role", required=True, metavar="NAME_OR_ARN", help="IAM role the instance's kernels run as.")
@click.option(
    "--instance-type", default="ml.t3.medium", show_default=True, help="Recorded, as SageMaker shows it."
)
@click.option("--lifecycle-config", default=None, metavar="NAME", help="Lifecycle configuration to run.")
@connection_options
def create(
    name: str, role: str, instance_type: str, lifecycle_config: str | None, connection: ConnectionOptions
) -> None:
    """Create notebook instance NAME and wait until it is InService."""
    conn = server_connection(connection)
    sagemaker = conn.sagemaker()
    params: dict[str, Any] = {
        "NotebookInstanceName": name,
        "InstanceType": instance_type,
        "RoleArn": _role_arn(conn, role),
    }
    if lifecycle_config:
        params["LifecycleConfigName"] = lifecycle_config
    sagemaker.create_notebook_instance(**params)
    _wait_in_service(sagemaker, name, connection)


@notebook.command(name="open")
@click.argument("name")
@click.option("--no-browser", is_flag=True, help="Only print the URL.")
@connection_options
def open_notebook(name: str, no_browser: bool, connection: ConnectionOptions) -> None:
    """Print NAME's presigned JupyterLab URL (valid 5 minutes) and open it where a browser is."""
    sagemaker = server_connection(connection).sagemaker()
    url = str(sagemaker.create_presigned_notebook_instance_url(NotebookInstanceName=name)["AuthorizedUrl"])
    click.echo(url)
    if not no_browser and _has_display():
        webbrowser.open(url)


@notebook.command(name="ls")
@connection_options
def list_notebooks(connection: ConnectionOptions) -> None:
    """List notebook instances."""
    from rich.table import Table

    sagemaker = server_connection(connection).sagemaker()
    rows: list[dict[str, Any]] = []
    for page in sagemaker.get_paginator("list_notebook_instances").paginate():
        rows.extend(page["NotebookInstances"])
    if not rows:
        output.stdout().print("No notebook instances.")
        return
    table = Table(
        "Notebook instance", "Status", "Type", "Created", title="Notebook instances", title_justify="left"
    )
    for row in rows:
        table.add_row(
            escape(row["NotebookInstanceName"]),
            output.status_text(row["NotebookInstanceStatus"]),
            escape(row.get("InstanceType", "")),
            output.when(row.get("CreationTime")),
        )
    output.stdout().print(table)


@notebook.command(name="stop")
@click.argument("name")
@connection_options
def stop(name: str, connection: ConnectionOptions) -> None:
    """Stop notebook instance NAME (its home folder is kept) and wait until it is Stopped."""
    sagemaker = server_connection(connection).sagemaker()
    sagemaker.stop_notebook_instance(NotebookInstanceName=name)
    _wait(sagemaker, name, "notebook_instance_stopped")
    output.stdout().print(f"Notebook instance {escape(name)} is Stopped.")


@notebook.command(name="start")
@click.argument("name")
@connection_options
def start(name: str, connection: ConnectionOptions) -> None:
    """Start stopped notebook instance NAME and wait until it is InService."""
    sagemaker = server_connection(connection).sagemaker()
    sagemaker.start_notebook_instance(NotebookInstanceName=name)
    _wait_in_service(sagemaker, name, connection)


def _wait_in_service(sagemaker: Any, name: str, connection: ConnectionOptions) -> None:
    """Wait for InService, then print the ``open`` command to paste."""
    _wait(sagemaker, name, "notebook_instance_in_service")
    out = output.stdout()
    out.print(f"Notebook instance {escape(name)} is InService. Open it in JupyterLab with:")
    out.print(
        f"  modelport notebook open {escape(name)}{escape(connection_flags(connection))}", soft_wrap=True
    )


@notebook.command(name="rm")
@click.argument("name")
@connection_options
def remove(name: str, connection: ConnectionOptions) -> None:
    """Delete notebook instance NAME and its home folder, stopping it first if it runs."""
    sagemaker = server_connection(connection).sagemaker()
    status = sagemaker.describe_notebook_instance(NotebookInstanceName=name)["NotebookInstanceStatus"]
    if status in ("InService", "Pending"):
        if status == "Pending":
            _wait(sagemaker, name, "notebook_instance_in_service")
        sagemaker.stop_notebook_instance(NotebookInstanceName=name)
        _wait(sagemaker, name, "notebook_instance_stopped")
    sagemaker.delete_notebook_instance(NotebookInstanceName=name)
    _wait(sagemaker, name, "notebook_instance_deleted")
    output.stdout().print(f"Deleted notebook instance {escape(name)}.")


def _role_arn(conn: Any, role: str) -> str:
    from botocore.exceptions import ClientError

    iam = aws_client(conn, "iam")
    try:
        return role_arn(iam, role)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "NoSuchEntity":
            raise CommandFailed(
                f"no role named {role!r}: create one that trusts SageMaker "
                f"(modelport role create {role} --policy FILE --trust sagemaker.amazonaws.com) or pass its ARN"
            ) from None
        raise


def _wait(sagemaker: Any, name: str, waiter: str) -> None:
    from botocore.exceptions import WaiterError

    try:
        sagemaker.get_waiter(waiter).wait(NotebookInstanceName=name, WaiterConfig=WAIT)
    except WaiterError:
        described = sagemaker.describe_notebook_instance(NotebookInstanceName=name)
        reason = described.get("FailureReason") or "it did not settle in time"
        raise CommandFailed(
            f"notebook instance {name} is {described['NotebookInstanceStatus']}: {reason}"
        ) from None


def _has_display() -> bool:
    """A graphical session (or macOS/Windows): a text-mode browser would take over the terminal."""
    return sys.platform in ("darwin", "win32") or bool(
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    )


COMMANDS: list[click.Command] = [notebook]
