"""List* pages whose summaries need only a record's columns do not read the records' bodies."""

from __future__ import annotations

from modelport.services.context import ServiceContext
from modelport.services.sagemaker import resources
from modelport.services.sagemaker.operations import OPERATIONS


def test_list_models_reads_no_bodies_but_pages_filters_and_sorts_as_before(ctx: ServiceContext) -> None:
    for i in range(5):
        body = {"PrimaryContainer": {"Image": "xgboost", "Environment": {"BIG": "x" * 10_000}}}
        resources.create(ctx, "model", f"model-{i}", body, None)
        ctx.clock.advance(1)  # type: ignore[attr-defined]
    bare = ctx.store.list("model", bodies=False)
    assert [m.name for m in bare] == [f"model-{i}" for i in range(5)] and all(m.body == {} for m in bare)
    assert ctx.store.list("model")[0].body["PrimaryContainer"]["Image"] == "xgboost"

    first = OPERATIONS["ListModels"](ctx, {"MaxResults": 2})
    assert [m["ModelName"] for m in first["Models"]] == ["model-4", "model-3"]  # newest first
    rest = OPERATIONS["ListModels"](ctx, {"MaxResults": 2, "NextToken": first["NextToken"]})
    assert [m["ModelName"] for m in rest["Models"]] == ["model-2", "model-1"]
    named = OPERATIONS["ListModels"](
        ctx, {"NameContains": "EL-0", "SortBy": "Name", "SortOrder": "Ascending"}
    )
    assert [m["ModelName"] for m in named["Models"]] == ["model-0"]
    assert set(named["Models"][0]) == {"ModelName", "ModelArn", "CreationTime"}
