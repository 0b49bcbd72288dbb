"""Unchanged polling code sees a fast deploy at its first poll (issue 11, item 1).

CreateEndpoint, UpdateEndpoint and DeleteEndpoint answer once the change has settled, or after
``MODELPORT_SETTLE_TIMEOUT_S``; their answers are SageMaker's. So botocore's waiters with their
default config (30 s between polls) and the seed notebook's ``while status == 'Creating':
time.sleep(60)`` loop never wait. Polls are counted with a botocore event hook, and
``time.sleep`` is made to fail the test, rather than timing anything. A model slower than the
bound still answers ``Creating``: its ``model_fn`` waits until the test releases it.
"""

from __future__ import annotations

import io
import json
import re
import tarfile
import time
import zipfile
from pathlib import Path
from typing import Any

import boto3
import pytest

from modelport import seed
from support.fixtures import ServerPool
from support.modelport_server import ModelportServer, deploy, wait_in_service

pytestmark = pytest.mark.e2e

SKLEARN_IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"

# A script-mode model that loads only once the file named by RELEASE_FILE exists.
HELD_INFERENCE_PY = """
import json
import os
import time


def model_fn(model_dir):
    while not os.path.exists(os.environ["RELEASE_FILE"]):
        time.sleep(0.01)
    return "released"


def input_fn(body, content_type):
    return json.loads(body)


def predict_fn(data, model):
    return model


def output_fn(prediction, accept):
    return json.dumps(prediction), "application/json"
"""


@pytest.fixture(scope="module")
def server(module_servers: ServerPool) -> ModelportServer:
    """A server whose bound is far above any deploy here, so a loaded machine cannot turn the
    settled answer into a Creating one (the bound itself is tested below)."""
    return module_servers.start(env={"MODELPORT_SETTLE_TIMEOUT_S": "120"})


def count_calls(client: Any, operation: str) -> list[str]:
    """A list that grows by one for every ``operation`` call the client makes (a botocore hook)."""
    calls: list[str] = []
    service = client.meta.service_model.endpoint_prefix
    client.meta.events.register(
        f"before-call.{service}.{operation}", lambda **kwargs: calls.append(operation)
    )
    return calls


@pytest.fixture
def no_sleep(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any time.sleep in this process (a waiter's delay, the notebook's loop) fails the test."""

    def refuse(seconds: float) -> None:
        raise AssertionError(
            f"time.sleep({seconds}) was called: the first poll did not see the settled state"
        )

    monkeypatch.setattr(time, "sleep", refuse)


def test_waiters_with_their_default_config_see_in_service_and_gone_at_the_first_poll(
    server: ModelportServer, model_archive: Path, no_sleep: None
) -> None:
    sagemaker = server.client("sagemaker")
    describes = count_calls(sagemaker, "DescribeEndpoint")
    deploy(sagemaker, "waited", str(model_archive))
    sagemaker.get_waiter("endpoint_in_service").wait(EndpointName="waited")
    assert len(describes) == 1

    sagemaker.delete_endpoint(EndpointName="waited")
    sagemaker.get_waiter("endpoint_deleted").wait(EndpointName="waited")
    assert len(describes) == 2


def test_an_update_is_in_service_at_the_first_poll(
    server: ModelportServer, model_archive: Path, no_sleep: None
) -> None:
    sagemaker = server.client("sagemaker")
    deploy(sagemaker, "updated", str(model_archive))
    sagemaker.create_endpoint_config(
        EndpointConfigName="updated-two",
        ProductionVariants=[
            {
                "VariantName": "Two",
                "ModelName": "updated",
                "InitialInstanceCount": 2,
                "InstanceType": "ml.m5.large",
            }
        ],
    )
    describes = count_calls(sagemaker, "DescribeEndpoint")
    assert set(sagemaker.update_endpoint(EndpointName="updated", EndpointConfigName="updated-two")) == {
        "EndpointArn",
        "ResponseMetadata",
    }
    sagemaker.get_waiter("endpoint_in_service").wait(EndpointName="updated")
    assert len(describes) == 1
    variant = sagemaker.describe_endpoint(EndpointName="updated")["ProductionVariants"][0]
    assert (variant["VariantName"], variant["CurrentInstanceCount"]) == ("Two", 2)
    sagemaker.delete_endpoint(EndpointName="updated")


def test_the_seed_notebooks_polling_loop_never_sleeps(
    server: ModelportServer, model_archive: Path, no_sleep: None
) -> None:
    sm = server.client("sagemaker")
    sm.create_model(
        ModelName="notebook",
        ExecutionRoleArn="arn:aws:iam::123456789012:role/test",
        PrimaryContainer={"Image": seed.XGBOOST_IMAGE, "ModelDataUrl": str(model_archive)},
    )
    sm.create_endpoint_config(
        EndpointConfigName="notebook",
        ProductionVariants=[
            {
                "InstanceType": "ml.m5.large",
                "InitialVariantWeight": 1,
                "InitialInstanceCount": 1,
                "ModelName": "notebook",
                "VariantName": "AllTraffic",
            }
        ],
    )
    endpoint_name = "notebook"
    create_endpoint_response = sm.create_endpoint(EndpointName=endpoint_name, EndpointConfigName="notebook")
    print(create_endpoint_response["EndpointArn"])

    # The deployment notebook's cell, verbatim in substance.
    resp = sm.describe_endpoint(EndpointName=endpoint_name)
    status = resp["EndpointStatus"]
    print("Status: " + status)
    while status == "Creating":
        time.sleep(60)
        resp = sm.describe_endpoint(EndpointName=endpoint_name)
        status = resp["EndpointStatus"]
        print("Status: " + status)

    assert status == "InService"
    sm.delete_endpoint(EndpointName=endpoint_name)


def test_lambda_waiters_with_their_default_config_see_the_function_ready_at_the_first_poll(
    server: ModelportServer, no_sleep: None
) -> None:
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
    role = server.client("iam").create_role(RoleName="settled-fn", AssumeRolePolicyDocument=json.dumps(trust))
    functions = server.client("lambda")
    gets = [count_calls(functions, "GetFunctionConfiguration"), count_calls(functions, "GetFunction")]

    def code(answer: str) -> bytes:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("app.py", f"def handler(event, context):\n    return {answer!r}\n")
        return buffer.getvalue()

    created = functions.create_function(
        FunctionName="settled-fn",
        Runtime="python3.11",
        Role=role["Role"]["Arn"],
        Handler="app.handler",
        Code={"ZipFile": code("one")},
    )
    assert created["State"] == "Pending"  # Lambda's answer; only the next read sees Active
    functions.get_waiter("function_active_v2").wait(FunctionName="settled-fn")
    functions.get_waiter("function_active").wait(FunctionName="settled-fn")
    functions.update_function_code(FunctionName="settled-fn", ZipFile=code("two"))
    functions.get_waiter("function_updated_v2").wait(FunctionName="settled-fn")
    functions.update_function_configuration(FunctionName="settled-fn", Timeout=5)
    functions.get_waiter("function_updated").wait(FunctionName="settled-fn")
    # One read per waiter: each saw the settled state at once.
    assert [len(calls) for calls in gets] == [2, 2]
    assert json.load(functions.invoke(FunctionName="settled-fn")["Payload"]) == "two"
    functions.delete_function(FunctionName="settled-fn")


# -- a model slower than the bound ----------------------------------------------------------


@pytest.fixture(scope="module")
def held_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        code = HELD_INFERENCE_PY.encode()
        info = tarfile.TarInfo("code/inference.py")
        info.size = len(code)
        tar.addfile(info, io.BytesIO(code))
    archive = tmp_path_factory.mktemp("held-model") / "model.tar.gz"
    archive.write_bytes(buffer.getvalue())
    return archive


def deploy_held(server: ModelportServer, name: str, archive: Path, release: Path) -> Any:
    """Deploy the held model with a client that gives up long before the default 10 s bound."""
    sagemaker = server.client("sagemaker", read_timeout=5)
    deploy(
        sagemaker,
        name,
        str(archive),
        image=SKLEARN_IMAGE,
        environment={"SAGEMAKER_PROGRAM": "inference.py", "RELEASE_FILE": str(release)},
    )
    return sagemaker


@pytest.fixture
def bounded_server(servers: ServerPool, request: pytest.FixtureRequest) -> ModelportServer:
    return servers.start(env={"MODELPORT_SETTLE_TIMEOUT_S": request.param})


@pytest.mark.parametrize("bounded_server", ["0.3", "0"], indirect=True, ids=["bound-0.3s", "bound-0"])
def test_a_load_slower_than_the_bound_answers_creating(
    bounded_server: ModelportServer, held_model: Path, tmp_path: Path
) -> None:
    release = tmp_path / "release"
    sagemaker = deploy_held(bounded_server, "held", held_model, release)
    assert sagemaker.describe_endpoint(EndpointName="held")["EndpointStatus"] == "Creating"

    release.touch()
    assert wait_in_service(sagemaker, "held")["EndpointStatus"] == "InService"
    answer = bounded_server.client("sagemaker-runtime").invoke_endpoint(
        EndpointName="held", ContentType="application/json", Body=b"{}"
    )
    assert json.load(answer["Body"]) == "released"


def readme_quickstart() -> str:
    """The README's tutorial code (the Python block that waits for the endpoint), as printed."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"^```python[^\n]*\n(.*?)^```", readme, re.MULTILINE | re.DOTALL)
    return next(block for block in blocks if 'get_waiter("endpoint_in_service")' in block)


def test_the_readme_tutorial_runs_as_printed_and_its_waiters_never_sleep(
    server: ModelportServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    no_sleep: None,
) -> None:
    code = readme_quickstart()
    assert "WaiterConfig" not in code
    # The block runs from the repository root and reads the tutorial's test_point.csv there.
    data = tmp_path / "src" / "modelport" / "data"
    data.mkdir(parents=True)
    (data / "test_point.csv").write_text(seed.test_points_csv())
    monkeypatch.chdir(tmp_path)
    for variable in ("AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_ENDPOINT_URL", server.url)  # what the written profile's endpoint_url does
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", server.access_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", server.secret_key)
    # A new user's process: no default boto3 session (and credentials) left by earlier tests.
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)

    exec(compile(code, "README.md quickstart", "exec"), {"__name__": "__main__"})

    printed = capsys.readouterr().out.splitlines()
    assert len(printed) == len(seed.test_points())
    assert all(line.split(" ", 1)[0] in seed.CLASSES for line in printed), printed
