"""What every use case needs: the store, settings, clock, keys, the engine's entry points, and
who is calling."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Protocol

from modelport.auth.keys import KeyStore
from modelport.auth.principal import Principal
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

    def model_deleted(self) -> None:
        """A Model was deleted: its unpacked model data may be unused now."""
        ...

    async def settled(self, endpoint_name: str, timeout_s: float) -> bool:
        """Wait until the endpoint is no longer Creating, Updating or Deleting (or is gone), at
        most ``timeout_s``; False when the time ran out first."""
        ...


@dataclass(frozen=True)
class ServiceContext:
    """Shared by every call; ``acting_as`` gives the per-request copy that knows the caller.

    ``runtimes`` holds long-lived runtime objects other services own (for example the Lambda
    execution environments), keyed by name; the composition root fills it.
    """

    store: Store
    settings: Settings
    clock: Clock
    engine: EndpointEngine
    keys: KeyStore
    runtimes: dict[str, Any]
    principal: Principal | None = None

    def acting_as(self, principal: Principal) -> ServiceContext:
        return replace(self, principal=principal)

    def arn(self, kind: str, name: str) -> str:
        return sagemaker_arn(kind, name, region=self.settings.region, account_id=self.settings.account_id)
