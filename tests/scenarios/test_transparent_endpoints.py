"""Transparent endpoints: boto3 with no endpoint URL reaches modelport through its HTTPS proxy.

One server (embedded S3 on) is shared. Clients get only ``HTTPS_PROXY`` and ``AWS_CA_BUNDLE``
(from ``modelport.core.transparent.transparent_environment``, what ``modelport env
--transparent`` prints) and the root keys: sts, sagemaker, sagemaker-runtime, iam and lambda
answer from modelport over real TLS; S3 uploads and downloads reach the embedded SeaweedFS in
path and virtual-hosted style. TLS verifies against modelport's CA only; unserved hosts are
refused by name; unsigned and forged requests get the plain port's answers; the CA key is 0600
and the same CA comes back after a restart.
"""

from __future__ import annotations

import json
import os
import re
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
import pytest
import urllib3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, ProxyConnectionError, SSLError

from modelport.core.transparent import transparent_environment
from support.modelport_server import REGION, ModelportServer, running_server
from support.waiting import wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.s3]

_CLEARED = (
    "AWS_ENDPOINT_URL",
    "AWS_CA_BUNDLE",
    "AWS_PROFILE",
    "HTTPS_PROXY",
    "https_proxy",
    "NO_PROXY",
    "no_proxy",
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModelportServer]:
    env = {"MODELPORT_EMBEDDED_S3": "1", "MODELPORT_PROXY": "1", "MODELPORT_PROXY_PORT": "0"}
    with running_server(tmp_path_factory.mktemp("server"), env=env) as running:
        wait_until(lambda: s3_answers(running), "the embedded S3 never accepted the root key")
        yield running


def direct_s3(server: ModelportServer) -> Any:
    return boto3.Session(
        aws_access_key_id=server.access_key, aws_secret_access_key=server.secret_key, region_name=REGION
    ).client(
        "s3", endpoint_url=record(server)["s3_endpoint_url"], config=Config(s3={"addressing_style": "path"})
    )


def s3_answers(server: ModelportServer) -> bool:
    """SeaweedFS answers HTTP a moment before it has loaded its identities."""
    try:
        direct_s3(server).list_buckets()
    except (ClientError, BotoCoreError):
        return False
    return True


def record(server: ModelportServer) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((server.data_dir / "server.json").read_text())
    return document


@contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    """``os.environ`` as a fresh shell after ``eval "$(modelport env --transparent)"`` would have it."""
    saved = dict(os.environ)
    for name in list(os.environ):
        if name.startswith("AWS_ENDPOINT_URL") or name in _CLEARED:
            del os.environ[name]
    os.environ.update(values)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def transparent_client(server: ModelportServer, service: str, *, trust: bool = True, **kwargs: Any) -> Any:
    """A boto3 client with no endpoint URL: botocore reads the proxy and CA from the environment."""
    values = transparent_environment(record(server)["proxy_url"], record(server)["ca_bundle"])
    if not trust:
        del values["AWS_CA_BUNDLE"]
    with environment(values):
        session = boto3.Session(
            aws_access_key_id=server.access_key,
            aws_secret_access_key=kwargs.pop("secret", server.secret_key),
            region_name=REGION,
        )
        return session.client(service, config=Config(retries={"max_attempts": 1}, **kwargs))


def test_every_served_api_answers_through_the_proxy(server: ModelportServer) -> None:
    identity = transparent_client(server, "sts").get_caller_identity()
    assert identity["Arn"] == "arn:aws:iam::123456789012:root"
    assert transparent_client(server, "sagemaker").list_endpoints()["Endpoints"] == []
    assert "Roles" in transparent_client(server, "iam").list_roles()
    assert transparent_client(server, "lambda").list_functions()["Functions"] == []
    with pytest.raises(ClientError) as missing:
        transparent_client(server, "sagemaker-runtime").invoke_endpoint(EndpointName="nowhere", Body=b"1")
    assert "nowhere" in missing.value.response["Error"]["Message"]  # modelport's answer, over TLS


def test_the_sdk_explicit_sts_url_works(server: ModelportServer) -> None:
    """The SageMaker Python SDK 2.x builds ``https://sts.<region>.amazonaws.com`` itself."""
    values = transparent_environment(record(server)["proxy_url"], record(server)["ca_bundle"])
    with environment(values):
        sts = boto3.Session(
            aws_access_key_id=server.access_key, aws_secret_access_key=server.secret_key, region_name=REGION
        ).client("sts", endpoint_url=f"https://sts.{REGION}.amazonaws.com")
    assert sts.get_caller_identity()["Account"] == "123456789012"


@pytest.mark.parametrize("style", ["path", "virtual"])
def test_s3_upload_and_download_reach_the_embedded_s3(server: ModelportServer, style: str) -> None:
    bucket = f"transparent-{style}"
    s3 = transparent_client(server, "s3", s3={"addressing_style": style})
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="model/model.tar.gz", Body=b"weights " * 1000)
    assert (
        direct_s3(server).get_object(Bucket=bucket, Key="model/model.tar.gz")["Body"].read()
        == b"weights " * 1000
    )
    assert s3.get_object(Bucket=bucket, Key="model/model.tar.gz")["Body"].read() == b"weights " * 1000


def test_the_notebook_s3_resource_uploads_and_downloads(server: ModelportServer, tmp_path: Any) -> None:
    """``boto3.Session().resource("s3")`` as the seed notebook uses it: no endpoint, default style."""
    values = transparent_environment(record(server)["proxy_url"], record(server)["ca_bundle"])
    source = tmp_path / "model.tar.gz"
    source.write_bytes(os.urandom(64 * 1024))
    with environment(values):
        session = boto3.Session(
            aws_access_key_id=server.access_key, aws_secret_access_key=server.secret_key, region_name=REGION
        )
        s3 = session.resource("s3")
    s3.create_bucket(Bucket="sagemaker-notebook-bucket")
    s3.Bucket("sagemaker-notebook-bucket").Object("xgboost/model.tar.gz").upload_file(str(source))
    s3.Bucket("sagemaker-notebook-bucket").download_file("xgboost/model.tar.gz", str(tmp_path / "back"))
    assert (tmp_path / "back").read_bytes() == source.read_bytes()


def test_tls_verifies_against_modelports_ca_only(server: ModelportServer) -> None:
    sts = transparent_client(server, "sts", trust=False)
    with pytest.raises(SSLError, match="CERTIFICATE_VERIFY_FAILED"):
        sts.get_caller_identity()


@pytest.mark.parametrize("host", ["ec2.us-east-1.amazonaws.com", "example.com"])
def test_an_unserved_host_is_refused_by_name(server: ModelportServer, host: str) -> None:
    proxy = urllib3.ProxyManager(
        record(server)["proxy_url"], ca_certs=record(server)["ca_bundle"], retries=False
    )
    with pytest.raises(
        urllib3.exceptions.ProxyError, match=f"403 modelport does not serve {re.escape(host)}"
    ):
        proxy.request("GET", f"https://{host}/")
    plain = proxy.request("GET", f"http://{host}/")
    assert plain.status == 403
    assert host in plain.data.decode()


def test_an_unserved_aws_service_is_refused_through_boto3(server: ModelportServer) -> None:
    with pytest.raises(ProxyConnectionError) as refused:
        transparent_client(server, "ec2").describe_instances()
    # botocore's own line names the proxy; the error it wraps (shown in the traceback) names the host.
    assert "403 modelport does not serve ec2.us-east-1.amazonaws.com" in str(refused.value.kwargs["error"])


def test_unsigned_and_forged_requests_get_the_plain_ports_answer(server: ModelportServer) -> None:
    proxy = urllib3.ProxyManager(
        record(server)["proxy_url"], ca_certs=record(server)["ca_bundle"], retries=False
    )
    form = {"Action": "GetCallerIdentity", "Version": "2011-06-15"}
    through = proxy.request(
        "POST", f"https://sts.{REGION}.amazonaws.com/", fields=form, encode_multipart=False
    )
    direct = urllib3.PoolManager(retries=False).request(
        "POST", f"{server.url}/", fields=form, encode_multipart=False
    )
    assert (through.status, without_request_id(through.data)) == (
        direct.status,
        without_request_id(direct.data),
    )
    assert through.status == 403
    forged = transparent_client(server, "sts", secret="not-the-secret" + "x" * 26)
    with pytest.raises(ClientError) as through_proxy:
        forged.get_caller_identity()
    plain = boto3.Session(
        aws_access_key_id=server.access_key,
        aws_secret_access_key="not-the-secret" + "x" * 26,
        region_name=REGION,
    ).client("sts", endpoint_url=server.url)
    with pytest.raises(ClientError) as on_plain_port:
        plain.get_caller_identity()
    assert through_proxy.value.response["Error"] == on_plain_port.value.response["Error"]
    assert through_proxy.value.response["Error"]["Code"] == "SignatureDoesNotMatch"


def without_request_id(body: bytes) -> bytes:
    return re.sub(rb"<RequestId>[^<]*</RequestId>", b"", body)


def test_the_ca_key_is_private_and_survives_a_restart(tmp_path: Path) -> None:
    """On a server of its own without S3 (a restart with SeaweedFS takes several times as long)."""
    env = {"MODELPORT_PROXY": "1", "MODELPORT_PROXY_PORT": "0"}
    with running_server(tmp_path / "data", env=env) as server:
        ca_bundle = record(server)["ca_bundle"]
        key = server.data_dir / "ca" / "modelport-ca.key"
        assert stat.S_IMODE(key.stat().st_mode) == 0o600
        assert stat.S_IMODE(key.parent.stat().st_mode) == 0o700
        certificate, secret = Path(ca_bundle).read_bytes(), key.read_bytes()
        assert b"PRIVATE KEY" not in certificate
        server.stop()
        server.start()
        assert record(server)["ca_bundle"] == ca_bundle
        assert transparent_client(server, "sts").get_caller_identity()["Account"] == "123456789012"
        assert Path(ca_bundle).read_bytes() == certificate and key.read_bytes() == secret
