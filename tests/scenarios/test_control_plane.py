"""Control-plane behaviour through boto3 against a real server: tags, paging, first-start profile."""

from __future__ import annotations

import configparser
import os
import subprocess
import sys
import time
from pathlib import Path

import boto3
import pytest

from modelport.launcher import free_port, is_running
from support.modelport_server import ModelportServer

pytestmark = pytest.mark.e2e

CONTAINER = {"Image": "xgboost:1.7-1", "ModelDataUrl": "s3://bucket/model.tar.gz"}


def test_tags_on_models_configs_and_endpoints(server: ModelportServer) -> None:
    sagemaker = server.client("sagemaker")
    arn = sagemaker.create_model(
        ModelName="tagged", PrimaryContainer=CONTAINER, Tags=[{"Key": "team", "Value": "ml"}]
    )["ModelArn"]
    sagemaker.add_tags(
        ResourceArn=arn, Tags=[{"Key": "stage", "Value": "test"}, {"Key": "team", "Value": "ds"}]
    )
    tags = sagemaker.list_tags(ResourceArn=arn)["Tags"]
    assert sorted((t["Key"], t["Value"]) for t in tags) == [("stage", "test"), ("team", "ds")]
    sagemaker.delete_tags(ResourceArn=arn, TagKeys=["team"])
    assert sagemaker.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "stage", "Value": "test"}]
    sagemaker.delete_model(ModelName="tagged")
    with pytest.raises(sagemaker.exceptions.ClientError, match="Could not find resource"):
        sagemaker.list_tags(ResourceArn=arn)


def test_paging_with_boto3_paginators(server: ModelportServer) -> None:
    sagemaker = server.client("sagemaker")
    for index in range(23):
        sagemaker.create_model(ModelName=f"paged-{index:02d}", PrimaryContainer=CONTAINER)
    paginator = sagemaker.get_paginator("list_models")
    pages = list(
        paginator.paginate(
            NameContains="paged-", SortBy="Name", SortOrder="Ascending", PaginationConfig={"PageSize": 5}
        )
    )
    assert [len(page["Models"]) for page in pages] == [5, 5, 5, 5, 3]
    names = [model["ModelName"] for page in pages for model in page["Models"]]
    assert names == [f"paged-{index:02d}" for index in range(23)]
    newest = sagemaker.list_models(NameContains="paged-", MaxResults=1)["Models"][0]
    assert newest["ModelName"] == "paged-22"  # default: CreationTime, Descending
    assert newest["ModelArn"] == "arn:aws:sagemaker:us-east-1:123456789012:model/paged-22"
    for index in range(23):
        sagemaker.delete_model(ModelName=f"paged-{index:02d}")


def test_arns_lower_case_the_name_and_names_collide_case_insensitively(server: ModelportServer) -> None:
    sagemaker = server.client("sagemaker")
    arn = sagemaker.create_model(ModelName="MixedCase", PrimaryContainer=CONTAINER)["ModelArn"]
    assert arn.endswith(":model/mixedcase")
    assert sagemaker.describe_model(ModelName="MixedCase")["ModelName"] == "MixedCase"
    with pytest.raises(sagemaker.exceptions.ClientError, match="Cannot create already existing model"):
        sagemaker.create_model(ModelName="mixedcase", PrimaryContainer=CONTAINER)
    sagemaker.delete_model(ModelName="MixedCase")


def test_first_start_writes_a_profile_boto3_uses(tmp_path: Path) -> None:
    """No keys given: the server makes a root key pair and writes the 'modelport' profile."""
    credentials, config = tmp_path / "credentials", tmp_path / "config"
    env = {**os.environ, "AWS_SHARED_CREDENTIALS_FILE": str(credentials), "AWS_CONFIG_FILE": str(config)}
    for name in (
        "MODELPORT_ROOT_ACCESS_KEY_ID",
        "MODELPORT_ROOT_SECRET_ACCESS_KEY",
        "MODELPORT_WRITE_PROFILE",
    ):
        env.pop(name, None)
    port = free_port()
    log = (tmp_path / "server.log").open("wb")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "modelport",
            "server",
            "--port",
            str(port),
            "--data-dir",
            str(tmp_path / "data"),
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while not is_running(f"http://127.0.0.1:{port}"):
            assert process.poll() is None and time.monotonic() < deadline, (
                tmp_path / "server.log"
            ).read_text()
            time.sleep(0.05)
        assert "export AWS_PROFILE=modelport" in (tmp_path / "server.log").read_text()
        assert oct(credentials.stat().st_mode & 0o777) == "0o600"
        parser = configparser.ConfigParser()
        parser.read(config)
        assert parser["profile modelport"]["endpoint_url"] == f"http://127.0.0.1:{port}"

        os.environ["AWS_SHARED_CREDENTIALS_FILE"], os.environ["AWS_CONFIG_FILE"] = (
            str(credentials),
            str(config),
        )
        try:
            sagemaker = boto3.Session(profile_name="modelport").client("sagemaker")
            assert sagemaker.list_endpoints()["Endpoints"] == []
        finally:
            del os.environ["AWS_SHARED_CREDENTIALS_FILE"], os.environ["AWS_CONFIG_FILE"]
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()
