"""Changing a REST API after it is deployed, with boto3 against the shared server: UpdateRestApi,
UpdateStage (moving a stage to another deployment), GetDeployment, DeleteDeployment, UpdateMethod
and UpdateIntegration."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError

from support.modelport_server import ModelportServer

pytestmark = pytest.mark.e2e


def mock_method(apis: Any, api_id: str, resource_id: str) -> None:
    """GET on the resource, answered 200 by a MOCK integration."""
    apis.put_method(restApiId=api_id, resourceId=resource_id, httpMethod="GET", authorizationType="NONE")
    apis.put_integration(
        restApiId=api_id,
        resourceId=resource_id,
        httpMethod="GET",
        type="MOCK",
        requestTemplates={"application/json": '{"statusCode": 200}'},
    )
    apis.put_method_response(restApiId=api_id, resourceId=resource_id, httpMethod="GET", statusCode="200")
    apis.put_integration_response(
        restApiId=api_id, resourceId=resource_id, httpMethod="GET", statusCode="200"
    )


def test_a_stage_moves_between_deployments_and_the_api_is_renamed(server: ModelportServer) -> None:
    apis = server.client("apigateway")
    api_id = apis.create_rest_api(name="patched-api")["id"]
    root = apis.get_resources(restApiId=api_id)["items"][0]["id"]
    mock_method(apis, api_id, root)
    first = apis.create_deployment(restApiId=api_id, stageName="live")["id"]
    added = apis.create_resource(restApiId=api_id, parentId=root, pathPart="added")["id"]
    mock_method(apis, api_id, added)
    second = apis.create_deployment(restApiId=api_id, description="the second")["id"]
    assert apis.get_deployment(restApiId=api_id, deploymentId=second)["description"] == "the second"

    def status_of_added() -> int:
        return httpx.get(f"{server.url}/restapis/{api_id}/live/_user_request_/added").status_code

    assert status_of_added() == 403  # the stage serves the first deployment, without /added
    assert apis.get_stage(restApiId=api_id, stageName="live")["deploymentId"] == first
    stage = apis.update_stage(
        restApiId=api_id,
        stageName="live",
        patchOperations=[
            {"op": "replace", "path": "/deploymentId", "value": second},
            {"op": "replace", "path": "/variables/model", "value": "iris"},
            {"op": "replace", "path": "/description", "value": "moved"},
        ],
    )
    assert (stage["deploymentId"], stage["variables"], stage["description"]) == (
        second,
        {"model": "iris"},
        "moved",
    )
    assert status_of_added() == 200  # at once, with no new deployment
    removed = apis.update_stage(
        restApiId=api_id, stageName="live", patchOperations=[{"op": "remove", "path": "/variables/model"}]
    )
    assert "variables" not in removed

    with pytest.raises(ClientError) as active:
        apis.delete_deployment(restApiId=api_id, deploymentId=second)
    assert active.value.response["Error"]["Code"] == "BadRequestException"
    assert "Active stages pointing to this deployment" in active.value.response["Error"]["Message"]
    apis.delete_deployment(restApiId=api_id, deploymentId=first)
    with pytest.raises(ClientError) as gone:
        apis.get_deployment(restApiId=api_id, deploymentId=first)
    assert gone.value.response["Error"]["Code"] == "NotFoundException"

    renamed = apis.update_rest_api(
        restApiId=api_id,
        patchOperations=[
            {"op": "replace", "path": "/name", "value": "renamed-api"},
            {"op": "add", "path": "/binaryMediaTypes/image~1png"},
        ],
    )
    assert (renamed["name"], renamed["binaryMediaTypes"]) == ("renamed-api", ["image/png"])
    assert apis.get_rest_api(restApiId=api_id)["name"] == "renamed-api"
    with pytest.raises(ClientError) as bad_path:
        apis.update_rest_api(
            restApiId=api_id, patchOperations=[{"op": "replace", "path": "/policy", "value": "{}"}]
        )
    assert bad_path.value.response["Error"]["Code"] == "BadRequestException"
    assert "Invalid patch path '/policy'" in bad_path.value.response["Error"]["Message"]
    assert apis.get_rest_api(restApiId=api_id)["binaryMediaTypes"] == ["image/png"]  # nothing changed
    with pytest.raises(ClientError) as bad_deployment:
        apis.update_stage(
            restApiId=api_id,
            stageName="live",
            patchOperations=[{"op": "replace", "path": "/deploymentId", "value": "nope"}],
        )
    assert bad_deployment.value.response["Error"]["Code"] == "NotFoundException"
    apis.delete_rest_api(restApiId=api_id)


def test_a_method_and_its_integration_are_patched_and_serve_once_deployed(server: ModelportServer) -> None:
    apis = server.client("apigateway")
    api_id = apis.create_rest_api(name="patched-methods")["id"]
    root = apis.get_resources(restApiId=api_id)["items"][0]["id"]
    mock_method(apis, api_id, root)
    apis.create_deployment(restApiId=api_id, stageName="live")
    url = f"{server.url}/restapis/{api_id}/live/_user_request_/"
    assert httpx.get(url).status_code == 200
    where = {"restApiId": api_id, "resourceId": root, "httpMethod": "GET"}

    method = apis.update_method(
        **where, patchOperations=[{"op": "replace", "path": "/apiKeyRequired", "value": "true"}]
    )
    assert method["apiKeyRequired"] is True
    assert httpx.get(url).status_code == 200  # not live until deployed, as on AWS
    apis.create_deployment(restApiId=api_id, stageName="live")
    assert httpx.get(url).status_code == 403  # now a key is needed

    integration = apis.update_integration(
        **where,
        patchOperations=[
            {"op": "replace", "path": "/timeoutInMillis", "value": "5000"},
            {"op": "add", "path": "/requestTemplates/text~1plain", "value": '{"statusCode": 200}'},
        ],
    )
    assert integration["timeoutInMillis"] == 5000
    assert integration["requestTemplates"] == {
        "application/json": '{"statusCode": 200}',
        "text/plain": '{"statusCode": 200}',
    }
    for patch, message in [
        ({"op": "replace", "path": "/timeoutInMillis", "value": "40000"}, "between 50 ms and 29000 ms"),
        (
            {"op": "replace", "path": "/credentials", "value": "arn:aws:iam::123456789012:role/x"},
            "Invalid patch path",
        ),
        ({"op": "replace", "path": "/apiKeyRequired", "value": "yes"}, "Invalid patch path"),
    ]:
        with pytest.raises(ClientError) as refused:
            apis.update_integration(**where, patchOperations=[patch])
        assert message in refused.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as not_boolean:
        apis.update_method(
            **where, patchOperations=[{"op": "replace", "path": "/apiKeyRequired", "value": "yes"}]
        )
    assert "write true or false" in not_boolean.value.response["Error"]["Message"]
    assert apis.get_integration(**where)["timeoutInMillis"] == 5000  # the refused patches changed nothing
    apis.delete_rest_api(restApiId=api_id)
