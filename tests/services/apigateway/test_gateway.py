"""Requests against deployed stages: routing, API keys and the three integrations, no server.

Lambda is a fake put in ``gateway.invoke_function`` that runs the tutorial's handler logic; the
SageMaker runtime is a fake router in ``ctx.router``. The function the fake
stands for is not stored, so the gateway's resource-policy check lets it through (Invoke would
refuse an unknown function itself); the permission tests at the end store it with a policy.
The SageMaker integration acts as a role (``credentials``), which ``gateway_role`` makes.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from modelport.aws.auth.sqlite_keys import SqliteKeyStore
from modelport.bootstrap import build_function_host, build_router
from modelport.core.clock import FakeClock
from modelport.core.config import Settings
from modelport.core.errors import InvalidRequest, ResourceNotFound
from modelport.hosting.router import WorkerAnswer
from modelport.hosting.waiting import Arrivals
from modelport.services.apigateway import gateway
from modelport.services.apigateway.apis import OPERATIONS
from modelport.services.apigateway.gateway import execute, invoke_url
from modelport.services.apigateway.responses import GatewayResponse
from modelport.services.context import ServiceContext
from modelport.services.iam.operations import OPERATIONS as IAM
from modelport.services.lambda_.host import KIND
from modelport.services.lambda_.permissions import add_permission, remove_permission
from modelport.store.base import Resource
from modelport.store.sqlite import SqliteStore

LAMBDA_ARN = "arn:aws:lambda:us-east-1:123456789012:function:iris-predict"
LAMBDA_URI = f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{LAMBDA_ARN}/invocations"
SAGEMAKER_URI = "arn:aws:apigateway:us-east-1:runtime.sagemaker:path//endpoints/iris-ep/invocations"
GOLDEN_BODY = b'{"data": "5.1,3.3,1.7,0.5"}'


def iris_label(features: str) -> str:
    """The tutorial's model, as a rule: petal length under 2.5 cm is a setosa."""
    petal_length = float(features.split(",")[2])
    return "Setosa" if petal_length < 2.5 else "Versicolor"


class FakeLambda:
    """Lambda's Invoke: the tutorial's handler, or ``proxy_handler`` for AWS_PROXY tests."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []
        self.proxy_result: Any = None
        self.refuse = False

    def __call__(self, ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
        self.calls.append(params)
        if self.refuse:
            raise ResourceNotFound(f"Function not found: {params['FunctionName']}")
        event = json.loads(params["Payload"])
        if self.proxy_result is not None:
            return {"StatusCode": 200, "Payload": json.dumps(self.proxy_result).encode()}
        try:
            result = iris_label(event["data"])
        except KeyError as exc:
            error = {"errorMessage": repr(exc), "errorType": "KeyError", "requestId": "r-1", "stackTrace": []}
            return {"StatusCode": 200, "Payload": json.dumps(error).encode(), "FunctionError": "Unhandled"}
        return {"StatusCode": 200, "Payload": json.dumps(result).encode()}


class _Engine:
    def wake(self, endpoint_name: str) -> None:
        pass

    def model_deleted(self) -> None:
        pass

    def live_variants(self, endpoint_name: str) -> list[dict[str, object]] | None:
        return None


class FakeRouter:
    """Just the part of the router ``invoke_endpoint`` uses."""

    def __init__(self, answer: WorkerAnswer) -> None:
        self.answer = answer
        self.bodies: list[tuple[bytes, str | None]] = []
        self.arrivals = Arrivals()  # no fleet is ever on its way here

    def fleet(self, endpoint_name: str) -> object | None:
        # A real-time endpoint's fleet, as far as invoke_endpoint looks: no AsyncInferenceConfig.
        return SimpleNamespace(deployment={}) if endpoint_name == "iris-ep" else None

    async def invoke(
        self, fleet: object, body: bytes, *, content_type: str | None, **kwargs: Any
    ) -> WorkerAnswer:
        self.bodies.append((body, content_type))
        return self.answer


@pytest.fixture
def fake_lambda() -> FakeLambda:
    return FakeLambda()


@pytest.fixture
def ctx(tmp_path: Path, fake_lambda: FakeLambda, monkeypatch: pytest.MonkeyPatch) -> Iterator[ServiceContext]:
    store = SqliteStore(tmp_path / "store.sqlite3")
    keys_conn = sqlite3.connect(":memory:")
    settings = Settings(data_dir=tmp_path, account_id="123456789012", auth_enabled=False, port=8790)
    monkeypatch.setattr(gateway, "invoke_function", fake_lambda)
    keys = SqliteKeyStore(keys_conn)
    yield ServiceContext(
        store, settings, FakeClock(), _Engine(), keys, build_router(settings), build_function_host(settings)
    )
    store.close()
    keys_conn.close()


def call(ctx: ServiceContext, operation: str, **params: Any) -> dict[str, Any]:
    result = OPERATIONS[operation](ctx, params)
    assert isinstance(result, dict)
    return result


def build_api(
    ctx: ServiceContext,
    *,
    path_part: str = "irisprediction",
    kind: str = "AWS",
    uri: str = LAMBDA_URI,
    console_defaults: bool = True,
    api_key_required: bool = False,
    deploy: bool = True,
    credentials: str | None = None,
) -> tuple[str, str]:
    """The tutorial's console steps; the console also adds the 200 method and integration response."""
    api_id = call(ctx, "CreateRestApi", name="iris-api")["id"]
    (root,) = call(ctx, "GetResources", restApiId=api_id)["items"]
    resource = call(ctx, "CreateResource", restApiId=api_id, parentId=root["id"], pathPart=path_part)
    method = {"restApiId": api_id, "resourceId": resource["id"], "httpMethod": "POST"}
    call(ctx, "PutMethod", **method, authorizationType="NONE", apiKeyRequired=api_key_required)
    more = {"credentials": credentials} if credentials else {}
    call(ctx, "PutIntegration", **method, type=kind, integrationHttpMethod="POST", uri=uri, **more)
    if console_defaults and kind != "AWS_PROXY":
        call(
            ctx, "PutMethodResponse", **method, statusCode="200", responseModels={"application/json": "Empty"}
        )
        call(ctx, "PutIntegrationResponse", **method, statusCode="200")
    if deploy:
        call(ctx, "CreateDeployment", restApiId=api_id, stageName="test")
    return api_id, resource["id"]


GATEWAY_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "apigateway.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ],
}


TRUST_LAMBDA = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
)


def gateway_role(
    ctx: ServiceContext,
    name: str = "apigw-invoke",
    action: str = "sagemaker:InvokeEndpoint",
    resource: str = "*",
    trust: dict[str, Any] = GATEWAY_TRUST,
) -> str:
    """A role API Gateway may act as, allowed ``action`` on ``resource``; returns its ARN."""
    arn = IAM["CreateRole"](ctx, {"RoleName": name, "AssumeRolePolicyDocument": json.dumps(trust)})
    policy = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": action, "Resource": resource}],
    }
    IAM["PutRolePolicy"](ctx, {"RoleName": name, "PolicyName": "p", "PolicyDocument": json.dumps(policy)})
    return str(arn["Role"]["Arn"])


def run(
    ctx: ServiceContext,
    api_id: str,
    path: str = "/irisprediction",
    body: bytes = GOLDEN_BODY,
    *,
    stage: str = "test",
    method: str = "POST",
    headers: list[tuple[str, str]] | None = None,
    query: str = "",
) -> GatewayResponse:
    return asyncio.run(
        execute(
            ctx,
            api_id=api_id,
            stage=stage,
            method=method,
            path=path,
            headers=[("Content-Type", "application/json")] if headers is None else headers,
            query_string=query,
            body=body,
            source_ip="10.0.0.7",
        )
    )


def test_golden_path(ctx: ServiceContext, fake_lambda: FakeLambda) -> None:
    api_id, _ = build_api(ctx)
    answer = run(ctx, api_id)
    assert (answer.status, answer.body) == (200, b'"Setosa"')
    assert answer.headers["Content-Type"] == "application/json"
    (invoke,) = fake_lambda.calls
    assert invoke == {"FunctionName": LAMBDA_ARN, "Payload": GOLDEN_BODY, "InvocationType": "RequestResponse"}


def test_sdk_built_api_without_integration_response_is_500(ctx: ServiceContext) -> None:
    api_id, _ = build_api(ctx, console_defaults=False)
    answer = run(ctx, api_id)
    assert (answer.status, answer.body) == (500, b'{"message": "Internal server error"}')


def test_function_error_passes_through_as_200(ctx: ServiceContext) -> None:
    api_id, _ = build_api(ctx)
    answer = run(ctx, api_id, body=b'{"wrong": 1}')
    assert answer.status == 200
    assert json.loads(answer.body)["errorType"] == "KeyError"


def test_selection_pattern_maps_function_error(ctx: ServiceContext) -> None:
    api_id, resource_id = build_api(ctx, deploy=False)
    method = {"restApiId": api_id, "resourceId": resource_id, "httpMethod": "POST"}
    call(ctx, "PutMethodResponse", **method, statusCode="400")
    call(ctx, "PutIntegrationResponse", **method, statusCode="400", selectionPattern=".*KeyError.*")
    call(ctx, "CreateDeployment", restApiId=api_id, stageName="test")
    assert run(ctx, api_id, body=b'{"wrong": 1}').status == 400
    assert run(ctx, api_id).status == 200


def test_non_json_body_and_refused_invoke_are_500(
    ctx: ServiceContext, fake_lambda: FakeLambda, caplog: pytest.LogCaptureFixture
) -> None:
    api_id, _ = build_api(ctx)
    with caplog.at_level(logging.WARNING, logger="modelport.services.apigateway.gateway"):
        answer = run(ctx, api_id, body=b"5.1,3.3,1.7,0.5", headers=[("Content-Type", "text/plain")])
    # API Gateway's answer when Lambda refuses the payload (spec §2); the cause is in the server log.
    assert (answer.status, answer.body) == (500, b'{"message": "Internal server error"}')
    assert fake_lambda.calls == []
    logged = " ".join(record.getMessage() for record in caplog.records)
    assert f"{api_id}/test: POST /irisprediction: Lambda refused the request body" in logged
    assert "InvalidRequestContentException (Could not parse request body into json: Extra data" in logged
    assert "send a JSON body" in logged
    fake_lambda.refuse = True
    assert run(ctx, api_id).status == 500


def test_unknown_route_is_missing_authentication_token(ctx: ServiceContext) -> None:
    api_id, _ = build_api(ctx)
    for method, path in (("POST", "/nowhere"), ("GET", "/irisprediction"), ("POST", "/")):
        answer = run(ctx, api_id, path, method=method)
        assert (answer.status, answer.body) == (403, b'{"message":"Missing Authentication Token"}')
        assert answer.headers["x-amzn-ErrorType"] == "MissingAuthenticationTokenException"


def test_unknown_stage_and_api(ctx: ServiceContext) -> None:
    api_id, _ = build_api(ctx)
    answer = run(ctx, api_id, stage="prod")
    assert (answer.status, answer.body) == (403, b'{"message":"Forbidden"}')
    missing = run(ctx, "nosuchapi0")
    assert missing.status == 404
    assert json.loads(missing.body)["message"].startswith("The API id 'nosuchapi0'")


def test_edits_go_live_only_when_deployed(ctx: ServiceContext) -> None:
    api_id, resource_id = build_api(ctx)
    call(ctx, "DeleteResource", restApiId=api_id, resourceId=resource_id)
    assert run(ctx, api_id).status == 200  # the stage still serves its deployment
    with pytest.raises(Exception, match="any methods"):
        call(ctx, "CreateDeployment", restApiId=api_id, stageName="test")


def test_api_key_required(ctx: ServiceContext) -> None:
    api_id, _ = build_api(ctx, api_key_required=True)
    json_type = ("Content-Type", "application/json")
    missing = run(ctx, api_id)
    assert (missing.status, missing.body) == (403, b'{"message":"Forbidden"}')
    disabled = call(ctx, "CreateApiKey", name="off", value="d" * 30)
    assert run(ctx, api_id, headers=[json_type, ("x-api-key", disabled["value"])]).status == 403
    key = call(ctx, "CreateApiKey", name="on", enabled=True)
    answer = run(ctx, api_id, headers=[json_type, ("X-API-Key", key["value"])])
    assert (answer.status, answer.body) == (200, b'"Setosa"')
    other_stage = call(
        ctx,
        "CreateApiKey",
        name="elsewhere",
        enabled=True,
        stageKeys=[{"restApiId": api_id, "stageName": "prod"}],
    )
    assert run(ctx, api_id, headers=[json_type, ("x-api-key", other_stage["value"])]).status == 403


def test_proxy_integration(ctx: ServiceContext, fake_lambda: FakeLambda) -> None:
    api_id, resource_id = build_api(ctx, path_part="{proxy+}", kind="AWS_PROXY")
    fake_lambda.proxy_result = {"statusCode": "201", "headers": {"X-Label": "Setosa"}, "body": '"Setosa"'}
    answer = run(ctx, api_id, "/iris/prediction", query="a=1&a=2")
    assert (answer.status, answer.body) == (201, b'"Setosa"')
    assert answer.headers == {"X-Label": "Setosa", "Content-Type": "application/json"}
    event = json.loads(fake_lambda.calls[0]["Payload"])
    assert event["resource"] == "/{proxy+}"
    assert event["path"] == "/iris/prediction"
    assert event["pathParameters"] == {"proxy": "iris/prediction"}
    assert event["multiValueQueryStringParameters"] == {"a": ["1", "2"]}
    assert event["body"] == GOLDEN_BODY.decode()
    assert event["requestContext"]["stage"] == "test"
    assert event["requestContext"]["resourceId"] == resource_id
    assert event["requestContext"]["identity"]["sourceIp"] == "10.0.0.7"
    assert event["requestContext"]["requestTimeEpoch"] == int(ctx.clock.now() * 1000)


def test_malformed_proxy_answer_is_502(ctx: ServiceContext, fake_lambda: FakeLambda) -> None:
    api_id, _ = build_api(ctx, kind="AWS_PROXY")
    fake_lambda.proxy_result = "justAString"
    answer = run(ctx, api_id)
    assert (answer.status, answer.body) == (502, b'{"message": "Internal server error"}')


def test_direct_sagemaker_integration(ctx: ServiceContext) -> None:
    router = FakeRouter(WorkerAnswer(200, b'{"predictions": [0]}', "application/json", None, "AllTraffic"))
    ctx = replace(ctx, router=router)
    api_id, _ = build_api(ctx, uri=SAGEMAKER_URI, credentials=gateway_role(ctx))
    answer = run(ctx, api_id, body=b"5.1,3.3,1.7,0.5", headers=[("Content-Type", "text/csv")])
    assert (answer.status, answer.body) == (200, b'{"predictions": [0]}')
    assert answer.headers["Content-Type"] == "application/json"
    assert router.bodies == [(b"5.1,3.3,1.7,0.5", "text/csv")]


def test_direct_sagemaker_model_error(ctx: ServiceContext) -> None:
    ctx = replace(ctx, router=FakeRouter(WorkerAnswer(500, b"boom", "text/plain", None, "AllTraffic")))
    api_id, resource_id = build_api(ctx, uri=SAGEMAKER_URI, deploy=False, credentials=gateway_role(ctx))
    method = {"restApiId": api_id, "resourceId": resource_id, "httpMethod": "POST"}
    call(ctx, "PutMethodResponse", **method, statusCode="502")
    call(ctx, "PutIntegrationResponse", **method, statusCode="502", selectionPattern="424")
    call(ctx, "CreateDeployment", restApiId=api_id, stageName="test")
    answer = run(ctx, api_id, body=b"1,2", headers=[("Content-Type", "text/csv")])
    assert answer.status == 502
    error = json.loads(answer.body)
    assert error["ErrorCode"] == "SERVER_ERROR_FROM_MODEL"
    assert error["OriginalMessage"] == "boom"


def test_direct_sagemaker_unknown_endpoint_passes_through(ctx: ServiceContext) -> None:
    ctx = replace(ctx, router=FakeRouter(WorkerAnswer(200, b"", None, None, "AllTraffic")))
    uri = "arn:aws:apigateway:us-east-1:runtime.sagemaker:path//endpoints/${stageVariables.ep}/invocations"
    api_id, _ = build_api(ctx, uri=uri, deploy=False, credentials=gateway_role(ctx))
    call(ctx, "CreateDeployment", restApiId=api_id, stageName="test")
    assert run(ctx, api_id).status == 500  # an undefined variable names no endpoint
    call(ctx, "CreateDeployment", restApiId=api_id, stageName="test", variables={"ep": "missing-ep"})
    answer = run(ctx, api_id)
    assert answer.status == 200  # the default integration response, as AWS does for AWS services
    assert "not found" in json.loads(answer.body)["message"]


def test_stage_variables_pick_the_function(ctx: ServiceContext, fake_lambda: FakeLambda) -> None:
    uri = LAMBDA_URI.replace("iris-predict", "${stageVariables.fn}")
    api_id, _ = build_api(ctx, uri=uri, deploy=False)
    call(ctx, "CreateDeployment", restApiId=api_id, stageName="test", variables={"fn": "iris-v2"})
    assert run(ctx, api_id).status == 200
    assert fake_lambda.calls[0]["FunctionName"].endswith(":function:iris-v2")


def test_mock_integration(ctx: ServiceContext) -> None:
    api_id, _ = build_api(ctx, kind="MOCK", uri="")
    assert (run(ctx, api_id).status, run(ctx, api_id).body) == (200, b"")


def test_invoke_url(ctx: ServiceContext) -> None:
    assert invoke_url(ctx.settings, "abc123defg", "test", "/irisprediction") == (
        "http://127.0.0.1:8790/restapis/abc123defg/test/_user_request_/irisprediction"
    )


# --- who may call the backend: resource policies and credentials roles ---------------------------

SOURCE = "arn:aws:execute-api:us-east-1:123456789012:{api}/{stage}/POST/irisprediction"


def store_function(ctx: ServiceContext, name: str = "iris-predict") -> None:
    """The function the fake Lambda stands for, as far as its resource policy goes."""
    arn = f"arn:aws:lambda:us-east-1:123456789012:function:{name}"
    ctx.store.insert(Resource(kind=KIND, name=name, arn=arn, creation_time=0.0, last_modified_time=0.0))


def permit(ctx: ServiceContext, sid: str, **params: Any) -> None:
    params = {"Action": "lambda:InvokeFunction", "Principal": "apigateway.amazonaws.com", **params}
    asyncio.run(add_permission(ctx, {"FunctionName": "iris-predict", "StatementId": sid, **params}))


def refused(answer: GatewayResponse) -> bool:
    return (answer.status, answer.body) == (500, b'{"message": "Internal server error"}')


def test_a_stored_function_without_permission_is_refused_and_logged(
    ctx: ServiceContext, fake_lambda: FakeLambda, caplog: pytest.LogCaptureFixture
) -> None:
    store_function(ctx)
    api_id, _ = build_api(ctx)
    assert refused(run(ctx, api_id))
    assert fake_lambda.calls == []  # never invoked
    assert (
        "Execution failed due to configuration error: Invalid permissions on Lambda function" in caplog.text
    )


def test_the_consoles_permission_allows_every_stage(ctx: ServiceContext, fake_lambda: FakeLambda) -> None:
    store_function(ctx)
    api_id, _ = build_api(ctx)
    permit(ctx, "console", SourceArn=SOURCE.format(api=api_id, stage="*"))
    assert (run(ctx, api_id).status, run(ctx, api_id).body) == (200, b'"Setosa"')
    asyncio.run(remove_permission(ctx, {"FunctionName": "iris-predict", "StatementId": "console"}))
    assert refused(run(ctx, api_id))


def test_source_arn_must_match(ctx: ServiceContext) -> None:
    store_function(ctx)
    api_id, _ = build_api(ctx)
    permit(ctx, "other-api", SourceArn=SOURCE.format(api="otherapi00", stage="*"))
    permit(ctx, "other-stage", SourceArn=SOURCE.format(api=api_id, stage="prod"))
    permit(ctx, "other-method", SourceArn=SOURCE.format(api=api_id, stage="*").replace("/POST/", "/GET/"))
    permit(ctx, "other-account", SourceAccount="210987654321")
    permit(ctx, "other-principal", Principal="s3.amazonaws.com")
    permit(ctx, "other-action", Action="lambda:GetFunction")
    assert refused(run(ctx, api_id))
    permit(ctx, "wildcards", SourceArn=f"arn:aws:execute-api:us-east-1:123456789012:{api_id}/*/*/*")
    assert run(ctx, api_id).status == 200


def test_source_account_and_exact_source_arn_allow(ctx: ServiceContext) -> None:
    store_function(ctx)
    api_id, _ = build_api(ctx)
    permit(ctx, "exact", SourceArn=SOURCE.format(api=api_id, stage="test"), SourceAccount="123456789012")
    assert run(ctx, api_id).status == 200


def test_proxy_integrations_are_checked_with_the_resource_path(
    ctx: ServiceContext, fake_lambda: FakeLambda
) -> None:
    store_function(ctx)
    api_id, _ = build_api(ctx, path_part="{proxy+}", kind="AWS_PROXY")
    fake_lambda.proxy_result = {"statusCode": 200, "body": "ok"}
    permit(ctx, "literal", SourceArn=f"arn:aws:execute-api:us-east-1:123456789012:{api_id}/*/POST/iris")
    assert refused(run(ctx, api_id, "/iris"))
    permit(ctx, "template", SourceArn=f"arn:aws:execute-api:us-east-1:123456789012:{api_id}/*/POST/*")
    assert run(ctx, api_id, "/iris/x").status == 200


def test_a_credentials_role_replaces_the_resource_policy(
    ctx: ServiceContext, caplog: pytest.LogCaptureFixture
) -> None:
    store_function(ctx)  # no policy at all
    allowed = gateway_role(ctx, "may-invoke", "lambda:InvokeFunction", LAMBDA_ARN)
    api_id, _ = build_api(ctx, credentials=allowed)
    assert run(ctx, api_id).status == 200
    other = gateway_role(ctx, "other-fn", "lambda:InvokeFunction", LAMBDA_ARN + "-v2")
    api_id, _ = build_api(ctx, credentials=other)
    assert refused(run(ctx, api_id))
    assert (
        "Invalid permissions on Lambda function: User: arn:aws:sts::123456789012:assumed-role/other-fn/"
        in caplog.text
    )
    untrusted = gateway_role(ctx, "lambda-only", "lambda:*", trust=json.loads(TRUST_LAMBDA))
    api_id, _ = build_api(ctx, credentials=untrusted)
    assert refused(run(ctx, api_id))
    assert "API Gateway does not have permission to assume the provided role" in caplog.text


def test_direct_sagemaker_needs_a_role_that_may_invoke_the_endpoint(
    ctx: ServiceContext, caplog: pytest.LogCaptureFixture
) -> None:
    router = FakeRouter(WorkerAnswer(200, b"[0]", "application/json", None, "AllTraffic"))
    ctx = replace(ctx, router=router)
    csv = [("Content-Type", "text/csv")]
    api_id, _ = build_api(ctx, uri=SAGEMAKER_URI)
    assert refused(run(ctx, api_id, body=b"1,2", headers=csv))
    assert "No credentials for the AWS integration with SageMaker endpoint iris-ep" in caplog.text
    narrow = gateway_role(ctx, "other-ep", resource="arn:aws:sagemaker:*:*:endpoint/other")
    api_id, _ = build_api(ctx, uri=SAGEMAKER_URI, credentials=narrow)
    assert refused(run(ctx, api_id, body=b"1,2", headers=csv))
    exact = gateway_role(ctx, "iris-ep", resource="arn:aws:sagemaker:us-east-1:123456789012:endpoint/iris-ep")
    api_id, _ = build_api(ctx, uri=SAGEMAKER_URI, credentials=exact)
    assert run(ctx, api_id, body=b"1,2", headers=csv).status == 200
    assert len(router.bodies) == 1


def test_credentials_must_be_a_role_arn(ctx: ServiceContext) -> None:
    with pytest.raises(InvalidRequest, match="credentials must be a role ARN"):
        build_api(ctx, credentials="arn:aws:iam::*:user/*")
