"""The Ray backend against the local one on one machine: ``python -m benchmarks.ray_backend``.

Starts a Ray cluster of two nodes on this machine (``ray.cluster_utils.Cluster``: a head and
one more node, ``--cpus`` each, Ray's default failure detection) and two servers, one on the
local backend and one on ``MODELPORT_BACKEND=ray`` pointed at the cluster. Measures, for each:

- deploy: CreateEndpoint → InService of one seed iris instance, as a user polling
  DescribeEndpoint every 10 ms sees it (median of ``--deploys``; Ray has no warm pool);
- latency at c=1 and throughput at c=64 of one pre-signed InvokeEndpoint (wrk, ``--seconds``);
- on Ray only: the time from a node's loss (its raylet and workers killed) to its instance's
  replacement serving again (CurrentInstanceCount back to 2), and the part of it Ray took to
  notice the loss.

Needs ``modelport[ray]`` and wrk.
"""

from __future__ import annotations

import argparse
import re
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks import deploys, wrk
from benchmarks.signing import Signer
from modelport import seed
from modelport.launcher import PrivateKeys, ServerProcess, start_server

ROW = b"5.1,3.3,1.7,0.5"
STORE_BYTES = 80 * 1024**2


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.ray_backend", description=__doc__)
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--deploys", type=int, default=3)
    parser.add_argument("--cpus", type=int, default=2, help="CPUs of each Ray node")
    args = parser.parse_args(argv)
    from ray.cluster_utils import Cluster

    keys = PrivateKeys.new()
    rows: list[str] = []
    with tempfile.TemporaryDirectory(prefix="modelport-ray-bench-") as folder:
        workdir = Path(folder)
        archive = seed.package_model(seed.train_iris_model(), workdir / "model")
        cluster = Cluster(
            initialize_head=True,
            head_node_args={"num_cpus": args.cpus, "object_store_memory": STORE_BYTES},
        )
        servers: dict[str, ServerProcess] = {}
        try:
            node = cluster.add_node(num_cpus=args.cpus, object_store_memory=STORE_BYTES)
            cluster.wait_for_nodes()
            backends = {
                "local": {},
                "ray": {"MODELPORT_BACKEND": "ray", "MODELPORT_RAY_ADDRESS": cluster.address},
            }
            for name, env in backends.items():
                servers[name] = start_server(workdir / name, env={**keys.server_env(), **env}, timeout_s=120)
                rows.append(measure(name, servers[name], keys, str(archive), args))
            loss = node_loss(servers["ray"], keys, str(archive), cluster, node)
        finally:
            for server in servers.values():
                server.stop()
            cluster.shutdown()  # type: ignore[no-untyped-call]
    print(
        f"one seed iris instance per backend; wrk medians over {args.seconds} s; Ray nodes of {args.cpus} CPUs"
    )
    print("| backend | deploy → InService s (median) | c=1 p50 ms | c=1 p99 ms | c=64 req/s | c=64 p99 ms |")
    print("|---|---|---|---|---|---|")
    for row in rows:
        print(row)
    print(
        f"node loss → replacement serving: {loss[0]:.1f} s, of which Ray noticing the loss: {loss[1]:.1f} s"
    )
    return 0


def measure(name: str, server: ServerProcess, keys: PrivateKeys, archive: str, args: Any) -> str:
    sm = deploys.sagemaker_client(server.url, keys.access_key, keys.secret_key)
    deploys.create_model_and_config(sm, "bench", archive)
    times = deploys.time_deploys(sm, "bench", "bench", args.deploys)
    deploys.deploy(sm, "bench", "bench")
    url = f"{server.url}/endpoints/bench/invocations"
    headers = Signer(keys.access_key, keys.secret_key).invoke_headers(server.url, "bench", ROW, "text/csv")
    one = wrk.run(url, ROW, headers, concurrency=1, seconds=args.seconds)
    many = wrk.run(url, ROW, headers, concurrency=64, seconds=args.seconds)
    deploys.delete(sm, "bench")
    median = sorted(times)[len(times) // 2]
    return (
        f"| {name} | {median:.2f} | {one['p50_ms']:.2f} | {one['p99_ms']:.2f} | "
        f"{many['rps']:,.0f} | {many['p99_ms']:.2f} |"
    )


def node_loss(
    server: ServerProcess, keys: PrivateKeys, archive: str, cluster: Any, node: Any
) -> tuple[float, float]:
    """Seconds from removing ``node`` to the endpoint serving 2 instances again, and to the loss
    being noticed (the server's log line about the lost actor)."""
    sm = deploys.sagemaker_client(server.url, keys.access_key, keys.secret_key)
    sm.create_endpoint_config(
        EndpointConfigName="loss",
        ProductionVariants=[
            {
                "VariantName": "AllTraffic",
                "ModelName": "bench",
                "InitialInstanceCount": 2,
                "InstanceType": "ml.m5.large",
            }
        ],
    )
    deploys.deploy(sm, "loss", "loss")
    placed = re.findall(r"started instance (loss/\S+) as Ray actor \S+ on node (\w+)", server.log())
    if node.node_id not in {n for _, n in placed}:
        raise RuntimeError("both instances landed on the head node; run again")
    mark = len(server.log())
    removed = time.perf_counter()
    cluster.remove_node(node)
    noticed = None
    while True:
        if noticed is None and "was lost" in server.log()[mark:]:
            noticed = time.perf_counter() - removed
        variant = sm.describe_endpoint(EndpointName="loss")["ProductionVariants"][0]
        if noticed is not None and variant.get("CurrentInstanceCount") == 2:
            return time.perf_counter() - removed, noticed
        if time.perf_counter() - removed > 300:
            raise RuntimeError("no replacement within 300 s")
        time.sleep(deploys.POLL_S)


if __name__ == "__main__":
    raise SystemExit(main())
