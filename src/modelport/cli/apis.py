"""``modelport api create|ls|rm``: REST APIs in front of a function or an endpoint.

``create`` makes the API Gateway console's steps in one go: the API, a resource per path
segment, a method without authorization, its integration (Lambda, Lambda proxy, or SageMaker's
runtime directly), the 200 method and integration responses, and a deployment to a stage. An API
left half made by a failing step is deleted again.

Like the console, it also grants what the gateway needs to call the backend: for a function, a
statement in the function's resource policy (``AddPermission``: API Gateway, from this API's
method, may invoke it); for an endpoint, an execution role (``--role``, or one it creates or
reuses, ``modelport-apigateway-sagemaker``, trusted by API Gateway and allowed
``sagemaker:InvokeEndpoint`` on that endpoint) set as the integration's ``credentials``.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

import click

from modelport.cli import output
from modelport.cli.client import ConnectionOptions, connection_options
from modelport.cli.failures import CommandFailed
from modelport.cli.output import escape
from modelport.cli.roles import aws_client, error_code, role_arn, server_connection, trust_policy
from modelport.core import arns

if TYPE_CHECKING:
    from rich.table import Table

_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "ANY")
SAMPLE_ROW = "5.1,3.3,1.7,0.5"
GATEWAY_PRINCIPAL = "apigateway.amazonaws.com"
ENDPOINT_ROLE = "modelport-apigateway-sagemaker"


def path_parts(path: str) -> list[str]:
    if not path.startswith("/") or "//" in path:
        raise click.BadParameter(f"{path!r} is not a path like /irisprediction", param_hint="'--path'")
    return [part for part in path.strip("/").split("/") if part]


def source_arn(region: str, account: str, api_id: str, method: str, parts: list[str]) -> str:
    """The console's SourceArn: every stage of this API's method; path variables become ``*``."""
    path = "/".join(re.sub(r"\{[^}]*\}", "*", part) for part in parts)
    verb = "*" if method == "ANY" else method
    return arns.execute_api_arn(region, account, api_id, "*", verb, path)


def endpoint_role(iam: Any, endpoint: str) -> str:
    """The ARN of ``ENDPOINT_ROLE`` (made on first use), with a policy allowing ``endpoint``."""
    from botocore.exceptions import ClientError

    try:
        arn = iam.create_role(
            RoleName=ENDPOINT_ROLE, AssumeRolePolicyDocument=json.dumps(trust_policy(GATEWAY_PRINCIPAL))
        )["Role"]["Arn"]
    except ClientError as error:
        if error_code(error) != "EntityAlreadyExists":
            raise
        arn = role_arn(iam, ENDPOINT_ROLE)
    statement = {
        "Effect": "Allow",
        "Action": "sagemaker:InvokeEndpoint",
        "Resource": arns.sagemaker_arn("endpoint", endpoint, region="*", account_id="*"),
    }
    iam.put_role_policy(
        RoleName=ENDPOINT_ROLE,
        PolicyName=f"invoke-{endpoint}",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [statement]}),
    )
    return str(arn)


def stage_url(server: str, api_id: str, stage: str, path: str) -> str:
    return f"{server}/restapis/{api_id}/{stage}/_user_request_{path}"


def curl_line(url: str, method: str, *, csv: bool) -> str:
    if csv:
        return f"curl -X {method} {url} -H 'Content-Type: text/csv' -d '{SAMPLE_ROW}'"
    return f"curl -X {method} {url} -H 'Content-Type: application/json' -d '{{\"data\": \"{SAMPLE_ROW}\"}}'"


def list_apis(apis: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for page in apis.get_paginator("get_rest_apis").paginate():
        found.extend(page["items"])
    return found


def apis_table(found: list[dict[str, Any]]) -> Table:
    from rich.table import Table

    table = Table("REST API", "Id", "Created", title="REST APIs", title_justify="left")
    for api in found:
        table.add_row(escape(api["name"]), escape(api["id"]), output.when(api.get("createdDate")))
    return table


def find_api(apis: Any, name_or_id: str) -> dict[str, Any] | None:
    found = list_apis(apis)
    return next((a for a in found if a["id"] == name_or_id), None) or next(
        (a for a in found if a["name"] == name_or_id), None
    )


@click.group()
def api() -> None:
    """REST APIs: put a function or an endpoint behind an unsigned HTTP path, list, delete."""


@api.command(name="create")
@click.argument("name")
@click.option("--path", "path", required=True, help="Resource path, e.g. /irisprediction.")
@click.option(
    "--method",
    type=click.Choice(_METHODS, case_sensitive=False),
    default="POST",
    show_default=True,
    help="HTTP method.",
)
@click.option("--function", "function_name", default=None, help="Integrate with this Lambda function.")
@click.option("--endpoint", default=None, help="Integrate with this SageMaker endpoint directly.")
@click.option("--proxy", is_flag=True, help="Lambda proxy integration (AWS_PROXY); only with --function.")
@click.option("--stage", default="test", show_default=True, help="Stage to deploy to.")
@click.option(
    "--role",
    "role",
    default=None,
    help=f"With --endpoint: role (name or ARN) API Gateway calls the endpoint as [default: {ENDPOINT_ROLE}, made or updated].",
)
@connection_options
def create_api(
    name: str,
    path: str,
    method: str,
    function_name: str | None,
    endpoint: str | None,
    proxy: bool,
    stage: str,
    role: str | None,
    connection: ConnectionOptions,
) -> None:
    """Create REST API NAME: METHOD PATH calls a function or an endpoint; deploy it to STAGE.

    As the console does, the function gets a resource-policy statement letting API Gateway invoke
    it; an endpoint is called as an execution role that may invoke it.
    """
    if (function_name is None) == (endpoint is None):
        raise click.UsageError("give exactly one of --function NAME or --endpoint NAME")
    if proxy and endpoint is not None:
        raise click.UsageError("--proxy is for --function; an endpoint integration is never a proxy")
    if role is not None and endpoint is None:
        raise click.UsageError("--role is for --endpoint; a function is allowed through its resource policy")
    parts = path_parts(path)
    method = method.upper()
    conn = server_connection(connection)
    apis = aws_client(conn, "apigateway")
    if find_api(apis, name) is not None:
        raise CommandFailed(f"a REST API named {name} exists; delete it with: modelport api rm {name}")
    functions = aws_client(conn, "lambda")
    arn = ""
    if function_name is not None:
        arn = functions.get_function_configuration(FunctionName=function_name)["FunctionArn"]
        integration = {
            "type": "AWS_PROXY" if proxy else "AWS",
            "uri": arns.lambda_integration_uri(conn.region, arn),
        }
    else:
        conn.sagemaker().describe_endpoint(EndpointName=endpoint)
        iam = aws_client(conn, "iam")
        credentials = role_arn(iam, role) if role is not None else endpoint_role(iam, str(endpoint))
        integration = {
            "type": "AWS",
            "uri": arns.sagemaker_integration_uri(conn.region, str(endpoint)),
            "credentials": credentials,
        }
    api_id = apis.create_rest_api(name=name)["id"]
    try:
        resource_id = _make_resources(apis, api_id, parts)
        method_args = {"restApiId": api_id, "resourceId": resource_id, "httpMethod": method}
        apis.put_method(**method_args, authorizationType="NONE")
        apis.put_integration(**method_args, integrationHttpMethod="POST", **integration)
        apis.put_method_response(**method_args, statusCode="200")
        apis.put_integration_response(**method_args, statusCode="200")
        if function_name is not None:
            functions.add_permission(
                FunctionName=function_name,
                StatementId=f"apigateway-{api_id}",
                Action="lambda:InvokeFunction",
                Principal=GATEWAY_PRINCIPAL,
                SourceArn=source_arn(conn.region, arn.split(":")[4], api_id, method, parts),
            )
        apis.create_deployment(restApiId=api_id, stageName=stage)
    except BaseException:
        apis.delete_rest_api(restApiId=api_id)
        raise
    url = stage_url(conn.endpoint_url, api_id, stage, "/" + "/".join(parts))
    target = f"function {function_name}" if function_name else f"endpoint {endpoint}"
    out = output.stdout()
    out.print(f"Created REST API {escape(name)} ({api_id}): {method} {escape(path)} → {escape(target)}")
    out.print(f"Invoke URL: {escape(url)}")
    out.print(f"Try it:\n  {escape(curl_line(url, method, csv=endpoint is not None))}")


def _make_resources(apis: Any, api_id: str, parts: list[str]) -> str:
    resources = apis.get_resources(restApiId=api_id)["items"]
    parent = next(r["id"] for r in resources if r["path"] == "/")
    for part in parts:
        parent = apis.create_resource(restApiId=api_id, parentId=parent, pathPart=part)["id"]
    return str(parent)


@api.command(name="ls")
@connection_options
def list_api_command(connection: ConnectionOptions) -> None:
    """List REST APIs."""
    found = list_apis(aws_client(server_connection(connection), "apigateway"))
    output.stdout().print(apis_table(found) if found else "No REST APIs.")


@api.command(name="rm")
@click.argument("name")
@connection_options
def remove_api(name: str, connection: ConnectionOptions) -> None:
    """Delete REST API NAME (a name or an id), with its stages."""
    apis = aws_client(server_connection(connection), "apigateway")
    found = find_api(apis, name)
    if found is None:
        raise CommandFailed(f"no REST API named {name}")
    apis.delete_rest_api(restApiId=found["id"])
    output.stdout().print(f"Deleted REST API {escape(found['name'])} ({found['id']}).")


def delete_api(apis: Any, api_id: str) -> bool:
    """Delete one API; False when it was already gone."""
    from botocore.exceptions import ClientError

    try:
        apis.delete_rest_api(restApiId=api_id)
    except ClientError as error:
        if error_code(error) == "NotFoundException":
            return False
        raise
    return True
