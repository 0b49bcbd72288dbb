"""What every use case needs: the store, settings, clock, keys, the engine's entry points, the
running parts other services own (the router, the function host), and who is calling.

``bootstrap.build_platform`` builds one ``ServiceContext`` with every field filled; nothing in the
service layer constructs a long-lived part on first use.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from modelport.aws.auth.keys import KeyStore
from modelport.aws.auth.principal import Principal
from modelport.core.arns import sagemaker_arn
from modelport.core.clock import Clock
from modelport.core.config import Settings
from modelport.hosting.router import Router
from modelport.store.base import Store

if TYPE_CHECKING:  # the host's module takes a ServiceContext in every call: no import at run time
    from modelport.hosting.async_inference.dispatcher import Submitted
    from modelport.hosting.async_inference.request import AsyncRequest
    from modelport.hosting.metrics.flusher import Metrics
    from modelport.sandboxes.notebooks import NotebookHost
    from modelport.services.lambda_.host import FunctionHost
    from modelport.services.logs.writer import LogWriter
    from modelport.services.sts.role_tokens import RoleTokens


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


class TransformEngine(Protocol):
    """The part of the transform runner the service layer drives (``hosting/transform/runner.py``)."""

    def start(self, name: str) -> None:
        """Run the transform job just stored (InProgress)."""
        ...

    async def finished(self, name: str, timeout_s: float) -> bool:
        """Wait until the job has ended, at most ``timeout_s``; False when the time ran out first."""
        ...

    def stop(self, name: str) -> None:
        """End the job (now Stopping) as soon as possible, Stopped."""
        ...


class AsyncEngine(Protocol):
    """The part of the async dispatcher the service layer drives (``hosting/async_inference``)."""

    def submit(self, request: AsyncRequest) -> Submitted:
        """Queue the asynchronous request just stored."""
        ...

    def backlog(self, endpoint_name: str) -> int:
        """The endpoint's requests waiting or running."""
        ...


@dataclass(frozen=True)
class ServiceContext:
    """Shared by every call; ``acting_as`` gives the per-request copy that knows the caller."""

    store: Store
    settings: Settings
    clock: Clock
    engine: EndpointEngine
    keys: KeyStore
    # Sends InvokeEndpoint to an instance: the runtime's, and API Gateway's SageMaker integrations.
    router: Router
    # Lambda's warm execution environments, by function.
    functions: FunctionHost
    # Signs GetFunction's code URLs when the store holds no root key (contexts built by tests).
    fallback_url_key: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    principal: Principal | None = None
    # Notebook instances' JupyterLab servers (None in contexts built by tests without them).
    notebooks: NotebookHost | None = None
    # The tokens behind /_modelport/credentials: ``modelport env --role`` and notebook kernels.
    role_tokens: RoleTokens | None = None
    # CloudWatch Logs: the log store and the buffered writer every producer appends through.
    logs: LogWriter | None = None
    # Endpoint metrics: the recorder and the store CloudWatch's reads query.
    metrics: Metrics | None = None
    # Batch transform jobs (None in contexts built by tests without them).
    transforms: TransformEngine | None = None
    # Asynchronous inference queues (None in contexts built by tests without them).
    async_inference: AsyncEngine | None = None

    def acting_as(self, principal: Principal) -> ServiceContext:
        # What ``dataclasses.replace(self, principal=principal)`` gives, at a sixth of its cost
        # (0.8 against 4.9 µs): every signed request makes one, InvokeEndpoint's included.
        clone = object.__new__(ServiceContext)
        clone.__dict__.update(self.__dict__)
        object.__setattr__(clone, "principal", principal)
        return clone

    def arn(self, kind: str, name: str) -> str:
        return sagemaker_arn(kind, name, region=self.settings.region, account_id=self.settings.account_id)
