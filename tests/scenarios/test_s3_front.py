"""The S3 front: S3 requests signed with modelport's keys (root, role sessions), authorized with IAM,
forwarded to the embedded S3 (SeaweedFS, which knows only the root key).

One server (embedded S3 and S3 front on) is shared. A role session with AmazonS3FullAccess
creates a bucket, uploads (upload_fileobj), lists, downloads and deletes through the front; a
role without S3 permissions is refused with AccessDenied; a forged signature gets
SignatureDoesNotMatch and an unknown key InvalidAccessKeyId, as does a forged chunk of a signed
aws-chunked upload; a model uploaded through the front
deploys (the server reads it straight from SeaweedFS).
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from modelport import seed
from modelport.aws.auth.canonical import canonical_request, signing_key
from modelport.aws.auth.sigv4 import ChunkSigning
from modelport.core.transparent import transparent_environment
from support.modelport_server import (
    ModelportServer,
    deploy,
    root_shell,
    run_modelport,
    running_server,
    wait_in_service,
)
from support.modelport_server import modelport_env as support_modelport_env
from support.s3server import S3Endpoint
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
    env |= {"MODELPORT_PROXY": "1", "MODELPORT_PROXY_PORT": "0"}
    # Bodies with a sha256 above 1 MiB stream (checked on the way), below it are checked first.
    env |= {"MODELPORT_S3_VERIFIED_BODY_BYTES": str(1024 * 1024)}
    with running_server(tmp_path_factory.mktemp("server"), env=env) as running:
        yield running


def record(server: ModelportServer) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((server.data_dir / "server.json").read_text())
    return document


def front_url(server: ModelportServer) -> str:
    return str(record(server)["s3_front_url"])


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
    got = httpx.get(url)
    assert got.content == b"hello", got.content
    forged = url[:-4] + ("0000" if not url.endswith("0000") else "1111")
    answer = httpx.get(forged)
    assert answer.status_code == 403 and b"<Code>SignatureDoesNotMatch</Code>" in answer.content
    sigv2 = boto3.client(
        "s3",
        endpoint_url=front_url(server),
        aws_access_key_id=server.access_key,
        aws_secret_access_key=server.secret_key,
        region_name="us-east-1",
        config=Config(signature_version="s3"),
    ).generate_presigned_url("get_object", Params={"Bucket": "hosted", "Key": "k.txt"})
    answer = httpx.get(sigv2)
    assert answer.status_code == 400 and b"Please use AWS4-HMAC-SHA256" in answer.content


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


def sign(
    server: ModelportServer, method: str, path: str, headers: dict[str, str], payload_hash: str
) -> dict[str, str]:
    """SigV4 headers for a hand-made request to the front (root key), as an SDK would sign them."""
    timestamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    headers = {**headers, "host": front_url(server).split("//")[1], "x-amz-date": timestamp}
    headers["x-amz-content-sha256"] = payload_hash
    names = ";".join(sorted(headers))
    grouped = {name: [value] for name, value in headers.items()}
    canonical = canonical_request(method, path, [], grouped, names, payload_hash, "s3")
    scope = f"{timestamp[:8]}/us-east-1/s3/aws4_request"
    digest = hashlib.sha256(canonical.encode()).hexdigest()
    key = signing_key(server.secret_key, timestamp[:8], "us-east-1", "s3")
    signature = hmac.new(key, f"AWS4-HMAC-SHA256\n{timestamp}\n{scope}\n{digest}".encode(), hashlib.sha256)
    headers["authorization"] = (
        f"AWS4-HMAC-SHA256 Credential={server.access_key}/{scope}, SignedHeaders={names}, "
        f"Signature={signature.hexdigest()}"
    )
    return headers


def chunked_body(
    server: ModelportServer, headers: dict[str, str], chunks: list[bytes], forge: int = -1
) -> bytes:
    """An aws-chunked body whose chunk signatures chain from the header's (chunk ``forge`` wrong)."""
    stamp = headers["x-amz-date"]
    signing = ChunkSigning(
        signing_key(server.secret_key, stamp[:8], "us-east-1", "s3"),
        stamp,
        f"{stamp[:8]}/us-east-1/s3/aws4_request",
        headers["authorization"].rsplit("Signature=", 1)[1],
    )
    previous, out = signing.seed, b""
    for number, chunk in enumerate(chunks):
        previous = signing.expected(previous, hashlib.sha256(chunk).hexdigest())
        shown = "0" * 64 if number == forge else previous
        out += f"{len(chunk):x};chunk-signature={shown}\r\n".encode() + chunk + b"\r\n"
    return out


def test_signed_chunks_are_checked_and_decoded_and_a_wrong_body_digest_is_refused(
    server: ModelportServer, root_s3: Any
) -> None:
    root_s3.create_bucket(Bucket="chunks")
    data = os.urandom(100_000)
    chunks = [data[:65536], data[65536:], b""]
    headers = {"content-encoding": "aws-chunked", "x-amz-decoded-content-length": str(len(data))}
    signed = sign(server, "PUT", "/chunks/signed", headers, "STREAMING-AWS4-HMAC-SHA256-PAYLOAD")
    body = chunked_body(server, signed, chunks)
    answer = httpx.put(f"{front_url(server)}/chunks/signed", content=body, headers=signed)
    assert answer.status_code == 200, answer.text
    assert root_s3.get_object(Bucket="chunks", Key="signed")["Body"].read() == data

    signed = sign(server, "PUT", "/chunks/forged", headers, "STREAMING-AWS4-HMAC-SHA256-PAYLOAD")
    answer = httpx.put(
        f"{front_url(server)}/chunks/forged",
        content=chunked_body(server, signed, chunks, forge=0),
        headers=signed,
    )
    assert answer.status_code == 403 and b"<Code>SignatureDoesNotMatch</Code>" in answer.content
    with pytest.raises(ClientError):  # the forged first chunk never went on: nothing was stored
        root_s3.head_object(Bucket="chunks", Key="forged")

    lying = sign(server, "PUT", "/chunks/lying", {}, hashlib.sha256(b"something else").hexdigest())
    answer = httpx.put(f"{front_url(server)}/chunks/lying", content=data, headers=lying)
    assert answer.status_code == 400 and b"<Code>XAmzContentSHA256Mismatch</Code>" in answer.content
    with pytest.raises(ClientError) as missing:
        root_s3.head_object(Bucket="chunks", Key="lying")
    assert missing.value.response["Error"]["Code"] == "404"

    large = os.urandom(2 * 1024 * 1024)  # above the limit: streamed, the last piece held back
    lying = sign(server, "PUT", "/chunks/large", {}, hashlib.sha256(b"something else").hexdigest())
    answer = httpx.put(f"{front_url(server)}/chunks/large", content=large, headers=lying)
    assert answer.status_code == 400 and b"<Code>XAmzContentSHA256Mismatch</Code>" in answer.content
    root_s3.put_object(Bucket="chunks", Key="large", Body=large)  # boto3 over HTTP: a true sha256
    assert root_s3.get_object(Bucket="chunks", Key="large")["Body"].read() == large


@contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    """``os.environ`` as a shell after ``eval "$(modelport env --transparent)"`` has it."""
    saved = dict(os.environ)
    for name in list(os.environ):
        if name.startswith(("AWS_", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY")):
            del os.environ[name]
    os.environ.update(values)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def test_through_the_proxy_role_sessions_reach_s3_under_iam(server: ModelportServer, root_s3: Any) -> None:
    """``boto3.Session().resource("s3")`` with no endpoint, as a notebook runs it under its role."""
    allowed = role_keys(server, "proxy-writer", "arn:aws:iam::aws:policy/AmazonS3FullAccess")
    denied = role_keys(server, "proxy-nothing", None)
    values = transparent_environment(record(server)["proxy_url"], record(server)["ca_bundle"])
    with environment(values):
        sessions = [
            boto3.Session(
                aws_access_key_id=k[0],
                aws_secret_access_key=k[1],
                aws_session_token=k[2],
                region_name="us-east-1",
            )
            for k in (allowed, denied)
        ]
        s3, refused = (session.resource("s3") for session in sessions)
    s3.create_bucket(Bucket="notebook-bucket")
    s3.Bucket("notebook-bucket").Object("a/model.tar.gz").upload_fileobj(io.BytesIO(b"w" * 200_000))
    assert root_s3.get_object(Bucket="notebook-bucket", Key="a/model.tar.gz")["Body"].read() == b"w" * 200_000
    with pytest.raises(ClientError) as refusal:
        refused.Bucket("notebook-bucket").Object("a/model.tar.gz").get()
    assert error_code(refusal) == "AccessDenied"


def modelport_env(server: ModelportServer, *args: str) -> dict[str, str]:
    return support_modelport_env(server, *args, env=root_shell(server))


def test_code_under_modelport_env_role_uploads_with_the_roles_credentials(server: ModelportServer) -> None:
    """``eval "$(modelport env --role r)"`` then ``boto3.Session().resource("s3")`` with no arguments."""
    iam = server.client("iam")
    iam.create_role(RoleName="env-role", AssumeRolePolicyDocument=json.dumps(TRUST))
    iam.attach_role_policy(RoleName="env-role", PolicyArn="arn:aws:iam::aws:policy/AmazonS3FullAccess")
    values = modelport_env(server, "--role", "env-role")
    assert values["AWS_ENDPOINT_URL_S3"] == front_url(server)
    with environment(values):
        s3 = boto3.Session().resource("s3")
        bucket = s3.Bucket("env-role-bucket")
        bucket.create()
        bucket.Object("model.tar.gz").upload_fileobj(io.BytesIO(b"r" * 10_000))
        assert [o.key for o in bucket.objects.all()] == ["model.tar.gz"]
        # A Session of its own: boto3.client() would cache these credentials in boto3's default
        # session for every later test in this process.
        arn = boto3.Session().client("sts").get_caller_identity()["Arn"]
    assert arn.startswith("arn:aws:sts::123456789012:assumed-role/env-role/")


def test_modelport_env_points_s3_clients_at_the_front_and_status_shows_it(server: ModelportServer) -> None:
    data = ("--data-dir", str(server.data_dir))
    result = run_modelport(server, "env", *data, "--endpoint-url", server.url)
    assert f"AWS_ENDPOINT_URL_S3={front_url(server)}" in result.stdout.replace("'", "").replace('"', ""), (
        result.stdout + result.stderr
    )
    status = run_modelport(server, "status", *data)
    assert f"S3 front (modelport's keys and IAM) at {front_url(server)}" in status.stdout, status.stdout


def test_the_calls_of_sagemaker_default_bucket_work_for_a_sagemaker_role(server: ModelportServer) -> None:
    """What ``sagemaker.Session().default_bucket()`` (SDK 2.x) does, under AmazonSageMakerFullAccess."""
    keys = role_keys(server, "notebook", "arn:aws:iam::aws:policy/AmazonSageMakerFullAccess")
    session = boto3.Session(
        aws_access_key_id=keys[0],
        aws_secret_access_key=keys[1],
        aws_session_token=keys[2],
        region_name="us-east-1",
    )
    account = session.client("sts", endpoint_url=server.url).get_caller_identity()["Account"]
    name = f"sagemaker-us-east-1-{account}"
    s3 = session.resource(
        "s3", endpoint_url=front_url(server), config=Config(s3={"addressing_style": "path"})
    )
    assert s3.Bucket(name).creation_date is None  # ListBuckets
    s3.create_bucket(Bucket=name)
    s3.meta.client.head_bucket(Bucket=name, ExpectedBucketOwner=account)
    s3.Bucket(name).Object("model/model.tar.gz").upload_fileobj(io.BytesIO(b"m" * 1000))
    with pytest.raises(ClientError) as denied:
        s3.Bucket("other-bucket").Object("x").upload_fileobj(io.BytesIO(b"m"))  # not a *sagemaker* bucket
    assert error_code(denied) == "AccessDenied"


def test_an_external_s3_is_reached_with_its_own_keys(tmp_path: Path, s3: S3Endpoint) -> None:
    """With MODELPORT_S3_ENDPOINT_URL, the front re-signs with MODELPORT_S3_ACCESS_KEY_ID's key."""
    env = {
        "MODELPORT_S3_ENDPOINT_URL": s3.endpoint_url,
        "MODELPORT_S3_ACCESS_KEY_ID": s3.access_key,
        "MODELPORT_S3_SECRET_ACCESS_KEY": s3.secret_key,
        "MODELPORT_S3_REGION": s3.region,
        "MODELPORT_S3_FRONT": "1",
        "MODELPORT_S3_FRONT_PORT": "0",
    }
    with running_server(tmp_path / "data", env=env) as external:
        keys = role_keys(external, "external-writer", "arn:aws:iam::aws:policy/AmazonS3FullAccess")
        front = s3_client(external, keys)
        front.create_bucket(Bucket="external-front")
        front.upload_fileobj(io.BytesIO(b"e" * 5000), "external-front", "k")
        direct = boto3.client(
            "s3",
            endpoint_url=s3.endpoint_url,
            aws_access_key_id=s3.access_key,
            aws_secret_access_key=s3.secret_key,
            region_name=s3.region,
        )
        assert direct.get_object(Bucket="external-front", Key="k")["Body"].read() == b"e" * 5000
