"""API Gateway REST API control plane over a real ServiceContext (SQLite store, fake clock)."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from modelport.aws.auth.sqlite_keys import SqliteKeyStore
from modelport.aws.protocol.errors import wire_error
from modelport.bootstrap import build_function_host, build_router
from modelport.core.clock import FakeClock
from modelport.core.config import Settings
from modelport.core.errors import InvalidRequest, ResourceAlreadyExists, ResourceNotFound
from modelport.services.apigateway.apis import OPERATIONS
from modelport.services.context import ServiceContext
from modelport.store.sqlite import SqliteStore

LAMBDA_ARN = "arn:aws:lambda:us-east-1:123456789012:function:iris-predict"
LAMBDA_URI = f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{LAMBDA_ARN}/invocations"
SAGEMAKER_URI = "arn:aws:apigateway:us-east-1:runtime.sagemaker:path//endpoints/iris-ep/invocations"


class _Engine:
    def wake(self, endpoint_name: str) -> None:
        pass

    def model_deleted(self) -> None:
        pass

    def live_variants(self, endpoint_name: str) -> list[dict[str, object]] | None:
        return None


@pytest.fixture
def ctx(tmp_path: Path) -> Iterator[ServiceContext]:
    store = SqliteStore(tmp_path / "store.sqlite3")
    keys_conn = sqlite3.connect(":memory:")
    settings = Settings(data_dir=tmp_path, account_id="123456789012", auth_enabled=False)
    yield ServiceContext(
        store,
        settings,
        FakeClock(),
        _Engine(),
        SqliteKeyStore(keys_conn),
        build_router(settings),
        build_function_host(settings),
    )
    store.close()
    keys_conn.close()


def call(ctx: ServiceContext, operation: str, **params: Any) -> dict[str, Any]:
    result = OPERATIONS[operation](ctx, params)
    assert isinstance(result, dict)
    return result


def tutorial_api(ctx: ServiceContext) -> tuple[str, str]:
    """The tutorial's console steps: an API with POST /irisprediction on a Lambda, not deployed."""
    api_id = call(ctx, "CreateRestApi", name="iris-api")["id"]
    (root,) = call(ctx, "GetResources", restApiId=api_id)["items"]
    resource = call(ctx, "CreateResource", restApiId=api_id, parentId=root["id"], pathPart="irisprediction")
    call(
        ctx,
        "PutMethod",
        restApiId=api_id,
        resourceId=resource["id"],
        httpMethod="POST",
        authorizationType="NONE",
    )
    call(
        ctx,
        "PutIntegration",
        restApiId=api_id,
        resourceId=resource["id"],
        httpMethod="POST",
        type="AWS",
        integrationHttpMethod="POST",
        uri=LAMBDA_URI,
    )
    return api_id, resource["id"]


def test_create_rest_api_shape(ctx: ServiceContext) -> None:
    api = call(ctx, "CreateRestApi", name="iris-api", description="d", tags={"team": "ml"})
    assert re.fullmatch(r"[a-z0-9]{10}", api["id"])
    assert api["name"] == "iris-api"
    assert api["createdDate"] == ctx.clock.now()
    assert api["apiKeySource"] == "HEADER"
    assert api["endpointConfiguration"] == {"types": ["EDGE"]}
    assert api["tags"] == {"team": "ml"}
    assert call(ctx, "GetRestApi", restApiId=api["id"]) == api
    assert call(ctx, "GetRestApis")["items"] == [api]


def test_root_resource_and_delete(ctx: ServiceContext) -> None:
    api = call(ctx, "CreateRestApi", name="a")
    assert call(ctx, "GetResources", restApiId=api["id"])["items"] == [
        {"id": api["rootResourceId"], "path": "/"}
    ]
    assert call(ctx, "DeleteRestApi", restApiId=api["id"]) == {}
    with pytest.raises(ResourceNotFound, match=f"Invalid API identifier specified 123456789012:{api['id']}"):
        call(ctx, "GetRestApi", restApiId=api["id"])


def test_unknown_api_is_not_found_exception(ctx: ServiceContext) -> None:
    with pytest.raises(ResourceNotFound) as caught:
        call(ctx, "GetResources", restApiId="nope")
    assert caught.value.message == "Invalid API identifier specified 123456789012:nope"
    assert wire_error("apigateway", caught.value) is not None
    assert wire_error("apigateway", caught.value).code == "NotFoundException"  # type: ignore[union-attr]


def test_paging_rest_apis(ctx: ServiceContext) -> None:
    for i in range(5):
        call(ctx, "CreateRestApi", name=f"api-{i}")
        ctx.clock.advance(1)  # type: ignore[attr-defined]
    first = call(ctx, "GetRestApis", limit=2)
    second = call(ctx, "GetRestApis", limit=2, position=first["position"])
    third = call(ctx, "GetRestApis", limit=2, position=second["position"])
    names = [a["name"] for a in first["items"] + second["items"] + third["items"]]
    assert names == [f"api-{i}" for i in range(5)]
    assert "position" not in third
    with pytest.raises(InvalidRequest, match="Invalid position") as caught:
        call(ctx, "GetRestApis", limit=2, position="api-3")  # a key, not a position this server gave
    assert wire_error("apigateway", caught.value).code == "BadRequestException"  # type: ignore[union-attr]


def test_resources_nest_and_embed_methods(ctx: ServiceContext) -> None:
    api_id, resource_id = tutorial_api(ctx)
    child = call(ctx, "CreateResource", restApiId=api_id, parentId=resource_id, pathPart="{id}")
    assert child == {
        "id": child["id"],
        "parentId": resource_id,
        "pathPart": "{id}",
        "path": "/irisprediction/{id}",
    }
    plain = {r["path"]: r for r in call(ctx, "GetResources", restApiId=api_id)["items"]}
    assert plain["/irisprediction"]["resourceMethods"] == {"POST": {}}
    embedded = {r["path"]: r for r in call(ctx, "GetResources", restApiId=api_id, embed=["methods"])["items"]}
    post = embedded["/irisprediction"]["resourceMethods"]["POST"]
    assert post["methodIntegration"]["uri"] == LAMBDA_URI
    assert call(ctx, "GetResource", restApiId=api_id, resourceId=child["id"]) == child


def test_resource_rules(ctx: ServiceContext) -> None:
    api_id, resource_id = tutorial_api(ctx)
    greedy = call(ctx, "CreateResource", restApiId=api_id, parentId=resource_id, pathPart="{proxy+}")
    with pytest.raises(InvalidRequest) as caught:  # {proxy+} must be the last segment
        call(ctx, "CreateResource", restApiId=api_id, parentId=greedy["id"], pathPart="more")
    assert wire_error("apigateway", caught.value).code == "BadRequestException"  # type: ignore[union-attr]
    root = call(ctx, "GetRestApi", restApiId=api_id)["rootResourceId"]
    with pytest.raises(ResourceAlreadyExists) as conflict:
        call(ctx, "CreateResource", restApiId=api_id, parentId=root, pathPart="irisprediction")
    assert wire_error("apigateway", conflict.value).code == "ConflictException"  # type: ignore[union-attr]
    with pytest.raises(InvalidRequest, match="path part"):
        call(ctx, "CreateResource", restApiId=api_id, parentId=root, pathPart="a b")
    with pytest.raises(ResourceNotFound, match="Invalid Resource identifier specified"):
        call(ctx, "CreateResource", restApiId=api_id, parentId="nosuch", pathPart="x")


def test_delete_resource_removes_subtree(ctx: ServiceContext) -> None:
    api_id, resource_id = tutorial_api(ctx)
    call(ctx, "CreateResource", restApiId=api_id, parentId=resource_id, pathPart="deep")
    call(ctx, "DeleteResource", restApiId=api_id, resourceId=resource_id)
    assert [r["path"] for r in call(ctx, "GetResources", restApiId=api_id)["items"]] == ["/"]
    root = call(ctx, "GetRestApi", restApiId=api_id)["rootResourceId"]
    with pytest.raises(InvalidRequest, match="root"):
        call(ctx, "DeleteResource", restApiId=api_id, resourceId=root)


def test_method_shapes_and_rules(ctx: ServiceContext) -> None:
    api_id, resource_id = tutorial_api(ctx)
    method = call(ctx, "GetMethod", restApiId=api_id, resourceId=resource_id, httpMethod="POST")
    assert method["httpMethod"] == "POST"
    assert method["authorizationType"] == "NONE"
    assert method["apiKeyRequired"] is False
    assert method["methodIntegration"] == {
        "type": "AWS",
        "httpMethod": "POST",
        "uri": LAMBDA_URI,
        "passthroughBehavior": "WHEN_NO_MATCH",
        "timeoutInMillis": 29000,
        "cacheNamespace": resource_id,
        "cacheKeyParameters": [],
    }
    with pytest.raises(ResourceAlreadyExists):
        call(
            ctx,
            "PutMethod",
            restApiId=api_id,
            resourceId=resource_id,
            httpMethod="POST",
            authorizationType="NONE",
        )
    with pytest.raises(InvalidRequest, match="NONE only"):
        call(
            ctx,
            "PutMethod",
            restApiId=api_id,
            resourceId=resource_id,
            httpMethod="GET",
            authorizationType="AWS_IAM",
        )
    with pytest.raises(InvalidRequest, match="HttpMethod"):
        call(
            ctx,
            "PutMethod",
            restApiId=api_id,
            resourceId=resource_id,
            httpMethod="FETCH",
            authorizationType="NONE",
        )
    with pytest.raises(ResourceNotFound, match="Invalid Method identifier specified"):
        call(ctx, "GetMethod", restApiId=api_id, resourceId=resource_id, httpMethod="GET")


def test_integration_rules(ctx: ServiceContext) -> None:
    api_id, resource_id = tutorial_api(ctx)
    put = {"restApiId": api_id, "resourceId": resource_id, "httpMethod": "POST"}
    with pytest.raises(InvalidRequest, match="Enumeration value for HttpMethod must be non-empty"):
        call(ctx, "PutIntegration", **put, type="AWS", uri=LAMBDA_URI)
    put_post = {**put, "integrationHttpMethod": "POST"}
    with pytest.raises(InvalidRequest, match="AWS_PROXY"):
        call(ctx, "PutIntegration", **put_post, type="AWS_PROXY", uri=SAGEMAKER_URI)
    with pytest.raises(InvalidRequest, match="Lambda function"):
        call(
            ctx,
            "PutIntegration",
            **put_post,
            type="AWS",
            uri="arn:aws:apigateway:us-east-1:s3:path/bucket/key",
        )
    with pytest.raises(InvalidRequest, match="HTTP"):
        call(ctx, "PutIntegration", **put_post, type="HTTP", uri="http://example.com")
    with pytest.raises(InvalidRequest, match="Timeout"):
        call(ctx, "PutIntegration", **put_post, type="AWS", uri=LAMBDA_URI, timeoutInMillis=40000)
    sagemaker = call(ctx, "PutIntegration", **put_post, type="AWS", uri=SAGEMAKER_URI)
    assert sagemaker["uri"] == SAGEMAKER_URI
    mock = call(ctx, "PutIntegration", **put, type="MOCK")
    assert "uri" not in mock and mock["type"] == "MOCK"
    assert call(ctx, "GetIntegration", **put) == mock


def test_integration_response_needs_method_response(ctx: ServiceContext) -> None:
    api_id, resource_id = tutorial_api(ctx)
    put = {"restApiId": api_id, "resourceId": resource_id, "httpMethod": "POST"}
    with pytest.raises(ResourceNotFound, match="Invalid Response status code specified"):
        call(ctx, "PutIntegrationResponse", **put, statusCode="200")
    assert call(
        ctx, "PutMethodResponse", **put, statusCode="200", responseModels={"application/json": "Empty"}
    ) == {
        "statusCode": "200",
        "responseModels": {"application/json": "Empty"},
    }
    response = call(ctx, "PutIntegrationResponse", **put, statusCode="200", selectionPattern="")
    assert response == {"statusCode": "200", "selectionPattern": ""}
    method = call(ctx, "GetMethod", **put)
    assert method["methodResponses"]["200"]["statusCode"] == "200"
    assert method["methodIntegration"]["integrationResponses"]["200"] == response
    with pytest.raises(InvalidRequest, match="status code"):
        call(ctx, "PutMethodResponse", **put, statusCode="2000")


def test_deployment_and_stages(ctx: ServiceContext) -> None:
    api_id, _ = tutorial_api(ctx)
    deployment = call(ctx, "CreateDeployment", restApiId=api_id, stageName="test", variables={"fn": "iris"})
    assert re.fullmatch(r"[a-z0-9]{6}", deployment["id"])
    assert deployment["createdDate"] == ctx.clock.now()
    (stage,) = call(ctx, "GetStages", restApiId=api_id)["item"]
    assert stage["stageName"] == "test"
    assert stage["deploymentId"] == deployment["id"]
    assert stage["variables"] == {"fn": "iris"}
    assert stage["createdDate"] == stage["lastUpdatedDate"] == ctx.clock.now()
    with pytest.raises(ResourceAlreadyExists, match="Stage already exists") as conflict:
        call(ctx, "CreateStage", restApiId=api_id, stageName="test", deploymentId=deployment["id"])
    assert wire_error("apigateway", conflict.value).code == "ConflictException"  # type: ignore[union-attr]
    prod = call(ctx, "CreateStage", restApiId=api_id, stageName="prod", deploymentId=deployment["id"])
    assert call(ctx, "GetStage", restApiId=api_id, stageName="prod") == prod
    with pytest.raises(ResourceNotFound, match="Invalid Deployment identifier specified"):
        call(ctx, "CreateStage", restApiId=api_id, stageName="dev", deploymentId="nope")
    ctx.clock.advance(5)  # type: ignore[attr-defined]
    again = call(ctx, "CreateDeployment", restApiId=api_id, stageName="test")
    test_stage = call(ctx, "GetStage", restApiId=api_id, stageName="test")
    assert test_stage["deploymentId"] == again["id"]
    assert test_stage["lastUpdatedDate"] == ctx.clock.now()
    assert [d["id"] for d in call(ctx, "GetDeployments", restApiId=api_id)["items"]] == [
        deployment["id"],
        again["id"],
    ]
    assert call(ctx, "DeleteStage", restApiId=api_id, stageName="prod") == {}
    with pytest.raises(ResourceNotFound, match="Invalid Stage identifier specified"):
        call(ctx, "DeleteStage", restApiId=api_id, stageName="prod")


def test_deployment_needs_methods_with_integrations(ctx: ServiceContext) -> None:
    api_id = call(ctx, "CreateRestApi", name="empty")["id"]
    with pytest.raises(InvalidRequest, match="doesn't contain any methods"):
        call(ctx, "CreateDeployment", restApiId=api_id, stageName="test")
    root = call(ctx, "GetRestApi", restApiId=api_id)["rootResourceId"]
    call(ctx, "PutMethod", restApiId=api_id, resourceId=root, httpMethod="GET", authorizationType="NONE")
    with pytest.raises(InvalidRequest, match="No integration defined for method"):
        call(ctx, "CreateDeployment", restApiId=api_id, stageName="test")


def test_api_keys(ctx: ServiceContext) -> None:
    key = call(ctx, "CreateApiKey", name="partner", enabled=True, tags={"k": "v"})
    assert re.fullmatch(r"[a-z0-9]{10}", key["id"])
    assert len(key["value"]) == 40
    assert key["enabled"] is True and key["tags"] == {"k": "v"}
    chosen = call(ctx, "CreateApiKey", name="other", value="x" * 20)
    assert chosen["enabled"] is False
    listed = call(ctx, "GetApiKeys")["items"]
    assert {k["id"] for k in listed} == {key["id"], chosen["id"]}
    assert all("value" not in k for k in listed)
    with_values = call(ctx, "GetApiKeys", includeValues=True, nameQuery="part")["items"]
    assert [k["value"] for k in with_values] == [key["value"]]
    with pytest.raises(InvalidRequest, match="at least 20"):
        call(ctx, "CreateApiKey", name="short", value="abc")
    assert call(ctx, "DeleteApiKey", apiKey=key["id"]) == {}
    with pytest.raises(ResourceNotFound, match="Invalid API Key identifier specified"):
        call(ctx, "DeleteApiKey", apiKey=key["id"])


def test_error_table_codes() -> None:
    from modelport.core import errors as e

    expected = {
        e.ResourceNotFound("x"): ("NotFoundException", 404),
        e.ResourceAlreadyExists("x"): ("ConflictException", 409),
        e.InvalidRequest("x"): ("BadRequestException", 400),
        e.Throttled("x"): ("TooManyRequestsException", 429),
        e.AccessDenied("x"): ("AccessDeniedException", 403),
        e.MissingAuthentication("x"): ("MissingAuthenticationTokenException", 403),
        e.InvalidSignature("x"): ("InvalidSignatureException", 403),
    }
    for exc, (code, status) in expected.items():
        mapped = wire_error("apigateway", exc)
        assert mapped is not None and (mapped.code, mapped.status) == (code, status)
