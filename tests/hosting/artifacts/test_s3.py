"""Fetching model data from a real S3 server (SeaweedFS), by every URL form."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import pytest

from modelport.core.config import Limits, Settings
from modelport.core.errors import ArtifactError
from modelport.hosting.artifacts import fetch as fetch_module
from modelport.hosting.artifacts.cache import ArtifactCache
from modelport.hosting.artifacts.fetch import failure_reason, fetch_model_data
from support.s3server import S3Endpoint

from .archives import file_member, make_tar

pytestmark = pytest.mark.s3

BUCKET = "models-bucket"
ARCHIVE = make_tar([file_member("xgboost-model", b"booster"), file_member("code/x.py", b"1")])


@pytest.fixture(scope="module")
def bucket(s3: S3Endpoint) -> Iterator[Any]:
    client = s3.client()
    client.create_bucket(Bucket=BUCKET)
    client.put_object(Bucket=BUCKET, Key="xgb/model.tar.gz", Body=ARCHIVE)
    client.put_object(Bucket=BUCKET, Key="plain/xgboost-model", Body=b"raw-model")
    client.put_object(Bucket=BUCKET, Key="folder/v1/xgboost-model", Body=b"a")
    client.put_object(Bucket=BUCKET, Key="folder/v1/code/inference.py", Body=b"b")
    yield client


@pytest.fixture
def s3_settings(s3: S3Endpoint, tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path, **s3.settings_overrides())


@pytest.mark.parametrize(
    "url",
    [
        f"s3://{BUCKET}/xgb/model.tar.gz",
        f"https://s3-us-east-1.amazonaws.com/{BUCKET}/xgb/model.tar.gz",
        f"https://s3.eu-west-1.amazonaws.com/{BUCKET}/xgb/model.tar.gz",
        f"https://s3.amazonaws.com/{BUCKET}/xgb/model.tar.gz",
        f"https://{BUCKET}.s3.amazonaws.com/xgb/model.tar.gz",
        f"https://{BUCKET}.s3.us-west-2.amazonaws.com/xgb/model.tar.gz",
        f"https://{BUCKET}.s3-us-east-1.amazonaws.com/xgb/model.tar.gz",
    ],
)
def test_every_form_reads_from_the_configured_endpoint(
    bucket: Any, s3_settings: Settings, tmp_path: Path, url: str
) -> None:
    folder = ArtifactCache(tmp_path / "cache", s3_settings).prepare("m", url)
    assert (folder / "xgboost-model").read_bytes() == b"booster"
    assert (folder / "code/x.py").read_bytes() == b"1"


def test_plain_object_and_prefix(bucket: Any, s3_settings: Settings, tmp_path: Path) -> None:
    cache = ArtifactCache(tmp_path / "cache", s3_settings)
    plain = cache.prepare("plain", f"s3://{BUCKET}/plain/xgboost-model")
    assert (plain / "xgboost-model").read_bytes() == b"raw-model"
    folder = cache.prepare("prefix", f"s3://{BUCKET}/folder/v1/")
    assert (folder / "xgboost-model").read_bytes() == b"a"  # the prefix's contents, like S3Prefix
    assert (folder / "code" / "inference.py").read_bytes() == b"b"


@pytest.mark.parametrize(
    "url",
    [
        f"s3://{BUCKET}/missing/model.tar.gz",
        "s3://no-such-bucket/model.tar.gz",
        f"https://{BUCKET}.s3.amazonaws.com/missing.tar.gz",
        f"s3://{BUCKET}/empty-prefix/",
    ],
)
def test_missing_object_has_aws_failure_reason(
    bucket: Any, s3_settings: Settings, tmp_path: Path, url: str
) -> None:
    with pytest.raises(ArtifactError) as caught:
        fetch_model_data(url, tmp_path, s3_settings)
    assert caught.value.message.startswith(
        f'Failed to download model data for container "container_1" from URL: "{url}". '
        "Please ensure that there is an object located at the URL and that the role passed to "
        "CreateModel has permissions to download the object."
    )


def test_wrong_credentials(bucket: Any, s3_settings: Settings, tmp_path: Path) -> None:
    wrong = dataclasses.replace(s3_settings, s3_secret_access_key="not-the-secret")
    url = f"s3://{BUCKET}/xgb/model.tar.gz"
    with pytest.raises(ArtifactError) as caught:
        fetch_model_data(url, tmp_path, wrong)
    assert caught.value.message.startswith(failure_reason(url))
    assert "SignatureDoesNotMatch" in caught.value.message


def test_unreachable_endpoint(tmp_path: Path) -> None:
    settings = Settings(s3_endpoint_url="http://127.0.0.1:9", s3_access_key_id="a", s3_secret_access_key="b")
    url = "s3://bkt/model.tar.gz"
    with pytest.raises(ArtifactError) as caught:
        fetch_model_data(url, tmp_path, dataclasses.replace(settings))
    assert caught.value.message.startswith(failure_reason(url))


def test_download_limit(bucket: Any, s3_settings: Settings, tmp_path: Path) -> None:
    small = dataclasses.replace(s3_settings, limits=Limits(max_download_bytes=10))
    with pytest.raises(ArtifactError, match="larger than the download limit of 10 bytes"):
        fetch_model_data(f"s3://{BUCKET}/xgb/model.tar.gz", tmp_path, small)
    assert list(tmp_path.iterdir()) == []


def test_cache_downloads_once(bucket: Any, s3_settings: Settings, tmp_path: Path) -> None:
    url = f"s3://{BUCKET}/xgb/model.tar.gz"
    cache = ArtifactCache(tmp_path / "cache", s3_settings)
    with mock.patch.object(fetch_module, "_download_object", wraps=fetch_module._download_object) as download:
        first = cache.prepare("m", url)
        marker_mtime = (first / "xgboost-model").stat().st_mtime_ns
        second = ArtifactCache(tmp_path / "cache", s3_settings).prepare("m", url)
    assert download.call_count == 1
    assert second == first
    assert (second / "xgboost-model").stat().st_mtime_ns == marker_mtime


def test_an_s3_read_waits_for_the_s3_to_be_ready(bucket: Any, s3_settings: Settings, tmp_path: Path) -> None:
    """The embedded S3's gate: called before an s3:// read (never for a local path); its reason fails it."""
    calls: list[str] = []

    def ready() -> str | None:
        calls.append("waited")
        return None

    cache = ArtifactCache(tmp_path / "cache", s3_settings, s3_ready=ready)
    folder = cache.prepare("gated", f"s3://{BUCKET}/plain/xgboost-model")
    assert (folder / "xgboost-model").read_bytes() == b"raw-model"
    assert calls == ["waited"]

    local = tmp_path / "local-model"
    local.write_bytes(b"x")
    cache.prepare("local", str(local))
    assert calls == ["waited"]

    unready = ArtifactCache(tmp_path / "cache2", s3_settings, s3_ready=lambda: "the embedded S3 is not up")
    url = f"s3://{BUCKET}/plain/xgboost-model"
    with pytest.raises(ArtifactError) as raised:
        unready.prepare("m", url)
    assert str(raised.value) == f"{failure_reason(url)} (the embedded S3 is not up)"
