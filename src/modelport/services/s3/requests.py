"""What an S3 REST request asks for: its bucket, key and operation (pure, no I/O).

modelport does not implement S3 itself; its S3 front (``http/s3/front.py``) authenticates and
authorizes each request, then forwards it to the S3 in use. This module answers the two
questions that needs: where the request points (:func:`locate`, path style or a virtual-hosted
``<bucket>.s3.<region>.amazonaws.com`` Host) and which operation it is (:func:`classify`), whose
IAM action ``services/iam/actions.py`` names. A request whose sub-resource is not in the tables
below is refused (``UnknownOperation``): an operation nobody mapped never slips through unchecked.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from urllib.parse import unquote

from modelport.core.errors import InvalidRequest, UnknownOperation

_REGION = r"[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d+"
_BUCKET = re.compile(r"[A-Za-z0-9._-]{1,255}")
_VIRTUAL_HOST = re.compile(
    rf"(?P<bucket>[a-z0-9][a-z0-9.-]*)\.s3(?:\.dualstack)?(?:[.-]{_REGION})?\.amazonaws\.com"
)

# Query parameters that are arguments, never sub-resources (ListObjects, GetObject overrides, ...).
_ARGUMENTS = frozenset(
    {
        "prefix", "delimiter", "marker", "max-keys", "encoding-type", "list-type",
        "continuation-token", "start-after", "fetch-owner", "max-uploads", "key-marker",
        "upload-id-marker", "version-id-marker", "max-parts", "part-number-marker", "partNumber",
        "versionId", "response-content-type", "response-content-language", "response-expires",
        "response-cache-control", "response-content-disposition", "response-content-encoding",
        "x-id", "X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires",
        "X-Amz-SignedHeaders", "X-Amz-Signature", "X-Amz-Security-Token",
    }
)  # fmt: skip

# (method, sub-resource) -> operation, for requests on a bucket; "" is no sub-resource.
BUCKET_OPERATIONS: Mapping[tuple[str, str], str] = {
    ("PUT", ""): "CreateBucket",
    ("DELETE", ""): "DeleteBucket",
    ("HEAD", ""): "HeadBucket",
    ("GET", ""): "ListObjects",
    ("GET", "list-type"): "ListObjectsV2",
    ("GET", "location"): "GetBucketLocation",
    ("GET", "versioning"): "GetBucketVersioning",
    ("PUT", "versioning"): "PutBucketVersioning",
    ("GET", "versions"): "ListObjectVersions",
    ("GET", "uploads"): "ListMultipartUploads",
    ("GET", "tagging"): "GetBucketTagging",
    ("PUT", "tagging"): "PutBucketTagging",
    ("DELETE", "tagging"): "DeleteBucketTagging",
    ("GET", "policy"): "GetBucketPolicy",
    ("PUT", "policy"): "PutBucketPolicy",
    ("DELETE", "policy"): "DeleteBucketPolicy",
    ("GET", "acl"): "GetBucketAcl",
    ("POST", "delete"): "DeleteObjects",
}
# The same for requests on an object.
OBJECT_OPERATIONS: Mapping[tuple[str, str], str] = {
    ("GET", ""): "GetObject",
    ("HEAD", ""): "HeadObject",
    ("PUT", ""): "PutObject",
    ("DELETE", ""): "DeleteObject",
    ("PUT", "uploadId"): "UploadPart",
    ("POST", "uploads"): "CreateMultipartUpload",
    ("POST", "uploadId"): "CompleteMultipartUpload",
    ("DELETE", "uploadId"): "AbortMultipartUpload",
    ("GET", "uploadId"): "ListParts",
    ("GET", "tagging"): "GetObjectTagging",
    ("PUT", "tagging"): "PutObjectTagging",
    ("DELETE", "tagging"): "DeleteObjectTagging",
    ("GET", "acl"): "GetObjectAcl",
}
# Copies read another object: the caller needs s3:GetObject on the source too.
COPIES = {"PutObject": "CopyObject", "UploadPart": "UploadPartCopy"}
OPERATIONS = frozenset(
    {"ListBuckets", *BUCKET_OPERATIONS.values(), *OBJECT_OPERATIONS.values(), *COPIES.values()}
)


@dataclass(frozen=True)
class Target:
    """Where a request points. ``path`` is the path-style form (``/bucket/key``), still encoded."""

    bucket: str
    key: str
    path: str


@dataclass(frozen=True)
class S3Call:
    """An S3 request as IAM sees it. ``params`` carry ``Bucket`` and ``Key`` (for the ARN);
    ``source`` is a copy's source object as ``(bucket, key)``."""

    operation: str
    params: dict[str, str]
    source: tuple[str, str] | None = None


def locate(host: str, raw_path: str) -> Target:
    """The bucket and key of a request: from the Host (virtual-hosted) or the path (path style).

    The request is forwarded with this path and authorized for this bucket and key, so nothing
    downstream may read the path differently: dot segments (``/mine/../theirs/k``), empty ones
    (``//theirs/k``) and bucket names with anything but letters, digits, ``.``, ``-`` and ``_``
    (an encoded ``/``) are refused rather than left to some URL normalizer on the way.
    """
    name = host.lower().rsplit(":", 1)[0] if not host.startswith("[") else host.lower()
    found = _VIRTUAL_HOST.fullmatch(name.rstrip("."))
    path = raw_path or "/"
    if found is not None:
        path = f"/{found['bucket']}{path}"
    if not path.startswith("/"):
        raise InvalidRequest(f"The request path must start with '/', not {raw_path[:100]!r}.")
    raw_bucket, _, raw_key = path[1:].partition("/")
    bucket, key = unquote(raw_bucket), unquote(raw_key)
    if bucket and not _BUCKET.fullmatch(bucket):
        raise InvalidRequest(f"Invalid bucket name {bucket[:100]!r}: use letters, digits, '.', '-' and '_'.")
    if not bucket and path != "/":
        raise InvalidRequest(f"The request path {raw_path[:100]!r} names no bucket.")
    _check_key(key)
    return Target(bucket, key, path)


def _check_key(key: str) -> None:
    segments = key.split("/")
    inner = segments[:-1] if segments and segments[-1] == "" else segments
    if key and any(segment in ("", ".", "..") for segment in inner):
        raise InvalidRequest(
            f"Object key {key[:200]!r} has an empty, '.' or '..' path segment; modelport's S3 front "
            "refuses such keys so that every S3 server reads them as it authorized them."
        )


def classify(method: str, target: Target, query: Collection[str], copy_source: str | None) -> S3Call:
    """The operation of a request with the query parameter names ``query``."""
    if not target.bucket:
        if method in ("GET", "HEAD"):
            return S3Call("ListBuckets", {})
        raise UnknownOperation(f"No S3 operation answers {method} on the service root.")
    table = OBJECT_OPERATIONS if target.key else BUCKET_OPERATIONS
    sub = sorted(name for name in query if name not in _ARGUMENTS or name == "list-type")
    if "uploadId" in sub:
        sub = ["uploadId"]  # uploadId comes with partNumber; the upload names the operation
    if len(sub) > 1:
        raise UnknownOperation(f"modelport's S3 front does not serve {method} ?{'&'.join(sub)}.")
    operation = table.get((method, sub[0] if sub else ""))
    if operation is None:
        where = "an object" if target.key else "a bucket"
        raise UnknownOperation(
            f"modelport's S3 front does not serve {method} on {where}"
            + (f" with ?{sub[0]}" if sub else "")
            + "; see docs/s3.md for the operations it forwards."
        )
    params = {"Bucket": target.bucket, "Key": target.key}
    if copy_source is not None and operation in COPIES:
        return S3Call(COPIES[operation], params, _copy_source(copy_source))
    return S3Call(operation, params)


def _copy_source(header: str) -> tuple[str, str]:
    source = unquote(header.partition("?")[0]).lstrip("/")
    bucket, _, key = source.partition("/")
    if not bucket or not key or not _BUCKET.fullmatch(bucket):
        raise InvalidRequest(f"x-amz-copy-source must be <bucket>/<key>, not {header[:200]!r}.")
    _check_key(key)
    return bucket, key
