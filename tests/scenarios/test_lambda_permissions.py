"""Lambda resource policies and the gateway's access checks, as a boto3 user meets them.

AddPermission / GetPolicy / RemovePermission over HTTP with their errors; an API in front of a
function that has no permission (500, and the log line AWS writes), with one, with a
``SourceArn`` that does not match and with a wildcard one; integrations that act as a role
(``credentials``); and ``iam:PassRole`` for a user allowed everything else.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError

from support.modelport_server import ModelportServer, client

pytestmark = pytest.mark.e2e

ACCOUNT = "123456789012"
FUNCTION = "perm-echo"
HANDLER = "def handler(event, context):\n    return {'echo': event}\n"


def trust(service: str) -> str:
    statement = {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def allow(action: str, resource: str = "*") -> str:
    statement = {"Effect": "Allow", "Action": action, "Resource": resource}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def code() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("echo.py", HANDLER)
    return buffer.getvalue()


def error_of(call: Any) -> tuple[str, int, str]:
    with pytest.raises(ClientError) as caught:
        call()
    response = caught.value.response
    return (
        response["Error"]["Code"],
        response["ResponseMetadata"]["HTTPStatusCode"],
        response["Error"]["Message"],
    )


@pytest.fixture(scope="module")
def role_arn(server: ModelportServer) -> str:
    iam = server.client("iam")
    arn: str = iam.create_role(
        RoleName="perm-fn-role", AssumeRolePolicyDocument=trust("lambda.amazonaws.com")
    )["Role"]["Arn"]
    return arn


@pytest.fixture(scope="module")
def function_arn(server: ModelportServer, role_arn: str) -> str:
    arn: str = server.client("lambda").create_function(
        FunctionName=FUNCTION,
        Runtime="python3.11",
        Role=role_arn,
        Handler="echo.handler",
        Code={"ZipFile": code()},
    )["FunctionArn"]
    return arn


@pytest.fixture
def functions(server: ModelportServer, function_arn: str) -> Iterator[Any]:
    client = server.client("lambda")
    yield client
    try:  # every test starts from a function without a policy
        for statement in json.loads(client.get_policy(FunctionName=FUNCTION)["Policy"])["Statement"]:
            client.remove_permission(FunctionName=FUNCTION, StatementId=statement["Sid"])
    except client.exceptions.ResourceNotFoundException:
        pass


def permit(functions: Any, sid: str, source_arn: str | None = None, **more: Any) -> dict[str, Any]:
    params = {"SourceArn": source_arn} if source_arn else {}
    answer: dict[str, Any] = functions.add_permission(
        FunctionName=FUNCTION,
        StatementId=sid,
        Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com",
        **params,
        **more,
    )
    return answer


# --- AddPermission, GetPolicy, RemovePermission ----------------------------------------------------


def test_add_get_remove_round_trip(functions: Any, function_arn: str) -> None:
    source = f"arn:aws:execute-api:us-east-1:{ACCOUNT}:a1b2c3/*/POST/irisprediction"
    added = permit(functions, "apigateway-test", source, SourceAccount=ACCOUNT)
    assert added["ResponseMetadata"]["HTTPStatusCode"] == 201
    statement = json.loads(added["Statement"])
    assert statement == {
        "Sid": "apigateway-test",
        "Effect": "Allow",
        "Principal": {"Service": "apigateway.amazonaws.com"},
        "Action": "lambda:InvokeFunction",
        "Resource": function_arn,
        "Condition": {"StringEquals": {"AWS:SourceAccount": ACCOUNT}, "ArnLike": {"AWS:SourceArn": source}},
    }
    functions.add_permission(  # by ARN, for an account: {"AWS": "arn:aws:iam::<account>:root"}
        FunctionName=function_arn, StatementId="account", Action="lambda:GetFunction", Principal=ACCOUNT
    )
    got = functions.get_policy(FunctionName=FUNCTION)
    policy = json.loads(got["Policy"])
    assert (policy["Version"], policy["Id"]) == ("2012-10-17", "default")
    assert policy["Statement"][0] == statement
    assert policy["Statement"][1]["Principal"] == {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}
    assert got["RevisionId"]
    removed = functions.remove_permission(FunctionName=FUNCTION, StatementId="apigateway-test")
    assert removed["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert [
        s["Sid"] for s in json.loads(functions.get_policy(FunctionName=FUNCTION)["Policy"])["Statement"]
    ] == ["account"]
    functions.remove_permission(FunctionName=FUNCTION, StatementId="account")
    assert error_of(lambda: functions.get_policy(FunctionName=FUNCTION)) == (
        "ResourceNotFoundException",
        404,
        "The resource you requested does not exist.",
    )


def test_permission_errors(functions: Any, function_arn: str) -> None:
    permit(functions, "once")
    assert error_of(lambda: permit(functions, "once")) == (
        "ResourceConflictException",
        409,
        "The statement id (once) provided already exists. Please provide a new statement id, or remove the"
        " existing statement.",
    )
    code, status, message = error_of(
        lambda: functions.remove_permission(FunctionName=FUNCTION, StatementId="nope")
    )
    assert (code, status) == ("ResourceNotFoundException", 404)
    assert message == "Statement nope is not found in resource policy."
    code, status, _ = error_of(
        lambda: functions.add_permission(
            FunctionName=FUNCTION, StatementId="bad", Action="invoke", Principal="apigateway.amazonaws.com"
        )
    )
    assert (code, status) == ("InvalidParameterValueException", 400)
    code, status, _ = error_of(lambda: permit(functions, "stale", RevisionId="not-the-revision"))
    assert (code, status) == ("PreconditionFailedException", 412)
    revision = functions.get_policy(FunctionName=FUNCTION)["RevisionId"]
    permit(functions, "fresh", RevisionId=revision)
    code, status, _ = error_of(
        lambda: functions.remove_permission(FunctionName=FUNCTION, StatementId="fresh", RevisionId=revision)
    )
    assert (code, status) == ("PreconditionFailedException", 412)
    code, status, _ = error_of(lambda: functions.get_policy(FunctionName="no-such-function"))
    assert (code, status) == ("ResourceNotFoundException", 404)
    code, _, message = error_of(
        lambda: functions.add_permission(
            FunctionName=FUNCTION, StatementId="who", Action="lambda:InvokeFunction", Principal="someone"
        )
    )
    assert (code, message) == (
        "InvalidParameterValueException",
        "The provided principal was invalid. Please check the principal and try again.",
    )


def test_remove_without_any_policy(functions: Any, function_arn: str) -> None:
    code, status, message = error_of(
        lambda: functions.remove_permission(FunctionName=FUNCTION, StatementId="x")
    )
    assert (code, status, message) == (
        "ResourceNotFoundException",
        404,
        f"No policy is found for: {function_arn}",
    )


def test_delete_function_drops_its_policy(server: ModelportServer, role_arn: str) -> None:
    functions = server.client("lambda")
    create = {
        "Runtime": "python3.11",
        "Role": role_arn,
        "Handler": "echo.handler",
        "Code": {"ZipFile": code()},
    }
    functions.create_function(FunctionName="short-lived", **create)
    functions.add_permission(
        FunctionName="short-lived", StatementId="s", Action="lambda:*", Principal="apigateway.amazonaws.com"
    )
    functions.delete_function(FunctionName="short-lived")
    functions.create_function(FunctionName="short-lived", **create)
    assert (
        error_of(lambda: functions.get_policy(FunctionName="short-lived"))[0] == "ResourceNotFoundException"
    )
    functions.delete_function(FunctionName="short-lived")


# --- the gateway --------------------------------------------------------------------------------


def build_api(server: ModelportServer, name: str, uri: str, credentials: str | None = None) -> str:
    apis = server.client("apigateway")
    api_id: str = apis.create_rest_api(name=name)["id"]
    root = next(r["id"] for r in apis.get_resources(restApiId=api_id)["items"] if r["path"] == "/")
    resource = apis.create_resource(restApiId=api_id, parentId=root, pathPart="irisprediction")["id"]
    method = {"restApiId": api_id, "resourceId": resource, "httpMethod": "POST"}
    apis.put_method(**method, authorizationType="NONE")
    more = {"credentials": credentials} if credentials else {}
    apis.put_integration(**method, type="AWS", integrationHttpMethod="POST", uri=uri, **more)
    apis.put_method_response(**method, statusCode="200")
    apis.put_integration_response(**method, statusCode="200")
    apis.create_deployment(restApiId=api_id, stageName="test")
    return api_id


def lambda_uri(function_arn: str) -> str:
    return f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{function_arn}/invocations"


def call(server: ModelportServer, api_id: str) -> httpx.Response:
    url = f"{server.url}/restapis/{api_id}/test/_user_request_/irisprediction"
    return httpx.post(url, json={"data": "5.1,3.3,1.7,0.5"}, timeout=60)


def is_internal_error(response: httpx.Response) -> bool:
    return (response.status_code, response.content) == (500, b'{"message": "Internal server error"}')


def test_gateway_needs_the_functions_permission(
    server: ModelportServer, functions: Any, function_arn: str
) -> None:
    api_id = build_api(server, "perm-api", lambda_uri(function_arn))
    mark = server.log_mark()
    assert is_internal_error(call(server, api_id))
    assert "Execution failed due to configuration error: Invalid permissions on Lambda function" in (
        server.log(since=mark)
    )
    source = f"arn:aws:execute-api:us-east-1:{ACCOUNT}:{api_id}"
    permit(functions, "wrong-method", f"{source}/*/GET/irisprediction")
    permit(functions, "wrong-stage", f"{source}/prod/POST/irisprediction")
    assert is_internal_error(call(server, api_id))
    permit(functions, "console", f"{source}/*/POST/irisprediction")
    answer = call(server, api_id)
    assert (answer.status_code, answer.json()) == (200, {"echo": {"data": "5.1,3.3,1.7,0.5"}})
    functions.remove_permission(FunctionName=FUNCTION, StatementId="console")
    assert is_internal_error(call(server, api_id))
    permit(functions, "wildcard", f"arn:aws:execute-api:us-east-1:{ACCOUNT}:{api_id}/*")
    assert call(server, api_id).status_code == 200


def test_a_credentials_role_must_allow_invoke(server: ModelportServer, function_arn: str) -> None:
    iam = server.client("iam")
    gateway_trust = trust("apigateway.amazonaws.com")
    allowed = iam.create_role(RoleName="apigw-invoke", AssumeRolePolicyDocument=gateway_trust)["Role"]["Arn"]
    iam.put_role_policy(
        RoleName="apigw-invoke", PolicyName="p", PolicyDocument=allow("lambda:InvokeFunction", function_arn)
    )
    limited = iam.create_role(RoleName="apigw-nothing", AssumeRolePolicyDocument=gateway_trust)["Role"]["Arn"]
    iam.put_role_policy(RoleName="apigw-nothing", PolicyName="p", PolicyDocument=allow("lambda:GetFunction"))
    assert call(server, build_api(server, "role-api", lambda_uri(function_arn), allowed)).status_code == 200
    assert is_internal_error(call(server, build_api(server, "norole-api", lambda_uri(function_arn), limited)))


# --- iam:PassRole ---------------------------------------------------------------------------------


def test_pass_role_is_required_to_hand_a_role_over(
    server: ModelportServer, role_arn: str, function_arn: str
) -> None:
    iam = server.client("iam")
    iam.create_user(UserName="builder")
    everything_but_iam = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": ["lambda:*", "apigateway:*"], "Resource": "*"}],
        }
    )
    iam.put_user_policy(UserName="builder", PolicyName="build", PolicyDocument=everything_but_iam)
    keys = iam.create_access_key(UserName="builder")["AccessKey"]
    functions = client(server, "lambda", credentials=keys)
    apis = client(server, "apigateway", credentials=keys)
    create = {"FunctionName": "builders-fn", "Runtime": "python3.11", "Handler": "echo.handler"}
    code_, status, message = error_of(
        lambda: functions.create_function(**create, Role=role_arn, Code={"ZipFile": code()})
    )
    assert (code_, status) == ("AccessDeniedException", 403)
    assert message == (
        "User: arn:aws:iam::123456789012:user/builder is not authorized to perform: iam:PassRole on resource:"
        f" {role_arn} because no identity-based policy allows the iam:PassRole action"
    )
    assert error_of(lambda: functions.update_function_configuration(FunctionName=FUNCTION, Role=role_arn))[
        0
    ] == ("AccessDeniedException")
    functions.update_function_configuration(FunctionName=FUNCTION, Timeout=5)  # no role: no PassRole
    api_id = apis.create_rest_api(name="builders-api")["id"]
    root = apis.get_resources(restApiId=api_id)["items"][0]["id"]
    method = {"restApiId": api_id, "resourceId": root, "httpMethod": "POST"}
    apis.put_method(**method, authorizationType="NONE")
    integration = {"type": "AWS", "integrationHttpMethod": "POST", "uri": lambda_uri(function_arn)}
    code_, status, message = error_of(
        lambda: apis.put_integration(**method, **integration, credentials=role_arn)
    )
    assert (code_, status) == ("AccessDeniedException", 403)
    assert "iam:PassRole" in message and role_arn in message
    apis.put_integration(**method, **integration)  # without credentials nothing is passed

    iam.put_user_policy(UserName="builder", PolicyName="pass", PolicyDocument=allow("iam:PassRole", role_arn))
    functions.create_function(**create, Role=role_arn, Code={"ZipFile": code()})
    apis.put_integration(**method, **integration, credentials=role_arn)
