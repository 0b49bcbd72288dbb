"""``modelport env`` against a real server: the printed environment, evaluated by bash, sends every
boto3 client of a service modelport serves (created without ``endpoint_url``) to the server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cli.harness import ACCESS_KEY, SECRET_KEY, ok, one_error_line, run
from modelport.cli.env import endpoint_variable, render
from support.modelport_server import ModelportServer, running_server

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


@pytest.fixture(scope="module")
def server(workdir: Path) -> Iterator[ModelportServer]:
    """The CLI tests' server, with its HTTPS proxy on (test servers run without it by default)."""
    env = {"MODELPORT_PROXY": "1", "MODELPORT_PROXY_PORT": "0"}
    with running_server(workdir / "data", keys=(ACCESS_KEY, SECRET_KEY), env=env) as running:
        yield running


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
    assert render(values, [], "sh", ["X", "Y"]).splitlines()[0] == "unset X Y"
    assert render(values, [], "fish", ["X"]).splitlines()[0] == "set -e X;"


def test_eval_points_every_served_client_at_the_server(workdir: Path, server: ModelportServer) -> None:
    data = f"--data-dir {server.data_dir}"
    found = json.loads(eval_and_run(workdir, data, CLIENTS_CHECK))
    for service in ("sagemaker", "sagemaker-runtime", "iam", "sts", "lambda", "apigateway"):
        assert found[service] == server.url, service
    assert found["s3"] != server.url  # no S3 known: S3 keeps its usual endpoint
    assert found["caller"].endswith(":root")
    assert found["region"] == "us-east-1"
    assert found["models"] == [] and found["functions"] == [] and found["apis"] == []


def test_s3_from_the_record_or_the_setting(workdir: Path, server: ModelportServer) -> None:
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
def test_other_formats_carry_the_same_variables(workdir: Path, server: ModelportServer, form: str) -> None:
    as_json = json.loads(ok(run(workdir, "env", "--data-dir", str(server.data_dir), "--format", "json")))
    printed = ok(run(workdir, "env", "--data-dir", str(server.data_dir), "--format", form))
    for name in as_json:
        assert name in printed


ROLE_CHECK = r"""
import json, os, boto3
session = boto3.Session()
credentials = session.get_credentials()
first = credentials.get_frozen_credentials().access_key
second = credentials.get_frozen_credentials().access_key  # 900 s: inside botocore's refresh window
print(json.dumps({
    "method": credentials.method,
    "arn": session.client("sts").get_caller_identity()["Arn"],
    "keys": [first, second],
    "exported_key": os.environ.get("AWS_ACCESS_KEY_ID"),
}))
"""


def test_role_credentials_are_served_like_ecs(workdir: Path, server: ModelportServer) -> None:
    iam = server.client("iam")
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "sagemaker.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    iam.create_role(RoleName="notebook-role", AssumeRolePolicyDocument=json.dumps(trust))
    args = f"--data-dir {server.data_dir} --role notebook-role --duration 900"
    stale = {"AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": SECRET_KEY}
    found = json.loads(eval_and_run(workdir, args, ROLE_CHECK, extra=stale))  # unset by the eval
    assert found["method"] == "container-role"
    assert found["arn"] == "arn:aws:sts::123456789012:assumed-role/notebook-role/SageMaker"
    first, second = found["keys"]
    assert first.startswith("ASIA") and second.startswith("ASIA") and first != second  # refreshed
    assert found["exported_key"] is None

    printed = json.loads(ok(run(workdir, "env", *args.split(), "--format", "json")))
    uri, token = printed["AWS_CONTAINER_CREDENTIALS_FULL_URI"], printed["AWS_CONTAINER_AUTHORIZATION_TOKEN"]
    assert uri.startswith(server.url + "/_modelport/credentials/")
    import urllib.error
    import urllib.request

    def fetch(authorization: str) -> int:
        request = urllib.request.Request(uri, headers={"Authorization": authorization})
        try:
            with urllib.request.urlopen(request, timeout=30) as reply:
                document = json.loads(reply.read())
                assert set(document) == {"AccessKeyId", "SecretAccessKey", "Token", "Expiration", "RoleArn"}
                return int(reply.status)
        except urllib.error.HTTPError as error:
            return error.code

    assert fetch(token) == 200
    assert fetch(token + "x") == 403
    assert fetch("") == 403

    unknown = run(workdir, "env", "--data-dir", str(server.data_dir), "--role", "no-such-role")
    assert unknown.returncode == 1 and "no role named 'no-such-role'" in unknown.stderr


def _status(method: str, url: str, headers: dict[str, str]) -> int:
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(
            urllib.request.Request(url, method=method, headers=headers), timeout=30
        ) as reply:
            return int(reply.status)
    except urllib.error.HTTPError as error:
        return error.code


def test_role_credentials_follow_the_callers_authority(workdir: Path, server: ModelportServer) -> None:
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    iam: Any = server.client("iam")
    iam.create_user(UserName="analyst")
    policy = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": ["sts:AssumeRole", "iam:GetRole"], "Resource": "*"}],
    }
    iam.put_user_policy(UserName="analyst", PolicyName="assume", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName="analyst")["AccessKey"]
    as_user = {"AWS_ACCESS_KEY_ID": key["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"]}
    user_arn = "arn:aws:iam::123456789012:user/analyst"
    sagemaker_only = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "sagemaker.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    trusts_user = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": user_arn}, "Action": "sts:AssumeRole"}],
    }
    iam.create_role(RoleName="service-only", AssumeRolePolicyDocument=json.dumps(sagemaker_only))
    iam.create_role(RoleName="analyst-role", AssumeRolePolicyDocument=json.dumps(trusts_user))
    data = ["--data-dir", str(server.data_dir), "--format", "json"]

    refused = run(workdir, "env", *data, "--role", "service-only", env=as_user)
    assert "is not authorized to perform: sts:AssumeRole" in one_error_line(refused)

    printed = json.loads(ok(run(workdir, "env", *data, "--role", "analyst-role", env=as_user)))
    uri, token = printed["AWS_CONTAINER_CREDENTIALS_FULL_URI"], printed["AWS_CONTAINER_AUTHORIZATION_TOKEN"]
    assert _status("GET", uri, {"Authorization": token}) == 200
    unsigned = _status("POST", server.url + "/_modelport/credentials", {})
    assert unsigned == 403

    request = AWSRequest(method="DELETE", url=uri)
    SigV4Auth(Credentials(key["AccessKeyId"], key["SecretAccessKey"]), "sts", "us-east-1").add_auth(request)
    assert _status("DELETE", uri, dict(request.headers.items())) == 204
    assert _status("GET", uri, {"Authorization": token}) == 403  # revoked

    again = json.loads(ok(run(workdir, "env", *data, "--role", "analyst-role", env=as_user)))
    uri, token = again["AWS_CONTAINER_CREDENTIALS_FULL_URI"], again["AWS_CONTAINER_AUTHORIZATION_TOKEN"]
    iam.delete_access_key(UserName="analyst", AccessKeyId=key["AccessKeyId"])
    assert _status("GET", uri, {"Authorization": token}) == 403  # the registering key is gone


def test_role_needs_a_loopback_server(workdir: Path) -> None:
    from modelport.cli.env import is_loopback

    assert is_loopback("127.0.0.1") and is_loopback("127.0.0.2") and is_loopback("::1")
    assert is_loopback("localhost") and not is_loopback("10.0.0.1") and not is_loopback("models.example.com")
    refused = run(workdir, "env", "--role", "r", "--endpoint-url", "http://10.0.0.1:8790")
    assert "--role needs a server on this machine" in one_error_line(refused)


TRANSPARENT_CHECK = r"""
import json, boto3
sts = boto3.client("sts", endpoint_url="https://sts.us-east-1.amazonaws.com")  # as the SageMaker SDK 2.x
print(json.dumps({"caller": sts.get_caller_identity()["Arn"]}))
"""


def test_transparent_adds_the_proxy_and_the_ca_in_every_format(
    workdir: Path, server: ModelportServer
) -> None:
    record = json.loads((server.data_dir / "server.json").read_text())
    data = ["--data-dir", str(server.data_dir)]
    values = json.loads(ok(run(workdir, "env", *data, "--transparent", "--format", "json")))
    assert values["HTTPS_PROXY"] == values["https_proxy"] == record["proxy_url"]
    assert values["AWS_CA_BUNDLE"] == record["ca_bundle"]
    assert "127.0.0.1" in values["NO_PROXY"].split(",") and values["no_proxy"] == values["NO_PROXY"]
    assert "HTTPS_PROXY" not in json.loads(ok(run(workdir, "env", *data, "--format", "json")))
    assert f"HTTPS proxy for AWS host names at {record['proxy_url']}" in ok(run(workdir, "status", *data))
    for form in ("sh", "fish", "dotenv"):
        printed = ok(run(workdir, "env", *data, "--transparent", "--format", form))
        for name in ("HTTPS_PROXY", "https_proxy", "NO_PROXY", "AWS_CA_BUNDLE"):
            assert name in printed, (form, name)
        assert record["ca_bundle"] in printed and record["proxy_url"] in printed
    found = json.loads(
        eval_and_run(workdir, f"--data-dir {server.data_dir} --transparent", TRANSPARENT_CHECK)
    )
    assert found["caller"].endswith(":root")


def test_transparent_needs_the_local_servers_record(workdir: Path, server: ModelportServer) -> None:
    elsewhere = run(workdir, "env", "--transparent", "--data-dir", str(workdir / "empty"), url=server.url)
    assert "--transparent needs the server at" in one_error_line(elsewhere)
