"""The endpoint commands: ``invoke``, ``ls``, ``describe``, ``rm`` and ``cleanup``.

Each one is a few boto3 calls against the server; ``COMMANDS`` is what ``cli.main`` registers
(``deploy`` and ``logs`` live in modules of their own).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import click

from modelport.cli import apis, functions, output, roles
from modelport.cli.client import Connection, ConnectionOptions, connect, connection_options, require_server
from modelport.cli.logs import logs
from modelport.cli.output import escape
from modelport.cli.sagemaker import scaling
from modelport.cli.sagemaker.deploy import deploy
from modelport.cli.sagemaker.leftovers import (
    cli_configs_of,
    delete_package,
    delete_superseded,
    ignore_missing,
    model_package,
)

# The server's instances route (http/app.py; a modelport extension, not an AWS API).
INSTANCES_PATH = "/_modelport/sagemaker/endpoints/{name}/instances"
WAIT_DELAY_S = 0.2
WAIT_ATTEMPTS = 1500  # five minutes at WAIT_DELAY_S


def server_connection(options: ConnectionOptions) -> Connection:
    conn = connect(options)
    require_server(conn.endpoint_url)
    return conn


@click.command()
@click.argument("name")
@click.option(
    "--csv",
    "csv_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Send FILE as text/csv.",
)
@click.option("--body", default=None, help="Send this text as the request body.")
@click.option("--content-type", default=None, help="Content-Type of the body (default: text/csv).")
@click.option("--accept", default=None, help="Accept header: the response type wanted.")
@connection_options
def invoke(
    name: str,
    csv_file: Path | None,
    body: str | None,
    content_type: str | None,
    accept: str | None,
    connection: ConnectionOptions,
) -> None:
    """Invoke endpoint NAME once and print the response body.

    Give the body with --body TEXT or --csv FILE (all rows in one request).
    """
    if (csv_file is None) == (body is None):
        raise click.UsageError("give exactly one of --body TEXT or --csv FILE")
    payload = csv_file.read_bytes() if csv_file is not None else (body or "").encode()
    arguments: dict[str, Any] = {
        "EndpointName": name,
        "ContentType": content_type or "text/csv",
        "Body": payload,
    }
    if accept:
        arguments["Accept"] = accept
    response = server_connection(connection).runtime().invoke_endpoint(**arguments)
    data: bytes = response["Body"].read()
    sys.stdout.buffer.write(data if data.endswith(b"\n") or not data else data + b"\n")
    sys.stdout.flush()


@click.command(name="ls")
@connection_options
def list_resources(connection: ConnectionOptions) -> None:
    """List endpoints with their status, models, endpoint configs, then transform jobs, functions,
    APIs and roles.

    Transform jobs, functions, REST APIs and roles are listed only when there are some.
    """
    conn = server_connection(connection)
    sm = conn.sagemaker()
    endpoints = _all(sm, "list_endpoints", "Endpoints")
    models = _all(sm, "list_models", "Models")
    configs = _all(sm, "list_endpoint_configs", "EndpointConfigs")
    out = output.stdout()
    out.print(output.endpoints_table(endpoints) if endpoints else "No endpoints.")
    out.print(output.named_table("Models", "ModelName", models) if models else "No models.")
    out.print(
        output.named_table("Endpoint configs", "EndpointConfigName", configs)
        if configs
        else "No endpoint configs."
    )
    if jobs := _all(sm, "list_transform_jobs", "TransformJobSummaries"):
        out.print(output.transform_jobs_table(jobs))
    serverless = _serverless(conn)
    if serverless.functions:
        out.print(functions.functions_table(serverless.functions))
    if serverless.apis:
        out.print(apis.apis_table(serverless.apis))
    if serverless.roles:
        out.print(roles.roles_table(serverless.roles))


@click.command()
@click.argument("name")
@connection_options
def describe(name: str, connection: ConnectionOptions) -> None:
    """Show endpoint NAME (DescribeEndpoint as JSON), its config's variants and its instances.

    Each variant's automatic scaling is shown beside it (min–max and policies). The instances
    table says where each instance runs: its Ray node on the Ray backend.
    """
    conn = server_connection(connection)
    sm = conn.sagemaker()
    described = sm.describe_endpoint(EndpointName=name)
    out = output.stdout()
    out.print(escape(output.to_json(described)))
    config_name = described.get("EndpointConfigName")
    if config_name:
        config = sm.describe_endpoint_config(EndpointConfigName=config_name)
        variants = config.get("ProductionVariants", [])
        names = [str(v.get("VariantName", "")) for v in variants]
        out.print(
            output.variants_table(
                config_name,
                variants,
                described.get("ProductionVariants", []),
                scaling.variant_scaling(conn, name, names),
            )
        )
    if running := instance_locations(conn, name):
        out.print(output.instances_table(name, running))


def instance_locations(conn: Connection, name: str) -> list[dict[str, Any]]:
    """The server's ``/_modelport/sagemaker/endpoints/NAME/instances`` (a modelport extension),
    signed like the SDK's calls; empty when the server does not answer it."""
    import httpx
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest

    request = AWSRequest(
        method="GET", url=f"{conn.endpoint_url}{INSTANCES_PATH.format(name=quote(name, safe=''))}"
    )
    credentials = conn.session.get_credentials()
    if credentials is not None:
        SigV4Auth(credentials.get_frozen_credentials(), "sagemaker", conn.region).add_auth(request)
    try:
        response = httpx.get(request.url, headers=dict(request.headers.items()), timeout=10.0)
    except httpx.HTTPError:
        return []
    if response.status_code != 200:
        return []
    return list(response.json().get("Instances", []))


@click.command()
@click.argument("name")
@connection_options
def rm(name: str, connection: ConnectionOptions) -> None:
    """Delete endpoint NAME, then its endpoint config, model(s) and package(s).

    Its variants' automatic scaling (scalable targets, policies, alarms) is deregistered first.
    Configs an earlier `modelport deploy NAME` left (named NAME-<stamp>) go too, with their models
    and packages, unless another endpoint runs them.
    """
    conn = server_connection(connection)
    sm = conn.sagemaker()
    config_name = sm.describe_endpoint(EndpointName=name)["EndpointConfigName"]
    out = output.stdout()
    autoscaling = scaling.client(conn)
    scaled = scaling.registered(autoscaling, name)
    scaling.deregister(autoscaling, scaled)
    for resource in scaled:
        out.print(f"Deregistered the automatic scaling of variant {escape(resource.rsplit('/', 1)[-1])}.")
    with out.status(f"Deleting endpoint {escape(name)} ..."):
        sm.delete_endpoint(EndpointName=name)
        _wait_deleted(sm, name)
    out.print(f"Deleted endpoint {escape(name)}.")
    for line in delete_superseded(sm, config_name, *cli_configs_of(sm, name)):
        out.print(escape(line))


@click.command()
@click.option("--all", "everything", is_flag=True, help="Required: delete every resource on the server.")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@connection_options
def cleanup(everything: bool, yes: bool, connection: ConnectionOptions) -> None:
    """Delete every endpoint, endpoint config, model, REST API, function and role on the server.

    The packages `modelport deploy` made for the deleted models are deleted too, every variant's
    automatic scaling is deregistered, and running transform jobs are stopped (jobs cannot be
    deleted, on AWS as here).
    """
    if not everything:
        raise click.UsageError("cleanup deletes everything on the server; say so with --all")
    conn = server_connection(connection)
    sm = conn.sagemaker()
    endpoints = [e["EndpointName"] for e in _all(sm, "list_endpoints", "Endpoints")]
    configs = [c["EndpointConfigName"] for c in _all(sm, "list_endpoint_configs", "EndpointConfigs")]
    models = [m["ModelName"] for m in _all(sm, "list_models", "Models")]
    out = output.stdout()
    serverless = _serverless(conn)
    autoscaling = scaling.client(conn)
    scaled = scaling.registered(autoscaling)
    running = [
        job["TransformJobName"]
        for job in _all(sm, "list_transform_jobs", "TransformJobSummaries", StatusEquals="InProgress")
    ]
    summary = f"{len(endpoints)} endpoint(s), {len(configs)} endpoint config(s) and {len(models)} model(s)"
    if serverless:
        summary += f"; {serverless.summary()}"
    if scaled:
        summary += f"; the automatic scaling of {len(scaled)} variant(s)"
    stopping = f" and stop {len(running)} running transform job(s)" if running else ""
    if not (endpoints or configs or models or serverless or scaled or running):
        out.print("Nothing to delete.")
        return
    if not yes:
        click.confirm(f"Delete {summary}{stopping}?", abort=True, err=True)
    for name in running:
        _stop_job(sm, name)
    serverless.delete(conn)
    scaling.deregister(autoscaling, scaled)
    with out.status("Deleting endpoints ..."):
        for name in endpoints:
            _ignore_missing(sm.delete_endpoint, EndpointName=name)
        for name in endpoints:
            _wait_deleted(sm, name)
    for name in configs:
        _ignore_missing(sm.delete_endpoint_config, EndpointConfigName=name)
    packages = 0
    for name in models:
        package = model_package(sm, name)
        if _ignore_missing(sm.delete_model, ModelName=name) and package is not None:
            packages += delete_package(package)
    stopped = f"; stopped {len(running)} running transform job(s)" if running else ""
    out.print(f"Deleted {summary}" + (f"; {packages} package(s)" if packages else "") + f"{stopped}.")


@dataclass(frozen=True)
class _Serverless:
    """The server's REST APIs, functions and roles, as ``ls`` and ``cleanup`` see them."""

    apis: list[dict[str, Any]]
    functions: list[dict[str, Any]]
    roles: list[dict[str, Any]]

    def __bool__(self) -> bool:
        return bool(self.apis or self.functions or self.roles)

    def summary(self) -> str:
        return (
            f"{len(self.apis)} REST API(s), {len(self.functions)} function(s) and {len(self.roles)} role(s)"
        )

    def delete(self, conn: Connection) -> None:
        """APIs first (they call functions), then functions (they run as roles), then roles."""
        gateway = roles.aws_client(conn, "apigateway")
        for api in self.apis:
            apis.delete_api(gateway, api["id"])
        lambda_ = roles.aws_client(conn, "lambda")
        for function in self.functions:
            _ignore_missing(lambda_.delete_function, FunctionName=function["FunctionName"])
        iam = roles.aws_client(conn, "iam")
        for role in self.roles:
            roles.delete_role(iam, role["RoleName"])


def _serverless(conn: Connection) -> _Serverless:
    return _Serverless(
        apis=apis.list_apis(roles.aws_client(conn, "apigateway")),
        functions=functions.list_functions(roles.aws_client(conn, "lambda")),
        roles=roles.list_roles(roles.aws_client(conn, "iam")),
    )


def _stop_job(sm: Any, name: str) -> None:
    """StopTransformJob; a job that ended meanwhile (ValidationException) is left as it is."""
    from botocore.exceptions import ClientError

    try:
        sm.stop_transform_job(TransformJobName=name)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "ValidationException":
            raise


def _all(sm: Any, operation: str, key: str, **filters: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for page in sm.get_paginator(operation).paginate(**filters):
        items.extend(page[key])
    return items


def _wait_deleted(sm: Any, name: str) -> None:
    sm.get_waiter("endpoint_deleted").wait(
        EndpointName=name, WaiterConfig={"Delay": WAIT_DELAY_S, "MaxAttempts": WAIT_ATTEMPTS}
    )


_ignore_missing = ignore_missing


COMMANDS: list[click.Command] = [
    deploy,
    invoke,
    list_resources,
    describe,
    logs,
    rm,
    cleanup,
    functions.function,
    apis.api,
    roles.role,
]
