"""API Gateway control plane through a real botocore ``apigateway`` client and our rest-json layer.

The handlers are the real ``service.apis`` operations over a SQLite-backed ServiceContext.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from modelport.aws.auth.sqlite_keys import SqliteKeyStore
from modelport.bootstrap import build_function_host, build_router
from modelport.core.clock import FakeClock
from modelport.core.config import Settings
from modelport.services.apigateway.apis import OPERATIONS
from modelport.services.context import ServiceContext
from modelport.store.sqlite import SqliteStore

from .botocore_wire import Wire, make_client

LAMBDA_URI = (
    "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/"
    "arn:aws:lambda:us-east-1:123456789012:function:iris-predict/invocations"
)
# The rest-json layer keys JSON body members by member name, not by ``locationName``: botocore
# sends PutIntegration's integrationHttpMethod as "httpMethod" and reads list outputs' ``items``
# from "item". Fixed in aws/protocol/rest_json.py + outputs.py, not in this service.


class _Engine:
    def wake(self, endpoint_name: str) -> None:
        pass

    def model_deleted(self) -> None:
        pass

    def live_variants(self, endpoint_name: str) -> list[dict[str, object]] | None:
        return None


@pytest.fixture
def client(tmp_path: Path) -> Iterator[tuple[Any, Wire]]:
    store = SqliteStore(tmp_path / "store.sqlite3")
    keys_conn = sqlite3.connect(":memory:")
    settings = Settings(data_dir=tmp_path, account_id="123456789012", auth_enabled=False)
    ctx = ServiceContext(
        store,
        settings,
        FakeClock(),
        _Engine(),
        SqliteKeyStore(keys_conn),
        build_router(settings),
        build_function_host(settings),
    )

    def handler(operation: str, params: dict[str, Any]) -> dict[str, Any]:
        result = OPERATIONS[operation](ctx, params)
        assert isinstance(result, dict)
        return result

    yield make_client("apigateway", handler)
    store.close()
    keys_conn.close()


def _tutorial(apigw: Any) -> tuple[str, str, str]:
    api = apigw.create_rest_api(name="iris-api", description="tutorial")
    root_id = api["rootResourceId"]
    resource = apigw.create_resource(restApiId=api["id"], parentId=root_id, pathPart="irisprediction")
    return api["id"], root_id, resource["id"]


def test_tutorial_round_trip(client: tuple[Any, Wire]) -> None:
    apigw, wire = client
    api_id, root_id, resource_id = _tutorial(apigw)
    assert wire.responses[0].status == 201
    method = {"restApiId": api_id, "resourceId": resource_id, "httpMethod": "POST"}
    put = apigw.put_method(**method, authorizationType="NONE")
    assert (put["httpMethod"], put["authorizationType"], put["apiKeyRequired"]) == ("POST", "NONE", False)
    integration = apigw.put_integration(**method, type="AWS", integrationHttpMethod="POST", uri=LAMBDA_URI)
    assert integration["type"] == "AWS"
    assert integration["uri"] == LAMBDA_URI
    assert integration["httpMethod"] == "POST"
    assert integration["passthroughBehavior"] == "WHEN_NO_MATCH"
    assert integration["timeoutInMillis"] == 29000
    assert apigw.put_method_response(**method, statusCode="200")["statusCode"] == "200"
    response = apigw.put_integration_response(**method, statusCode="200", selectionPattern="")
    assert response["statusCode"] == "200"
    got = apigw.get_method(**method)
    assert got["methodIntegration"]["integrationResponses"]["200"]["statusCode"] == "200"
    assert got["methodResponses"]["200"] == {"statusCode": "200"}
    deployment = apigw.create_deployment(restApiId=api_id, stageName="test")
    assert len(deployment["id"]) == 6 and deployment["createdDate"].year >= 2023
    stages = apigw.get_stages(restApiId=api_id)["item"]
    assert [(s["stageName"], s["deploymentId"]) for s in stages] == [("test", deployment["id"])]
    stage = apigw.create_stage(
        restApiId=api_id, stageName="prod", deploymentId=deployment["id"], variables={"a": "b"}
    )
    assert stage["variables"] == {"a": "b"} and stage["createdDate"] == stage["lastUpdatedDate"]
    apigw.delete_stage(restApiId=api_id, stageName="prod")
    apigw.delete_resource(restApiId=api_id, resourceId=resource_id)
    apigw.delete_rest_api(restApiId=api_id)
    assert [r.status for r in wire.responses[-3:]] == [202, 202, 202]
    assert root_id


def test_get_rest_api_and_keys(client: tuple[Any, Wire]) -> None:
    apigw, _ = client
    api = apigw.create_rest_api(name="iris-api", tags={"team": "ml"})
    got = apigw.get_rest_api(restApiId=api["id"])
    assert got["name"] == "iris-api" and got["tags"] == {"team": "ml"}
    assert got["endpointConfiguration"] == {"types": ["EDGE"]}
    key = apigw.create_api_key(name="partner", enabled=True)
    assert key["enabled"] is True and len(key["value"]) == 40
    apigw.delete_api_key(apiKey=key["id"])


def test_list_outputs_use_item_location_name(client: tuple[Any, Wire]) -> None:
    apigw, _ = client
    api_id, _, _ = _tutorial(apigw)
    assert len(apigw.get_rest_apis()["items"]) == 1
    assert {r["path"] for r in apigw.get_resources(restApiId=api_id)["items"]} == {"/", "/irisprediction"}


def test_integration_http_method_arrives(client: tuple[Any, Wire]) -> None:
    apigw, wire = client
    api_id, _, resource_id = _tutorial(apigw)
    method = {"restApiId": api_id, "resourceId": resource_id, "httpMethod": "POST"}
    apigw.put_method(**method, authorizationType="NONE")
    apigw.put_integration(**method, type="AWS", integrationHttpMethod="POST", uri=LAMBDA_URI)
    assert wire.requests[-1].params["integrationHttpMethod"] == "POST"


@pytest.mark.parametrize(
    ("call", "code", "status", "message"),
    [
        (
            lambda c: c.get_rest_api(restApiId="nosuchapi0"),
            "NotFoundException",
            404,
            "Invalid API identifier specified 123456789012:nosuchapi0",
        ),
        (
            lambda c: c.get_stage(restApiId="{api}", stageName="nope"),
            "NotFoundException",
            404,
            "Invalid Stage identifier specified",
        ),
        (
            lambda c: c.create_stage(restApiId="{api}", stageName="test", deploymentId="{deployment}"),
            "ConflictException",
            409,
            "Stage already exists",
        ),
        (
            lambda c: c.create_resource(restApiId="{api}", parentId="{greedy}", pathPart="more"),
            "BadRequestException",
            400,
            None,
        ),
    ],
)
def test_errors_parse_in_botocore(
    client: tuple[Any, Wire], call: Any, code: str, status: int, message: str | None
) -> None:
    apigw, wire = client
    api_id, root_id, resource_id = _tutorial(apigw)
    greedy = apigw.create_resource(restApiId=api_id, parentId=root_id, pathPart="{proxy+}")
    apigw.put_method(restApiId=api_id, resourceId=resource_id, httpMethod="POST", authorizationType="NONE")
    apigw.put_integration(restApiId=api_id, resourceId=resource_id, httpMethod="POST", type="MOCK")
    deployment = apigw.create_deployment(restApiId=api_id, stageName="test")
    ids = {"{api}": api_id, "{deployment}": deployment["id"], "{greedy}": greedy["id"]}

    class Substituting:
        def __getattr__(self, name: str) -> Any:
            method = getattr(apigw, name)
            return lambda **kw: method(**{k: ids.get(v, v) for k, v in kw.items()})

    with pytest.raises(ClientError) as caught:
        call(Substituting())
    error = caught.value.response["Error"]
    assert error["Code"] == code
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == status
    if message is not None:
        assert error["Message"] == message
    assert wire.responses[-1].headers["x-amzn-ErrorType"] == code
