"""API keys: CreateApiKey, GetApiKey, GetApiKeys, DeleteApiKey, and which keys a stage accepts.

A method with ``apiKeyRequired`` accepts a request whose ``x-api-key`` is an enabled key. AWS
also needs a usage plan binding the key to the API stage; modelport has no usage plans yet, so
a key is valid for every stage unless its ``stageKeys`` name some, in which case only those
(``<restApiId>/<stageName>``) accept it.
"""

from __future__ import annotations

import secrets
import string
from collections.abc import Awaitable, Callable
from typing import Any

from modelport.core.arns import apigateway_arn
from modelport.core.errors import InvalidRequest, ResourceNotFound
from modelport.services.apigateway.documents import KEY_KIND, new_id, page
from modelport.services.context import ServiceContext
from modelport.store.base import Resource

Handler = Callable[[ServiceContext, dict[str, Any]], dict[str, Any] | Awaitable[dict[str, Any]]]

_VALUE_ALPHABET = string.ascii_letters + string.digits


def _key_arn(ctx: ServiceContext, key_id: str) -> str:
    return apigateway_arn(ctx.settings.region, f"/apikeys/{key_id}")


def _find(ctx: ServiceContext, key_id: str) -> Resource:
    found = ctx.store.get(KEY_KIND, key_id)
    if found is None:
        raise ResourceNotFound("Invalid API Key identifier specified")
    return found


def _shape(ctx: ServiceContext, record: Resource, *, include_value: bool) -> dict[str, Any]:
    body = record.body
    shape: dict[str, Any] = {
        "id": record.name,
        "name": body.get("name"),
        "description": body.get("description"),
        "customerId": body.get("customerId"),
        "enabled": body["enabled"],
        "createdDate": record.creation_time,
        "lastUpdatedDate": record.last_modified_time,
        "stageKeys": body.get("stageKeys") or [],
    }
    if include_value:
        shape["value"] = body["value"]
    tags = ctx.store.get_tags(record.arn)
    if tags:
        shape["tags"] = tags
    return {k: v for k, v in shape.items() if v is not None}


def create_api_key(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    value = params.get("value") or "".join(secrets.choice(_VALUE_ALPHABET) for _ in range(40))
    if len(value) < 20:
        raise InvalidRequest("API Key value should be at least 20 characters")
    if any(k.get("value") == value for k in (r.body for r in ctx.store.list(KEY_KIND))):
        raise InvalidRequest("API Key value already exists")
    stage_keys = [f"{k['restApiId']}/{k['stageName']}" for k in params.get("stageKeys") or []]
    body = {
        "name": params.get("name"),
        "description": params.get("description"),
        "customerId": params.get("customerId"),
        "enabled": bool(params.get("enabled", False)),
        "value": value,
        "stageKeys": stage_keys,
    }
    now = ctx.clock.now()
    while True:
        key_id = new_id()
        record = Resource(KEY_KIND, key_id, _key_arn(ctx, key_id), now, now, body)
        if ctx.store.insert(record):
            break
    if params.get("tags"):
        ctx.store.put_tags(record.arn, dict(params["tags"]))
    return _shape(ctx, record, include_value=True)


def get_api_key(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    return _shape(ctx, _find(ctx, params["apiKey"]), include_value=bool(params.get("includeValue")))


def get_api_keys(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    include = bool(params.get("includeValues"))
    name_query = params.get("nameQuery")
    customer = params.get("customerId")
    items = [
        _shape(ctx, r, include_value=include)
        for r in ctx.store.list(KEY_KIND)
        if (not name_query or (r.body.get("name") or "").startswith(name_query))
        and (not customer or r.body.get("customerId") == customer)
    ]
    return page(items, params, key=lambda item: item["id"])


def delete_api_key(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    record = _find(ctx, params["apiKey"])
    ctx.store.delete(KEY_KIND, record.name)
    ctx.store.delete_tags(record.arn)
    return {}


def valid_keys(ctx: ServiceContext, api_id: str, stage: str) -> set[str]:
    """The key values a method with ``apiKeyRequired`` accepts on ``api_id``/``stage``."""
    target = f"{api_id}/{stage}"
    return {
        r.body["value"]
        for r in ctx.store.list(KEY_KIND)
        if r.body.get("enabled") and (not r.body.get("stageKeys") or target in r.body["stageKeys"])
    }


OPERATIONS: dict[str, Handler] = {
    "CreateApiKey": create_api_key,
    "GetApiKey": get_api_key,
    "GetApiKeys": get_api_keys,
    "DeleteApiKey": delete_api_key,
}
