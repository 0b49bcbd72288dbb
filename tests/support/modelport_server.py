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

The pytest fixtures built on it (the shared ``server``, ``private_server``, ``module_servers``
...) are in ``support.fixtures``; ``client`` and ``invoke`` below are the one client factory and
the one invocation helper every end-to-end test uses. docs/testing.md says which to pick.
"""

from __future__ import annotations

import functools
import json
import secrets
import string
import subprocess
import sys
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
    """A test server's environment: these root keys, no AWS profile, no embedded S3 (and a short
    stop for it where a test turns it on), no proxy, no S3 front, then ``extra``."""
    return {
        "MODELPORT_ROOT_ACCESS_KEY_ID": access_key,
        "MODELPORT_ROOT_SECRET_ACCESS_KEY": secret_key,
        "MODELPORT_WRITE_PROFILE": "0",
        "MODELPORT_EMBEDDED_S3": "0",
        "MODELPORT_PROXY": "0",
        "MODELPORT_S3_FRONT": "0",
        # SeaweedFS does not exit on SIGTERM (measured: not within 15 s), so a clean stop of a
        # server with the embedded S3 always ends in SIGKILL after this; 1 s, not 5, per stop.
        "MODELPORT_EMBEDDED_S3_STOP_TIMEOUT_S": "1",
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

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.process.pid

    def alive(self) -> bool:
        return self.process is not None and self.process.process.poll() is None

    def log(self, since: int = 0) -> str:
        """The server's log (every start appends to it), from byte offset ``since`` on."""
        path = self.data_dir / "server.log"
        if not path.exists():
            return ""
        with path.open("rb") as handle:
            handle.seek(since)
            return handle.read().decode(errors="replace")

    def log_mark(self) -> int:
        """Where the log ends now: ``log(since=mark)`` is what the server wrote after this call.

        On the shared server every module's requests are logged; a test that checks a log line
        reads only what was written since its mark, so a line another module caused cannot pass it.
        """
        path = self.data_dir / "server.log"
        return path.stat().st_size if path.exists() else 0

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

    def client(self, service: str, **options: Any) -> Any:
        """A boto3 client of this server signed with its root keys: ``client(self, service, ...)``."""
        return client(self, service, **options)

    def session(self) -> boto3.Session:
        """A boto3 Session with the root keys (for code that takes a Session, not a client)."""
        return boto3.Session(
            aws_access_key_id=self.access_key, aws_secret_access_key=self.secret_key, region_name=REGION
        )


def client(
    server: ModelportServer,
    service: str,
    *,
    credentials: Mapping[str, str] | None = None,
    region: str = REGION,
    retries: int = 1,
    read_timeout: float = 90,
    validate: bool = True,
    **kwargs: Any,
) -> Any:
    """The one way tests make a boto3 client of a modelport server.

    Signed with the server's root keys unless ``credentials`` (``AccessKeyId``,
    ``SecretAccessKey`` and, for an assumed role, ``SessionToken``, as IAM and STS return them).
    ``retries=1``: no retries, so a test sees the code of the first answer. ``validate=False``
    turns off botocore's parameter validation, so a value its model forbids reaches the server
    (the bad-input corpora need that).
    """
    if credentials is None:
        credentials = {"AccessKeyId": server.access_key, "SecretAccessKey": server.secret_key}
    return _client(server.url, service, credentials, region, retries, read_timeout, validate, **kwargs)


def _client(
    url: str,
    service: str,
    credentials: Mapping[str, str],
    region: str = REGION,
    retries: int = 1,
    read_timeout: float = 90,
    validate: bool = True,
    **kwargs: Any,
) -> Any:
    session = boto3.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials.get("SessionToken"),
        region_name=region,
    )
    config = Config(
        retries={"mode": "standard", "max_attempts": retries},
        read_timeout=read_timeout,
        parameter_validation=validate,
    )
    return session.client(service, endpoint_url=url, config=config, **kwargs)


@dataclass(frozen=True)
class Invocation:
    """What InvokeEndpoint answered: the body, read, and the headers tests look at."""

    body: bytes
    content_type: str
    variant: str

    def json(self) -> Any:
        return json.loads(self.body)


def invoke(
    target: ModelportServer | Any,
    endpoint: str,
    body: bytes | str | dict[str, Any] | list[Any] = "5.1,3.3,1.7,0.5",
    *,
    content_type: str | None = None,
    accept: str | None = None,
    ready_within_s: float = 0.0,
) -> Invocation:
    """InvokeEndpoint through boto3, the one invocation helper of the end-to-end tests.

    ``target`` is a server (its root keys sign) or a ``sagemaker-runtime`` client (a user's or a
    role's). The default body is one iris row as CSV (a Setosa); a dict or list is sent as JSON.
    An error answer raises botocore's ``ClientError``, except that with ``ready_within_s`` a
    ``ModelNotReadyException`` (instances still starting, after a restart) is retried that long.
    """
    runtime = (
        _root_runtime(target.url, target.keys, target.pid) if isinstance(target, ModelportServer) else target
    )
    if isinstance(body, (dict, list)):
        body, content_type = json.dumps(body), content_type or "application/json"
    params: dict[str, Any] = {
        "EndpointName": endpoint,
        "ContentType": content_type or "text/csv",
        "Body": body,
    }
    if accept is not None:
        params["Accept"] = accept
    deadline = time.monotonic() + ready_within_s
    while True:
        try:
            answer = runtime.invoke_endpoint(**params)
            break
        except runtime.exceptions.ModelNotReadyException:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
    return Invocation(answer["Body"].read(), answer["ContentType"], answer["InvokedProductionVariant"])


@functools.cache
def _root_runtime(url: str, keys: tuple[str, str], pid: int) -> Any:
    """One root runtime client per server process (a client takes ~0.1 s to build; no test hooks
    events on this one). A restarted server is a new process: its pooled connections start fresh."""
    return _client(url, "sagemaker-runtime", {"AccessKeyId": keys[0], "SecretAccessKey": keys[1]})


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


def root_shell(server: ModelportServer) -> dict[str, str]:
    """A bare shell holding only the server's root keys and region (``COLUMNS`` wide for tables)."""
    return {
        "PATH": "/usr/bin:/bin",
        "AWS_ACCESS_KEY_ID": server.access_key,
        "AWS_SECRET_ACCESS_KEY": server.secret_key,
        "AWS_DEFAULT_REGION": REGION,
        "COLUMNS": "300",
    }


def run_modelport(
    server: ModelportServer, *args: str, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``modelport ARGS`` as a user types it, in ``root_shell`` unless ``env`` is given."""
    return subprocess.run(
        [sys.executable, "-m", "modelport", *args],
        env=dict(env if env is not None else root_shell(server)),
        capture_output=True,
        text=True,
        timeout=60,
    )


def modelport_env(server: ModelportServer, *options: str, env: Mapping[str, str]) -> dict[str, str]:
    """What ``eval "$(modelport env --data-dir <the server's> OPTIONS)"`` exports, run in ``env``."""
    printed = subprocess.run(
        [
            sys.executable,
            "-m",
            "modelport",
            "env",
            "--format",
            "json",
            "--data-dir",
            str(server.data_dir),
            *options,
        ],
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert printed.returncode == 0, printed.stderr
    exported: dict[str, str] = json.loads(printed.stdout)
    return exported


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
    instance_type: str = "ml.m5.large",
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
                "InstanceType": instance_type,
            }
        ],
    )
    sagemaker.create_endpoint(EndpointName=name, EndpointConfigName=name)
