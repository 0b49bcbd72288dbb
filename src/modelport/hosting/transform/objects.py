"""A job's S3 side: which objects it reads, reading them, and writing their ``.out`` objects.

Every botocore error is translated at one seam, ``s3_errors``, into an ``ObjectError`` whose
message names the object and S3's error, for the job's data log and FailureReason.

Output naming is SageMaker's: an input object's key below the input prefix, under
``S3OutputPath``, with ``.out`` added (``s3://b/in/day1/data.csv`` read through the prefix
``s3://b/in`` is written to ``<S3OutputPath>/day1/data.csv.out``). A prefix that ends inside a
name (``s3://b/in/data`` matching ``in/data1.csv``) keeps the objects' names whole.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from modelport.core.errors import InvalidRequest
from modelport.hosting.artifacts.urls import is_bucket_name

MAX_MANIFEST_BYTES = 16 * 1024 * 1024

# (a caller as stored with a job or request, an S3 operation, its Bucket and Key) -> None when the
# caller may, else IAM's denial: the server reads and writes S3 with its own key, on the caller's
# behalf (bootstrap.s3_denial). Transform jobs and asynchronous requests both check with it.
S3Access = Callable[[dict[str, str] | None, str, dict[str, str]], str | None]


class ObjectError(Exception):
    """An S3 read or write that failed; the message says which object and what S3 answered."""


@dataclass(frozen=True)
class S3Location:
    bucket: str
    key: str

    @property
    def url(self) -> str:
        return f"s3://{self.bucket}/{self.key}"

    @classmethod
    def parse(cls, url: str, field: str) -> S3Location:
        """``s3://bucket[/key]``; InvalidRequest naming ``field`` otherwise."""
        if not url.startswith("s3://"):
            raise InvalidRequest(f'{field} "{url}" is not an S3 URL; write s3://bucket/prefix.')
        bucket, _, key = url[len("s3://") :].partition("/")
        if not is_bucket_name(bucket):
            raise InvalidRequest(f'{field} "{url}" does not name a valid S3 bucket ("{bucket}").')
        return cls(bucket, key)


@dataclass(frozen=True)
class InputObject:
    bucket: str
    key: str
    relative: str  # its name below the input prefix: the output's name, without ".out"

    @property
    def url(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


@contextmanager
def s3_errors(what: str) -> Iterator[None]:
    """The one seam where botocore errors become ``ObjectError``."""
    try:
        yield
    except ClientError as exc:
        error = exc.response.get("Error", {})
        raise ObjectError(
            f"{what}: {error.get('Code', 'Error')}: {error.get('Message', '')}".rstrip(": ")
        ) from None
    except (BotoCoreError, OSError) as exc:
        raise ObjectError(f"{what}: {exc or type(exc).__name__}") from None


def relative_key(prefix: str, key: str) -> str:
    """``key``'s name below ``prefix`` (see the module docstring)."""
    if key == prefix:
        return key.rsplit("/", 1)[-1]
    if prefix.endswith("/") or key[len(prefix) : len(prefix) + 1] == "/":
        return key[len(prefix) :].lstrip("/")
    return key[prefix.rfind("/") + 1 :]


def output_location(output: S3Location, relative: str) -> S3Location:
    folder = output.key.rstrip("/")
    return S3Location(output.bucket, f"{folder}/{relative}.out" if folder else f"{relative}.out")


def list_inputs(client: Any, data_type: str, uri: str) -> list[InputObject]:
    """The objects a job reads, in S3's key order (S3Prefix) or the manifest's (ManifestFile)."""
    location = S3Location.parse(uri, "S3Uri")
    if data_type == "ManifestFile":
        objects = _manifest_objects(client, location)
    else:
        objects = _prefix_objects(client, location)
    if not objects:
        raise ObjectError(
            f'No S3 objects found under S3 URL "{uri}" given in input data source. Please ensure that the '
            "bucket exists and that objects exist under that S3 prefix."
        )
    return objects


def _prefix_objects(client: Any, location: S3Location) -> list[InputObject]:
    objects = []
    with s3_errors(f"Listing {location.url}"):
        pages = client.get_paginator("list_objects_v2").paginate(Bucket=location.bucket, Prefix=location.key)
        for page in pages:
            for item in page.get("Contents", []):
                key = str(item["Key"])
                if not key.endswith("/"):  # folder placeholders
                    objects.append(InputObject(location.bucket, key, relative_key(location.key, key)))
    return objects


def _manifest_objects(client: Any, location: S3Location) -> list[InputObject]:
    """A manifest is a JSON array: ``[{"prefix": "s3://bucket/prefix/"}, "relative/key1", ...]``."""
    text = read(client, InputObject(location.bucket, location.key, ""), MAX_MANIFEST_BYTES)
    try:
        entries = json.loads(text)
        prefix = S3Location.parse(entries[0]["prefix"], "The manifest's prefix")
        relatives = [str(entry) for entry in entries[1:]]
    except (ValueError, TypeError, KeyError, IndexError, InvalidRequest) as exc:
        reason = (
            exc.message
            if isinstance(exc, InvalidRequest)
            else "not valid JSON"
            if isinstance(exc, ValueError)
            else "no prefix"
        )
        raise ObjectError(
            f"The manifest {location.url} is not a manifest ({reason}): write a JSON array whose first "
            'element is {"prefix": "s3://bucket/prefix/"} and whose other elements are keys below it.'
        ) from None
    return [InputObject(prefix.bucket, prefix.key + relative, relative) for relative in relatives]


def read(
    client: Any,
    source: InputObject | S3Location,
    limit: int,
    *,
    setting: str = "MODELPORT_MAX_TRANSFORM_OBJECT_BYTES",
) -> bytes:
    """The object's bytes; ObjectError past ``limit`` bytes (nothing more is read), naming the
    server ``setting`` that sets the limit."""
    return read_typed(client, source, limit, setting=setting)[0]


def read_typed(
    client: Any, source: InputObject | S3Location, limit: int, *, setting: str
) -> tuple[bytes, str | None]:
    """``read``, with the object's Content-Type as S3 stored it (None when S3 has none)."""
    with s3_errors(f"Reading {source.url}"):
        response = client.get_object(Bucket=source.bucket, Key=source.key)
        body = response["Body"]
        try:
            if int(response.get("ContentLength") or 0) > limit:
                raise ObjectError(_too_large(source, limit, setting))
            data = body.read(limit + 1)
        finally:
            body.close()
    if len(data) > limit:
        raise ObjectError(_too_large(source, limit, setting))
    return bytes(data), response.get("ContentType")


def write(client: Any, target: S3Location, data: bytes, content_type: str | None = None) -> None:
    extra = {"ContentType": content_type} if content_type else {}
    with s3_errors(f"Writing {target.url}"):
        client.put_object(Bucket=target.bucket, Key=target.key, Body=data, **extra)


def _too_large(source: InputObject | S3Location, limit: int, setting: str) -> str:
    return (
        f"{source.url} is larger than {limit} bytes, the server's {setting}; "
        "split it into smaller objects or raise the limit."
    )
