"""The S3 front: S3 requests signed with modelport's keys (root, role sessions), authorized with IAM,
forwarded to the embedded S3 (SeaweedFS, which knows only the root key).

One server (embedded S3 and S3 front on) is shared. A role session with AmazonS3FullAccess
creates a bucket, uploads (upload_fileobj), lists, downloads and deletes through the front; a
role without S3 permissions is refused with AccessDenied; a forged signature gets
SignatureDoesNotMatch and an unknown key InvalidAccessKeyId; a model uploaded through the front
deploys (the server reads it straight from SeaweedFS).
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from modelport import seed
from support.modelport_server import ModelportServer, deploy, running_server, wait_in_service
from support.waiting import wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.s3]

TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
            "Action": "sts:AssumeRole",
        }
    ],
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModelportServer]:
    env = {"MODELPORT_EMBEDDED_S3": "1", "MODELPORT_EMBEDDED_S3_PORT": "0"}
    env |= {"MODELPORT_S3_FRONT": "1", "MODELPORT_S3_FRONT_PORT": "0"}
    with running_server(tmp_path_factory.mktemp("server"), env=env) as running:
        yield running


def front_url(server: ModelportServer) -> str:
    url: str = json.loads((server.data_dir / "server.json").read_text())["s3_front_url"]
    return url


def s3_client(server: ModelportServer, keys: tuple[str, str, str | None], style: str = "path") -> Any:
    session = boto3.session.Session(
        aws_access_key_id=keys[0],
        aws_secret_access_key=keys[1],
        aws_session_token=keys[2],
        region_name="us-east-1",
    )
    return session.client(
        "s3",
        endpoint_url=front_url(server),
        config=Config(s3={"addressing_style": style}, signature_version="s3v4", retries={"max_attempts": 1}),
    )


def role_keys(server: ModelportServer, name: str, policy_arn: str | None) -> tuple[str, str, str]:
    iam = server.client("iam")
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST))
    if policy_arn is not None:
        iam.attach_role_policy(RoleName=name, PolicyArn=policy_arn)
    credentials = server.client("sts").assume_role(
        RoleArn=f"arn:aws:iam::123456789012:role/{name}", RoleSessionName="test"
    )["Credentials"]
    return credentials["AccessKeyId"], credentials["SecretAccessKey"], credentials["SessionToken"]


@pytest.fixture(scope="module")
def root_s3(server: ModelportServer) -> Any:
    s3 = s3_client(server, (server.access_key, server.secret_key, None))
    wait_until(lambda: _answers(s3), "timed out waiting for the S3 front to answer", timeout_s=60)
    return s3


def _answers(s3: Any) -> bool:
    try:
        s3.list_buckets()
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ServiceUnavailable":
            raise
        return False
    return True


def error_code(exc: pytest.ExceptionInfo[ClientError]) -> str:
    return str(exc.value.response["Error"]["Code"])


def test_a_role_with_s3_full_access_creates_uploads_lists_downloads_and_deletes(
    server: ModelportServer, root_s3: Any
) -> None:
    s3 = s3_client(server, role_keys(server, "s3-writer", "arn:aws:iam::aws:policy/AmazonS3FullAccess"))
    s3.create_bucket(Bucket="role-bucket")
    data = b"x" * (3 * 1024 * 1024 + 17)
    s3.upload_fileobj(io.BytesIO(data), "role-bucket", "dir/a b+c.bin")
    listed = s3.list_objects_v2(Bucket="role-bucket")["Contents"]
    assert [(o["Key"], o["Size"]) for o in listed] == [("dir/a b+c.bin", len(data))]
    out = io.BytesIO()
    s3.download_fileobj("role-bucket", "dir/a b+c.bin", out)
    assert out.getvalue() == data
    assert s3.head_object(Bucket="role-bucket", Key="dir/a b+c.bin")["ContentLength"] == len(data)
    s3.delete_object(Bucket="role-bucket", Key="dir/a b+c.bin")
    s3.delete_bucket(Bucket="role-bucket")
    assert "role-bucket" not in [b["Name"] for b in root_s3.list_buckets()["Buckets"]]


def test_virtual_hosted_and_presigned_requests_work(server: ModelportServer, root_s3: Any) -> None:
    root_s3.create_bucket(Bucket="hosted")
    root_s3.put_object(Bucket="hosted", Key="k.txt", Body=b"hello")
    url = root_s3.generate_presigned_url("get_object", Params={"Bucket": "hosted", "Key": "k.txt"})
    import httpx

    got = httpx.get(url)
    assert got.content == b"hello", got.content
    forged = url[:-4] + ("0000" if not url.endswith("0000") else "1111")
    answer = httpx.get(forged)
    assert answer.status_code == 403 and b"<Code>SignatureDoesNotMatch</Code>" in answer.content


def test_a_role_without_s3_permissions_is_denied(server: ModelportServer, root_s3: Any) -> None:
    root_s3.create_bucket(Bucket="private")
    root_s3.put_object(Bucket="private", Key="secret", Body=b"s")
    s3 = s3_client(server, role_keys(server, "no-s3", None))
    for call in (
        lambda: s3.get_object(Bucket="private", Key="secret"),
        lambda: s3.put_object(Bucket="private", Key="other", Body=b"x"),
        lambda: s3.create_bucket(Bucket="mine"),
        lambda: s3.list_buckets(),
    ):
        with pytest.raises(ClientError) as denied:
            call()
        assert error_code(denied) == "AccessDenied", denied.value.response
        assert "is not authorized to perform: s3:" in denied.value.response["Error"]["Message"]


def test_forged_signatures_and_unknown_keys_are_refused(server: ModelportServer, root_s3: Any) -> None:
    forged = s3_client(server, (server.access_key, "not-the-secret", None))
    with pytest.raises(ClientError) as refused:
        forged.list_buckets()
    assert error_code(refused) == "SignatureDoesNotMatch"
    unknown = s3_client(server, ("AKIAUNKNOWNUNKNOWN12", "whatever", None))
    with pytest.raises(ClientError) as refused:
        unknown.list_buckets()
    assert error_code(refused) == "InvalidAccessKeyId"


def test_a_model_uploaded_through_the_front_deploys(
    server: ModelportServer, root_s3: Any, model_archive: Path
) -> None:
    s3 = s3_client(server, role_keys(server, "uploader", "arn:aws:iam::aws:policy/AmazonSageMakerFullAccess"))
    root_s3.create_bucket(Bucket="sagemaker-models")
    with model_archive.open("rb") as archive:
        s3.upload_fileobj(archive, "sagemaker-models", "iris/model.tar.gz")
    sagemaker = server.client("sagemaker")
    deploy(sagemaker, "iris-front", "s3://sagemaker-models/iris/model.tar.gz")
    assert wait_in_service(sagemaker, "iris-front")["EndpointStatus"] == "InService"
    response = server.client("sagemaker-runtime").invoke_endpoint(
        EndpointName="iris-front", ContentType="text/csv", Body=seed.test_points_csv()
    )
    assert len(response["Body"].read().decode().strip().splitlines()) == len(seed.test_points())
