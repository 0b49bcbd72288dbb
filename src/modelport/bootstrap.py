"""The composition root: the one place that picks concrete classes and wires them together.

``build_platform`` builds every long-lived part once — the store and keys, the supervisor and its
warm pool, the router, the controller, Lambda's function host and its spare runners — and hands
the services one ``ServiceContext`` with all of them as typed fields. ``Platform.close`` stops
what runs.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from modelport.aws.auth.keys import KeyStoreLookup
from modelport.aws.auth.sqlite_keys import SqliteKeyStore
from modelport.core.clock import Clock, SystemClock
from modelport.core.config import Settings
from modelport.hosting.artifacts.cache import ArtifactCache
from modelport.hosting.batching import BatchPolicy
from modelport.hosting.controller import Controller
from modelport.hosting.router import Router
from modelport.sandboxes.lambda_.spares import FunctionSpares
from modelport.sandboxes.model_environments import ModelEnvironments
from modelport.sandboxes.notebooks import NotebookHost
from modelport.sandboxes.supervisor import Supervisor
from modelport.services.context import ServiceContext
from modelport.services.iam.authorization import authorize
from modelport.services.lambda_.host import FunctionHost
from modelport.services.sts.role_tokens import RoleTokens
from modelport.store.sqlite import SqliteStore


@dataclass
class Platform:
    settings: Settings
    clock: Clock
    store: SqliteStore
    keys: SqliteKeyStore
    key_lookup: KeyStoreLookup
    supervisor: Supervisor
    router: Router
    controller: Controller
    functions: FunctionHost
    notebooks: NotebookHost
    context: ServiceContext
    # authorize(context, service, operation, params): raises AccessDenied unless the caller may.
    authorize: Callable[[ServiceContext, str, str, dict[str, Any]], None]

    async def close(self) -> None:
        """Stop everything that runs: endpoint instances, function environments, notebook servers."""
        await self.controller.stop()
        await self.functions.close()
        await self.notebooks.close()


def build_router(settings: Settings, rng: random.Random | None = None) -> Router:
    limits = settings.limits
    batching = BatchPolicy(limits.max_batch_size, limits.max_batch_wait_s, limits.max_payload_bytes)
    return Router(
        max_in_flight=limits.max_in_flight_per_instance,
        timeout_s=limits.invocation_timeout_s,
        rng=rng,
        batching=batching if limits.max_batch_size > 1 else None,
    )


def build_function_host(settings: Settings) -> FunctionHost:
    """Lambda's execution environments: pools start on a function's first Invoke, spare runners
    when the first function is created or invoked."""
    limits = settings.limits
    return FunctionHost(
        max_concurrency=limits.max_function_concurrency,
        spares=FunctionSpares(limits.warm_function_environments),
        idle_timeout_s=limits.function_idle_timeout_s,
    )


def build_platform(
    settings: Settings,
    *,
    clock: Clock | None = None,
    rng: random.Random | None = None,
    s3_ready: Callable[[], str | None] | None = None,
) -> Platform:
    clock = clock or SystemClock()
    settings.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    store = SqliteStore(settings.store_path)
    keys = SqliteKeyStore(store.connection)
    limits = settings.limits
    supervisor = Supervisor(
        startup_timeout_s=limits.startup_timeout_s,
        ping_timeout_s=limits.ping_timeout_s,
        warm_per_runtime=limits.warm_workers_per_runtime,
        pool_log_dir=settings.log_dir / "_warm",
        environments=ModelEnvironments(
            settings.model_env_dir, install_timeout_s=limits.requirements_install_timeout_s
        ),
    )
    router = build_router(settings, rng)
    controller = Controller(
        store=store,
        settings=settings,
        clock=clock,
        supervisor=supervisor,
        router=router,
        artifacts=ArtifactCache(settings.artifact_dir, settings, s3_ready=s3_ready),
    )
    functions = build_function_host(settings)
    notebooks = NotebookHost(
        startup_timeout_s=limits.notebook_startup_timeout_s,
        script_timeout_s=limits.notebook_script_timeout_s,
        stop_timeout_s=limits.notebook_stop_timeout_s,
    )
    context = ServiceContext(
        store=store,
        settings=settings,
        clock=clock,
        engine=controller,
        keys=keys,
        router=router,
        functions=functions,
        notebooks=notebooks,
        role_tokens=RoleTokens(),
    )
    return Platform(
        settings=settings,
        clock=clock,
        store=store,
        keys=keys,
        key_lookup=KeyStoreLookup(keys, clock),
        supervisor=supervisor,
        router=router,
        controller=controller,
        functions=functions,
        notebooks=notebooks,
        context=context,
        authorize=authorize,
    )
