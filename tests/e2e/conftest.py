"""The end-to-end corpora run on the shared server (``support.fixtures``: ``server``), with the
seed iris model deployed on it once.

Clients never retry (``support.modelport_server.client``): a retried request would hide the code
the first answer carried. Everything created here is named ``iris-…``, ``bad-…`` or ``e2e-…``:
the scenario tests share the server.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from e2e.wire import Keys
from modelport import seed
from support.modelport_server import ModelportServer, invoke, new_key_pair, wait_in_service

GOOD_ROW = "5.1,3.5,1.4,0.2"  # a Setosa: the first probability is the largest


def new_keys() -> Keys:
    """Keys no server knows."""
    return Keys(*new_key_pair())


@pytest.fixture(scope="session")
def keys(server: ModelportServer) -> Keys:
    """The shared server's root keys, for the raw signed requests of ``e2e.wire``."""
    return Keys(server.access_key, server.secret_key)


@pytest.fixture(scope="session")
def sm(server: ModelportServer) -> Any:
    return server.client("sagemaker")


@pytest.fixture(scope="session")
def runtime(server: ModelportServer) -> Any:
    return server.client("sagemaker-runtime")


@dataclass(frozen=True)
class Deployed:
    model: str
    config: str
    endpoint: str
    tagged_arn: str  # a resource with tags, to check nothing was lost


def deploy(sm: Any, archive: Path, prefix: str, *, wait: bool = True) -> Deployed:
    model, config, endpoint = f"{prefix}-model", f"{prefix}-config", f"{prefix}-ep"
    model_arn = sm.create_model(
        ModelName=model,
        PrimaryContainer={"Image": seed.XGBOOST_IMAGE, "ModelDataUrl": str(archive)},
        Tags=[{"Key": "team", "Value": "e2e"}],
    )["ModelArn"]
    sm.create_endpoint_config(
        EndpointConfigName=config,
        ProductionVariants=[
            {
                "VariantName": "AllTraffic",
                "ModelName": model,
                "InitialInstanceCount": 1,
                "InstanceType": "ml.m4.xlarge",
            }
        ],
    )
    sm.create_endpoint(EndpointName=endpoint, EndpointConfigName=config)
    if wait:
        wait_in_service(sm, endpoint)
    return Deployed(model, config, endpoint, model_arn)


@pytest.fixture(scope="session")
def iris(sm: Any, model_archive: Path) -> Deployed:
    """The seed iris model deployed once: model ``iris-model``, config ``iris-config``, endpoint ``iris-ep``."""
    return deploy(sm, model_archive, "iris")


def check_healthy(url: str, sm: Any, runtime: Any, deployed: Deployed) -> None:
    """The server answers, the deployed endpoint still serves, and nothing it had was lost."""
    assert httpx.get(f"{url}/health", timeout=5).status_code == 200
    assert sm.describe_model(ModelName=deployed.model)["ModelName"] == deployed.model
    assert (
        sm.describe_endpoint_config(EndpointConfigName=deployed.config)["EndpointConfigName"]
        == deployed.config
    )
    assert sm.describe_endpoint(EndpointName=deployed.endpoint)["EndpointStatus"] == "InService"
    assert sm.list_tags(ResourceArn=deployed.tagged_arn)["Tags"] == [{"Key": "team", "Value": "e2e"}]
    answer = invoke(runtime, deployed.endpoint, GOOD_ROW)
    probabilities = [float(p) for p in answer.body.decode().strip().split(",")]
    assert len(probabilities) == 3 and probabilities.index(max(probabilities)) == 0


@pytest.fixture(scope="session")
def healthy(server: ModelportServer, sm: Any, runtime: Any, iris: Deployed) -> Callable[[], None]:
    return lambda: check_healthy(server.url, sm, runtime, iris)
