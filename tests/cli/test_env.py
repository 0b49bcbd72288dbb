"""``modelport env`` against a real server: the printed environment, evaluated by bash, sends every
boto3 client of a service modelport serves (created without ``endpoint_url``) to the server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cli.harness import ACCESS_KEY, SECRET_KEY, ok, run
from modelport.cli.env import endpoint_variable, render
from modelport.launcher import ServerProcess

CLIENTS_CHECK = r"""
import json, boto3
found = {}
for service in ("sagemaker", "sagemaker-runtime", "iam", "sts", "lambda", "apigateway", "s3"):
    found[service] = boto3.client(service).meta.endpoint_url
found["caller"] = boto3.client("sts").get_caller_identity()["Arn"]
found["models"] = boto3.client("sagemaker").list_models()["Models"]
found["roles"] = boto3.client("iam").list_roles()["Roles"] is not None
found["functions"] = boto3.client("lambda").list_functions()["Functions"]
found["apis"] = boto3.client("apigateway").get_rest_apis()["items"]
found["region"] = boto3.Session().region_name
print(json.dumps(found))
"""


def bare_env(workdir: Path) -> dict[str, str]:
    """No AWS or modelport variables, no AWS files: only what ``modelport env`` prints counts."""
    kept = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "MODELPORT_"))}
    return {
        **kept,
        "AWS_CONFIG_FILE": str(workdir / "no-aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(workdir / "no-aws-credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
    }


def eval_and_run(workdir: Path, env_args: str, code: str, extra: dict[str, str] | None = None) -> str:
    python = sys.executable
    script = f'eval "$({python} -m modelport env {env_args})" && {python} -c "$CODE"'
    result = subprocess.run(
        ["bash", "-c", script],
        capture_output=True,
        text=True,
        env={**bare_env(workdir), **(extra or {}), "CODE": code},
        timeout=120,
        check=False,
    )
    return ok(result)


def test_endpoint_variables_are_botocores_names() -> None:
    assert endpoint_variable("sagemaker-runtime") == "AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME"
    assert endpoint_variable("apigateway") == "AWS_ENDPOINT_URL_API_GATEWAY"
    assert endpoint_variable("sts") == "AWS_ENDPOINT_URL_STS"


def test_formats_quote_what_they_print() -> None:
    values = {"A": "it's $HOME", "B": "http://h:1"}
    assert render(values, ["note"], "sh").splitlines() == [
        "# note",
        "export A='it'\"'\"'s $HOME'",
        "export B=http://h:1",
    ]
    assert render(values, [], "fish").splitlines() == ["set -gx A 'it\\'s $HOME';", "set -gx B 'http://h:1';"]
    assert render(values, [], "dotenv").splitlines() == ['A="it\'s $HOME"', "B=http://h:1"]
    assert json.loads(render(values, ["note"], "json")) == values


def test_eval_points_every_served_client_at_the_server(workdir: Path, server: ServerProcess) -> None:
    data = f"--data-dir {server.data_dir}"
    found = json.loads(eval_and_run(workdir, data, CLIENTS_CHECK))
    for service in ("sagemaker", "sagemaker-runtime", "iam", "sts", "lambda", "apigateway"):
        assert found[service] == server.url, service
    assert found["s3"] != server.url  # no S3 known: S3 keeps its usual endpoint
    assert found["caller"].endswith(":root")
    assert found["region"] == "us-east-1"
    assert found["models"] == [] and found["functions"] == [] and found["apis"] == []


def test_s3_from_the_record_or_the_setting(workdir: Path, server: ServerProcess) -> None:
    printed = ok(run(workdir, "env", "--data-dir", str(server.data_dir), "--format", "json"))
    values = json.loads(printed)
    assert "AWS_ENDPOINT_URL_S3" not in values
    assert (values["AWS_ACCESS_KEY_ID"], values["AWS_SECRET_ACCESS_KEY"]) == (ACCESS_KEY, SECRET_KEY)
    sh = ok(run(workdir, "env", "--data-dir", str(server.data_dir)))
    assert "# no S3 known" in sh
    configured = run(
        workdir,
        "env",
        "--data-dir",
        str(server.data_dir),
        "--format",
        "dotenv",
        env={"MODELPORT_S3_ENDPOINT_URL": "http://127.0.0.1:9000"},
    )
    assert "AWS_ENDPOINT_URL_S3=http://127.0.0.1:9000" in ok(configured).splitlines()
    record_path = server.data_dir / "server.json"
    original = record_path.read_text()
    try:
        record_path.write_text(
            json.dumps({**json.loads(original), "s3_endpoint_url": "http://127.0.0.1:8333"})
        )
        s3_check = "import boto3, json; print(json.dumps(boto3.client('s3').meta.endpoint_url))"
        found = json.loads(eval_and_run(workdir, f"--data-dir {server.data_dir}", s3_check))
        assert found == "http://127.0.0.1:8333"
    finally:
        record_path.write_text(original)


@pytest.mark.parametrize("form", ["fish", "dotenv"])
def test_other_formats_carry_the_same_variables(workdir: Path, server: ServerProcess, form: str) -> None:
    as_json = json.loads(ok(run(workdir, "env", "--data-dir", str(server.data_dir), "--format", "json")))
    printed = ok(run(workdir, "env", "--data-dir", str(server.data_dir), "--format", form))
    for name in as_json:
        assert name in printed
