"""The Store interface: durable desired state for every resource modelport manages.

A resource is a named JSON document of one kind (``model``, ``endpoint_config``,
``endpoint``) with its ARN, times and, for endpoints, a status. Names are unique per kind
case-insensitively, because AWS lower-cases names in ARNs (spec §2).
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass, field, replace
from typing import Any, Protocol


@dataclass(frozen=True)
class Resource:
    kind: str
    name: str
    arn: str
    creation_time: float
    last_modified_time: float
    body: dict[str, Any] = field(default_factory=dict)
    status: str | None = None

    def evolve(self, **changes: Any) -> Resource:
        return replace(self, **changes)


class Store(Protocol):
    def insert(self, resource: Resource) -> bool:
        """Add a resource; False (and nothing written) when the name is taken."""
        ...

    def get(self, kind: str, name: str) -> Resource | None: ...

    def get_shared(self, kind: str, name: str) -> Resource | None:
        """``get`` for hot read paths: possibly a cached object other callers share, current as
        of the last write of the kind. Read it only: never change its body."""
        ...

    def list(self, kind: str, *, bodies: bool = True) -> builtins.list[Resource]:
        """Every resource of ``kind``, oldest first; with ``bodies=False`` each body is empty."""
        ...

    def update(self, resource: Resource) -> None:
        """Replace a stored resource (matched by kind and name)."""
        ...

    def delete(self, kind: str, name: str) -> bool: ...

    def put_tags(self, arn: str, tags: dict[str, str]) -> None: ...

    def get_tags(self, arn: str) -> dict[str, str]: ...

    def delete_tags(self, arn: str, keys: builtins.list[str] | None = None) -> None:
        """Remove the named tag keys, or all of the ARN's tags when ``keys`` is None."""
        ...

    def close(self) -> None: ...
