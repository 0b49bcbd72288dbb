"""API Gateway REST APIs (v1), control plane: APIs, resources, methods and integrations.

Deployments and stages live in ``apis_stages``, API keys in ``apis_keys``; the stored document
in ``apis_documents``. ``OPERATIONS`` gathers every handler by botocore operation name.

What is supported, and why the rest is refused rather than ignored:

- methods with ``authorizationType`` NONE only: an authorizer we did not enforce would leave a
  method open that its author believes closed;
- integrations ``AWS`` (a Lambda function, non-proxy, or a SageMaker endpoint through
  ``runtime.sagemaker``), ``AWS_PROXY`` (a Lambda function) and ``MOCK``; mapping templates are
  stored but not applied (a request whose content type has a template gets 415 at run time);
- an API built with the SDK has no method or integration response until ``PutMethodResponse``
  and ``PutIntegrationResponse`` add them, as on AWS; the console adds the 200 ones itself.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

from modelport.core.errors import InvalidRequest, ResourceNotFound
from modelport.services.apigateway import keys as apis_keys
from modelport.services.apigateway import patches
from modelport.services.apigateway import stages as apis_stages
from modelport.services.apigateway.documents import (
    API_KIND,
    api_arn,
    editable,
    integration_of,
    load_api,
    method_of,
    new_id,
    page,
    resource_of,
    resource_shape,
    rest_api_shape,
    save_api,
    tree_of,
)
from modelport.services.apigateway.mapping import PassthroughBehavior, sagemaker_endpoint_name
from modelport.services.apigateway.routes import ResourceTree
from modelport.services.context import ServiceContext
from modelport.store.base import Resource

Handler = Callable[[ServiceContext, dict[str, Any]], dict[str, Any] | Awaitable[dict[str, Any]]]

_LAMBDA_URI = re.compile(
    r"^arn:aws:apigateway:[a-z0-9-]+:lambda:path/2015-03-31/functions/(?P<function>.+)/invocations$"
)
_AUTHORIZATION_TYPES = ("NONE", "AWS_IAM", "CUSTOM", "COGNITO_USER_POOLS")
_INTEGRATION_TYPES = ("AWS", "AWS_PROXY", "MOCK", "HTTP", "HTTP_PROXY")
_STATUS_CODE = re.compile(r"^[1-5]\d\d$")
_ROLE_ARN = re.compile(r"arn:aws:iam::\d{12}:role/[a-zA-Z_0-9+=,.@\-/]+")


def lambda_function_of(uri: str) -> str | None:
    """The function ARN (or name) in a Lambda integration URI, or None for another URI."""
    found = _LAMBDA_URI.match(uri)
    return found["function"] if found else None


# --- REST APIs ------------------------------------------------------------------------------


def create_rest_api(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    if not params.get("name"):
        raise InvalidRequest("Invalid REST API name specified")
    root_id = new_id()
    body: dict[str, Any] = {
        "name": params["name"],
        "description": params.get("description"),
        "version": params.get("version"),
        "binaryMediaTypes": params.get("binaryMediaTypes"),
        "minimumCompressionSize": params.get("minimumCompressionSize"),
        "apiKeySource": params.get("apiKeySource") or "HEADER",
        "endpointConfiguration": params.get("endpointConfiguration") or {"types": ["EDGE"]},
        "policy": params.get("policy"),
        "disableExecuteApiEndpoint": bool(params.get("disableExecuteApiEndpoint", False)),
        "rootResourceId": root_id,
        "resources": {root_id: {"id": root_id, "path": "/", "resourceMethods": {}}},
        "deployments": {},
        "stages": {},
    }
    now = ctx.clock.now()
    while True:  # 36**10 ids: a collision is all but impossible, but cheap to rule out
        api_id = new_id()
        record = Resource(API_KIND, api_id, api_arn(ctx, api_id), now, now, body)
        if ctx.store.insert(record):
            break
    if params.get("tags"):
        ctx.store.put_tags(record.arn, dict(params["tags"]))
    return rest_api_shape(ctx, record)


def get_rest_apis(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    items = [rest_api_shape(ctx, r) for r in ctx.store.list(API_KIND)]
    return page(items, params, key=lambda item: f"{item['createdDate']:020.3f}{item['id']}")


def get_rest_api(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    return rest_api_shape(ctx, load_api(ctx, params["restApiId"]))


def update_rest_api(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    """Patch paths: ``/name``, ``/description``, ``/apiKeySource`` (HEADER or AUTHORIZER),
    ``/binaryMediaTypes/<type>`` (add or remove; ``/`` in the type written ``~1``)."""
    record = load_api(ctx, params["restApiId"])
    body = editable(record)

    def name(value: str) -> str:
        if not value:
            raise InvalidRequest("Invalid REST API name specified")
        return value

    def key_source(value: str) -> str:
        if value not in ("HEADER", "AUTHORIZER"):
            raise InvalidRequest(f"Invalid API Key Source: {value}. Must be one of: [HEADER, AUTHORIZER]")
        return value

    paths = patches.PatchPaths(
        scalars={"name": name, "description": lambda value: value or None, "apiKeySource": key_source},
        keyed={"binaryMediaTypes": "list"},
    )
    changed = patches.apply(body, params.get("patchOperations") or [], paths)
    save_api(ctx, record, changed)
    return rest_api_shape(ctx, record.evolve(body=changed))


def delete_rest_api(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    record = load_api(ctx, params["restApiId"])
    ctx.store.delete(API_KIND, record.name)
    ctx.store.delete_tags(record.arn)
    return {}


# --- resources ------------------------------------------------------------------------------


def get_resources(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    body = load_api(ctx, params["restApiId"]).body
    embed = "methods" in (params.get("embed") or [])
    items = [resource_shape(r, embed_methods=embed) for r in body["resources"].values()]
    return page(items, params, key=lambda item: item["path"])


def get_resource(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    body = load_api(ctx, params["restApiId"]).body
    return resource_shape(resource_of(body, params["resourceId"]))


def create_resource(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    record = load_api(ctx, params["restApiId"])
    body = editable(record)
    resource_id = new_id()
    tree: ResourceTree = tree_of(body["resources"]).add_resource(
        resource_id, params["parentId"], params["pathPart"]
    )
    added = tree.get(resource_id)
    resource: dict[str, Any] = {
        "id": added.id,
        "parentId": added.parent_id,
        "pathPart": added.path_part,
        "path": added.path,
        "resourceMethods": {},
    }
    body["resources"][resource_id] = resource
    save_api(ctx, record, body)
    return resource_shape(resource)


def delete_resource(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    record = load_api(ctx, params["restApiId"])
    body = editable(record)
    remaining = tree_of(body["resources"]).delete_resource(params["resourceId"])
    kept = {r.id for r in remaining.resources()}
    body["resources"] = {rid: r for rid, r in body["resources"].items() if rid in kept}
    save_api(ctx, record, body)
    return {}


# --- methods and their responses ------------------------------------------------------------


def put_method(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    record = load_api(ctx, params["restApiId"])
    body = editable(record)
    resource_id, verb = params["resourceId"], params["httpMethod"]
    authorization = params.get("authorizationType") or ""
    if authorization not in _AUTHORIZATION_TYPES:
        raise InvalidRequest(
            f"Invalid authorization type specified. Valid options: {','.join(_AUTHORIZATION_TYPES)}"
        )
    if authorization != "NONE":
        raise InvalidRequest(
            f"modelport supports authorizationType NONE only (with apiKeyRequired for API keys), not {authorization}"
        )
    tree_of(body["resources"]).put_method(resource_id, verb)  # validates the verb and duplicates
    method: dict[str, Any] = {
        "httpMethod": verb,
        "authorizationType": authorization,
        "apiKeyRequired": bool(params.get("apiKeyRequired", False)),
    }
    for optional in ("operationName", "requestParameters", "requestModels"):
        if params.get(optional) is not None:
            method[optional] = params[optional]
    resource_of(body, resource_id)["resourceMethods"][verb] = method
    save_api(ctx, record, body)
    return dict(method)


def update_method(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    """Patch paths: ``/apiKeyRequired`` (``true`` or ``false``), ``/operationName``,
    ``/authorizationType`` (``NONE`` only, as for PutMethod)."""
    record = load_api(ctx, params["restApiId"])
    body = editable(record)
    method = method_of(body, params["resourceId"], params["httpMethod"])

    def authorization(value: str) -> str:
        if value != "NONE":
            raise InvalidRequest(f"modelport supports authorizationType NONE only, not {value}")
        return value

    paths = patches.PatchPaths(
        scalars={
            "apiKeyRequired": _boolean("apiKeyRequired"),
            "operationName": lambda value: value or None,
            "authorizationType": authorization,
        },
        keyed={},
    )
    changed = patches.apply(method, params.get("patchOperations") or [], paths)
    resource_of(body, params["resourceId"])["resourceMethods"][params["httpMethod"]] = changed
    save_api(ctx, record, body)
    return {k: v for k, v in changed.items() if v is not None}


def _boolean(member: str) -> Callable[[str], bool]:
    def parse(value: str) -> bool:
        if value not in ("true", "false"):
            raise InvalidRequest(f"Invalid value for {member}: {value!r}; write true or false")
        return value == "true"

    return parse


def get_method(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    body = load_api(ctx, params["restApiId"]).body
    return dict(method_of(body, params["resourceId"], params["httpMethod"]))


def delete_method(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    record = load_api(ctx, params["restApiId"])
    body = editable(record)
    method_of(body, params["resourceId"], params["httpMethod"])
    del resource_of(body, params["resourceId"])["resourceMethods"][params["httpMethod"]]
    save_api(ctx, record, body)
    return {}


def _status_code(value: str) -> str:
    if not _STATUS_CODE.match(value or ""):
        raise InvalidRequest("Invalid Response status code specified")
    return value


def put_method_response(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    record = load_api(ctx, params["restApiId"])
    body = editable(record)
    method = method_of(body, params["resourceId"], params["httpMethod"])
    code = _status_code(params["statusCode"])
    response: dict[str, Any] = {"statusCode": code}
    for optional in ("responseParameters", "responseModels"):
        if params.get(optional) is not None:
            response[optional] = params[optional]
    method.setdefault("methodResponses", {})[code] = response
    save_api(ctx, record, body)
    return dict(response)


# --- integrations ---------------------------------------------------------------------------


def update_integration(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    """Patch paths: ``/uri`` (checked as PutIntegration checks it), ``/httpMethod`` (the
    integration's own), ``/timeoutInMillis``, ``/passthroughBehavior``,
    ``/requestTemplates/<content type>``. ``/credentials`` is not among them: give a role with
    PutIntegration, where ``iam:PassRole`` is checked."""
    record = load_api(ctx, params["restApiId"])
    body = editable(record)
    method = method_of(body, params["resourceId"], params["httpMethod"])
    integration = method.get("methodIntegration")
    if integration is None:
        raise ResourceNotFound("Invalid Integration identifier specified")
    kind = integration["type"]

    def uri(value: str) -> str:
        _check_integration_uri(kind, value)
        return value

    def verb(value: str) -> str:
        if not value:
            raise InvalidRequest("Enumeration value for HttpMethod must be non-empty")
        return value

    def timeout(value: str) -> int:
        if not value.isdigit() or not 50 <= int(value) <= 29000:
            raise InvalidRequest("Timeout should be between 50 ms and 29000 ms")
        return int(value)

    def passthrough(value: str) -> str:
        if value not in PassthroughBehavior.__members__:
            raise InvalidRequest(f"Invalid passthrough behavior specified: {value}")
        return value

    paths = patches.PatchPaths(
        scalars={
            "uri": uri,
            "httpMethod": verb,
            "timeoutInMillis": timeout,
            "passthroughBehavior": passthrough,
        },
        keyed={"requestTemplates": "map"},
    )
    changed = patches.apply(integration, params.get("patchOperations") or [], paths)
    method["methodIntegration"] = changed
    save_api(ctx, record, body)
    return {k: v for k, v in changed.items() if v is not None}


def _check_integration_uri(kind: str, uri: str | None) -> None:
    if kind == "MOCK":
        return
    if kind in ("HTTP", "HTTP_PROXY"):
        raise InvalidRequest(
            f"modelport does not support integrations of type {kind} yet; use AWS or AWS_PROXY"
        )
    if not uri:
        raise InvalidRequest(f"Integrations of type '{kind}' must specify a uri")
    if not uri.startswith("arn:"):
        raise InvalidRequest(f"Invalid ARN specified in the request: uri '{uri}' is not an ARN")
    if lambda_function_of(uri) is not None:
        return
    if kind == "AWS_PROXY":
        raise InvalidRequest(
            "Integrations of type 'AWS_PROXY' currently only supports Lambda function and Firehose stream invocations."
        )
    # Stage variables may stand for the endpoint name; they are resolved per request.
    if sagemaker_endpoint_name(re.sub(r"\$\{stageVariables\.[a-zA-Z0-9_]+\}", "x", uri)) is None:
        raise InvalidRequest(
            "modelport serves AWS integrations with a Lambda function "
            "(arn:aws:apigateway:<region>:lambda:path/2015-03-31/functions/<function-arn>/invocations) or a "
            "SageMaker endpoint (arn:aws:apigateway:<region>:runtime.sagemaker:path//endpoints/<name>/invocations)"
        )


def _checked_credentials(credentials: str) -> str:
    # A role the gateway acts as (the caller needed iam:PassRole on it; see authorization).
    # AWS's "arn:aws:iam::*:user/*" (the caller's own credentials) needs AWS_IAM methods, which
    # modelport does not have.
    if not _ROLE_ARN.fullmatch(credentials):
        raise InvalidRequest(
            f"Invalid ARN specified in the request: {credentials}; credentials must be a role ARN"
        )
    return credentials


def put_integration(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    record = load_api(ctx, params["restApiId"])
    body = editable(record)
    resource_id = params["resourceId"]
    method = method_of(body, resource_id, params["httpMethod"])
    kind = params.get("type") or ""
    if kind not in _INTEGRATION_TYPES:
        raise InvalidRequest(
            f"Invalid integration type specified. Valid options: {','.join(_INTEGRATION_TYPES)}"
        )
    if kind != "MOCK" and not params.get("integrationHttpMethod"):
        # API Gateway's own check: every integration but MOCK calls its backend with a method.
        raise InvalidRequest("Enumeration value for HttpMethod must be non-empty")
    uri = params.get("uri")
    _check_integration_uri(kind, uri)
    passthrough = params.get("passthroughBehavior") or PassthroughBehavior.WHEN_NO_MATCH.value
    if passthrough not in PassthroughBehavior.__members__:
        raise InvalidRequest(f"Invalid passthrough behavior specified: {passthrough}")
    timeout = params.get("timeoutInMillis") or 29000
    if not 50 <= timeout <= 29000:
        raise InvalidRequest("Timeout should be between 50 ms and 29000 ms")
    integration: dict[str, Any] = {"type": kind}
    if kind != "MOCK":
        # botocore sends the integration's method as ``integrationHttpMethod``.
        integration["httpMethod"] = params["integrationHttpMethod"]
        integration["uri"] = uri
    integration.update(
        {
            "passthroughBehavior": passthrough,
            "timeoutInMillis": timeout,
            "cacheNamespace": params.get("cacheNamespace") or resource_id,
            "cacheKeyParameters": params.get("cacheKeyParameters") or [],
        }
    )
    for optional in ("requestParameters", "requestTemplates", "contentHandling"):
        if params.get(optional) is not None:
            integration[optional] = params[optional]
    if params.get("credentials"):
        integration["credentials"] = _checked_credentials(params["credentials"])
    method["methodIntegration"] = integration
    save_api(ctx, record, body)
    return dict(integration)


def get_integration(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    body = load_api(ctx, params["restApiId"]).body
    return dict(integration_of(method_of(body, params["resourceId"], params["httpMethod"])))


def put_integration_response(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    record = load_api(ctx, params["restApiId"])
    body = editable(record)
    method = method_of(body, params["resourceId"], params["httpMethod"])
    integration = integration_of(method)
    code = _status_code(params["statusCode"])
    if code not in (method.get("methodResponses") or {}):
        raise ResourceNotFound("Invalid Response status code specified")
    response: dict[str, Any] = {"statusCode": code}
    for optional in ("selectionPattern", "responseParameters", "responseTemplates", "contentHandling"):
        if params.get(optional) is not None:
            response[optional] = params[optional]
    integration.setdefault("integrationResponses", {})[code] = response
    save_api(ctx, record, body)
    return dict(response)


OPERATIONS: dict[str, Handler] = {
    "CreateRestApi": create_rest_api,
    "GetRestApis": get_rest_apis,
    "GetRestApi": get_rest_api,
    "UpdateRestApi": update_rest_api,
    "DeleteRestApi": delete_rest_api,
    "GetResources": get_resources,
    "GetResource": get_resource,
    "CreateResource": create_resource,
    "DeleteResource": delete_resource,
    "PutMethod": put_method,
    "GetMethod": get_method,
    "UpdateMethod": update_method,
    "DeleteMethod": delete_method,
    "PutMethodResponse": put_method_response,
    "PutIntegration": put_integration,
    "GetIntegration": get_integration,
    "UpdateIntegration": update_integration,
    "PutIntegrationResponse": put_integration_response,
    **apis_stages.OPERATIONS,
    **apis_keys.OPERATIONS,
}
