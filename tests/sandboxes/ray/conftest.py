"""A Ray cluster of several nodes on this machine, and a modelport server on the Ray backend.

Ray's own test utility (``ray.cluster_utils.Cluster``) starts a head and extra nodes, each a
raylet with its own CPUs. The head gets no CPUs, so every instance lands on a worker node;
each worker node has one CPU, the request of one ``ml.m4.xlarge`` instance at the default
``MODELPORT_RAY_RESOURCE_SCALE`` (0.25 × 4 vCPUs), so four instances take four nodes. Object
stores are kept at Ray's minimum: instances pass nothing but their addresses through them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from support.fixtures import ServerPool
from support.modelport_server import ModelportServer

WORKER_NODES = 4
_OBJECT_STORE_BYTES = 80 * 1024**2
# A lost node is noticed within about a second, not Ray's default of half a minute.
_FAST_FAILURE_DETECTION = {"health_check_period_ms": 500, "health_check_failure_threshold": 2}


@pytest.fixture(scope="module")
def ray_cluster() -> Iterator[Any]:
    cluster_utils = pytest.importorskip("ray.cluster_utils")
    cluster = cluster_utils.Cluster(
        initialize_head=True,
        head_node_args={
            "num_cpus": 0,
            "object_store_memory": _OBJECT_STORE_BYTES,
            "_system_config": _FAST_FAILURE_DETECTION,
        },
    )
    try:
        for _ in range(WORKER_NODES):
            cluster.add_node(num_cpus=1, object_store_memory=_OBJECT_STORE_BYTES)
        cluster.wait_for_nodes()
        yield cluster
    finally:
        cluster.shutdown()


@pytest.fixture(scope="module")
def ray_server(ray_cluster: Any, module_servers: ServerPool) -> ModelportServer:
    """A modelport server whose instances are actors on ``ray_cluster``."""
    return module_servers.start(
        env={"MODELPORT_BACKEND": "ray", "MODELPORT_RAY_ADDRESS": ray_cluster.address}
    )


@pytest.fixture(scope="module")
def ray_driver(ray_cluster: Any) -> Iterator[Any]:
    """This test process connected to the cluster, to look at modelport's actors as Ray sees them."""
    import ray

    ray.init(address=ray_cluster.address, namespace="modelport", log_to_driver=False)
    try:
        yield ray
    finally:
        ray.shutdown()
