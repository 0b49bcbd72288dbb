"""ModelDataUrl parsing: every accepted form, and malformed ones with a message saying what to fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from modelport.core.errors import InvalidRequest
from modelport.hosting.artifacts.urls import ParsedUrl, UrlKind, parse_model_data_url

S3 = UrlKind.S3


@pytest.mark.parametrize(
    ("url", "bucket", "key", "region"),
    [
        ("s3://my-bucket/models/model.tar.gz", "my-bucket", "models/model.tar.gz", None),
        ("s3://my.bucket/a/", "my.bucket", "a/", None),
        ("https://s3.eu-west-1.amazonaws.com/bkt/m/model.tar.gz", "bkt", "m/model.tar.gz", "eu-west-1"),
        ("https://s3-us-east-1.amazonaws.com/bkt/model.tar.gz", "bkt", "model.tar.gz", "us-east-1"),
        ("https://s3.amazonaws.com/bkt/dir/model.tar.gz", "bkt", "dir/model.tar.gz", None),
        ("https://bkt.s3.amazonaws.com/dir/model.tar.gz", "bkt", "dir/model.tar.gz", None),
        ("https://bkt.s3.us-west-2.amazonaws.com/model.tar.gz", "bkt", "model.tar.gz", "us-west-2"),
        ("https://bkt.s3-ap-south-1.amazonaws.com/model.tar.gz", "bkt", "model.tar.gz", "ap-south-1"),
        ("https://my.s3.bkt.s3.amazonaws.com/k", "my.s3.bkt", "k", None),
        ("https://s3-external-1.amazonaws.com/bkt/k", "bkt", "k", None),
        ("https://bkt.s3.amazonaws.com/with%20space.tar.gz", "bkt", "with space.tar.gz", None),
        ("HTTPS://BKT.S3.AMAZONAWS.COM/Key", "bkt", "Key", None),
    ],
)
def test_s3_forms(url: str, bucket: str, key: str, region: str | None) -> None:
    assert parse_model_data_url(url) == ParsedUrl(S3, url, bucket=bucket, key=key, region=region)


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("/opt/models/model.tar.gz", Path("/opt/models/model.tar.gz")),
        ("models/model.tar.gz", Path("models/model.tar.gz")),
        ("./xgboost-model", Path("xgboost-model")),
        ("file:///opt/models/model.tar.gz", Path("/opt/models/model.tar.gz")),
        ("file://localhost/opt/m", Path("/opt/m")),
        ("file:///opt/with%20space", Path("/opt/with space")),
    ],
)
def test_local_forms(url: str, path: Path) -> None:
    parsed = parse_model_data_url(url)
    assert (parsed.kind, parsed.path) == (UrlKind.LOCAL, path)


@pytest.mark.parametrize(
    ("url", "hint"),
    [
        ("", "empty"),
        (" /opt/m", "whitespace"),
        ("s3://", "no bucket"),
        ("s3:///key", "no bucket"),
        ("s3://bucket", "no object"),
        ("s3://bucket/", "no object"),
        ("s3://Bad_Bucket!/k", "invalid bucket name"),
        ("s3://ab/k", "invalid bucket name"),
        ("https://example.com/bucket/key", "not an S3 host"),
        ("https://s3.amazonaws.com.evil.com/b/k", "not an S3 host"),
        ("https://s3.amazonaws.com:8443/bkt/k", "not an S3 host"),
        ("https://s3.amazonaws.com/bkt", "no object"),
        ("https://s3.amazonaws.com/", "no bucket"),
        ("https://bkt.s3.amazonaws.com/", "no object"),
        ("https://bkt.s3.amazonaws.com/k?X-Amz-Signature=1", "presigned"),
        ("http://s3.amazonaws.com/bkt/k", 'unsupported scheme "http://"'),
        ("gs://bucket/key", 'unsupported scheme "gs://"'),
        ("file://relative/path", "three slashes"),
    ],
)
def test_malformed(url: str, hint: str) -> None:
    with pytest.raises(InvalidRequest, match="ModelDataUrl") as caught:
        parse_model_data_url(url)
    assert hint in caught.value.message


def test_unsupported_host_lists_the_supported_forms() -> None:
    with pytest.raises(InvalidRequest) as caught:
        parse_model_data_url("https://storage.googleapis.com/b/k")
    assert "s3://bucket/key" in caught.value.message
    assert "https://bucket.s3.<region>.amazonaws.com/key" in caught.value.message


def test_prefix_and_name() -> None:
    assert parse_model_data_url("s3://bkt/models/v1/").is_prefix
    assert parse_model_data_url("s3://bkt/models/v1/").name == "v1"
    assert not parse_model_data_url("s3://bkt/models/model.tar.gz").is_prefix
    assert parse_model_data_url("/a/b/xgboost-model").name == "xgboost-model"
