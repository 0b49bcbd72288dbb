"""The Ray backend end to end: a real server on MODELPORT_BACKEND=ray, a cluster of several nodes
on this machine (``conftest.py``), driven with boto3 as a user would."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from modelport import seed
from support.modelport_server import ModelportServer, deploy, wait_in_service
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

    sagemaker.delete_endpoint(EndpointName="ray-seed")
    wait_until(lambda: actors(ray_driver, "ray-seed") == [], "the endpoint's actors to go")
    sagemaker.delete_endpoint_config(EndpointConfigName="ray-seed")
    sagemaker.delete_model(ModelName="ray-seed")
