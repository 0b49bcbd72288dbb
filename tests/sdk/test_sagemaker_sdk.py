"""The SageMaker Python SDK 2.x against modelport, pointed there by ``modelport env`` alone.

One server and one SeaweedFS S3 (holding the server's root key, so the SDK's one set of
credentials reaches both) for the module; each scenario is ``sdk_calls.py`` run as a user's
script in the environment ``modelport env`` prints (the SDK imports slowly and must not leak its
settings into the test process).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from modelport.services.sagemaker.images import resolve_image
from support.modelport_server import ModelportServer, deploy, new_key_pair, running_server, wait_status
from support.modelport_server import modelport_env as support_modelport_env
from support.s3server import S3Endpoint, SeaweedS3Server

pytestmark = [pytest.mark.e2e, pytest.mark.s3]

SCRIPT = Path(__file__).with_name("sdk_calls.py")
MARK = "sdk-result: "  # sdk_calls.MARK (that module imports the SDK, so it is not imported here)
# The SDK's telemetry GETs an amazonaws.com URL after each call: opted out, as its docs say.
SDK_CONFIG = "SchemaVersion: '1.0'\nSageMaker:\n  PythonSDK:\n    Modules:\n      TelemetryOptOut: true\n"


@pytest.fixture(scope="module")
def keys() -> tuple[str, str]:
    return new_key_pair()


@pytest.fixture(scope="module")
def s3(keys: tuple[str, str]) -> Iterator[S3Endpoint]:
    with SeaweedS3Server(access_key=keys[0], secret_key=keys[1]) as endpoint:
        yield endpoint


@pytest.fixture(scope="module")
def server(
    s3: S3Endpoint, keys: tuple[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ModelportServer]:
    env = {
        "MODELPORT_S3_ENDPOINT_URL": s3.endpoint_url,
        "MODELPORT_S3_ACCESS_KEY_ID": s3.access_key,
        "MODELPORT_S3_SECRET_ACCESS_KEY": s3.secret_key,
        "MODELPORT_S3_REGION": s3.region,
        # The SDK's STS calls go to https://sts.<region>.amazonaws.com: through the proxy.
        "MODELPORT_PROXY": "1",
        "MODELPORT_PROXY_PORT": "0",
    }
    with running_server(tmp_path_factory.mktemp("server"), env=env, keys=keys) as running:
        yield running


def modelport_env(server: ModelportServer, s3: S3Endpoint, *options: str) -> dict[str, str]:
    """What ``eval "$(modelport env ...)"`` exports, for this server and S3."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "MODELPORT_"))}
    clean["MODELPORT_S3_ENDPOINT_URL"] = s3.endpoint_url
    return support_modelport_env(server, *options, env=clean)


@pytest.fixture(scope="module")
def user_env(
    server: ModelportServer, s3: S3Endpoint, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, str]:
    """A user's shell after ``eval "$(modelport env)"``: no other AWS or modelport setting."""
    home = tmp_path_factory.mktemp("home")
    (home / "sdk-config.yaml").write_text(SDK_CONFIG)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "MODELPORT_", "SAGEMAKER_"))}
    env |= {"HOME": str(home), "SAGEMAKER_USER_CONFIG_OVERRIDE": str(home / "sdk-config.yaml")}
    env["SAGEMAKER_SUPPRESS_V2_WARNING"] = "1"  # the SDK's v3 notice, on stderr
    return env | modelport_env(server, s3)


def run_sdk(env: dict[str, str], workdir: Path, *scenarios: str) -> dict[str, Any]:
    """Each scenario's result; one whose SDK calls raised fails the test that reads it."""
    done = subprocess.run(
        [sys.executable, str(SCRIPT), *scenarios, str(workdir)],
        env=env,
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, f"sdk_calls.py failed:\n{done.stderr[-6000:]}"
    line = done.stdout.strip().splitlines()[-1]
    assert line.startswith(MARK), done.stdout[-2000:]
    results: dict[str, Any] = json.loads(line.removeprefix(MARK))
    return results


@pytest.fixture(scope="module")
def sdk_results(user_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The seed's calls, Model.deploy, the framework models and a transformer, in one SDK process."""
    return run_sdk(user_env, tmp_path_factory.mktemp("sdk"), "seed", "model", "frameworks", "transform")


def result(results: dict[str, Any], scenario: str) -> dict[str, Any]:
    found: dict[str, Any] = results[scenario]
    assert "error" not in found, f"the SDK's {scenario} calls raised:\n{found.get('error')}"
    return found


def test_the_seed_notebooks_image_uris_are_served(sdk_results: dict[str, Any]) -> None:
    found = result(sdk_results, "seed")
    assert found["region"] == "us-east-1"
    resolved = [resolve_image(uri) for uri in found["images"]]
    assert [(r.runtime, r.version) for r in resolved[:2]] == [("xgboost", "0.90-1"), ("xgboost", "0.90-1")]
    assert {r.runtime for r in resolved[2:10]} == {"xgboost"}
    assert [r.version for r in resolved[2:10]] == [
        "0.90-1", "0.90-2", "1.0-1", "1.2-1", "1.2-2", "1.3-1", "1.5-1", "1.7-1",
    ]  # fmt: skip
    assert [(r.runtime, r.version) for r in resolved[10:]] == [
        ("sklearn", v) for v in ("0.20.0", "0.23-1", "1.0-1", "1.2-1", "1.4-2")
    ]


def test_model_deploy_predict_and_delete(sdk_results: dict[str, Any], server: ModelportServer) -> None:
    found = result(sdk_results, "model")
    assert found["deploy_returned"] == "None"  # a plain Model has no predictor_cls
    assert found["describe_calls_while_deploying"] == 1  # InService at the first poll
    assert found["sdk"] == found["boto3"]
    rows = [[float(p) for p in line.split(",")] for line in found["sdk"].splitlines()]
    assert [row.index(max(row)) for row in rows] == [0, 2]  # setosa, virginica
    sagemaker = server.client("sagemaker")
    assert sagemaker.list_endpoints()["Endpoints"] == []
    assert sagemaker.list_endpoint_configs()["EndpointConfigs"] == []
    assert sagemaker.list_models()["Models"] == []


def test_a_transformer_runs_a_batch_transform_job(
    sdk_results: dict[str, Any], server: ModelportServer
) -> None:
    found = result(sdk_results, "transform")
    assert found["status"] == "Completed"
    rows = [json.loads(line) for line in found["output"].splitlines()]  # batch mode: a list per row
    assert [row.index(max(row)) for row in rows] == [0, 2]  # setosa, virginica
    # The SDK's waiter read the job's data log through CloudWatch Logs as it waited.
    assert "MaxConcurrentTransforms=" in found["printed"]
    assert server.client("sagemaker").list_models()["Models"] == []


def test_an_async_predictor_gets_its_answer_at_the_first_poll(
    user_env: dict[str, str], server: ModelportServer, s3: S3Endpoint, tmp_path: Path
) -> None:
    # The SDK's default S3 paths are in its default bucket, which it names after an STS call:
    # through the transparent proxy, as in a notebook instance.
    env = user_env | modelport_env(server, s3, "--transparent")
    found = result(run_sdk(env, tmp_path, "async_inference"), "async_inference")
    rows = [[float(p) for p in line.split(",")] for line in found["answer"].splitlines()]
    assert [row.index(max(row)) for row in rows] == [0, 2]  # setosa, virginica
    assert found["later"] == found["answer"]
    assert found["waited_s"] < 10  # the SDK's waiter sleeps 15 s after a poll that finds nothing
    output = found["config"]["OutputConfig"]
    assert output["S3OutputPath"].startswith("s3://sagemaker-us-east-1-123456789012/async-endpoint-outputs/")
    assert found["output_path"].startswith(output["S3OutputPath"])
    assert server.client("sagemaker").list_endpoints()["Endpoints"] == []


def test_script_mode_framework_models(sdk_results: dict[str, Any], server: ModelportServer) -> None:
    found = result(sdk_results, "frameworks")
    sklearn, xgboost = found["sklearn"], found["xgboost"]
    assert sklearn["answer"]["classes"] == [0, 2]
    assert sklearn["answer"]["by"].endswith("/code/inference.py")  # the SDK's upload, unpacked
    assert xgboost["answer"] == [0, 2]
    for deployed in (sklearn, xgboost):
        environment = deployed["environment"]
        assert environment["SAGEMAKER_PROGRAM"] == "inference.py"
        assert environment["SAGEMAKER_SUBMIT_DIRECTORY"].startswith("s3://sdk-models/code/")
        assert environment["SAGEMAKER_SUBMIT_DIRECTORY"].endswith("/sourcedir.tar.gz")
    assert server.client("sagemaker").list_endpoints()["Endpoints"] == []


def test_execution_role_and_default_bucket_through_the_proxy(
    user_env: dict[str, str], server: ModelportServer, s3: S3Endpoint, tmp_path: Path
) -> None:
    # Root keys: the default bucket is sagemaker-<region>-<account>, made in the S3 in use.
    bucket = result(
        run_sdk(user_env | modelport_env(server, s3, "--transparent"), tmp_path, "bucket"), "bucket"
    )["bucket"]
    assert bucket == "sagemaker-us-east-1-123456789012"
    s3.client().head_bucket(Bucket=bucket)
    # A role's credentials, as in a notebook instance: get_execution_role() is the role's ARN.
    iam = server.client("iam")
    trust = {
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "sagemaker.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ]
    }
    role = iam.create_role(RoleName="notebook-role", AssumeRolePolicyDocument=json.dumps(trust))["Role"]
    env = user_env | modelport_env(server, s3, "--transparent", "--role", "notebook-role")
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        env.pop(name, None)
    assert result(run_sdk(env, tmp_path, "role"), "role")["role"] == role["Arn"]


def test_code_that_cannot_be_fetched_fails_the_endpoint_with_its_url(
    server: ModelportServer, s3: S3Endpoint, tmp_path: Path
) -> None:
    bucket = s3.client()
    bucket.create_bucket(Bucket="sdk-missing-code")
    archive = tmp_path / "model.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        member = tmp_path / "model.joblib"
        member.write_bytes(b"not read: the code is fetched first")
        tar.add(member, arcname="model.joblib")
    bucket.upload_file(str(archive), "sdk-missing-code", "model.tar.gz")
    missing = "s3://sdk-missing-code/code/sourcedir.tar.gz"
    sagemaker = server.client("sagemaker")
    deploy(
        sagemaker,
        "sdk-missing-code",
        "s3://sdk-missing-code/model.tar.gz",
        image="683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3",
        environment={"SAGEMAKER_PROGRAM": "inference.py", "SAGEMAKER_SUBMIT_DIRECTORY": missing},
    )
    described = wait_status(sagemaker, "sdk-missing-code", {"Failed", "InService"})
    assert described["EndpointStatus"] == "Failed"
    reason = described["FailureReason"]
    assert "SAGEMAKER_SUBMIT_DIRECTORY" in reason and missing in reason, reason
    sagemaker.delete_endpoint(EndpointName="sdk-missing-code")
    sagemaker.delete_endpoint_config(EndpointConfigName="sdk-missing-code")
    sagemaker.delete_model(ModelName="sdk-missing-code")
