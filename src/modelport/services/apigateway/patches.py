"""API Gateway's ``patchOperations`` (its JSON-Patch dialect), applied to a document (pure).

An operation is ``{"op": "replace"|"add"|"remove", "path": "/member[/key]", "value": "..."}``. A
path's segments escape ``/`` as ``~1`` and ``~`` as ``~0`` (RFC 6901), so the media type
``image/png`` is ``/binaryMediaTypes/image~1png``. Each update operation names the paths it takes
(``PatchPaths``); any other path is refused with API Gateway's ``BadRequestException`` wording,
and the document is left as it was.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from modelport.core.errors import InvalidRequest

OPS = ("replace", "add", "remove")


@dataclass(frozen=True)
class PatchPaths:
    """What an update takes: members replaced whole (``scalars``, each with a check that turns
    the string value into the stored one), and maps or lists edited by key (``keyed``: member ->
    "map" or "list")."""

    scalars: Mapping[str, Callable[[str], Any]]
    keyed: Mapping[str, str]

    def allowed(self) -> list[str]:
        return [f"/{name}" for name in self.scalars] + [f"/{name}/<key>" for name in self.keyed]


def apply(document: dict[str, Any], operations: list[Mapping[str, Any]], paths: PatchPaths) -> dict[str, Any]:
    """A changed copy of ``document``; ``InvalidRequest`` for the first operation it cannot take."""
    changed = dict(document)
    for operation in operations:
        op, path = str(operation.get("op") or ""), str(operation.get("path") or "")
        if op not in OPS:
            raise InvalidRequest(f"Invalid patch operation specified. Must be one of: [{', '.join(OPS)}]")
        member, _, key = path.removeprefix("/").partition("/")
        value = operation.get("value")
        if member in paths.scalars and not key:
            if op != "replace":
                raise InvalidRequest(
                    f"Invalid patch operation '{op}' for path '{path}': only replace is supported."
                )
            changed[member] = paths.scalars[member](str(value if value is not None else ""))
        elif member in paths.keyed and key:
            changed[member] = _edit(changed.get(member), paths.keyed[member], op, _unescape(key), value, path)
        else:
            raise InvalidRequest(
                f"Invalid patch path '{path}' specified for op '{op}'. Must be one of: [{', '.join(paths.allowed())}]"
            )
    return changed


def _edit(current: Any, kind: str, op: str, key: str, value: Any, path: str) -> Any:
    if kind == "map":
        edited = dict(current or {})
        if op == "remove":
            edited.pop(key, None)
        elif value is None:
            raise InvalidRequest(f"Invalid patch value for '{path}': a value is required.")
        else:
            edited[key] = str(value)
        return edited or None
    items = list(current or [])
    if op == "remove":
        items = [item for item in items if item != key]
    elif key not in items:
        items.append(key)
    return items or None


def _unescape(segment: str) -> str:
    return segment.replace("~1", "/").replace("~0", "~")
