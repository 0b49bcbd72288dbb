"""AddTags, ListTags, DeleteTags on SageMaker resources, addressed by ARN."""

from __future__ import annotations

from typing import Any

from modelport.core.arns import SAGEMAKER_ARN_KINDS, sagemaker_arn_prefix
from modelport.core.errors import InvalidRequest, ResourceNotFound
from modelport.services.context import ServiceContext
from modelport.services.paging import SAGEMAKER_INVALID, SAGEMAKER_OTHER_QUERY, cut

MAX_TAGS = 50
_KIND_BY_ARN_WORD = {word: kind for kind, word in SAGEMAKER_ARN_KINDS.items()}


def add_tags(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    arn = _existing_arn(ctx, params["ResourceArn"])
    new = {tag["Key"]: tag.get("Value", "") for tag in params["Tags"]}
    merged = {**ctx.store.get_tags(arn), **new}
    if len(merged) > MAX_TAGS:
        raise InvalidRequest(
            f"A resource can have at most {MAX_TAGS} tags; this call would give it {len(merged)}."
        )
    ctx.store.put_tags(arn, new)
    return {"Tags": [{"Key": k, "Value": v} for k, v in new.items()]}


def list_tags(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    arn = _existing_arn(ctx, params["ResourceArn"])
    tags = [{"Key": k, "Value": v} for k, v in ctx.store.get_tags(arn).items()]
    page, next_token = cut(
        tags,
        params.get("NextToken"),
        limit=int(params.get("MaxResults", 50)),
        query=arn,
        invalid=SAGEMAKER_INVALID,
        other_query=SAGEMAKER_OTHER_QUERY,
    )
    return {"Tags": page, **({"NextToken": next_token} if next_token else {})}


def delete_tags(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    arn = _existing_arn(ctx, params["ResourceArn"])
    ctx.store.delete_tags(arn, list(params["TagKeys"]))
    return {}


def _existing_arn(ctx: ServiceContext, arn: str) -> str:
    """The stored ARN for a resource ARN, or ResourceNotFound naming what to fix."""
    prefix = sagemaker_arn_prefix(ctx.settings.region, ctx.settings.account_id)
    word, _, name = arn.removeprefix(prefix).partition("/")
    kind = _KIND_BY_ARN_WORD.get(word)
    if not arn.startswith(prefix) or kind is None or not name:
        raise InvalidRequest(
            f"Resource ARN '{arn}' is not a model, endpoint-config, endpoint, notebook-instance, "
            "notebook-instance-lifecycle-config or transform-job ARN of this server "
            f"(they start with {prefix})."
        )
    resource = ctx.store.get(kind, name)
    if resource is None:
        raise ResourceNotFound(f'Could not find resource "{arn}".')
    return resource.arn
