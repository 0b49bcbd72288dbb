"""What every SageMaker resource family does alike: create with tags, find, list, remove.

The messages are SageMaker's: ``Could not find model "<arn>".`` and
``Cannot create already existing endpoint configuration "<arn>".`` (spec §0.2).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from modelport.core.errors import ResourceAlreadyExists, ResourceNotFound
from modelport.services.context import ServiceContext
from modelport.services.paging import paginate
from modelport.store.base import Resource

# Resource kind -> the noun SageMaker's messages use for it.
NOUNS = {
    "model": "model",
    "endpoint_config": "endpoint configuration",
    "endpoint": "endpoint",
    "notebook_instance": "notebook instance",
    "notebook_lifecycle_config": "notebook instance lifecycle configuration",
    "transform_job": "transform job",
}


def find(ctx: ServiceContext, kind: str, name: str) -> Resource:
    resource = ctx.store.get(kind, name)
    if resource is None:
        raise ResourceNotFound(f'Could not find {NOUNS[kind]} "{ctx.arn(kind, name)}".')
    return resource


def refuse_existing(ctx: ServiceContext, kind: str, name: str) -> None:
    if ctx.store.get(kind, name) is not None:
        raise ResourceAlreadyExists(f'Cannot create already existing {NOUNS[kind]} "{ctx.arn(kind, name)}".')


def create(
    ctx: ServiceContext,
    kind: str,
    name: str,
    body: dict[str, Any],
    tags: list[dict[str, str]] | None,
    *,
    status: str | None = None,
) -> Resource:
    """Store a new resource and its tags; ResourceAlreadyExists when the name is taken."""
    now = ctx.clock.now()
    resource = Resource(
        kind=kind,
        name=name,
        arn=ctx.arn(kind, name),
        creation_time=now,
        last_modified_time=now,
        status=status,
        body=body,
    )
    if not ctx.store.insert(resource):
        raise ResourceAlreadyExists(f'Cannot create already existing {NOUNS[kind]} "{resource.arn}".')
    if tags:
        ctx.store.put_tags(resource.arn, {tag["Key"]: tag.get("Value", "") for tag in tags})
    return resource


def remove(ctx: ServiceContext, resource: Resource) -> None:
    ctx.store.delete(resource.kind, resource.name)
    ctx.store.delete_tags(resource.arn)


def list_page(
    ctx: ServiceContext,
    kind: str,
    params: Mapping[str, Any],
    *,
    result_key: str,
    summary: Callable[[Resource], dict[str, Any]],
    name_field: str,
    sort_fields: Mapping[str, str],
    status_field: str | None = None,
    bodies: bool = True,
) -> dict[str, Any]:
    """A List* answer: the filtered, sorted page of summaries and the NextToken, if any.

    ``bodies=False`` when ``summary`` reads only a resource's name, ARN, times and status: the
    records' bodies are then not read from the store (an empty body stands in)."""
    page = paginate(
        [summary(r) for r in ctx.store.list(kind, bodies=bodies)],
        params,
        name_field=name_field,
        sort_fields=sort_fields,
        status_field=status_field,
    )
    return {result_key: page.items, **({"NextToken": page.next_token} if page.next_token else {})}
