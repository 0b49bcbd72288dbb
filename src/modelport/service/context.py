"""What every use case needs: the store, settings, clock, and the engine's entry points."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from modelport.clock import Clock
from modelport.config import Settings
from modelport.ids import sagemaker_arn
from modelport.store.base import Store


class EndpointEngine(Protocol):
    """The part of the engine the service layer drives (implemented by the controller)."""

    def wake(self, endpoint_name: str) -> None:
        """Reconcile this endpoint's actual state with the desired state just written."""
        ...

    def live_variants(self, endpoint_name: str) -> list[dict[str, object]] | None:
        """ProductionVariantSummary dicts of the running fleet, or None when none runs."""
        ...


@dataclass(frozen=True)
class ServiceContext:
    store: Store
    settings: Settings
    clock: Clock
    engine: EndpointEngine

    def arn(self, kind: str, name: str) -> str:
        return sagemaker_arn(kind, name, region=self.settings.region, account_id=self.settings.account_id)
