"""Which operation, bucket and key an S3 request names (pure)."""

from __future__ import annotations

import pytest

from modelport.core.errors import InvalidRequest, UnknownOperation
from modelport.services.iam.actions import required_permission
from modelport.services.s3.requests import OPERATIONS, Target, classify, locate


def permission(
    method: str, host: str, path: str, query: tuple[str, ...] = (), copy: str | None = None
) -> tuple[str, str]:
    call = classify(method, locate(host, path), query, copy)
    found = required_permission("s3", call.operation, call.params, region="us-east-1", account_id="1")
    return found.action, found.resource


@pytest.mark.parametrize(
    ("method", "host", "path", "query", "expected"),
    [
        ("GET", "127.0.0.1:8793", "/", (), ("s3:ListAllMyBuckets", "*")),
        ("PUT", "127.0.0.1:8793", "/b", (), ("s3:CreateBucket", "arn:aws:s3:::b")),
        ("HEAD", "127.0.0.1:8793", "/b", (), ("s3:ListBucket", "arn:aws:s3:::b")),
        ("GET", "127.0.0.1:8793", "/b", ("list-type", "prefix"), ("s3:ListBucket", "arn:aws:s3:::b")),
        ("GET", "127.0.0.1:8793", "/b", ("location",), ("s3:GetBucketLocation", "arn:aws:s3:::b")),
        ("GET", "127.0.0.1:8793", "/b/a%20b/c", (), ("s3:GetObject", "arn:aws:s3:::b/a b/c")),
        ("PUT", "b.s3.us-east-1.amazonaws.com", "/k", (), ("s3:PutObject", "arn:aws:s3:::b/k")),
        (
            "PUT",
            "b.s3.amazonaws.com:443",
            "/k",
            ("partNumber", "uploadId"),
            ("s3:PutObject", "arn:aws:s3:::b/k"),
        ),
        ("DELETE", "s3.us-east-1.amazonaws.com", "/b/k", (), ("s3:DeleteObject", "arn:aws:s3:::b/k")),
        ("POST", "127.0.0.1", "/b", ("delete",), ("s3:DeleteObject", "arn:aws:s3:::b/*")),
        ("DELETE", "127.0.0.1", "/b/k", ("uploadId",), ("s3:AbortMultipartUpload", "arn:aws:s3:::b/k")),
    ],
)
def test_requests_map_to_their_iam_action_and_resource(
    method: str, host: str, path: str, query: tuple[str, ...], expected: tuple[str, str]
) -> None:
    assert permission(method, host, path, query) == expected


def test_virtual_hosted_requests_are_read_as_path_style() -> None:
    assert locate("my.bucket.s3.eu-west-1.amazonaws.com", "/a/b") == Target(
        "my.bucket", "a/b", "/my.bucket/a/b"
    )
    assert locate("127.0.0.1:1", "/bucket") == Target("bucket", "", "/bucket")


def test_a_copy_also_names_its_source() -> None:
    call = classify("PUT", locate("h", "/dst/k"), (), "/src/a%2Bb?versionId=1")
    assert (call.operation, call.source) == ("CopyObject", ("src", "a+b"))
    with pytest.raises(InvalidRequest, match="x-amz-copy-source"):
        classify("PUT", locate("h", "/dst/k"), (), "nokey")


@pytest.mark.parametrize(
    ("method", "path", "query"),
    [("PUT", "/b", ("cors",)), ("GET", "/b/k", ("torrent",)), ("POST", "/", ()), ("PATCH", "/b/k", ())],
)
def test_unmapped_requests_are_refused_not_forwarded(method: str, path: str, query: tuple[str, ...]) -> None:
    with pytest.raises(UnknownOperation):
        classify(method, locate("h", path), query, None)


def test_every_operation_has_an_iam_action() -> None:
    for operation in OPERATIONS:
        assert required_permission("s3", operation, {"Bucket": "b", "Key": "k"}, region="r", account_id="1")


@pytest.mark.parametrize(
    ("host", "path"),
    [
        ("h", "/mine/../theirs/k"),
        ("h", "/mine/%2E%2E/theirs/k"),
        ("h", "//theirs/k"),
        ("h", "/mine%2F..%2Ftheirs/k"),
        ("h", "/mine/a//b"),
        ("mine.s3.us-east-1.amazonaws.com", "/../theirs/k"),
        ("h", "relative"),
    ],
)
def test_paths_another_server_could_read_differently_are_refused(host: str, path: str) -> None:
    with pytest.raises(InvalidRequest):
        locate(host, path)


def test_folder_markers_and_odd_but_plain_keys_pass() -> None:
    assert locate("h", "/b/dir/").key == "dir/"
    assert locate("h", "/b/a.b/..c/%E2%82%AC").key == "a.b/..c/\u20ac"
    with pytest.raises(InvalidRequest):
        classify("PUT", locate("h", "/dst/k"), (), "/src/../other/k")
