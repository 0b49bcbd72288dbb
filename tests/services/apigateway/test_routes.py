"""REST API resource trees and request routing (spec §2, §3)."""

from __future__ import annotations

import json
from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from modelport.core.errors import InvalidRequest, ResourceAlreadyExists, ResourceNotFound
from modelport.services.apigateway.routes import NoRoute, ResourceTree, RouteMatch, match, split_path


def build(spec: dict[str, Sequence[str]]) -> ResourceTree:
    """A tree from {"/a/{id}": ["GET"], ...}; parents are created as needed, ids are the paths."""
    tree = ResourceTree.new("/")
    for path, methods in spec.items():
        parent = "/"
        for part in [p for p in path.split("/") if p]:
            child = f"{parent.rstrip('/')}/{part}"
            if child not in {r.id for r in tree.resources()}:
                tree = tree.add_resource(child, parent, part)
            parent = child
        for method in methods:
            tree = tree.put_method(parent, method)
    return tree


IRIS = build({"/irisprediction": ["POST"]})

PRECEDENCE = build(
    {
        "/": ["GET"],
        "/pets": ["GET"],
        "/pets/{petId}": ["GET", "ANY"],
        "/pets/mine": ["GET"],
        "/pets/mine/toys": ["GET"],
        "/pets/{petId}/toys": ["POST"],
        "/files/{proxy+}": ["ANY"],
        "/{proxy+}": ["ANY"],
    }
)


def test_golden_path_route() -> None:
    assert match(IRIS, "POST", "/irisprediction") == RouteMatch(
        "/irisprediction", "/irisprediction", "POST", {}
    )


@pytest.mark.parametrize(
    ("method", "path", "resource", "key", "params"),
    [
        ("GET", "/", "/", "GET", {}),
        ("GET", "", "/", "GET", {}),
        ("GET", "/pets", "/pets", "GET", {}),
        ("GET", "/pets/", "/pets", "GET", {}),  # one trailing slash is ignored
        ("GET", "/pets/mine", "/pets/mine", "GET", {}),  # static beats {petId}
        ("GET", "/pets/7", "/pets/{petId}", "GET", {"petId": "7"}),
        ("DELETE", "/pets/7", "/pets/{petId}", "ANY", {"petId": "7"}),  # ANY when the verb is absent
        ("DELETE", "/pets/mine", "/pets/{petId}", "ANY", {"petId": "mine"}),  # static lacks DELETE
        ("GET", "/pets/mine/toys", "/pets/mine/toys", "GET", {}),
        # backtracking: /pets/mine has no "toys" child for POST, /pets/{petId}/toys does
        ("POST", "/pets/mine/toys", "/pets/{petId}/toys", "POST", {"petId": "mine"}),
        ("GET", "/pets/a%20b", "/pets/{petId}", "GET", {"petId": "a b"}),
        ("GET", "/pets/a%2Fb", "/pets/{petId}", "GET", {"petId": "a/b"}),  # %2F stays in the value
        ("GET", "/files/a/b/c.txt", "/files/{proxy+}", "ANY", {"proxy": "a/b/c.txt"}),
        ("GET", "/files/x%20y/z", "/files/{proxy+}", "ANY", {"proxy": "x y/z"}),
        ("GET", "/pets/7/8/9", "/{proxy+}", "ANY", {"proxy": "pets/7/8/9"}),  # deeper failure -> greedy
        ("POST", "/pets", "/{proxy+}", "ANY", {"proxy": "pets"}),  # /pets lacks POST
        ("GET", "/other", "/{proxy+}", "ANY", {"proxy": "other"}),
    ],
)
def test_precedence(method: str, path: str, resource: str, key: str, params: dict[str, str]) -> None:
    assert match(PRECEDENCE, method, path) == RouteMatch(resource, resource, key, params)


def test_unknown_route_is_missing_authentication_token() -> None:
    for method, path, reason in [
        ("POST", "/nothing", "no-resource"),
        ("GET", "/irisprediction", "no-method"),
        ("POST", "/irisprediction/x", "no-resource"),
        ("POST", "/IrisPrediction", "no-resource"),  # paths are case-sensitive
        ("POST", "/irisprediction//", "no-resource"),
    ]:
        result = match(IRIS, method, path)
        assert isinstance(result, NoRoute), path
        assert result.reason == reason
        assert result.status == 403
        assert result.body == b'{"message":"Missing Authentication Token"}'
        assert json.loads(result.body) == {"message": "Missing Authentication Token"}
        assert result.headers["x-amzn-ErrorType"] == "MissingAuthenticationTokenException"
        assert result.headers["Content-Type"] == "application/json"


def test_root_is_not_caught_by_greedy_and_empty_segments_do_not_bind() -> None:
    tree = build({"/{proxy+}": ["ANY"], "/a/{id}": ["GET"]})
    assert isinstance(match(tree, "GET", "/"), NoRoute)
    assert isinstance(match(tree, "GET", "/a//"), RouteMatch)  # "a/" via the greedy root child
    assert match(tree, "GET", "/a/1") == RouteMatch("/a/{id}", "/a/{id}", "GET", {"id": "1"})


def test_split_path() -> None:
    assert split_path("/") == []
    assert split_path("/a/b/") == ["a", "b"]
    assert split_path("/a%2Fb/%E2%9C%93") == ["a/b", "✓"]


def test_create_resource_validation() -> None:
    tree = build({"/pets/{petId}": ["GET"]})
    with pytest.raises(
        InvalidRequest,
        match=r"A sibling \(\{petId\}\) of this resource already has a variable path part -- only one is allowed",
    ):
        tree.add_resource("x", "/pets", "{other}")
    with pytest.raises(InvalidRequest, match="only one is allowed"):
        tree.add_resource("x", "/pets", "{proxy+}")
    with pytest.raises(ResourceAlreadyExists, match=r"already has this name: \{petId\}"):
        tree.add_resource("x", "/pets", "{petId}")
    with pytest.raises(ResourceAlreadyExists):
        tree.add_resource("x", "/", "pets")
    for bad in ["a/b", "a b", "{a", "a}", "{}", "{+}", "{a+b}", "", "{a}b"]:
        with pytest.raises(InvalidRequest, match="path part only allow"):
            tree.add_resource("x", "/", bad)
    with pytest.raises(ResourceNotFound):
        tree.add_resource("x", "nope", "a")
    with pytest.raises(InvalidRequest, match="variable named petId"):
        tree.add_resource("x", "/pets/{petId}", "{petId}")
    greedy = build({"/{proxy+}": ["ANY"]})
    with pytest.raises(InvalidRequest, match="greedy"):
        greedy.add_resource("x", "/{proxy+}", "child")
    # static and variable siblings are fine
    both = tree.add_resource("/pets/mine", "/pets", "mine")
    assert [r.path for r in both.resources()] == ["/", "/pets", "/pets/mine", "/pets/{petId}"]


def test_methods_and_deletes() -> None:
    tree = build({"/a/b": ["GET"]})
    with pytest.raises(ResourceAlreadyExists):
        tree.put_method("/a/b", "GET")
    with pytest.raises(InvalidRequest, match="Invalid HttpMethod"):
        tree.put_method("/a/b", "FETCH")
    assert isinstance(tree.delete_method("/a/b", "GET").match("GET", "/a/b"), NoRoute)
    with pytest.raises(ResourceNotFound):
        tree.delete_method("/a/b", "POST")
    assert [r.path for r in tree.delete_resource("/a").resources()] == ["/"]
    with pytest.raises(InvalidRequest):
        tree.delete_resource("/")
    rebuilt = ResourceTree.from_resources(tree.resources())
    assert rebuilt.match("GET", "/a/b") == tree.match("GET", "/a/b")


# --- property: match never raises, and what it returns fits the request ---------------------

PARTS = st.sampled_from(["a", "b", "c", "{x}", "{y}", "{proxy+}"])
SEGMENTS = st.sampled_from(["a", "b", "c", "d", "", "a%2Fb", "%20"])
METHODS = st.sampled_from(["GET", "POST", "ANY"])


@st.composite
def trees(draw: st.DrawFn) -> ResourceTree:
    tree = ResourceTree.new("/")
    for _ in range(draw(st.integers(0, 12))):
        parent = draw(st.sampled_from(tree.resources())).id
        try:
            tree = tree.add_resource(f"r{len(tree.resources())}", parent, draw(PARTS))
        except (InvalidRequest, ResourceAlreadyExists):
            continue
    for resource in tree.resources():
        for method in draw(st.sets(METHODS, max_size=2)):
            tree = tree.put_method(resource.id, method)
    return tree


def template_fits(template: str, segments: list[str]) -> dict[str, str] | None:
    """An independent reading of a resource path: the parameters it binds, or None."""
    parts = [p for p in template.split("/") if p]
    params: dict[str, str] = {}
    for i, part in enumerate(parts):
        if part.endswith("+}"):
            rest = segments[i:]
            if not rest or not rest[0]:
                return None
            params[part[1:-2]] = "/".join(rest)
            return params
        if i >= len(segments):
            return None
        if part.startswith("{"):
            if not segments[i]:
                return None
            params[part[1:-1]] = segments[i]
        elif part != segments[i]:
            return None
    return params if len(parts) == len(segments) else None


@settings(max_examples=300, deadline=None)
@given(trees(), st.sampled_from(["GET", "POST", "PUT"]), st.lists(SEGMENTS, max_size=5), st.booleans())
def test_match_is_total_and_sound(tree: ResourceTree, method: str, segments: list[str], slash: bool) -> None:
    path = "/" + "/".join(segments) + ("/" if slash else "")
    result = match(tree, method, path)
    if isinstance(result, NoRoute):
        assert result.status == 403
        return
    resource = tree.get(result.resource_id)
    assert resource.path == result.resource_path
    assert result.method_key in (method, "ANY")
    assert result.method_key in resource.methods
    if result.method_key == "ANY":
        assert method not in resource.methods
    assert template_fits(result.resource_path, split_path(path)) == result.path_parameters
