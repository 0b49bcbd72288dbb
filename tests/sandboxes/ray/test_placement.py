"""How instances claim placement group bundles (pure bookkeeping: Ray's two calls are recorded by a
stand-in; the real groups are checked on a real cluster in ``test_ray_backend.py``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from modelport.sandboxes.ray.placement import Placements
from modelport.sandboxes.ray.resources import Resources

ONE_CPU = Resources(num_cpus=1.0, memory_bytes=1024**3)


@dataclass
class RecordingRay:
    """The two calls ``Placements`` makes of ``ray.util``, recorded."""

    created: list[tuple[str, int, str]] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    @property
    def util(self) -> Any:
        def placement_group(bundles: list[dict[str, float]], strategy: str, name: str) -> str:
            self.created.append((name, len(bundles), strategy))
            return name

        return SimpleNamespace(placement_group=placement_group, remove_placement_group=self.removed.append)


def test_a_launch_gets_one_spread_group_sized_to_it_and_removed_with_its_last_instance() -> None:
    ray = RecordingRay()
    placements = Placements(ray, "owner123")
    slots = [placements.claim(f"ep/v/{n}-{n + 1}", ONE_CPU, together=3) for n in range(3)]
    assert ray.created == [("modelport:ep/v#1@owner123", 3, "SPREAD")]
    assert [slot.bundle for slot in slots] == [0, 1, 2]
    placements.release("ep/v/0-1")
    placements.release("ep/v/1-2")
    assert ray.removed == []  # one instance still runs in it
    placements.release("ep/v/2-3")
    assert ray.removed == ["modelport:ep/v#1@owner123"]


def test_a_freed_bundle_is_taken_before_a_new_group_is_made() -> None:
    ray = RecordingRay()
    placements = Placements(ray, "o")
    for n in range(2):
        placements.claim(f"ep/v/{n}-{n + 1}", ONE_CPU, together=2)
    placements.release("ep/v/1-2")  # scaled in, or lost with its node
    replacement = placements.claim("ep/v/1-3", ONE_CPU, together=1)
    assert (replacement.bundle, len(ray.created)) == (1, 1)
    placements.claim("ep/v/2-4", ONE_CPU, together=1)  # scaled out: no free bundle left
    placements.claim("other/v/0-5", ONE_CPU, together=1)  # another variant never shares a group
    assert [name for name, _, _ in ray.created] == [
        "modelport:ep/v#1@o",
        "modelport:ep/v#2@o",
        "modelport:other/v#3@o",
    ]


def test_server_shutdown_removes_every_group() -> None:
    ray = RecordingRay()
    placements = Placements(ray, "o")
    placements.claim("a/v/0-1", ONE_CPU, together=1)
    placements.claim("b/v/0-2", Resources(num_cpus=0.5, memory_bytes=1), together=2)
    placements.release_all()
    assert sorted(ray.removed) == ["modelport:a/v#1@o", "modelport:b/v#2@o"]
