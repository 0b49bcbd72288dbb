"""The composition root: the one place that picks concrete classes and wires them together."""

from __future__ import annotations

import inspect
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from modelport.artifacts.cache import ArtifactCache
from modelport.auth.keys import KeyStoreLookup
from modelport.auth.sqlite_keys import SqliteKeyStore
from modelport.clock import Clock, SystemClock
from modelport.config import Settings
from modelport.engine.controller import Controller
from modelport.engine.model_environments import ModelEnvironments
from modelport.engine.router import Router
from modelport.engine.supervisor import Supervisor
from modelport.service.authorization import authorize
from modelport.service.context import ServiceContext
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
    context: ServiceContext
    # authorize(context, service, operation, params): raises AccessDenied unless the caller may.
    authorize: Callable[[ServiceContext, str, str, dict[str, Any]], None]

    async def close(self) -> None:
        """Stop everything that runs: endpoint instances, function environments."""
        await self.controller.stop()
        for runtime in self.context.runtimes.values():
            close = getattr(runtime, "close", None)
            if close is not None and inspect.iscoroutinefunction(close):
                await close()


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
    router = Router(
        max_in_flight=limits.max_in_flight_per_instance, timeout_s=limits.invocation_timeout_s, rng=rng
    )
    controller = Controller(
        store=store,
        settings=settings,
        clock=clock,
        supervisor=supervisor,
        router=router,
        artifacts=ArtifactCache(settings.artifact_dir, settings, s3_ready=s3_ready),
    )
    context = ServiceContext(
        store=store, settings=settings, clock=clock, engine=controller, keys=keys, runtimes={"router": router}
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
        context=context,
        authorize=authorize,
    )
