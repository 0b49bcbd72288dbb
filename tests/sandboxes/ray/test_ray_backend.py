"""The Ray backend end to end: a real server on MODELPORT_BACKEND=ray, a cluster of several nodes
on this machine (``conftest.py``), driven with boto3 as a user would."""

from __future__ import annotations

import re
import threading
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from modelport import seed
from modelport.cli.client import Connection
from modelport.cli.sagemaker.endpoints import instance_locations
from modelport.sandboxes.ray.actor import NODE_ROOT
from modelport.sandboxes.ray.cluster import owner_tag
from support.console_http import ConsoleClients
from support.modelport_server import REGION, ModelportServer, deploy, wait_in_service
from support.waiting import wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.ray]


def actors(ray: Any, endpoint: str) -> list[str]:
    """The names of the live actors of ``endpoint``'s instances, as Ray lists them."""
    prefix = f"modelport:{endpoint}/"
    return sorted(
        entry["name"]
        for entry in ray.util.list_named_actors(all_namespaces=True)
        if entry["namespace"] == "modelport" and entry["name"].startswith(prefix)
    )


def groups(ray: Any, endpoint: str) -> list[dict[str, Any]]:
    """The placement groups of ``endpoint``'s variants that Ray has not removed."""
    prefix = f"modelport:{endpoint}/"
    return [
        info
        for info in ray.util.placement_group_table().values()
        if (info.get("name") or "").startswith(prefix) and info["state"] != "REMOVED"
    ]


def instance_of(actor_name: str) -> str:
    """``modelport:<instance id>@<owner>`` -> the instance id."""
    return actor_name.split(":", 1)[1].rsplit("@", 1)[0]


def nodes_of(server: ModelportServer, endpoint: str, since: int = 0) -> dict[str, str]:
    """Instance id -> Ray node id, from the server's log lines of started instances."""
    started = re.findall(
        rf"started instance ({re.escape(endpoint)}/\S+) as Ray actor \S+ on node (\w+)", server.log(since)
    )
    return dict(started)


def classify(runtime: Any, endpoint: str) -> str:
    body = runtime.invoke_endpoint(EndpointName=endpoint, ContentType="text/csv", Body="5.1,3.3,1.7,0.5")
    scores = [float(v) for v in body["Body"].read().decode().strip().split(",")]
    return seed.CLASSES[scores.index(max(scores))]


def test_the_seed_hosting_flow_runs_unchanged_on_ray(
    ray_server: ModelportServer, ray_driver: Any, model_archive: Path
) -> None:
    sagemaker = ray_server.client("sagemaker")
    deploy(sagemaker, "ray-seed", str(model_archive))
    description = wait_in_service(sagemaker, "ray-seed")
    assert description["ProductionVariants"][0]["CurrentInstanceCount"] == 1
    assert classify(ray_server.client("sagemaker-runtime"), "ray-seed") == "Setosa"
    [name] = actors(ray_driver, "ray-seed")
    assert re.fullmatch(r"modelport:ray-seed/AllTraffic/0-\d+@\w{8}", name)
    # The instance's log stream (modelport logs ray-seed) says where it runs.
    logs = ray_server.client("logs")

    def where() -> list[str]:
        group = "/aws/sagemaker/Endpoints/ray-seed"
        streams = logs.describe_log_streams(logGroupName=group)["logStreams"]
        return [
            event["message"]
            for stream in streams
            for event in logs.get_log_events(
                logGroupName=group, logStreamName=stream["logStreamName"], startFromHead=True
            )["events"]
            if f"as Ray actor {name} on node " in event["message"]
        ]

    assert wait_until(where, "the instance's node in its log stream")

    sagemaker.delete_endpoint(EndpointName="ray-seed")
    wait_until(lambda: actors(ray_driver, "ray-seed") == [], "the endpoint's actors to go")
    wait_until(lambda: groups(ray_driver, "ray-seed") == [], "its placement group to go")
    sagemaker.delete_endpoint_config(EndpointConfigName="ray-seed")
    sagemaker.delete_model(ModelName="ray-seed")


def resize(sagemaker: Any, name: str, count: int) -> None:
    sagemaker.update_endpoint_weights_and_capacities(
        EndpointName=name,
        DesiredWeightsAndCapacities=[{"VariantName": "AllTraffic", "DesiredInstanceCount": count}],
    )
    description = wait_in_service(sagemaker, name)
    assert description["ProductionVariants"][0]["CurrentInstanceCount"] == count


def serving(server: ModelportServer, ray: Any, name: str, count: int) -> list[str]:
    """Wait until ``count`` actors serve ``name`` and the endpoint is InService; their names."""
    sagemaker = server.client("sagemaker")

    def settled() -> list[str] | None:
        names = actors(ray, name)
        described = sagemaker.describe_endpoint(EndpointName=name)
        current = described["ProductionVariants"][0].get("CurrentInstanceCount")
        if len(names) == count and described["EndpointStatus"] == "InService" and current == count:
            return names
        return None

    return wait_until(settled, f"{count} actors serving {name}", timeout_s=120)


def test_a_variant_spreads_scales_and_outlives_its_actors(
    ray_server: ModelportServer,
    ray_driver: Any,
    ray_cluster: Any,
    model_archive: Path,
    console_http: ConsoleClients,
) -> None:
    sagemaker = ray_server.client("sagemaker")
    runtime = ray_server.client("sagemaker-runtime")
    mark = ray_server.log_mark()
    # ml.m4.xlarge: one CPU each on the test cluster.
    deploy(sagemaker, "ray-fleet", str(model_archive), instances=4, instance_type="ml.m4.xlarge")
    wait_in_service(sagemaker, "ray-fleet")
    assert len(actors(ray_driver, "ray-fleet")) == 4
    # Four one-CPU instances on three two-CPU nodes: Ray's SPREAD uses every node.
    placed = nodes_of(ray_server, "ray-fleet", mark)
    assert len(placed) == 4
    assert len(set(placed.values())) == len(ray_cluster.list_all_nodes())
    # They run in one placement group sized to the launch, its bundles spread over the nodes.
    [group] = groups(ray_driver, "ray-fleet")
    assert re.fullmatch(r"modelport:ray-fleet/AllTraffic#\d+@\w{8}", group["name"])
    assert (group["strategy"], group["state"], len(group["bundles"])) == ("SPREAD", "CREATED", 4)
    assert set(group["bundles_to_node_id"].values()) == set(placed.values())
    # The console's endpoint page says where each instance runs.
    page = console_http.root(ray_server).get("/sagemaker/endpoints/ray-fleet").text
    assert all(node in page for node in placed.values())
    # So does the server's instances route, signed like DescribeEndpoint (`modelport describe`).
    connection = Connection(endpoint_url=ray_server.url, region=REGION, session=ray_server.session())
    listed = {i["InstanceId"]: i["Node"] for i in instance_locations(connection, "ray-fleet")}
    assert listed == placed

    resize(sagemaker, "ray-fleet", 2)
    serving(ray_server, ray_driver, "ray-fleet", 2)
    resize(sagemaker, "ray-fleet", 3)
    before = serving(ray_server, ray_driver, "ray-fleet", 3)
    assert len(groups(ray_driver, "ray-fleet")) == 1  # the third took a bundle the resize to 2 freed

    # An actor killed behind modelport's back is replaced by the controller, not by Ray.
    ray_driver.kill(ray_driver.get_actor(before[0], namespace="modelport"), no_restart=True)

    wait_until(lambda: before[0] not in actors(ray_driver, "ray-fleet"), "the killed actor to go")
    after = serving(ray_server, ray_driver, "ray-fleet", 3)  # InService all along (serving checks)
    assert set(before) - set(after) == {before[0]}
    assert classify(runtime, "ray-fleet") == "Setosa"

    # A node lost with its instances: the others keep serving, the lost ones start elsewhere.
    head = ray_cluster.head_node.node_id
    alive = {instance_of(name) for name in after}
    placed = {i: n for i, n in nodes_of(ray_server, "ray-fleet", mark).items() if i in alive}
    victim = next(
        n for n in ray_cluster.list_all_nodes() if n.node_id != head and n.node_id in placed.values()
    )
    lost = sum(1 for n in placed.values() if n == victim.node_id)
    failures: list[str] = []
    stop = threading.Event()

    def traffic() -> None:
        while not stop.is_set():
            try:
                classify(runtime, "ray-fleet")
            except ClientError as exc:
                failures.append(exc.response["Error"]["Code"])

    sender = threading.Thread(target=traffic)
    sender.start()
    try:
        ray_cluster.remove_node(victim)
        survivors = serving(ray_server, ray_driver, "ray-fleet", 3)
    finally:
        stop.set()
        sender.join()
    assert len(set(survivors) - set(after)) == lost
    now = nodes_of(ray_server, "ray-fleet", mark)
    assert victim.node_id not in {now[instance_of(name)] for name in survivors}
    # Only a request in flight to a lost instance may fail, and then with AWS's error code.
    assert len(failures) <= lost, failures
    assert set(failures) <= {"ModelError", "ServiceUnavailable", "InternalFailure"}, failures
    assert classify(runtime, "ray-fleet") == "Setosa"

    # Deleted, it leaves no actor and no placement group (the rescheduled group held the two
    # nodes left: bundles a scale-down freed stay reserved until their group empties).
    sagemaker.delete_endpoint(EndpointName="ray-fleet")
    wait_until(lambda: actors(ray_driver, "ray-fleet") == [], "the endpoint's actors to go")
    wait_until(lambda: groups(ray_driver, "ray-fleet") == [], "its placement group to go")
    sagemaker.delete_endpoint_config(EndpointConfigName="ray-fleet")
    sagemaker.delete_model(ModelName="ray-fleet")


def test_a_restarted_server_replaces_its_actors_and_delete_leaves_none(
    ray_server: ModelportServer, ray_driver: Any, model_archive: Path
) -> None:
    sagemaker = ray_server.client("sagemaker")
    deploy(sagemaker, "ray-restart", str(model_archive), instances=2)
    wait_in_service(sagemaker, "ray-restart")
    before = actors(ray_driver, "ray-restart")
    assert len(before) == 2
    [old_group] = groups(ray_driver, "ray-restart")

    ray_server.kill()  # kill -9: the server cannot stop its actors itself
    # Started again with MODELPORT_RAY_ADDRESS=auto: the cluster this machine's Ray last started
    # (Ray's test cluster, like `ray start --head`, writes its address where `auto` looks).
    ray_server.env["MODELPORT_RAY_ADDRESS"] = "auto"
    mark = ray_server.log_mark()
    ray_server.start()
    sagemaker = ray_server.client("sagemaker")
    after = serving(ray_server, ray_driver, "ray-restart", 2)
    assert set(after).isdisjoint(before)  # the old ones are gone, not left beside the new
    assert "joined the cluster at auto" in ray_server.log(mark)
    [new_group] = groups(ray_driver, "ray-restart")  # and so is the old placement group
    assert new_group["placement_group_id"] != old_group["placement_group_id"]
    assert classify(ray_server.client("sagemaker-runtime"), "ray-restart") == "Setosa"

    sagemaker.delete_endpoint(EndpointName="ray-restart")
    wait_until(lambda: actors(ray_driver, "ray-restart") == [], "the endpoint's actors to go")
    sagemaker.delete_endpoint_config(EndpointConfigName="ray-restart")
    sagemaker.delete_model(ModelName="ray-restart")
    wait_until(lambda: actors(ray_driver, "") == [], "no modelport actor left")
    wait_until(lambda: groups(ray_driver, "") == [], "no modelport placement group left")
    # No model is used any more: the collector clears the nodes' model cache too.
    node_cache = NODE_ROOT / owner_tag(ray_server.data_dir) / "artifacts"
    wait_until(
        lambda: not [p for p in node_cache.iterdir() if not p.name.startswith(".")],
        "the nodes' model cache to go",
    )
