"""Parsing of ``ModelDataUrl`` values: which store holds the model data, and where in it.

Pure: no I/O, so CreateModel validation can call it. Three kinds of URL are accepted:

- a local path, absolute or relative, or ``file:///abs/path``;
- ``s3://bucket/key``;
- an ``https://`` URL of an S3 object, path-style (``https://s3.<region>.amazonaws.com/bucket/key``,
  ``https://s3-<region>.amazonaws.com/bucket/key``, ``https://s3.amazonaws.com/bucket/key``) or
  virtual-hosted (``https://bucket.s3.amazonaws.com/key``, ``https://bucket.s3.<region>...``,
  ``https://bucket.s3-<region>...``). These are read from the S3 endpoint the server is
  configured with, whatever the host says: the host only tells us the bucket (and region).

A key ending in ``/`` names a prefix, fetched as a folder.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from urllib.parse import unquote, urlsplit

from modelport.core.errors import InvalidRequest

SUPPORTED_FORMS = (
    "a local path or file:///absolute/path, s3://bucket/key, "
    "https://s3.<region>.amazonaws.com/bucket/key, https://s3-<region>.amazonaws.com/bucket/key, "
    "https://s3.amazonaws.com/bucket/key, https://bucket.s3.amazonaws.com/key, "
    "https://bucket.s3.<region>.amazonaws.com/key or https://bucket.s3-<region>.amazonaws.com/key"
)

_SCHEME = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://")
# ``(?:bucket.)?s3[.-]region?.amazonaws.com``; greedy bucket so that a bucket containing ".s3."
# still splits at the last "s3" label.
_S3_HOST = re.compile(r"^(?:(?P<bucket>.+)\.)?s3(?:[.-](?P<region>[a-z0-9-]+))?\.amazonaws\.com(?:\.cn)?$")
_REGION = re.compile(r"^[a-z]{2}(?:-[a-z]+)+-\d+$")
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.\-_]{1,61}[a-z0-9]$")


class UrlKind(StrEnum):
    LOCAL = "local"
    S3 = "s3"


@dataclass(frozen=True)
class ParsedUrl:
    """Where model data lives. ``path`` is set for local URLs; ``bucket``/``key`` for S3 ones."""

    kind: UrlKind
    url: str
    path: Path | None = None
    bucket: str | None = None
    key: str | None = None
    region: str | None = None  # only when an https URL names one

    @property
    def is_prefix(self) -> bool:
        """True for an S3 key ending in ``/``: a folder of objects rather than one object."""
        return self.kind is UrlKind.S3 and (self.key or "").endswith("/")

    @property
    def name(self) -> str:
        """The last path component: the file name a plain model file keeps when deployed."""
        if self.path is not None:
            return self.path.name
        return (self.key or "").rstrip("/").rsplit("/", 1)[-1]


def parse_model_data_url(url: str) -> ParsedUrl:
    """Parse a ``ModelDataUrl``; raise ``InvalidRequest`` saying what to fix when it is malformed."""
    if not url or not url.strip():
        raise InvalidRequest(f"ModelDataUrl is empty. Use {SUPPORTED_FORMS}.")
    if url != url.strip():
        raise InvalidRequest(f'ModelDataUrl "{url}" has leading or trailing whitespace; remove it.')
    match = _SCHEME.match(url)
    if match is None:
        return ParsedUrl(kind=UrlKind.LOCAL, url=url, path=Path(url))
    scheme = match["scheme"].lower()
    if scheme == "file":
        return _parse_file(url)
    if scheme == "s3":
        return _parse_s3(url)
    if scheme == "https":
        return _parse_https(url)
    raise InvalidRequest(
        f'ModelDataUrl "{url}" uses the unsupported scheme "{scheme}://". Use {SUPPORTED_FORMS}.'
    )


def _parse_file(url: str) -> ParsedUrl:
    parts = urlsplit(url)
    if parts.netloc not in ("", "localhost") or not parts.path.startswith("/"):
        raise InvalidRequest(
            f'ModelDataUrl "{url}" is not an absolute file URL; write file:///absolute/path '
            "(three slashes) or give the path without file://."
        )
    if parts.query or parts.fragment:
        raise InvalidRequest(f'ModelDataUrl "{url}" has a query or fragment; remove it.')
    return ParsedUrl(kind=UrlKind.LOCAL, url=url, path=Path(unquote(parts.path)))


def _parse_s3(url: str) -> ParsedUrl:
    rest = url[len("s3://") :]
    bucket, _, key = rest.partition("/")
    _check_bucket(url, bucket)
    if not key:
        raise InvalidRequest(
            f'ModelDataUrl "{url}" names a bucket but no object; write s3://{bucket}/path/model.tar.gz.'
        )
    return ParsedUrl(kind=UrlKind.S3, url=url, bucket=bucket, key=key)


def _parse_https(url: str) -> ParsedUrl:
    parts = urlsplit(url)
    if parts.query or parts.fragment:
        raise InvalidRequest(
            f'ModelDataUrl "{url}" has a query string (a presigned URL?); give the plain object URL.'
        )
    host = (parts.hostname or "").lower()
    match = _S3_HOST.match(host)
    if match is None or parts.port is not None or parts.username is not None:
        raise InvalidRequest(
            f'ModelDataUrl "{url}" is not an S3 object URL; "{parts.netloc}" is not an S3 host. '
            f"Use {SUPPORTED_FORMS}."
        )
    region = match["region"] if match["region"] and _REGION.match(match["region"]) else None
    path = unquote(parts.path)
    if match["bucket"]:
        bucket, key = match["bucket"], path.lstrip("/")
    else:
        bucket, _, key = path.lstrip("/").partition("/")
    _check_bucket(url, bucket)
    if not key:
        raise InvalidRequest(
            f'ModelDataUrl "{url}" names the bucket "{bucket}" but no object; add the object key.'
        )
    return ParsedUrl(kind=UrlKind.S3, url=url, bucket=bucket, key=key, region=region)


def is_bucket_name(name: str) -> bool:
    """S3's bucket-name rule: 3–63 lowercase letters, digits, dots, hyphens (and underscores, which
    older buckets have), starting and ending with a letter or digit, no ``..``."""
    return bool(_BUCKET.match(name)) and ".." not in name


def _check_bucket(url: str, bucket: str) -> None:
    if not bucket:
        raise InvalidRequest(f'ModelDataUrl "{url}" has no bucket name; write s3://bucket/key.')
    if not is_bucket_name(bucket):
        raise InvalidRequest(
            f'ModelDataUrl "{url}" has an invalid bucket name "{bucket}": use 3-63 lowercase '
            "letters, digits, dots or hyphens, starting and ending with a letter or digit."
        )
