"""A Ray cluster of several nodes on this machine, and a modelport server on the Ray backend.

Ray's own test utility (``ray.cluster_utils.Cluster``) starts a head and extra nodes, each a
raylet with its own CPUs: three nodes of two CPUs each, room for six ``ml.m4.xlarge`` instances
(one CPU each at the default ``MODELPORT_RAY_RESOURCE_SCALE``, 0.25 × 4 vCPUs). Three nodes, not
more: each one costs seconds to start on a 2-core machine. Object stores are kept at Ray's
minimum: instances pass nothing but their addresses through them.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from modelport.sandboxes.ray.actor import NODE_ROOT
from modelport.sandboxes.ray.cluster import owner_tag
from support.fixtures import ServerPool
from support.modelport_server import ModelportServer

WORKER_NODES = 2  # besides the head
CPUS_PER_NODE = 2
_OBJECT_STORE_BYTES = 80 * 1024**2
# A lost node is noticed within about a second, not Ray's default of half a minute.
_FAST_FAILURE_DETECTION = {"health_check_period_ms": 500, "health_check_failure_threshold": 2}


@pytest.fixture(scope="module")
def ray_cluster() -> Iterator[Any]:
    cluster_utils = pytest.importorskip("ray.cluster_utils")
    cluster = start_head(cluster_utils)
    try:
        for _ in range(WORKER_NODES):
            add_node(cluster)
        cluster.wait_for_nodes()
        yield cluster
    finally:
        cluster.shutdown()


def start_head(cluster_utils: Any) -> Any:
    """The head node, tried twice like ``add_node``; what a failed try started is killed by pid
    (the head's processes are this process's children)."""
    for attempt in (1, 2):
        before = children()
        try:
            return cluster_utils.Cluster(
                initialize_head=True,
                head_node_args={
                    "num_cpus": CPUS_PER_NODE,
                    "object_store_memory": _OBJECT_STORE_BYTES,
                    "_system_config": _FAST_FAILURE_DETECTION,
                },
            )
        except Exception:
            for pid in children() - before:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def children() -> set[int]:
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == os.getpid():
                found.add(int(stat.parent.name))
    return found


def add_node(cluster: Any) -> None:
    """One more node; tried twice, since Ray gives a raylet a fixed 30 s to register and a busy
    2-core machine can take longer."""
    try:
        cluster.add_node(num_cpus=CPUS_PER_NODE, object_store_memory=_OBJECT_STORE_BYTES)
    except Exception:
        cluster.add_node(num_cpus=CPUS_PER_NODE, object_store_memory=_OBJECT_STORE_BYTES)


@pytest.fixture(scope="module")
def ray_server(ray_cluster: Any, module_servers: ServerPool) -> Iterator[ModelportServer]:
    """A modelport server whose instances are actors on ``ray_cluster``."""
    server = module_servers.start(
        env={"MODELPORT_BACKEND": "ray", "MODELPORT_RAY_ADDRESS": ray_cluster.address}
    )
    yield server
    shutil.rmtree(NODE_ROOT / owner_tag(server.data_dir), ignore_errors=True)  # the nodes' model cache


@pytest.fixture(scope="module")
def ray_driver(ray_cluster: Any) -> Iterator[Any]:
    """This test process connected to the cluster, to look at modelport's actors as Ray sees them."""
    import ray

    ray.init(address=ray_cluster.address, namespace="modelport", log_to_driver=False)
    try:
        yield ray
    finally:
        ray.shutdown()
