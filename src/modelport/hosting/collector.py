"""The artifact collector: deletes cached model folders that nothing can use any more.

A model's unpacked folder (``hosting/artifacts/cache.py``) is live while any of these refers to its key:

- a Model record: CreateEndpoint may snapshot the model at any time;
- an endpoint record's deployment snapshot, or its pending one: an endpoint keeps serving after
  its Model is deleted, and comes back from its snapshot after a restart;
- a fleet the router runs;
- a running batch transform job (``also_live``, the runner's keys).

Every other folder is deleted: at start-up, every ``COLLECT_INTERVAL_S``, and soon after an
endpoint or a Model is deleted (``request``). One round runs at a time. Its live keys are read in the event
loop, where no service call interleaves, and a launch that is about to prepare a folder waits
while a round runs (``idle``): so a model created after a round read its keys never loses its
new folder to that round. Errors are logged; the loop goes on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Collection
from pathlib import Path

from modelport.hosting.deployments import (
    ENDPOINT_KIND,
    MODEL_KIND,
    deployment_model_keys,
    endpoint_model_keys,
    model_key,
)
from modelport.hosting.router import Router
from modelport.store.base import Store

log = logging.getLogger(__name__)

COLLECT_INTERVAL_S = 60.0


class ArtifactCollector:
    """Runs ``collect(live_keys)`` (the cache's, blocking) in a thread, one round at a time."""

    def __init__(
        self,
        *,
        store: Store,
        router: Router,
        collect: Callable[[Collection[str]], list[Path]],
        interval_s: float = COLLECT_INTERVAL_S,
    ) -> None:
        self.store = store
        self.router = router
        self.collect = collect
        self.interval_s = interval_s
        self.also_live: Callable[[], set[str]] = set  # more live keys: running transform jobs'
        self._wanted = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._one_at_a_time = asyncio.Lock()

    def live_keys(self) -> set[str]:
        """The model keys something may still run (see the module docstring)."""
        keys = {model_key(model.name, model.creation_time) for model in self.store.list(MODEL_KIND)}
        for endpoint in self.store.list(ENDPOINT_KIND):
            keys |= endpoint_model_keys(endpoint.body)
        for fleet in self.router.fleets.values():
            keys |= deployment_model_keys(fleet.deployment)
        return keys | self.also_live()

    def request(self) -> None:
        """Ask for a round as soon as the current one (if any) ends."""
        self._wanted.set()

    async def idle(self) -> None:
        """Return once no round is running."""
        await self._idle.wait()

    async def run(self) -> None:
        """Collect now, then every ``interval_s`` or when asked, until cancelled."""
        while True:
            self._wanted.clear()
            await self.collect_once()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wanted.wait(), self.interval_s)

    async def collect_once(self) -> list[Path]:
        """One round: the folders deleted (none when it failed, which is logged)."""
        async with self._one_at_a_time:
            # Cleared in the same step as the keys are read, so a launch that finds the collector
            # idle has its endpoint stored already: any round that starts later keeps its folders.
            self._idle.clear()
            try:
                deleted = await asyncio.to_thread(self.collect, self.live_keys())
            except Exception:
                log.exception("collecting unused model folders failed; trying again later")
                return []
            finally:
                self._idle.set()
        for folder in deleted:
            log.info("deleted the cached model folder %s: no model or endpoint uses it", folder.name)
        return deleted
