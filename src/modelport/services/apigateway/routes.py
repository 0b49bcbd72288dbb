"""The resource tree of a REST API (v1) and how a request path finds its resource and method.

A tree is immutable: ``add_resource`` / ``put_method`` / ``delete_resource`` return a new tree,
validated as CreateResource and PutMethod validate. ``match`` is what the gateway does for each
request once the stage is known:

- at every level a static child beats the one variable child (``{id}``), which beats a greedy
  ``{proxy+}`` child; a static branch that fails deeper falls back to the variable one
  (backtracking), then to the greedy one;
- a resource counts only if it has the request's method or ``ANY`` (exact beats ``ANY``), so a
  ``{proxy+}`` with ``ANY`` catches a verb that the static resource lacks. This follows
  LocalStack's router, which builds one rule per (resource, method); **UNVERIFIED** on AWS;
- segments are URL-decoded one by one after splitting on ``/``, so ``%2F`` stays inside a
  parameter; a greedy parameter is the decoded rest of the path, joined with ``/``;
- one trailing slash is ignored (``/pets/`` is ``/pets``); spec §11 question 4 leaves this open;
- nothing matched: 403 Missing Authentication Token, as REST APIs answer for both an unknown
  resource and a known resource without the method (spec §2).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from urllib.parse import unquote

from modelport.core.errors import InvalidRequest, ResourceAlreadyExists, ResourceNotFound
from modelport.services.apigateway.responses import MISSING_AUTHENTICATION_TOKEN

ANY = "ANY"
HTTP_METHODS = frozenset({"DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT", ANY})

_STATIC = re.compile(r"^[a-zA-Z0-9._-]+$")
_VARIABLE = re.compile(r"^\{(?P<name>[a-zA-Z0-9._-]+)(?P<greedy>\+?)\}$")
# AWS's own wording for a bad pathPart (BadRequestException).
_BAD_PATH_PART = (
    "Resource's path part only allow a-zA-Z0-9._- and curly braces at the beginning and the end "
    "and an optional plus sign before the closing brace."
)


class PartKind(StrEnum):
    ROOT = "root"
    STATIC = "static"
    VARIABLE = "variable"
    GREEDY = "greedy"


def part_kind(path_part: str) -> PartKind:
    """Classify a pathPart, or raise InvalidRequest with AWS's message when it is not one."""
    if _STATIC.match(path_part):
        return PartKind.STATIC
    found = _VARIABLE.match(path_part)
    if found is None:
        raise InvalidRequest(_BAD_PATH_PART)
    return PartKind.GREEDY if found["greedy"] else PartKind.VARIABLE


def variable_name(path_part: str) -> str:
    """``{id}`` -> ``id``, ``{proxy+}`` -> ``proxy``."""
    return path_part.strip("{}").rstrip("+")


@dataclass(frozen=True)
class Resource:
    """One node: ``path_part`` is "" and ``parent_id`` None for the root, whose path is "/"."""

    id: str
    parent_id: str | None
    path_part: str
    path: str
    methods: frozenset[str] = frozenset()

    @property
    def kind(self) -> PartKind:
        return PartKind.ROOT if self.parent_id is None else part_kind(self.path_part)


@dataclass(frozen=True)
class RouteMatch:
    resource_id: str
    resource_path: str  # the template, e.g. "/irisprediction/{id}"
    method_key: str  # the method that matched: the request's verb, or "ANY"
    path_parameters: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class NoRoute:
    """No resource and method for the request; render ``status``/``headers``/``body`` as is."""

    reason: str  # "no-resource" or "no-method", for logs only: the client sees the same 403
    status: int = MISSING_AUTHENTICATION_TOKEN.status
    body: bytes = MISSING_AUTHENTICATION_TOKEN.body
    headers: dict[str, str] = field(default_factory=lambda: dict(MISSING_AUTHENTICATION_TOKEN.headers))


@dataclass(frozen=True)
class _Children:
    static: dict[str, Resource]
    variable: Resource | None  # at most one: {name} or {name+}


class ResourceTree:
    """The resources of one REST API, by id. Build with ``new`` or ``from_resources``."""

    def __init__(self, resources: Mapping[str, Resource]) -> None:
        roots = [r for r in resources.values() if r.parent_id is None]
        if len(roots) != 1:
            raise InvalidRequest("A REST API has exactly one root resource")
        self.root_id = roots[0].id
        self._resources = dict(resources)
        self._children: dict[str, _Children] = {rid: _Children({}, None) for rid in resources}
        for resource in resources.values():
            if resource.parent_id is None:
                continue
            siblings = self._children[resource.parent_id]
            if resource.kind is PartKind.STATIC:
                siblings.static[resource.path_part] = resource
            else:
                self._children[resource.parent_id] = _Children(siblings.static, resource)

    @classmethod
    def new(cls, root_id: str) -> ResourceTree:
        return cls({root_id: Resource(root_id, None, "", "/")})

    @classmethod
    def from_resources(cls, resources: Iterable[Resource]) -> ResourceTree:
        by_id = {r.id: r for r in resources}
        for r in by_id.values():
            if r.parent_id is not None and r.parent_id not in by_id:
                raise ResourceNotFound("Invalid Resource identifier specified")
        return cls(by_id)

    def resources(self) -> list[Resource]:
        return sorted(self._resources.values(), key=lambda r: r.path)

    def get(self, resource_id: str) -> Resource:
        try:
            return self._resources[resource_id]
        except KeyError:
            raise ResourceNotFound("Invalid Resource identifier specified") from None

    def children(self, resource_id: str) -> list[Resource]:
        kids = self._children[resource_id]
        return [*kids.static.values(), *([kids.variable] if kids.variable else [])]

    def add_resource(self, resource_id: str, parent_id: str, path_part: str) -> ResourceTree:
        """CreateResource: validate ``path_part`` under ``parent_id`` and return the new tree."""
        parent = self.get(parent_id)
        kind = part_kind(path_part)
        if resource_id in self._resources:
            raise ResourceAlreadyExists(f"Resource id {resource_id} already exists")
        if parent.kind is PartKind.GREEDY:
            # Wording unverified; AWS refuses children of a greedy resource.
            raise InvalidRequest(
                f"Cannot create a child of a resource with a greedy path variable: {parent.path_part}"
            )
        siblings = self._children[parent_id]
        if kind is PartKind.STATIC and path_part in siblings.static:
            raise ResourceAlreadyExists(
                f"Another resource with the same parent already has this name: {path_part}"
            )
        if kind is not PartKind.STATIC and siblings.variable is not None:
            if siblings.variable.path_part == path_part:
                raise ResourceAlreadyExists(
                    f"Another resource with the same parent already has this name: {path_part}"
                )
            raise InvalidRequest(
                f"A sibling ({siblings.variable.path_part}) of this resource already has a variable path part -- only one is allowed"
            )
        if kind is not PartKind.STATIC and variable_name(path_part) in _variables_on(parent.path):
            # Two parameters of one name could not both be in pathParameters; wording ours.
            raise InvalidRequest(
                f"Resource path {parent.path} already has a variable named {variable_name(path_part)}"
            )
        path = f"/{path_part}" if parent.path == "/" else f"{parent.path}/{path_part}"
        return ResourceTree(
            {**self._resources, resource_id: Resource(resource_id, parent_id, path_part, path)}
        )

    def put_method(self, resource_id: str, http_method: str) -> ResourceTree:
        resource = self.get(resource_id)
        if http_method not in HTTP_METHODS:
            raise InvalidRequest(
                f"Invalid HttpMethod specified. Valid options are {','.join(sorted(HTTP_METHODS))}"
            )
        if http_method in resource.methods:
            raise ResourceAlreadyExists("Method already exists for this resource")
        updated = Resource(
            resource.id,
            resource.parent_id,
            resource.path_part,
            resource.path,
            resource.methods | {http_method},
        )
        return ResourceTree({**self._resources, resource_id: updated})

    def delete_method(self, resource_id: str, http_method: str) -> ResourceTree:
        resource = self.get(resource_id)
        if http_method not in resource.methods:
            raise ResourceNotFound("Invalid Method identifier specified")
        updated = Resource(
            resource.id,
            resource.parent_id,
            resource.path_part,
            resource.path,
            resource.methods - {http_method},
        )
        return ResourceTree({**self._resources, resource_id: updated})

    def delete_resource(self, resource_id: str) -> ResourceTree:
        """DeleteResource removes the whole subtree; the root cannot be deleted."""
        if self.get(resource_id).parent_id is None:
            raise InvalidRequest("Cannot delete root resource")
        doomed, stack = set(), [resource_id]
        while stack:
            current = stack.pop()
            doomed.add(current)
            stack.extend(child.id for child in self.children(current))
        return ResourceTree({rid: r for rid, r in self._resources.items() if rid not in doomed})

    def match(self, method: str, path: str) -> RouteMatch | NoRoute:
        return match(self, method, path)

    def _kids(self, resource_id: str) -> _Children:
        return self._children[resource_id]


def _variables_on(path: str) -> set[str]:
    return {variable_name(part) for part in path.split("/") if part.startswith("{")}


def split_path(path: str) -> list[str]:
    """The URL-decoded segments of a request path (after the stage); [] for the root."""
    trimmed = path.removeprefix("/")
    trimmed = trimmed.removesuffix("/")
    if not trimmed:
        return []
    return [unquote(segment) for segment in trimmed.split("/")]


def _method_key(resource: Resource, method: str) -> str | None:
    if method in resource.methods:
        return method
    return ANY if ANY in resource.methods else None


def match(tree: ResourceTree, method: str, path: str) -> RouteMatch | NoRoute:
    """Find the resource and method for ``method path`` (path without the stage, raw)."""
    segments = split_path(path)
    found = _walk(tree, tree.get(tree.root_id), segments, 0, method, {})
    if found is not None:
        return found
    reason = "no-method" if _resource_exists(tree, segments) else "no-resource"
    return NoRoute(reason=reason)


def _walk(
    tree: ResourceTree, node: Resource, segments: list[str], index: int, method: str, params: dict[str, str]
) -> RouteMatch | None:
    if index == len(segments):
        key = _method_key(node, method)
        return None if key is None else RouteMatch(node.id, node.path, key, params)
    segment = segments[index]
    kids = tree._kids(node.id)
    static = kids.static.get(segment)
    if static is not None:
        found = _walk(tree, static, segments, index + 1, method, params)
        if found is not None:
            return found
    variable = kids.variable
    if variable is None or not segment:
        return None
    name = variable_name(variable.path_part)
    if variable.kind is PartKind.GREEDY:
        key = _method_key(variable, method)
        if key is None:
            return None
        return RouteMatch(variable.id, variable.path, key, {**params, name: "/".join(segments[index:])})
    return _walk(tree, variable, segments, index + 1, method, {**params, name: segment})


def _resource_exists(tree: ResourceTree, segments: list[str]) -> bool:
    """Whether some resource matches the path whatever the method (only to label NoRoute)."""

    def walk(node: Resource, index: int) -> bool:
        if index == len(segments):
            return True
        kids = tree._kids(node.id)
        static = kids.static.get(segments[index])
        if static is not None and walk(static, index + 1):
            return True
        variable = kids.variable
        if variable is None or not segments[index]:
            return False
        return variable.kind is PartKind.GREEDY or walk(variable, index + 1)

    return walk(tree.get(tree.root_id), 0)
