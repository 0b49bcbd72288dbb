"""``modelport env``: the environment that points every AWS SDK at the running server.

It prints ``AWS_ENDPOINT_URL_<SERVICE>`` for every service modelport serves (the names botocore
derives from each service model's ``serviceId``), ``AWS_ENDPOINT_URL_S3`` for the S3 the server
uses (when one is known), the region and the credentials ``modelport credentials`` prints, in
``sh``, ``fish``, ``dotenv`` or ``json`` format. ``eval "$(modelport env)"`` is all a shell or a
Jupyter server started from it needs: boto3 clients created without ``endpoint_url`` reach
modelport, and services modelport does not serve keep their usual endpoints.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
import shlex
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click

from modelport.cli.client import (
    Connection,
    ConnectionOptions,
    connect,
    connection_options,
    data_dir_option,
    resolve_data_dir,
)
from modelport.cli.failures import CommandFailed, NoServer
from modelport.cli.local import key_pair
from modelport.core.transparent import transparent_environment
from modelport.server_record import STATE_FILE, ServerRecord, read_record

CREDENTIALS_PATH = "/_modelport/credentials"  # modelport.http.role_credentials.PREFIX
FORMATS = ("sh", "fish", "dotenv", "json")
_PLAIN = re.compile(r"[A-Za-z0-9_./:+=@%,-]*")


def endpoint_variable(service: str) -> str:
    """botocore's service-specific endpoint variable: ``serviceId``, spaces to ``_``, upper case."""
    import botocore.session

    service_id = botocore.session.get_session().get_service_model(service).service_id
    return "AWS_ENDPOINT_URL_" + str(service_id).replace(" ", "_").upper()


def endpoint_variables(url: str) -> dict[str, str]:
    from modelport.aws.registry import SERVED_SERVICES

    return {endpoint_variable(service): url for service in sorted(SERVED_SERVICES)}


def recorded_s3_url(data_dir: Path, server_url: str, environ: Mapping[str, str]) -> str | None:
    """The S3 clients should use: the server's S3 front (modelport's keys and IAM) when it runs,
    else its record's ``s3_endpoint_url``, else ``MODELPORT_S3_ENDPOINT_URL``."""
    record = read_record(data_dir)
    if record is not None and record.url == server_url:
        try:
            document = json.loads((data_dir / STATE_FILE).read_text())
        except (OSError, ValueError):
            document = {}
        for name in ("s3_front_url", "s3_endpoint_url"):
            recorded = document.get(name) if isinstance(document, dict) else None
            if isinstance(recorded, str) and recorded:
                return recorded
    configured = environ.get("MODELPORT_S3_ENDPOINT_URL", "").strip()
    return configured or None


def render(values: Mapping[str, str], comments: list[str], form: str, unset: Sequence[str] = ()) -> str:
    """The variables in one shell's (or file format's) syntax; comments where the format has them.

    ``unset`` names variables a shell must drop (stale keys that would outrank the printed
    credentials); a .env file or JSON object cannot say that, so there they are left out.
    """
    if form == "json":
        return json.dumps(dict(values), indent=2)
    lines = [f"# {comment}" for comment in comments]
    if unset and form == "sh":
        lines.append("unset " + " ".join(unset))
    elif unset and form == "fish":
        lines.extend(f"set -e {name};" for name in unset)
    for name, value in values.items():
        if form == "sh":
            lines.append(f"export {name}={shlex.quote(value)}")
        elif form == "fish":
            quoted = value.replace("\\", "\\\\").replace("'", "\\'")
            lines.append(f"set -gx {name} '{quoted}';")
        else:
            lines.append(f"{name}={_dotenv_quote(value)}")
    return "\n".join(lines)


def _dotenv_quote(value: str) -> str:
    if _PLAIN.fullmatch(value):
        return value
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


@click.command()
@click.option(
    "--format",
    "form",
    type=click.Choice(FORMATS),
    default="sh",
    show_default=True,
    help="sh/bash/zsh export lines, fish set lines, a .env file, or a JSON object.",
)
@click.option(
    "--role",
    default=None,
    metavar="NAME_OR_ARN",
    help="Serve this execution role's refreshable credentials (ECS style) instead of the key pair.",
)
@click.option(
    "--duration",
    type=click.IntRange(min=900, max=43200),
    default=3600,
    show_default=True,
    help="Seconds each role credential lasts (with --role); SDKs refresh them before they expire.",
)
@click.option(
    "--transparent",
    is_flag=True,
    help="Also send HTTPS to AWS host names through the server's proxy (HTTPS_PROXY, AWS_CA_BUNDLE).",
)
@data_dir_option
@connection_options
def env(
    form: str,
    role: str | None,
    duration: int,
    transparent: bool,
    data_dir: Path | None,
    connection: ConnectionOptions,
) -> None:
    """Print the environment that points every AWS SDK at the server: eval "$(modelport env)".

    AWS_ENDPOINT_URL_<SERVICE> for each service modelport serves (SageMaker, SageMaker runtime,
    IAM, STS, Lambda, API Gateway), AWS_ENDPOINT_URL_S3 for the server's S3 front (S3 with
    modelport's keys and IAM; else the S3 itself) when one is known, the region, and the key
    pair 'modelport credentials' prints. Other services keep their usual endpoints.

    With --role, the credentials are the role's, served by the server at a loopback URL with a
    random token (AWS_CONTAINER_CREDENTIALS_FULL_URI, AWS_CONTAINER_AUTHORIZATION_TOKEN), as ECS
    serves a task role: get_execution_role() returns the role's ARN, as in a notebook instance.
    You sign the registration, so you must be allowed to assume the role (root may assume any).

    With --transparent, code that hard-codes AWS host names (https://sts.<region>.amazonaws.com,
    boto3.resource("s3") with no endpoint) reaches the server too: HTTPS_PROXY names the server's
    proxy and AWS_CA_BUNDLE its local CA's certificate; NO_PROXY keeps loopback direct. The proxy
    refuses every host modelport does not serve, so other HTTPS (pip, git) fails in that shell.
    """
    folder = resolve_data_dir(data_dir)
    conn = connect(connection)
    record = read_record(folder)
    url = record.url if record is not None and connection.endpoint_url is None else conn.endpoint_url
    access_key, secret_key, token = key_pair(conn, connection, data_dir)
    comments = [f'modelport at {url}; use: eval "$(modelport env{_format_flag(form)})"']
    values: dict[str, str] = {"MODELPORT_URL": url, **endpoint_variables(url)}
    s3_url = recorded_s3_url(folder, url, os.environ)
    if s3_url is not None:
        values["AWS_ENDPOINT_URL_S3"] = s3_url
    else:
        comments.append(
            "no S3 known for this server (no s3_endpoint_url in its record, no "
            "MODELPORT_S3_ENDPOINT_URL): S3 clients keep their usual endpoint"
        )
    values.update({"AWS_REGION": conn.region, "AWS_DEFAULT_REGION": conn.region})
    if transparent:
        values.update(transparent_values(record, url))
        comments.append(
            "HTTPS to AWS host names goes to modelport's proxy, trusted through AWS_CA_BUNDLE only; "
            "the proxy refuses every other host"
        )
    unset: list[str] = []
    if role is None:
        values.update({"AWS_ACCESS_KEY_ID": access_key, "AWS_SECRET_ACCESS_KEY": secret_key})
        if token:
            values["AWS_SESSION_TOKEN"] = token
        else:
            unset.append("AWS_SESSION_TOKEN")
    else:
        import botocore.session

        keys = botocore.session.Session()
        keys.set_credentials(access_key, secret_key, token)
        signer = Connection(endpoint_url=url, region=conn.region, session=keys)
        registered = register_role(signer, (access_key, secret_key, token), role, duration)
        comments.append(f"credentials of {registered['AssumedRoleArn']}, refreshed from the server")
        values.update(
            {
                "AWS_CONTAINER_CREDENTIALS_FULL_URI": url + str(registered["Path"]),
                "AWS_CONTAINER_AUTHORIZATION_TOKEN": str(registered["Token"]),
            }
        )
        # Exported keys and a profile come before container credentials in every SDK's chain.
        unset += ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"]
    click.echo(render(values, comments, form, unset))


def transparent_values(record: ServerRecord | None, url: str) -> dict[str, str]:
    """``HTTPS_PROXY`` and ``AWS_CA_BUNDLE`` of the local server at ``url``, from its ``server.json``."""
    if record is None or record.url != url:
        raise CommandFailed(
            f"--transparent needs the server at {url} to run on this machine with its data folder "
            "(its proxy's URL and CA are in <data dir>/server.json): start it with 'modelport server', "
            "or pass its --data-dir"
        )
    if record.proxy_url is None or record.ca_bundle is None:
        raise CommandFailed(
            f"the server at {url} runs without its HTTPS proxy (MODELPORT_PROXY=0): "
            "restart it with the proxy on to use --transparent"
        )
    return transparent_environment(record.proxy_url, record.ca_bundle)


def register_role(
    conn: Connection, keys: tuple[str, str, str | None], role: str, duration: int
) -> dict[str, Any]:
    """Register a token for ``role`` with a request signed by ``keys``; the server's answer."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    from botocore.httpsession import URLLib3Session

    if not is_loopback(urlsplit(conn.endpoint_url).hostname or ""):
        # botocore fetches a FULL_URI over http only from a loopback host.
        raise CommandFailed(
            f"--role needs a server on this machine (http://127.0.0.1:...), not {conn.endpoint_url}: "
            "SDKs fetch container credentials over http from loopback addresses only"
        )
    role_arn = role if role.startswith("arn:") else _role_arn(conn, role)
    body = json.dumps({"RoleArn": role_arn, "DurationSeconds": duration}).encode()
    request = AWSRequest(
        method="POST",
        url=conn.endpoint_url + CREDENTIALS_PATH,
        data=body,
        headers={"Content-Type": "application/json"},
    )
    SigV4Auth(Credentials(*keys), "sts", conn.region).add_auth(request)
    try:
        reply = URLLib3Session(timeout=30).send(request.prepare())
    except Exception as exc:
        raise NoServer(conn.endpoint_url) from exc
    try:
        answer: dict[str, Any] = json.loads(reply.content)
    except ValueError:
        answer = {}
    if reply.status_code != 200 or "Token" not in answer:
        message = answer.get("Message") or f"HTTP {reply.status_code}"
        raise CommandFailed(f"the server refused role credentials for {role_arn}: {message}")
    return answer


def is_loopback(host: str) -> bool:
    """botocore's test for a plain-http container-credentials host: ``localhost`` or a loopback IP."""
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _role_arn(conn: Connection, name: str) -> str:
    from modelport.cli.roles import aws_client

    iam = aws_client(conn, "iam")
    try:
        return str(iam.get_role(RoleName=name)["Role"]["Arn"])
    except iam.exceptions.NoSuchEntityException:
        raise CommandFailed(
            f"no role named {name!r}: create it (modelport roles, or IAM CreateRole) or pass its ARN"
        ) from None


def _format_flag(form: str) -> str:
    return "" if form == "sh" else f" --format {form}"


COMMANDS: list[click.Command] = [env]
