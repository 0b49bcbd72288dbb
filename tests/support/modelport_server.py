"""The one place tests start and stop a real modelport server (a subprocess, reached over HTTP).

``ModelportServer`` is one server with its own data folder and root keys; ``running_server`` starts
one for the length of a ``with`` block. Variants callers need:

- ``env``: extra ``MODELPORT_*`` variables (S3 settings, limits such as
  ``MODELPORT_INVOCATION_TIMEOUT_S``), on top of the root keys, ``MODELPORT_WRITE_PROFILE=0``
  (so nothing touches ``~/.aws``), ``MODELPORT_EMBEDDED_S3=0`` (test servers that read no
  ``s3://`` data need no SeaweedFS; the embedded S3's own tests pass ``MODELPORT_EMBEDDED_S3=1``)
  and ``MODELPORT_PROXY=0`` (no HTTPS proxy, so no CA and no ``cryptography`` import at each
  start; tests of transparent endpoints pass ``MODELPORT_PROXY=1``);
- ``keys``: root keys the test chose (the CLI tests sign with keys they know beforehand);
- ``restart``/``start`` after ``kill``: the same data folder, keys and, if it is still free,
  port. The port is picked and retried by ``modelport.launcher.start_server``.

Fixtures that want the bare ``ServerProcess`` (``url``, ``data_dir``, ``log()``) yield
``server.process``.
"""

from __future__ import annotations

import secrets
import string
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from modelport.launcher import PortTaken, ServerProcess, start_server

REGION = "us-east-1"


def new_key_pair() -> tuple[str, str]:
    alphabet = string.ascii_uppercase + string.digits
    return "AKIA" + "".join(secrets.choice(alphabet) for _ in range(16)), secrets.token_urlsafe(30)[:40]


def root_env(access_key: str, secret_key: str, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """A test server's environment: these root keys, no AWS profile, no embedded S3, no proxy, no S3 front, then ``extra``."""
    return {
        "MODELPORT_ROOT_ACCESS_KEY_ID": access_key,
        "MODELPORT_ROOT_SECRET_ACCESS_KEY": secret_key,
        "MODELPORT_WRITE_PROFILE": "0",
        "MODELPORT_EMBEDDED_S3": "0",
        "MODELPORT_PROXY": "0",
        "MODELPORT_S3_FRONT": "0",
        **(extra or {}),
    }


@dataclass
class ModelportServer:
    """One server with its own data folder and root keys; ``start`` after ``kill`` keeps both."""

    data_dir: Path
    env: dict[str, str] = field(default_factory=dict)
    keys: tuple[str, str] = field(default_factory=new_key_pair)
    process: ServerProcess | None = None
    port: int | None = None

    @property
    def access_key(self) -> str:
        return self.keys[0]

    @property
    def secret_key(self) -> str:
        return self.keys[1]

    @property
    def url(self) -> str:
        assert self.process is not None
        return self.process.url

    def start(self) -> ModelportServer:
        env = root_env(self.access_key, self.secret_key, self.env)
        try:
            self.process = start_server(self.data_dir, port=self.port, env=env)
        except PortTaken:  # a restart whose old port another process took meanwhile
            self.process = start_server(self.data_dir, env=env)
        self.port = int(self.process.url.rsplit(":", 1)[1])
        return self

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop()

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()

    def client(self, service: str, *, retries: int = 1, read_timeout: float = 90, **kwargs: Any) -> Any:
        config = Config(retries={"mode": "standard", "max_attempts": retries}, read_timeout=read_timeout)
        return boto3.Session(
            aws_access_key_id=self.access_key, aws_secret_access_key=self.secret_key, region_name=REGION
        ).client(service, endpoint_url=self.url, config=config, **kwargs)


@contextmanager
def running_server(
    data_dir: Path, *, env: Mapping[str, str] | None = None, keys: tuple[str, str] | None = None
) -> Iterator[ModelportServer]:
    """A started server that is stopped (SIGTERM, then SIGKILL) when the block ends."""
    server = ModelportServer(data_dir, env=dict(env or {}), keys=keys or new_key_pair())
    server.start()
    try:
        yield server
    finally:
        server.stop()


def wait_in_service(sagemaker: Any, name: str) -> dict[str, Any]:
    """The endpoint_in_service waiter, polling fast; returns the final description."""
    sagemaker.get_waiter("endpoint_in_service").wait(
        EndpointName=name, WaiterConfig={"Delay": 0.05, "MaxAttempts": 1200}
    )
    description: dict[str, Any] = sagemaker.describe_endpoint(EndpointName=name)
    return description


def wait_status(sagemaker: Any, name: str, wanted: set[str], timeout_s: float = 60.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while True:
        description: dict[str, Any] = sagemaker.describe_endpoint(EndpointName=name)
        if description["EndpointStatus"] in wanted:
            return description
        if time.monotonic() > deadline:
            raise AssertionError(f"endpoint {name} stuck in {description['EndpointStatus']}")
        time.sleep(0.05)


def deploy(
    sagemaker: Any,
    name: str,
    model_data_url: str,
    *,
    image: str = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1",
    instances: int = 1,
    environment: dict[str, str] | None = None,
) -> None:
    """CreateModel, CreateEndpointConfig and CreateEndpoint, each named ``name``."""
    container: dict[str, Any] = {"Image": image, "ModelDataUrl": model_data_url}
    if environment:
        container["Environment"] = environment
    sagemaker.create_model(
        ModelName=name, ExecutionRoleArn="arn:aws:iam::123456789012:role/test", PrimaryContainer=container
    )
    sagemaker.create_endpoint_config(
        EndpointConfigName=name,
        ProductionVariants=[
            {
                "VariantName": "AllTraffic",
                "ModelName": name,
                "InitialInstanceCount": instances,
                "InstanceType": "ml.m5.large",
            }
        ],
    )
    sagemaker.create_endpoint(EndpointName=name, EndpointConfigName=name)
