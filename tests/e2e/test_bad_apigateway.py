"""Bad API Gateway control-plane requests against the real server, over HTTP, with boto3.

Three REST APIs are built once: the tutorial's shape (``/items`` POST → the good function,
deployed to stage ``test``, beside a ``/{proxy+}``), one with no methods and one whose method
has no integration. Every case must get API Gateway's code, status and a message naming the
problem, and must change nothing: each API's resources, methods, deployments and stages, the
list of APIs and the API keys are compared before and after, and the server stays healthy.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from e2e.apigateway_cases import (
    API,
    CASES,
    DEPLOYMENT,
    EMPTY_API,
    HALF_API,
    HALF_ITEMS,
    ITEMS,
    LAMBDA_URI,
    PROXY,
    ROOT,
    Case,
)
from e2e.services import check_refused
from e2e.wire import Keys, send
from support.modelport_server import ModelportServer, client

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def apigw(server: ModelportServer) -> Any:
    return client(server, "apigateway", validate=False)


@pytest.fixture(scope="module")
def ids(apigw: Any) -> Iterator[dict[str, str]]:
    api = apigw.create_rest_api(name="e2e-bad-input")["id"]
    root = apigw.get_resources(restApiId=api)["items"][0]["id"]
    items = apigw.create_resource(restApiId=api, parentId=root, pathPart="items")["id"]
    proxy = apigw.create_resource(restApiId=api, parentId=root, pathPart="{proxy+}")["id"]
    method = {"restApiId": api, "resourceId": items, "httpMethod": "POST"}
    apigw.put_method(**method, authorizationType="NONE")
    apigw.put_integration(**method, type="AWS", integrationHttpMethod="POST", uri=LAMBDA_URI)
    apigw.put_method_response(**method, statusCode="200")
    apigw.put_integration_response(**method, statusCode="200")
    deployment = apigw.create_deployment(restApiId=api, stageName="test")["id"]

    empty = apigw.create_rest_api(name="e2e-bad-input-empty")["id"]
    half = apigw.create_rest_api(name="e2e-bad-input-half")["id"]
    half_root = apigw.get_resources(restApiId=half)["items"][0]["id"]
    half_items = apigw.create_resource(restApiId=half, parentId=half_root, pathPart="items")["id"]
    apigw.put_method(restApiId=half, resourceId=half_items, httpMethod="POST", authorizationType="NONE")
    yield {
        API: api,
        ROOT: root,
        ITEMS: items,
        PROXY: proxy,
        DEPLOYMENT: deployment,
        EMPTY_API: empty,
        HALF_API: half,
        HALF_ITEMS: half_items,
    }
    for rest_api in (api, empty, half):
        apigw.delete_rest_api(restApiId=rest_api)


def snapshot(apigw: Any, ids: dict[str, str]) -> dict[str, Any]:
    """Everything a refused call could have half-changed."""
    state: dict[str, Any] = {
        "apis": sorted(a["id"] for a in apigw.get_rest_apis(limit=500)["items"]),
        "keys": sorted(k["id"] for k in apigw.get_api_keys(limit=500)["items"]),
    }
    for token in (API, EMPTY_API, HALF_API):
        api = ids[token]
        resources = apigw.get_resources(restApiId=api, embed=["methods"], limit=500)["items"]
        state[token] = {
            "resources": sorted(resources, key=lambda r: r["path"]),
            "deployments": [d["id"] for d in apigw.get_deployments(restApiId=api)["items"]],
            "stages": [s["stageName"] for s in apigw.get_stages(restApiId=api)["item"]],
        }
    return state


def resolve(params: dict[str, Any], ids: dict[str, str]) -> dict[str, Any]:
    """The case's parameters with ids in place of tokens; ``None`` leaves a member out."""
    return {k: ids.get(v, v) if isinstance(v, str) else v for k, v in params.items() if v is not None}


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_apigateway_request(
    case: Case, apigw: Any, ids: dict[str, str], healthy: Callable[[], None]
) -> None:
    before = snapshot(apigw, ids)
    with pytest.raises(ClientError) as caught:
        getattr(apigw, case.operation)(**resolve(case.params, ids))
    check_refused(caught, case.expected)
    assert snapshot(apigw, ids) == before
    healthy()


def test_apigateway_errors_have_api_gateways_wire_shape(server: ModelportServer, keys: Keys) -> None:
    """As API Gateway sends them: the code in ``x-amzn-ErrorType``, ``message`` in the body."""
    response = send(server.url, keys, path="/restapis/e2enoapi/deployments", body=b"{}", service="apigateway")
    assert response.status_code == 404
    assert response.headers["x-amzn-ErrorType"] == "NotFoundException"
    assert response.headers["x-amzn-RequestId"]
    assert json.loads(response.content)["message"].startswith("Invalid API identifier specified")


def test_limit_in_the_query_string_pages_the_list(apigw: Any, ids: dict[str, str]) -> None:
    """``limit`` travels in the query string; a valid one is honoured, not refused."""
    page = apigw.get_resources(restApiId=ids[API], limit=1)
    assert len(page["items"]) == 1 and page["position"]
