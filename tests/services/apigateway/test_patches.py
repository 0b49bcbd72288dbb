"""API Gateway's patchOperations on a document (pure)."""

from __future__ import annotations

import pytest

from modelport.core.errors import InvalidRequest
from modelport.services.apigateway.patches import PatchPaths, apply

PATHS = PatchPaths(scalars={"name": str.upper}, keyed={"variables": "map", "types": "list"})


def test_replace_add_and_remove_each_kind_of_path() -> None:
    document = {"name": "a", "variables": {"x": "1"}, "types": ["text/csv"]}
    changed = apply(
        document,
        [
            {"op": "replace", "path": "/name", "value": "b"},
            {"op": "add", "path": "/variables/y", "value": "2"},
            {"op": "remove", "path": "/variables/x"},
            {"op": "add", "path": "/types/image~1png"},
            {"op": "add", "path": "/types/text~1csv"},  # already there: not twice
            {"op": "remove", "path": "/types/text~1csv"},
        ],
        PATHS,
    )
    assert changed == {"name": "B", "variables": {"y": "2"}, "types": ["image/png"]}
    assert document == {"name": "a", "variables": {"x": "1"}, "types": ["text/csv"]}  # untouched


def test_emptied_maps_and_lists_are_dropped() -> None:
    changed = apply({"variables": {"x": "1"}}, [{"op": "remove", "path": "/variables/x"}], PATHS)
    assert changed["variables"] is None


@pytest.mark.parametrize(
    ("operation", "message"),
    [
        ({"op": "move", "path": "/name"}, "Invalid patch operation specified"),
        (
            {"op": "replace", "path": "/policy", "value": "{}"},
            "Invalid patch path '/policy' specified for op 'replace'",
        ),
        ({"op": "add", "path": "/name", "value": "c"}, "only replace is supported"),
        ({"op": "replace", "path": "/variables"}, "Must be one of: [/name, /variables/<key>, /types/<key>]"),
        ({"op": "add", "path": "/variables/x"}, "a value is required"),
    ],
)
def test_an_operation_it_cannot_take_is_refused(operation: dict[str, str], message: str) -> None:
    with pytest.raises(InvalidRequest) as refused:
        apply({"name": "a"}, [operation], PATHS)
    assert message in refused.value.message
