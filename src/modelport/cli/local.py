"""The local server's own commands: ``credentials``, ``console``, ``status`` and ``stop``.

``credentials`` prints the key pair the other commands would sign with as ``export`` lines, the
way ``aws configure export-credentials --format env`` does, so curl and other tools can use the
``modelport`` profile; without a profile it reads the root key from the data folder. ``status``
and ``stop`` find the server through ``<data_dir>/server.json``, which a running server writes.
"""

from __future__ import annotations

import os
import shlex
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import click

from modelport.cli import output
from modelport.cli.background import stop_process
from modelport.cli.client import (
    Connection,
    ConnectionOptions,
    choose_profile,
    connect,
    connection_options,
    data_dir_option,
    resolve_data_dir,
)
from modelport.cli.failures import CommandFailed
from modelport.cli.output import escape
from modelport.launcher import is_running
from modelport.server_record import read_record, read_root_key

NOT_RUNNING_EXIT = 3  # as ``systemctl status``: the service is not running


def export_lines(
    access_key: str, secret_key: str, token: str | None, region: str, endpoint_url: str
) -> list[str]:
    values = {
        "AWS_ACCESS_KEY_ID": access_key,
        "AWS_SECRET_ACCESS_KEY": secret_key,
        "AWS_SESSION_TOKEN": token,
        "AWS_DEFAULT_REGION": region,
        "AWS_ENDPOINT_URL": endpoint_url,
    }
    return [f"export {name}={shlex.quote(value)}" for name, value in values.items() if value]


def _uses_own_choice(options: ConnectionOptions, environ: Mapping[str, str]) -> bool:
    """True when the user named credentials (flag, AWS_PROFILE, exported keys, the profile)."""
    import botocore.session

    available = list(botocore.session.Session().available_profiles)
    return bool(
        options.profile
        or environ.get("AWS_PROFILE")
        or (environ.get("AWS_ACCESS_KEY_ID") and environ.get("AWS_SECRET_ACCESS_KEY"))
        or choose_profile(None, environ, available)
    )


@click.command()
@data_dir_option
@connection_options
def credentials(data_dir: Path | None, connection: ConnectionOptions) -> None:
    """Print the access key pair, region and URL of the server as shell export lines.

    Use them in a shell with: eval "$(modelport credentials)". The keys are those the other
    commands sign with (--profile, AWS_PROFILE, exported keys, the 'modelport' profile the server
    writes on its first start); with none of those, the root key stored in the data folder.
    """
    conn = connect(connection)
    access_key, secret_key, token = key_pair(conn, connection, data_dir)
    click.echo(f'# modelport at {conn.endpoint_url}; use: eval "$(modelport credentials ...)"')
    for line in export_lines(access_key, secret_key, token, conn.region, conn.endpoint_url):
        click.echo(line)


def key_pair(
    conn: Connection, connection: ConnectionOptions, data_dir: Path | None
) -> tuple[str, str, str | None]:
    """The keys ``credentials`` and ``env`` print: the user's choice, else the stored root key."""
    if _uses_own_choice(connection, os.environ):
        frozen = _frozen(conn)
        if frozen is not None:
            return frozen
    stored = read_root_key(resolve_data_dir(data_dir))
    if stored is not None:
        return stored[0], stored[1], None
    # Never fall back to boto3's default chain: it may find real AWS keys (instance roles,
    # SSO caches) that the user did not ask to print.
    raise CommandFailed(
        f"no credentials for {conn.endpoint_url}: start the server once (modelport server), "
        "which writes the 'modelport' profile, or pass --data-dir of the server's data folder"
    )


def _frozen(conn: Connection) -> tuple[str, str, str | None] | None:
    found: Any = conn.session.get_credentials()
    if found is None:
        return None
    frozen = found.get_frozen_credentials()
    return str(frozen.access_key), str(frozen.secret_key), frozen.token


@click.command()
@data_dir_option
@connection_options
def console(data_dir: Path | None, connection: ConnectionOptions) -> None:
    """Print the web console's address and how to sign in.

    Sign in with an access key ID and its secret access key (the access key ID shown here is the
    one this CLI signs with; `modelport credentials` prints its secret), or with an IAM user's
    name and console password (IAM CreateLoginProfile; the hint prints a boto3 one-liner that
    makes one with the Python modelport runs on, so it works where the AWS CLI is not installed).
    """
    conn = connect(connection)
    url = conn.endpoint_url.rstrip("/") + "/console/"
    running = is_running(conn.endpoint_url, timeout_s=2.0)
    access_key, _, token = key_pair(conn, connection, data_dir)
    click.echo(f"Console: {url}" + ("" if running else "   (no server answers there now: modelport server)"))
    # The commands below are printed with the options this one was given, so they paste as is.
    same = _same_options(data_dir, connection)
    if token is None:
        click.echo(f"Sign in with access key ID {access_key} and its secret access key, which")
        click.echo(f"  modelport credentials{same}")
        click.echo("prints (AWS_SECRET_ACCESS_KEY); the console never shows it.")
    else:
        click.echo("These are temporary credentials; the console takes long-term keys or a password.")
    click.echo("Or sign in as an IAM user with a console password, made with (NAME and the password yours):")
    click.echo(f'  eval "$(modelport credentials{same})"')
    make_user = (
        'import boto3; iam = boto3.client("iam"); iam.create_user(UserName="NAME"); '
        'iam.create_login_profile(UserName="NAME", Password="Choose-4-password")'
    )
    click.echo(f"  {shlex.quote(sys.executable)} -c {shlex.quote(make_user)}")


def _same_options(data_dir: Path | None, connection: ConnectionOptions) -> str:
    given = [
        ("--data-dir", None if data_dir is None else str(data_dir)),
        ("--endpoint-url", connection.endpoint_url),
        ("--profile", connection.profile),
        ("--region", connection.region),
    ]
    return "".join(f" {flag} {shlex.quote(value)}" for flag, value in given if value)


@click.command()
@data_dir_option
@connection_options
def status(data_dir: Path | None, connection: ConnectionOptions) -> None:
    """Is a server running for the data folder (or at the URL)? Its URL, pid and resources.

    Exits 0 when a server answers, 3 when none runs.
    """
    folder = resolve_data_dir(data_dir)
    record = read_record(folder)
    conn = connect(connection)
    url = record.url if record is not None and connection.endpoint_url is None else conn.endpoint_url
    out = output.stdout()
    if not is_running(url, timeout_s=2.0):
        where = f"data folder {folder}" if record is None else f"pid {record.pid}, {url}"
        out.print(escape(f"No modelport server is running ({where} does not answer at {url})."))
        # With --data-dir the hint starts a server for that folder (MODELPORT_DATA_DIR carries over).
        start = ["modelport", "server"] + (["--data-dir", str(folder)] if data_dir is not None else [])
        out.print(escape(f"Start one with: {shlex.join(start)}"))
        sys.exit(NOT_RUNNING_EXIT)
    if record is not None and record.url == url:
        out.print(escape(f"modelport server running at {url} (pid {record.pid}, data {folder})"))
        if record.s3_endpoint_url is not None:
            out.print(escape(f"Embedded S3 at {record.s3_endpoint_url} (data {folder / 's3'})"))
        if record.s3_front_url is not None:
            out.print(escape(f"S3 front (modelport's keys and IAM) at {record.s3_front_url}"))
        if record.proxy_url is not None:
            out.print(escape(f"HTTPS proxy for AWS host names at {record.proxy_url} (CA {record.ca_bundle})"))
    else:
        out.print(escape(f"modelport server running at {url} (not started from data folder {folder})"))
    conn = Connection(endpoint_url=url, region=conn.region, session=conn.session)
    try:
        counts = _counts(conn)
    except Exception as exc:  # the counts are extra; say why they are missing
        out.print(escape(f"Resources: unknown ({type(exc).__name__}: {exc})"))
        return
    out.print(", ".join(f"{count} {what}" for what, count in counts.items()))


def _counts(conn: Connection) -> dict[str, int]:
    from modelport.cli.roles import aws_client

    sm = conn.sagemaker()
    counts = {
        "endpoint(s)": sum(len(p["Endpoints"]) for p in sm.get_paginator("list_endpoints").paginate()),
        "model(s)": sum(len(p["Models"]) for p in sm.get_paginator("list_models").paginate()),
    }
    lambda_ = aws_client(conn, "lambda")
    counts["function(s)"] = sum(
        len(p["Functions"]) for p in lambda_.get_paginator("list_functions").paginate()
    )
    return counts


@click.command()
@click.option(
    "--timeout", type=click.FloatRange(min=1), default=30.0, show_default=True, help="Seconds to wait."
)
@data_dir_option
def stop(timeout: float, data_dir: Path | None) -> None:
    """Stop the server running for the data folder (SIGTERM: it stops its workers, then exits)."""
    folder = resolve_data_dir(data_dir)
    record = read_record(folder)
    out = output.stdout()
    if record is None:
        out.print(escape(f"No modelport server is running for data folder {folder}."))
        return
    if not is_running(record.url, timeout_s=5.0):
        # A server killed with -9 leaves its record; its pid may belong to another process by now.
        out.print(escape(f"No modelport server answers at {record.url} (pid {record.pid} not signalled)."))
        return
    if not stop_process(record.pid, timeout_s=timeout):
        raise CommandFailed(f"the server (pid {record.pid}) did not stop within {timeout:.0f} s")
    out.print(escape(f"Stopped the modelport server at {record.url} (pid {record.pid})."))


COMMANDS: list[click.Command] = [credentials, console, status, stop]
