"""Connecting to Ray, and the names modelport gives its actors.

Every actor is named ``modelport:<endpoint>/<variant>/<n>-<generation>@<owner>`` in the Ray
namespace ``modelport``, so Ray's dashboard (and ``ray list actors``) shows what each one is;
``<owner>`` is a short hash of the server's data folder, so two modelport servers can share a
cluster and each finds its own. Actors are not detached: Ray ends them when the server's driver
goes. A server that starts again kills whatever of its own is still there (``kill_leftovers``)
before its controller starts the fleets again, so none is left orphaned or counted twice.
"""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path
from types import ModuleType

log = logging.getLogger(__name__)

NAMESPACE = "modelport"
PREFIX = "modelport:"
# A server that starts its own Ray (no MODELPORT_RAY_ADDRESS) keeps its object store small:
# instances pass nothing but their addresses through it.
LOCAL_OBJECT_STORE_BYTES = 128 * 1024**2


def owner_tag(data_dir: Path) -> str:
    return hashlib.sha256(str(data_dir.resolve()).encode()).hexdigest()[:8]


def actor_name(instance_id: str, owner: str) -> str:
    return f"{PREFIX}{instance_id}@{owner}"


def connect(address: str) -> ModuleType:
    """Import Ray and join the cluster at ``address`` (``auto``, ``ray://…``, ``host:port``), or
    start a Ray of this machine's own when it is empty. Returns the ``ray`` module."""
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")  # no usage report from a server
    # Ray's core would otherwise take SIGTERM over (log a stack, then abort): the server's own
    # graceful shutdown (uvicorn's handler) must stay what SIGTERM does.
    os.environ.setdefault("RAY_DISABLE_FAILURE_SIGNAL_HANDLER", "1")
    try:
        import ray
    except ImportError as exc:
        raise RuntimeError(
            'MODELPORT_BACKEND=ray needs Ray: pip install "modelport[ray]" (docs/ray.md).'
        ) from exc
    if not ray.is_initialized():
        if address:
            ray.init(address=address, namespace=NAMESPACE, log_to_driver=False)
        else:
            ray.init(
                namespace=NAMESPACE,
                log_to_driver=False,
                include_dashboard=False,
                object_store_memory=LOCAL_OBJECT_STORE_BYTES,
            )
        log.info("Ray backend: joined the cluster at %s", address or "a Ray started for this server")
    return ray


def kill_leftovers(ray: ModuleType, owner: str) -> list[str]:
    """Kill this server's actors that are still alive (a previous run of it); return their names."""
    suffix = f"@{owner}"
    killed = []
    for entry in ray.util.list_named_actors(all_namespaces=True):
        name, namespace = entry["name"], entry["namespace"]
        if namespace != NAMESPACE or not name.startswith(PREFIX) or not name.endswith(suffix):
            continue
        try:
            ray.kill(ray.get_actor(name, namespace=NAMESPACE), no_restart=True)
        except ValueError:  # gone meanwhile
            continue
        killed.append(name)
    if killed:
        log.warning("killed %d actors left by an earlier run of this server: %s", len(killed), killed)
    return killed
