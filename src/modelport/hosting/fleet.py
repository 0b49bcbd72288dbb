"""The running side of an endpoint: its variants and their instances."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from modelport.hosting.serverless import ServerlessGate
from modelport.hosting.worker_client import WorkerClient
from modelport.sandboxes.supervisor import WorkerProcess


@dataclass
class Instance:
    worker: WorkerProcess
    client: WorkerClient
    outstanding: int = 0

    @property
    def alive(self) -> bool:
        return self.worker.alive() and not self.worker.stopping


@dataclass
class VariantFleet:
    name: str
    weight: float
    desired_count: int
    snapshot: dict[str, Any]  # the variant's entry in the deployment snapshot
    instances: list[Instance] = field(default_factory=list)
    gate: ServerlessGate | None = None  # serverless variants only (``serverless.py``)


@dataclass
class Fleet:
    endpoint_name: str
    deployment: dict[str, Any]
    variants: list[VariantFleet]
    # Shadow variants (at most one): started like production ones, never chosen by the router;
    # hosting/shadow.py sends them their copies of the traffic.
    shadows: list[VariantFleet] = field(default_factory=list)

    def variant(self, name: str) -> VariantFleet | None:
        for variant in self.variants:
            if variant.name.lower() == name.lower():
                return variant
        return None

    def instances(self) -> list[Instance]:
        return [instance for variant in (*self.variants, *self.shadows) for instance in variant.instances]


def blend(blue: Fleet, green: Fleet, green_share: float) -> Fleet:
    """One fleet the router can serve from while traffic moves from ``blue`` to ``green``.

    Each side gets its share of the traffic, split among its variants by their own weights. The
    variants share their instance lists with the two fleets (a replaced instance is seen by
    both); a variant named in both appears twice, blue first, so TargetVariant reaches the fleet
    that is known to work.
    """
    return Fleet(
        endpoint_name=blue.endpoint_name,
        deployment=blue.deployment,
        variants=[*_scaled(blue, 1.0 - green_share), *_scaled(green, green_share)],
        shadows=blue.shadows,
    )


def _scaled(fleet: Fleet, share: float) -> list[VariantFleet]:
    total = sum(v.weight for v in fleet.variants)
    scaled = []
    for v in fleet.variants:
        part = v.weight / total if total > 0 else 1.0 / len(fleet.variants)
        scaled.append(
            VariantFleet(
                name=v.name,
                weight=share * part,
                desired_count=v.desired_count,
                snapshot=v.snapshot,
                instances=v.instances,
                gate=v.gate,
            )
        )
    return scaled


def by_capacity(blue: Fleet, green: Fleet) -> Fleet:
    """The fleet served during a rolling update: each variant's traffic follows its running capacity.

    A variant's weight (its share of its own fleet) is scaled by how many of its
    ``desired_count`` instances it has now, so a half-replaced fleet sends half its traffic to the
    new instances. Instance lists are shared with the two fleets, as in ``blend``.
    """
    return Fleet(
        endpoint_name=blue.endpoint_name,
        deployment=blue.deployment,
        variants=[*_by_capacity(blue), *_by_capacity(green)],
        shadows=blue.shadows,
    )


def _by_capacity(fleet: Fleet) -> list[VariantFleet]:
    views = _scaled(fleet, 1.0)
    for view in views:
        view.weight *= len(view.instances) / max(1, view.desired_count)
    return views
