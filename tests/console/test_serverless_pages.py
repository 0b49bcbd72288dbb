"""The Lambda and API Gateway pages over plain HTTP against the shared server: values holding
``<script>`` are shown as text; a read-only user sees the pages but every create and delete is
refused with AWS's AccessDenied and changes nothing; a function's page shows its environment
values but never a secret key or its code's download link; bad input gets the API's error."""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Iterator
from typing import Any

import pytest

from support.console_http import ConsoleClients, csrf
from support.modelport_server import ModelportServer

pytestmark = pytest.mark.e2e

SCRIPT = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
READ_ONLY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": ["lambda:Get*", "lambda:List*", "apigateway:GET"], "Resource": "*"}
        ],
    }
)
TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
)


def _zip(source: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("lambda_function.py", source)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def function(server: ModelportServer) -> Iterator[dict[str, Any]]:
    """A function whose environment holds ``<script>``, and an API whose name does."""
    role = server.client("iam").create_role(
        RoleName="console-serverless-role", AssumeRolePolicyDocument=TRUST
    )
    functions = server.client("lambda")
    functions.create_function(
        FunctionName="console-serverless-fn",
        Runtime="python3.12",
        Role=role["Role"]["Arn"],
        Handler="lambda_function.lambda_handler",
        Code={"ZipFile": _zip("def lambda_handler(event, context):\n    return event\n")},
        Environment={"Variables": {"GREETING": SCRIPT, "ENDPOINT_NAME": "iris"}},
    )
    apis = server.client("apigateway")
    api_id = apis.create_rest_api(name=f"console-api {SCRIPT}")["id"]
    yield {"name": "console-serverless-fn", "api_id": api_id}
    apis.delete_rest_api(restApiId=api_id)
    functions.delete_function(FunctionName="console-serverless-fn")
    server.client("iam").delete_role(RoleName="console-serverless-role")


@pytest.fixture(scope="module")
def reader(server: ModelportServer) -> Iterator[dict[str, str]]:
    iam = server.client("iam")
    iam.create_user(UserName="console-serverless-reader")
    iam.put_user_policy(
        UserName="console-serverless-reader", PolicyName="read-only", PolicyDocument=READ_ONLY
    )
    key = iam.create_access_key(UserName="console-serverless-reader")["AccessKey"]
    yield {"access_key_id": key["AccessKeyId"], "secret_access_key": key["SecretAccessKey"]}
    iam.delete_access_key(UserName="console-serverless-reader", AccessKeyId=key["AccessKeyId"])
    iam.delete_user_policy(UserName="console-serverless-reader", PolicyName="read-only")
    iam.delete_user(UserName="console-serverless-reader")


def test_script_in_values_and_names_is_shown_as_text(
    console_http: ConsoleClients, server: ModelportServer, function: dict[str, Any]
) -> None:
    client = console_http.root(server)
    page = client.get(f"/lambda/functions/{function['name']}?tab=configuration")
    assert page.status_code == 200
    assert SCRIPT not in page.text and ESCAPED in page.text
    for listing in ("/apigateway/apis", f"/apigateway/apis/{function['api_id']}"):
        page = client.get(listing)
        assert SCRIPT not in page.text and ESCAPED in page.text, listing
    # A resource name holding <script> is refused by API Gateway; its message is shown as text.
    api_page = f"/apigateway/apis/{function['api_id']}"
    root_id = re.search(r'name="parent" value="([^"]+)"', client.get(api_page).text)
    assert root_id is not None
    answer = client.post(
        f"{api_page}/resources",
        data={"csrf_token": csrf(client, api_page), "parent": root_id.group(1), "path_part": SCRIPT},
    )
    assert answer.status_code == 400
    assert "BadRequestException" in answer.text
    assert SCRIPT not in answer.text


def test_a_function_page_shows_environment_values_but_no_secret(
    console_http: ConsoleClients, server: ModelportServer, function: dict[str, Any]
) -> None:
    client = console_http.root(server)
    code = client.get(f"/lambda/functions/{function['name']}").text
    configuration = client.get(f"/lambda/functions/{function['name']}?tab=configuration").text
    assert "return event" in code
    assert 'value="iris"' in configuration
    for page in (code, configuration):
        assert server.secret_key not in page
        assert "Token=" not in page and "/_modelport/lambda/" not in page  # the code's bearer link
        assert "AWS_SECRET_ACCESS_KEY" not in page and "AWS_SESSION_TOKEN" not in page


def test_a_read_only_user_cannot_create_or_delete(
    console_http: ConsoleClients, server: ModelportServer, function: dict[str, Any], reader: dict[str, str]
) -> None:
    client = console_http.sign_in(server, **reader)
    assert function["name"] in client.get("/lambda/functions").text
    token = csrf(client, "/lambda/functions")
    role_arn = server.client("iam").get_role(RoleName="console-serverless-role")["Role"]["Arn"]
    answer = client.post(
        "/lambda/functions/create",
        data={"csrf_token": token, "name": "console-denied", "runtime": "python3.12", "role": role_arn},
    )
    assert answer.status_code == 400
    assert "not authorized to perform: lambda:CreateFunction" in answer.text
    answer = client.post(f"/lambda/functions/{function['name']}/delete", data={"csrf_token": token})
    assert answer.status_code == 303
    assert "not authorized to perform: lambda:DeleteFunction" in client.get(answer.headers["location"]).text
    answer = client.post(
        f"/lambda/functions/{function['name']}/environment",
        data={"csrf_token": token, "env_key": ["EXTRA"], "env_value": ["1"]},
    )
    assert "lambda:UpdateFunctionConfiguration" in answer.text, re.findall(r"flash error.*", answer.text)
    answer = client.post("/apigateway/apis/create", data={"csrf_token": token, "name": "console-denied"})
    assert "AccessDenied" in answer.text and answer.status_code == 400
    answer = client.post(f"/apigateway/apis/{function['api_id']}/delete", data={"csrf_token": token})
    assert "AccessDenied" in client.get(answer.headers["location"]).text

    functions = server.client("lambda")
    assert [f["FunctionName"] for f in functions.list_functions()["Functions"]].count("console-denied") == 0
    variables = functions.get_function_configuration(FunctionName=function["name"])["Environment"][
        "Variables"
    ]
    assert variables == {"GREETING": SCRIPT, "ENDPOINT_NAME": "iris"}
    assert server.client("apigateway").get_rest_api(restApiId=function["api_id"])["id"] == function["api_id"]


def test_bad_input_gets_the_apis_error_and_the_form_is_kept(
    console_http: ConsoleClients, server: ModelportServer, function: dict[str, Any]
) -> None:
    client = console_http.root(server)
    token = csrf(client, "/lambda/functions")
    answer = client.post(
        "/lambda/functions/create",
        data={"csrf_token": token, "name": "bad name!", "runtime": "python3.12", "role": ""},
    )
    assert answer.status_code == 400 and "Choose an existing execution role" in answer.text
    answer = client.post(
        f"/lambda/functions/{function['name']}/test", data={"csrf_token": token, "event": "{not json"}
    )
    assert answer.status_code == 400 and "not valid JSON" in answer.text and "{not json" in answer.text
    answer = client.post(
        f"/lambda/functions/{function['name']}/environment",
        data={"csrf_token": token, "env_key": ["AWS_REGION"], "env_value": ["x"]},
    )
    assert answer.status_code == 400 and "AWS_REGION" in answer.text
    answer = client.post(
        f"/apigateway/apis/{function['api_id']}/deploy", data={"csrf_token": token, "stage": "*new*"}
    )
    assert answer.status_code == 400 and "give the new stage a name" in answer.text


def test_environment_variables_are_edited_added_and_removed(
    console_http: ConsoleClients, server: ModelportServer, function: dict[str, Any]
) -> None:
    client = console_http.root(server)
    page = f"/lambda/functions/{function['name']}?tab=configuration"
    rows = re.findall(r'name="env_key" value="([^"]*)"', client.get(page).text)
    assert rows == ["ENDPOINT_NAME", "GREETING", ""]  # sorted, then the empty row that adds one
    answer = client.post(
        f"/lambda/functions/{function['name']}/environment",
        data={
            "csrf_token": csrf(client, page),
            "env_key": ["ENDPOINT_NAME", "GREETING", "ADDED_KEY"],
            "env_value": ["iris-2", SCRIPT, "new"],
            "env_remove": ["1"],
        },
    )
    assert answer.status_code == 303
    assert answer.headers["location"].endswith("?tab=configuration")
    functions = server.client("lambda")
    variables = functions.get_function_configuration(FunctionName=function["name"])["Environment"][
        "Variables"
    ]
    assert variables == {"ENDPOINT_NAME": "iris-2", "ADDED_KEY": "new"}
    functions.update_function_configuration(
        FunctionName=function["name"],
        Environment={"Variables": {"GREETING": SCRIPT, "ENDPOINT_NAME": "iris"}},
    )


def test_a_method_with_a_lambda_proxy_integration_grants_the_function_and_answers(
    console_http: ConsoleClients, server: ModelportServer, function: dict[str, Any]
) -> None:
    """Create resource, Create method (proxy), Deploy, Test a call, then delete method and resource."""
    client = console_http.root(server)
    functions = server.client("lambda")
    source = "def lambda_handler(event, context):\n    return {'statusCode': 200, 'body': event['path']}\n"
    functions.update_function_code(FunctionName=function["name"], ZipFile=_zip(source))
    api = f"/apigateway/apis/{function['api_id']}"
    token = csrf(client, api)
    root_id = re.search(r'name="parent" value="([^"]+)"', client.get(api).text)
    assert root_id is not None
    made = client.post(
        f"{api}/resources", data={"csrf_token": token, "parent": root_id.group(1), "path_part": "items"}
    )
    assert made.status_code == 303
    resource_id = made.headers["location"].rsplit("resource=", 1)[1]
    answer = client.post(
        f"{api}/resources/{resource_id}/methods",
        data={
            "csrf_token": token,
            "http_method": "GET",
            "integration_type": "AWS_PROXY",
            "function": function["name"],
        },
    )
    assert answer.status_code == 303, answer.text
    policy = json.loads(functions.get_policy(FunctionName=function["name"])["Policy"])
    (statement,) = policy["Statement"]
    assert statement["Principal"] == {"Service": "apigateway.amazonaws.com"}
    assert statement["Condition"]["ArnLike"]["AWS:SourceArn"].endswith(f":{function['api_id']}/*/GET/items")

    deployed = client.post(
        f"{api}/deploy", data={"csrf_token": token, "stage": "*new*", "new_stage_name": "dev"}
    )
    assert deployed.status_code == 303
    stage_page = client.get(api).text
    assert f"/restapis/{function['api_id']}/dev/_user_request_</code>" in stage_page
    assert 'data-copy="invoke-url-dev"' in stage_page
    called = client.post(
        f"{api}/test",
        data={"csrf_token": token, "stage": "dev", "method": "GET", "path": "/items", "body": ""},
    )
    assert called.status_code == 200
    assert '<span id="test-call-status">200</span>' in called.text
    assert '<pre class="document" id="test-call-body">/items</pre>' in called.text

    gone = client.post(f"{api}/resources/{resource_id}/methods/GET/delete", data={"csrf_token": token})
    assert gone.status_code == 303
    gone = client.post(f"{api}/resources/{resource_id}/delete", data={"csrf_token": token})
    assert gone.status_code == 303
    paths = [
        r["path"] for r in server.client("apigateway").get_resources(restApiId=function["api_id"])["items"]
    ]
    assert paths == ["/"]
