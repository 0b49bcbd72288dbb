"""How a REST API is stored: one ``apigw_rest_api`` document per API, and its output shapes.

The document holds everything the API owns, so one read gives the gateway a consistent view
and one write changes it atomically:

    {"name", "description", "rootResourceId", ...RestApi members,
     "resources":   {resource_id: {"id", "parentId", "pathPart", "path",
                                   "resourceMethods": {VERB: Method}}},
     "deployments": {deployment_id: {"id", "description", "createdDate",
                                     "resources": <copy of "resources" at that moment>}},
     "stages":      {stage_name: Stage}}

A Method holds ``methodResponses`` and ``methodIntegration`` (with its ``integrationResponses``)
as botocore's apigateway model nests them. Handlers read-modify-write the document; they run on
the event loop one at a time, so no two updates interleave.

Not-found messages are API Gateway's (``NotFoundException``): ``Invalid API identifier
specified <account>:<id>``, ``Invalid Resource identifier specified`` and so on.
"""

from __future__ import annotations

import copy
import secrets
import string
from collections.abc import Callable, Mapping
from typing import Any

from modelport.core.arns import apigateway_arn
from modelport.core.errors import InvalidRequest, ResourceNotFound
from modelport.services.apigateway.routes import Resource as TreeResource
from modelport.services.apigateway.routes import ResourceTree
from modelport.services.context import ServiceContext
from modelport.services.paging import cut
from modelport.store.base import Resource

API_KIND = "apigw_rest_api"
KEY_KIND = "apigw_api_key"

_ID_ALPHABET = string.ascii_lowercase + string.digits


def new_id(length: int = 10) -> str:
    """API Gateway's ids: lowercase letters and digits (10 for APIs, resources and keys)."""
    return "".join(secrets.choice(_ID_ALPHABET) for _ in range(length))


def api_arn(ctx: ServiceContext, api_id: str) -> str:
    return apigateway_arn(ctx.settings.region, f"/restapis/{api_id}")


def load_api(ctx: ServiceContext, api_id: str) -> Resource:
    found = ctx.store.get(API_KIND, api_id)
    if found is None:
        raise ResourceNotFound(f"Invalid API identifier specified {ctx.settings.account_id}:{api_id}")
    return found


def save_api(ctx: ServiceContext, record: Resource, body: dict[str, Any]) -> None:
    ctx.store.update(record.evolve(body=body, last_modified_time=ctx.clock.now()))


def editable(record: Resource) -> dict[str, Any]:
    """A deep copy of the document, to change and save (stored bodies are never mutated)."""
    return copy.deepcopy(record.body)


def resource_of(body: Mapping[str, Any], resource_id: str) -> dict[str, Any]:
    found: dict[str, Any] | None = body["resources"].get(resource_id)
    if found is None:
        raise ResourceNotFound("Invalid Resource identifier specified")
    return found


def method_of(body: Mapping[str, Any], resource_id: str, http_method: str) -> dict[str, Any]:
    found: dict[str, Any] | None = resource_of(body, resource_id)["resourceMethods"].get(http_method)
    if found is None:
        raise ResourceNotFound("Invalid Method identifier specified")
    return found


def integration_of(method: Mapping[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] | None = method.get("methodIntegration")
    if found is None:
        raise ResourceNotFound("Invalid Integration identifier specified")
    return found


def tree_of(resources: Mapping[str, Mapping[str, Any]]) -> ResourceTree:
    """The routing tree of a document's (or a deployment's) resources."""
    return ResourceTree.from_resources(
        TreeResource(
            id=r["id"],
            parent_id=r.get("parentId"),
            path_part=r.get("pathPart", ""),
            path=r["path"],
            methods=frozenset(r.get("resourceMethods", {})),
        )
        for r in resources.values()
    )


# --- output shapes -------------------------------------------------------------------------

_REST_API_MEMBERS = (
    "name",
    "description",
    "version",
    "binaryMediaTypes",
    "minimumCompressionSize",
    "apiKeySource",
    "endpointConfiguration",
    "policy",
    "disableExecuteApiEndpoint",
    "rootResourceId",
)


def rest_api_shape(ctx: ServiceContext, record: Resource) -> dict[str, Any]:
    body = record.body
    shape: dict[str, Any] = {"id": record.name, "createdDate": record.creation_time}
    shape.update({k: body[k] for k in _REST_API_MEMBERS if body.get(k) is not None})
    tags = ctx.store.get_tags(record.arn)
    if tags:
        shape["tags"] = tags
    return shape


def resource_shape(resource: Mapping[str, Any], *, embed_methods: bool = True) -> dict[str, Any]:
    """A Resource; without ``embed_methods`` each method is ``{}`` as GetResources sends it."""
    shape = {k: resource[k] for k in ("id", "parentId", "pathPart", "path") if k in resource}
    methods = resource.get("resourceMethods") or {}
    if methods:
        shape["resourceMethods"] = {
            verb: (method_shape(m) if embed_methods else {}) for verb, m in methods.items()
        }
    return shape


def method_shape(method: Mapping[str, Any]) -> dict[str, Any]:
    return copy.deepcopy(dict(method))


def page(
    items: list[dict[str, Any]], params: Mapping[str, Any], *, key: Callable[[dict[str, Any]], str]
) -> dict[str, Any]:
    """API Gateway paging: ``limit`` (default 25, at most 500) and an opaque ``position``.

    The position points at the key of the first item of the next page (``paging.cut``).
    """
    limit = params.get("limit")
    if limit is None:
        limit = 25
    if not 1 <= limit <= 500:
        raise InvalidRequest("Invalid limit: it must be between 1 and 500")
    chunk, position = cut(
        sorted(items, key=key),
        params.get("position"),
        limit=limit,
        key=key,
        invalid="Invalid position: pass the position of a previous answer, or none for the first page.",
    )
    return {"items": chunk, **({"position": position} if position else {})}
