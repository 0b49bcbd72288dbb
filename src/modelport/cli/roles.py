"""``modelport role create|ls|rm``: IAM roles a function runs as, over boto3's ``iam`` client.

A role made here trusts one service (``lambda.amazonaws.com`` by default) and carries one inline
policy, read from a JSON file. This module also builds the CLI's ``iam``, ``lambda`` and
``apigateway`` clients (``cli.client.Connection`` only knows SageMaker's two).
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from modelport.cli import output
from modelport.cli.client import (
    Connection,
    ConnectionOptions,
    client_config,
    connect,
    connection_options,
    require_server,
)
from modelport.cli.failures import CommandFailed
from modelport.cli.output import escape

if TYPE_CHECKING:
    from botocore.config import Config
    from botocore.exceptions import ClientError
    from rich.table import Table

DEFAULT_TRUST = "lambda.amazonaws.com"


@functools.cache
def _config(service: str) -> Config:
    from botocore.config import Config

    if service == "lambda":
        # Invoke runs up to a function's timeout (900 s at most) and is not idempotent: no retries.
        return Config(connect_timeout=5, read_timeout=910, retries={"max_attempts": 1})
    return client_config()


def server_connection(options: ConnectionOptions) -> Connection:
    conn = connect(options)
    require_server(conn.endpoint_url)
    return conn


def aws_client(conn: Connection, service: str) -> Any:
    """A client of ``service`` (``iam``, ``lambda``, ``apigateway``) aimed at the server."""
    return conn.client(service, _config(service))


def error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def trust_policy(service: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}],
    }


def policy_name_for(role: str) -> str:
    return f"{role}-policy"


def read_policy(path: Path) -> str:
    """The file's text, checked to be a JSON object first so a typo is a local, one-line error."""
    text = path.read_text(encoding="utf-8")
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CommandFailed(f"{path} is not JSON: {exc}") from None
    if not isinstance(document, dict) or "Statement" not in document:
        raise CommandFailed(f"{path} is not an IAM policy document (a JSON object with a Statement)")
    return text


def role_arn(iam: Any, name_or_arn: str) -> str:
    if name_or_arn.startswith("arn:"):
        return name_or_arn
    return str(iam.get_role(RoleName=name_or_arn)["Role"]["Arn"])


def list_roles(iam: Any) -> list[dict[str, Any]]:
    roles: list[dict[str, Any]] = []
    for page in iam.get_paginator("list_roles").paginate():
        roles.extend(page["Roles"])
    return roles


def roles_table(roles: list[dict[str, Any]]) -> Table:
    from rich.table import Table

    table = Table("Role", "ARN", "Created", title="Roles", title_justify="left")
    for role in roles:
        table.add_row(escape(role["RoleName"]), escape(role["Arn"]), output.when(role.get("CreateDate")))
    return table


def delete_role(iam: Any, name: str) -> None:
    """Delete the role's inline policies, detach its managed ones, then the role itself."""
    from botocore.exceptions import ClientError

    for policy in _inline_policy_names(iam, name):
        try:
            iam.delete_role_policy(RoleName=name, PolicyName=policy)
        except ClientError as error:
            if error_code(error) != "NoSuchEntity":
                raise
    for page in iam.get_paginator("list_attached_role_policies").paginate(RoleName=name):
        for attached in page["AttachedPolicies"]:
            iam.detach_role_policy(RoleName=name, PolicyArn=attached["PolicyArn"])
    iam.delete_role(RoleName=name)


def _inline_policy_names(iam: Any, role: str) -> list[str]:
    from botocore.exceptions import ClientError

    # The server has no ListRolePolicies yet; then the name ``role create`` gives is the one
    # we can know of. A role with other inline policies then fails DeleteRole with IAM's message.
    try:
        names: list[str] = []
        for page in iam.get_paginator("list_role_policies").paginate(RoleName=role):
            names.extend(page["PolicyNames"])
        return names
    except ClientError as error:
        if error_code(error) in ("NoSuchEntity", "AccessDenied", "AccessDeniedException"):
            raise
        return [policy_name_for(role)]


@click.group()
def role() -> None:
    """IAM roles for functions: create one with a policy file, list, delete."""


@role.command(name="create")
@click.argument("name")
@click.option(
    "--policy",
    "policy_file",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="JSON policy document to attach inline (e.g. allow sagemaker:InvokeEndpoint).",
)
@click.option(
    "--trust",
    default=DEFAULT_TRUST,
    show_default=True,
    metavar="SERVICE",
    help="Service principal allowed to assume the role.",
)
@click.option("--policy-name", default=None, help="Name of the inline policy (default: NAME-policy).")
@connection_options
def create_role(
    name: str, policy_file: Path, trust: str, policy_name: str | None, connection: ConnectionOptions
) -> None:
    """Create role NAME with the inline policy read from --policy FILE (updated if NAME exists).

    The role trusts the service principal given with --trust SERVICE (lambda.amazonaws.com by
    default) to assume it.
    """
    from botocore.exceptions import ClientError

    document = read_policy(policy_file)
    iam = aws_client(server_connection(connection), "iam")
    out = output.stdout()
    try:
        arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust_policy(trust)))[
            "Role"
        ]["Arn"]
        verb = "Created"
    except ClientError as error:
        if error_code(error) != "EntityAlreadyExists":
            raise
        arn = role_arn(iam, name)
        verb = "Updated the policy of"
    iam.put_role_policy(
        RoleName=name, PolicyName=policy_name or policy_name_for(name), PolicyDocument=document
    )
    out.print(f"{verb} role {escape(name)}: {escape(arn)}")
    # Not a command line: the handler file is the user's, so this names the option instead.
    out.print(
        f"A function runs as this role when deployed with --role {escape(name)} (modelport function deploy --help)."
    )


@role.command(name="ls")
@connection_options
def list_role_command(connection: ConnectionOptions) -> None:
    """List IAM roles."""
    roles = list_roles(aws_client(server_connection(connection), "iam"))
    output.stdout().print(roles_table(roles) if roles else "No roles.")


@role.command(name="rm")
@click.argument("name")
@connection_options
def remove_role(name: str, connection: ConnectionOptions) -> None:
    """Delete role NAME after deleting its inline and detaching its managed policies."""
    delete_role(aws_client(server_connection(connection), "iam"), name)
    output.stdout().print(f"Deleted role {escape(name)}.")
