"""Fetching model data: from a local path, or from S3 through the configured endpoint.

Every foreign error (botocore, OS) is translated at one seam, ``download_errors``, into an
``ArtifactError`` carrying AWS's FailureReason wording, so nothing else ever escapes this module.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from modelport.core.config import Settings
from modelport.core.errors import ArtifactError, InvalidRequest
from modelport.hosting.artifacts.extract import safe_relative_path
from modelport.hosting.artifacts.urls import ParsedUrl, UrlKind, parse_model_data_url

DEFAULT_CONTAINER = "container_1"
_CHUNK = 1024 * 1024


def failure_reason(url: str, container: str = DEFAULT_CONTAINER) -> str:
    """AWS's FailureReason text for model data that cannot be downloaded."""
    return (
        f'Failed to download model data for container "{container}" from URL: "{url}". '
        "Please ensure that there is an object located at the URL and that the role passed to "
        "CreateModel has permissions to download the object."
    )


@contextmanager
def download_errors(url: str, container: str = DEFAULT_CONTAINER) -> Iterator[None]:
    """The one seam where botocore and OS errors become ``ArtifactError``."""
    try:
        yield
    except ArtifactError:
        raise
    except InvalidRequest as exc:
        raise ArtifactError(exc.message) from exc
    except ClientError as exc:
        error = exc.response.get("Error", {})
        cause = f"{error.get('Code', 'Error')}: {error.get('Message', '')}".rstrip(": ")
        raise ArtifactError(f"{failure_reason(url, container)} ({cause})") from exc
    except (BotoCoreError, OSError) as exc:
        cause = str(exc) or type(exc).__name__
        raise ArtifactError(f"{failure_reason(url, container)} ({cause})") from exc


def fetch_model_data(
    url: str, work_dir: Path, settings: Settings, *, container: str = DEFAULT_CONTAINER
) -> Path:
    """Make the model data at ``url`` available as a local file or folder and return its path.

    Local URLs return the user's own path, resolved and checked but not copied (the caller copies
    or unpacks it, and never modifies it). S3 objects are downloaded into ``work_dir``, keeping
    their file name; an S3 prefix (key ending in ``/``) becomes a folder there. Downloads are
    bounded by ``Limits.max_download_bytes``.
    """
    with download_errors(url, container):
        parsed = parse_model_data_url(url)
        if parsed.kind is UrlKind.LOCAL:
            return _local_source(parsed, settings)
        client = s3_client(settings, parsed.region)
        if parsed.is_prefix:
            return _download_prefix(client, parsed, work_dir, settings)
        target = work_dir / (parsed.name or "model")
        _download_object(client, parsed, str(parsed.key), target, settings.limits.max_download_bytes)
        return target


def s3_client(settings: Settings, url_region: str | None = None) -> Any:
    """An S3 client for the configured endpoint; boto3's usual resolution where nothing is set.

    Clients are cached (they are thread-safe and cost ~0.2 s to build).
    """
    return _client(
        settings.s3_endpoint_url,
        settings.s3_access_key_id,
        settings.s3_secret_access_key,
        settings.s3_region or url_region or settings.region,
    )


@functools.lru_cache(maxsize=16)
def _client(endpoint: str | None, access_key: str | None, secret_key: str | None, region: str) -> Any:
    config = Config(
        retries={"max_attempts": 3, "mode": "standard"},
        connect_timeout=10,
        read_timeout=60,
        # Stores behind a custom endpoint (SeaweedFS, MinIO) rarely do virtual-hosted buckets.
        s3={"addressing_style": "path" if endpoint is not None else "auto"},
        # Without MODELPORT_S3_ENDPOINT_URL, S3 is AWS's: an endpoint_url in the user's AWS
        # profile (the 'modelport' profile points at this very server) must not capture it.
        ignore_configured_endpoint_urls=endpoint is None,
    )
    return boto3.session.Session().client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        region_name=region,
        config=config,
    )


def _local_source(parsed: ParsedUrl, settings: Settings) -> Path:
    assert parsed.path is not None
    path = parsed.path.expanduser().resolve(strict=True)  # FileNotFoundError -> the seam
    if path.is_file():
        size = path.stat().st_size
        _check_size(parsed.url, size, settings.limits.max_download_bytes)
    elif not path.is_dir():
        raise ArtifactError(f'{failure_reason(parsed.url)} ("{path}" is neither a regular file nor a folder)')
    return path


def _download_object(client: Any, parsed: ParsedUrl, key: str, target: Path, budget: int) -> int:
    """Stream one object to ``target``; stop as soon as it passes ``budget`` bytes."""
    response = client.get_object(Bucket=parsed.bucket, Key=key)
    length = int(response.get("ContentLength") or 0)
    body = response["Body"]
    try:
        _check_size(parsed.url, length, budget)
        target.parent.mkdir(parents=True, exist_ok=True)
        written = 0
        with open(target, "wb") as out:
            while chunk := body.read(_CHUNK):
                written += len(chunk)
                _check_size(parsed.url, written, budget)
                out.write(chunk)
    finally:
        body.close()
    return written


def _download_prefix(client: Any, parsed: ParsedUrl, work_dir: Path, settings: Settings) -> Path:
    prefix = str(parsed.key)
    folder = work_dir / (parsed.name or "model")
    folder.mkdir(parents=True, exist_ok=True)
    budget = settings.limits.max_download_bytes
    count = 0
    paginator = client.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=parsed.bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            key = str(item["Key"])
            if key.endswith("/"):
                continue  # folder placeholder objects
            relative = safe_relative_path(key[len(prefix) :])
            count += 1
            if count > settings.limits.max_archive_members:
                raise ArtifactError(
                    f'S3 prefix "{parsed.url}" holds more than {settings.limits.max_archive_members} objects.'
                )
            budget -= _download_object(client, parsed, key, folder.joinpath(relative), budget)
    if count == 0:
        raise ArtifactError(f"{failure_reason(parsed.url)} (no objects under the prefix)")
    return folder


def _check_size(url: str, size: int, limit: int) -> None:
    if size > limit:
        raise ArtifactError(f'Model data at "{url}" is larger than the download limit of {limit} bytes.')
