"""The running side of an endpoint: its variants and their instances."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

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


@dataclass
class Fleet:
    endpoint_name: str
    deployment: dict[str, Any]
    variants: list[VariantFleet]

    def variant(self, name: str) -> VariantFleet | None:
        for variant in self.variants:
            if variant.name.lower() == name.lower():
                return variant
        return None

    def instances(self) -> list[Instance]:
        return [instance for variant in self.variants for instance in variant.instances]
