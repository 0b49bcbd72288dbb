"""Placement groups: where a variant's instances go, spread over the cluster's nodes.

A placement group's bundle count is fixed, while a variant's instance count changes (resizes,
replacements, blue/green updates). So a variant owns a list of groups, and each group is sized to
one *launch*: the instances the controller starts together (the whole variant when an endpoint
starts, the added ones when it grows, one for a replacement). Each group has Ray's ``SPREAD``
strategy: its bundles go to different nodes where the cluster has room, on the same node
otherwise. Each bundle holds one instance's CPUs and memory; an instance claims a free bundle of
its variant's groups first (the one a stopped or lost instance left), and a new group only when
none is free. A group is removed with its last instance. Between, a bundle freed by a scale-down
stays reserved for the variant's next instance (Ray reserves a group's resources whole).

Groups are named ``modelport:<endpoint>/<variant>#<n>@<owner>`` and belong to the server's Ray
job (not detached): Ray removes them when the server goes, and a restarted server removes what
of its own is still there (``remove_leftovers``). When a node is lost, Ray places its bundles
again on the other nodes, where the replacements then start.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
from dataclasses import dataclass, field
from typing import Any

from modelport.sandboxes.ray.cluster import PREFIX
from modelport.sandboxes.ray.resources import Resources

log = logging.getLogger(__name__)


@dataclass
class Group:
    handle: Any  # ray.util.placement_group.PlacementGroup
    name: str
    occupants: list[str | None] = field(default_factory=list)  # instance id per bundle


@dataclass
class Slot:
    group: Group
    bundle: int


class Placements:
    """The placement groups of this server's variants (only touched on the event loop's thread)."""

    def __init__(self, ray: Any, owner: str) -> None:
        self.ray = ray
        self.owner = owner
        self._groups: dict[tuple[str, float, int], list[Group]] = {}
        self._serial = itertools.count(1)

    def claim(self, instance_id: str, need: Resources, together: int) -> Slot:
        """A bundle for ``instance_id``: a free one of its variant's groups, else the first of a new
        group of ``together`` bundles (the instances starting with it claim the rest)."""
        variant = instance_id.rsplit("/", 1)[0]
        groups = self._groups.setdefault((variant, need.num_cpus, need.memory_bytes), [])
        for group in groups:
            for bundle, occupant in enumerate(group.occupants):
                if occupant is None:
                    group.occupants[bundle] = instance_id
                    return Slot(group, bundle)
        name = f"{PREFIX}{variant}#{next(self._serial)}@{self.owner}"
        size = max(1, together)
        bundles = [{"CPU": need.num_cpus, "memory": need.memory_bytes} for _ in range(size)]
        handle = self.ray.util.placement_group(bundles, strategy="SPREAD", name=name)
        group = Group(handle=handle, name=name, occupants=[instance_id] + [None] * (size - 1))
        groups.append(group)
        log.info("placement group %s: %d bundles of %s, strategy SPREAD", name, size, need)
        return Slot(group, 0)

    def strategy(self, slot: Slot) -> Any:
        from ray.util.scheduling_strategies import PlacementGroupSchedulingStrategy

        return PlacementGroupSchedulingStrategy(
            placement_group=slot.group.handle, placement_group_bundle_index=slot.bundle
        )

    def release(self, instance_id: str) -> None:
        """Free ``instance_id``'s bundle; remove its group when no instance is left in it."""
        for groups in self._groups.values():
            for group in list(groups):
                if instance_id not in group.occupants:
                    continue
                group.occupants[group.occupants.index(instance_id)] = None
                if all(occupant is None for occupant in group.occupants):
                    groups.remove(group)
                    self._remove(group.handle, group.name)
                return

    def release_all(self) -> None:
        for groups in self._groups.values():
            for group in groups:
                self._remove(group.handle, group.name)
        self._groups.clear()

    def _remove(self, handle: Any, name: str) -> None:
        with contextlib.suppress(Exception):  # already gone with its job
            self.ray.util.remove_placement_group(handle)
            log.info("removed placement group %s", name)


def remove_leftovers(ray: Any, owner: str) -> list[str]:
    """Remove this server's placement groups left by an earlier run of it; return their names."""
    suffix = f"@{owner}"
    removed = []
    for info in ray.util.placement_group_table().values():
        name = info.get("name") or ""
        if info.get("state") == "REMOVED" or not name.startswith(PREFIX) or not name.endswith(suffix):
            continue
        with contextlib.suppress(Exception):
            ray.util.remove_placement_group(ray.util.get_placement_group(name))
            removed.append(name)
    if removed:
        log.warning(
            "removed %d placement groups left by an earlier run of this server: %s", len(removed), removed
        )
    return removed
