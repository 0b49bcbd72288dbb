"""One real modelport server for the end-to-end tests, the seed iris model deployed on it once.

The server is a subprocess started by ``support.modelport_server.running_server``, with keys
of its own and ``MODELPORT_WRITE_PROFILE=0`` so nothing touches ``~/.aws``. Clients never retry
(``max_attempts=1``): a retried request would hide the code the first answer carried.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest
from botocore.config import Config

from e2e.wire import REGION, Keys
from modelport import seed
from modelport.launcher import ServerProcess
from support.modelport_server import new_key_pair, root_env, running_server

NO_RETRIES = Config(retries={"mode": "standard", "max_attempts": 1})
GOOD_ROW = "5.1,3.5,1.4,0.2"  # a Setosa: the first probability is the largest


def new_keys() -> Keys:
    return Keys(*new_key_pair())


def server_env(keys: Keys, **extra: str) -> dict[str, str]:
    return root_env(keys.access_key, keys.secret_key, extra)


@contextmanager
def e2e_server(data_dir: Path, keys: Keys, **extra: str) -> Iterator[ServerProcess]:
    """A server signed for with ``keys``, with ``extra`` environment, stopped when the block ends."""
    with running_server(data_dir, env=extra, keys=(keys.access_key, keys.secret_key)) as running:
        assert running.process is not None
        yield running.process


def clients(url: str, keys: Keys) -> tuple[Any, Any]:
    """(sagemaker, sagemaker-runtime) boto3 clients for a server, without retries."""
    session = boto3.session.Session(
        aws_access_key_id=keys.access_key, aws_secret_access_key=keys.secret_key, region_name=REGION
    )
    return (
        session.client("sagemaker", endpoint_url=url, config=NO_RETRIES),
        session.client("sagemaker-runtime", endpoint_url=url, config=NO_RETRIES),
    )


@pytest.fixture(scope="session")
def keys() -> Keys:
    return new_keys()


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory, keys: Keys) -> Iterator[ServerProcess]:
    with e2e_server(tmp_path_factory.mktemp("e2e-server") / "data", keys) as process:
        yield process


@pytest.fixture(scope="session")
def sm(server: ServerProcess, keys: Keys) -> Any:
    return clients(server.url, keys)[0]


@pytest.fixture(scope="session")
def runtime(server: ServerProcess, keys: Keys) -> Any:
    return clients(server.url, keys)[1]


@pytest.fixture(scope="session")
def iris_archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seed tutorial's model.tar.gz (XGBoost on iris, Booster.save_model), built once."""
    with warnings.catch_warnings():
        # Booster.save_model warns that a file name without extension means UBJSON: intended.
        warnings.simplefilter("ignore", UserWarning)
        return seed.package_model(seed.train_iris_model(), tmp_path_factory.mktemp("iris"))


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


def wait_in_service(sm: Any, endpoint: str) -> None:
    sm.get_waiter("endpoint_in_service").wait(
        EndpointName=endpoint, WaiterConfig={"Delay": 0.1, "MaxAttempts": 600}
    )


@pytest.fixture(scope="session")
def iris(sm: Any, iris_archive: Path) -> Deployed:
    """The seed iris model deployed once: model ``iris-model``, config ``iris-config``, endpoint ``iris-ep``."""
    return deploy(sm, iris_archive, "iris")


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
    answer = runtime.invoke_endpoint(EndpointName=deployed.endpoint, ContentType="text/csv", Body=GOOD_ROW)
    probabilities = [float(p) for p in answer["Body"].read().decode().strip().split(",")]
    assert len(probabilities) == 3 and probabilities.index(max(probabilities)) == 0


@pytest.fixture(scope="session")
def healthy(server: ServerProcess, sm: Any, runtime: Any, iris: Deployed) -> Callable[[], None]:
    return lambda: check_healthy(server.url, sm, runtime, iris)
