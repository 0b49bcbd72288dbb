"""Bad API Gateway control-plane requests: each case is one call and the error it must get.

Used by ``test_bad_apigateway.py``. Ids are made when the module's APIs are built, so a case
names them with tokens (``<api>``, ``<items>`` …) that the test replaces. Codes and statuses are
API Gateway's: ``NotFoundException`` 404, ``ConflictException`` 409, ``BadRequestException`` 400.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from e2e.services import Expected

API, ROOT, ITEMS, PROXY = "<api>", "<root>", "<items>", "<proxy>"
EMPTY_API, HALF_API, HALF_ITEMS, DEPLOYMENT = "<empty-api>", "<half-api>", "<half-items>", "<deployment>"
LAMBDA_URI = (
    "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/"
    "arn:aws:lambda:us-east-1:123456789012:function:e2e-good-fn/invocations"
)


@dataclass(frozen=True)
class Case:
    id: str
    operation: str  # the boto3 method
    params: dict[str, Any]
    expected: Expected


def not_found(*words: str) -> Expected:
    return Expected("NotFoundException", 404, words)


def bad(*words: str) -> Expected:
    return Expected("BadRequestException", 400, words)


def conflict(*words: str) -> Expected:
    return Expected("ConflictException", 409, words)


ITEMS_POST = {"restApiId": API, "resourceId": ITEMS, "httpMethod": "POST"}


def integration(**changes: Any) -> dict[str, Any]:
    return {**ITEMS_POST, "type": "AWS", "integrationHttpMethod": "POST", "uri": LAMBDA_URI, **changes}


CASES = [
    # unknown ids
    Case(
        "get-api-unknown",
        "get_rest_api",
        {"restApiId": "e2enoapi"},
        not_found("Invalid API identifier", "e2enoapi"),
    ),
    Case("delete-api-unknown", "delete_rest_api", {"restApiId": "e2enoapi"}, not_found("API identifier")),
    Case("resources-api-unknown", "get_resources", {"restApiId": "e2enoapi"}, not_found("API identifier")),
    Case(
        "resource-unknown",
        "get_resource",
        {"restApiId": API, "resourceId": "e2enores"},
        not_found("Resource identifier"),
    ),
    Case(
        "delete-resource-unknown",
        "delete_resource",
        {"restApiId": API, "resourceId": "e2enores"},
        not_found("Resource"),
    ),
    Case("method-unknown", "get_method", {**ITEMS_POST, "httpMethod": "GET"}, not_found("Method identifier")),
    Case(
        "integration-missing",
        "get_integration",
        {"restApiId": HALF_API, "resourceId": HALF_ITEMS, "httpMethod": "POST"},
        not_found("Integration identifier"),
    ),
    Case(
        "stage-unknown",
        "get_stage",
        {"restApiId": API, "stageName": "nostage"},
        not_found("Stage identifier"),
    ),
    Case(
        "delete-stage-unknown", "delete_stage", {"restApiId": API, "stageName": "nostage"}, not_found("Stage")
    ),
    Case(
        "deployments-api-unknown", "get_deployments", {"restApiId": "e2enoapi"}, not_found("API identifier")
    ),
    Case("api-key-unknown", "get_api_key", {"apiKey": "e2enokey"}, not_found("API Key identifier")),
    # resources
    Case(
        "resource-parent-unknown",
        "create_resource",
        {"restApiId": API, "parentId": "e2enores", "pathPart": "x"},
        not_found("Resource identifier"),
    ),
    Case(
        "path-part-space",
        "create_resource",
        {"restApiId": API, "parentId": ROOT, "pathPart": "a b"},
        bad("path part"),
    ),
    Case(
        "path-part-slash",
        "create_resource",
        {"restApiId": API, "parentId": ROOT, "pathPart": "a/b"},
        bad("path part"),
    ),
    Case(
        "path-part-open-brace",
        "create_resource",
        {"restApiId": API, "parentId": ROOT, "pathPart": "{id"},
        bad("path part"),
    ),
    Case(
        "path-part-plus-inside",
        "create_resource",
        {"restApiId": API, "parentId": ROOT, "pathPart": "{a+b}"},
        bad("path part"),
    ),
    Case(
        "path-duplicate",
        "create_resource",
        {"restApiId": API, "parentId": ROOT, "pathPart": "items"},
        conflict("items"),
    ),
    Case(
        "greedy-not-last",
        "create_resource",
        {"restApiId": API, "parentId": PROXY, "pathPart": "more"},
        bad("{proxy+}"),
    ),
    Case(
        "second-variable-sibling",
        "create_resource",
        {"restApiId": API, "parentId": ROOT, "pathPart": "{id}"},
        bad("{proxy+}", "only one"),
    ),
    Case("delete-root", "delete_resource", {"restApiId": API, "resourceId": ROOT}, bad("root")),
    # methods
    Case(
        "method-resource-unknown",
        "put_method",
        {"restApiId": API, "resourceId": "e2enores", "httpMethod": "GET", "authorizationType": "NONE"},
        not_found("Resource identifier"),
    ),
    Case(
        "method-verb",
        "put_method",
        {**ITEMS_POST, "httpMethod": "FETCH", "authorizationType": "NONE"},
        bad("HttpMethod"),
    ),
    Case(
        "method-authorization-unknown",
        "put_method",
        {**ITEMS_POST, "httpMethod": "GET", "authorizationType": "MAGIC"},
        bad("authorization type"),
    ),
    Case(
        "method-duplicate",
        "put_method",
        {**ITEMS_POST, "authorizationType": "NONE"},
        conflict("already exists"),
    ),
    Case(
        "method-response-status",
        "put_method_response",
        {**ITEMS_POST, "statusCode": "600"},
        bad("600", "statusCode"),
    ),
    Case(
        "integration-response-without-method-response",
        "put_integration_response",
        {**ITEMS_POST, "statusCode": "500"},
        not_found("Response status code"),
    ),
    # integrations
    Case("integration-type-unknown", "put_integration", integration(type="LAMBDA"), bad("LAMBDA", "type")),
    Case(
        "integration-uri-not-an-arn",
        "put_integration",
        integration(uri="not-an-arn"),
        bad("ARN", "not-an-arn"),
    ),
    Case("integration-uri-missing", "put_integration", integration(uri=None), bad("uri")),
    Case(
        "integration-http-method-missing",
        "put_integration",
        integration(integrationHttpMethod=None),
        bad("HttpMethod must be non-empty"),
    ),
    Case(
        "proxy-integration-http-method-missing",
        "put_integration",
        integration(type="AWS_PROXY", integrationHttpMethod=None),
        bad("HttpMethod must be non-empty"),
    ),
    Case("integration-timeout", "put_integration", integration(timeoutInMillis=10), bad("50", "29000")),
    Case(
        "integration-passthrough",
        "put_integration",
        integration(passthroughBehavior="SOMETIMES"),
        bad("SOMETIMES"),
    ),
    Case(
        "integration-method-unknown",
        "put_integration",
        integration(httpMethod="DELETE"),
        not_found("Method identifier"),
    ),
    # deployments and stages
    Case(
        "deploy-without-methods",
        "create_deployment",
        {"restApiId": EMPTY_API, "stageName": "test"},
        bad("doesn't contain any methods"),
    ),
    Case(
        "deploy-without-integration",
        "create_deployment",
        {"restApiId": HALF_API, "stageName": "test"},
        bad("No integration defined for method"),
    ),
    Case(
        "deploy-stage-name",
        "create_deployment",
        {"restApiId": API, "stageName": "bad name"},
        bad("Stage name"),
    ),
    Case(
        "deploy-variable-name",
        "create_deployment",
        {"restApiId": API, "stageName": "vars", "variables": {"bad-name": "x"}},
        bad("bad-name"),
    ),
    Case(
        "deploy-api-unknown",
        "create_deployment",
        {"restApiId": "e2enoapi", "stageName": "x"},
        not_found("API"),
    ),
    Case(
        "stage-deployment-unknown",
        "create_stage",
        {"restApiId": API, "stageName": "other", "deploymentId": "e2enodep"},
        not_found("Deployment identifier"),
    ),
    Case(
        "stage-duplicate",
        "create_stage",
        {"restApiId": API, "stageName": "test", "deploymentId": DEPLOYMENT},
        conflict("Stage already exists"),
    ),
    # APIs, paging and keys
    Case("api-name-empty", "create_rest_api", {"name": ""}, bad("name")),
    Case("list-limit-0", "get_rest_apis", {"limit": 0}, bad("limit")),
    Case("list-limit-501", "get_rest_apis", {"limit": 501}, bad("limit", "500")),
    Case("api-key-too-short", "create_api_key", {"name": "e2e-key", "value": "short"}, bad("20 characters")),
]
assert len({c.id for c in CASES}) == len(CASES)
