"""The gateway keeps its REST APIs and functions cached between invocations; every change must
still be seen by the very next invocation: a new resource once deployed, one deleted and
deployed, a function's configuration and its code.
"""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

import httpx
import pytest

from support.modelport_server import ModelportServer

pytestmark = pytest.mark.e2e

FUNCTION = "cache-echo"


def code(version: int) -> bytes:
    handler = (
        "import os\n"
        f"def handler(event, context):\n    return {{'code': {version}, 'v': os.environ.get('VALUE')}}\n"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("echo.py", handler)
    return buffer.getvalue()


def add_route(apis: Any, api_id: str, parent: str, part: str, function_arn: str) -> str:
    resource = apis.create_resource(restApiId=api_id, parentId=parent, pathPart=part)["id"]
    method = {"restApiId": api_id, "resourceId": resource, "httpMethod": "POST"}
    apis.put_method(**method, authorizationType="NONE")
    uri = f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{function_arn}/invocations"
    apis.put_integration(**method, type="AWS", integrationHttpMethod="POST", uri=uri)
    apis.put_method_response(**method, statusCode="200")
    apis.put_integration_response(**method, statusCode="200")
    return str(resource)


def test_every_change_is_seen_by_the_next_invocation(server: ModelportServer) -> None:
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
    role = server.client("iam").create_role(RoleName="cache-role", AssumeRolePolicyDocument=json.dumps(trust))
    functions = server.client("lambda")
    function_arn = functions.create_function(
        FunctionName=FUNCTION,
        Runtime="python3.11",
        Role=role["Role"]["Arn"],
        Handler="echo.handler",
        Code={"ZipFile": code(1)},
    )["FunctionArn"]
    functions.add_permission(
        FunctionName=FUNCTION,
        StatementId="gateway",
        Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com",
    )
    apis = server.client("apigateway")
    api_id = apis.create_rest_api(name="cache-api")["id"]
    root = apis.get_resources(restApiId=api_id)["items"][0]["id"]
    add_route(apis, api_id, root, "a", function_arn)
    apis.create_deployment(restApiId=api_id, stageName="test")

    def call(part: str) -> httpx.Response:
        url = f"{server.url}/restapis/{api_id}/test/_user_request_/{part}"
        return httpx.post(url, json={}, timeout=60)

    assert call("a").json() == {"code": 1, "v": None}
    assert call("a").json() == {"code": 1, "v": None}  # the second one, from the caches

    functions.update_function_configuration(FunctionName=FUNCTION, Environment={"Variables": {"VALUE": "x"}})
    assert call("a").json() == {"code": 1, "v": "x"}
    functions.update_function_code(FunctionName=FUNCTION, ZipFile=code(2))
    assert call("a").json() == {"code": 2, "v": "x"}

    b = add_route(apis, api_id, root, "b", function_arn)
    assert call("b").status_code == 403  # not deployed yet
    apis.create_deployment(restApiId=api_id, stageName="test")
    assert call("b").json() == {"code": 2, "v": "x"}
    apis.delete_resource(restApiId=api_id, resourceId=b)
    assert call("b").status_code == 200  # the stage still serves its deployment
    apis.create_deployment(restApiId=api_id, stageName="test")
    assert call("b").status_code == 403
    assert call("a").status_code == 200

    functions.remove_permission(FunctionName=FUNCTION, StatementId="gateway")
    assert call("a").status_code == 500  # the policy is read afresh too
    apis.delete_stage(restApiId=api_id, stageName="test")
    assert call("a").status_code == 403
    apis.delete_rest_api(restApiId=api_id)
    assert call("a").status_code == 404
    functions.delete_function(FunctionName=FUNCTION)
