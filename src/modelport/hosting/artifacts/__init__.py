"""Model artifacts: parsing ``ModelDataUrl``, fetching model data, unpacking it safely, caching it.

urls.py     parse_model_data_url: pure, used by CreateModel validation
fetch.py    fetch_model_data: local paths and S3 (through the configured endpoint)
extract.py  extract_archive: tar/tar.gz unpacking that refuses anything unsafe
cache.py    ArtifactCache: one unpacked folder per model, made once, reused after restarts
"""

from modelport.hosting.artifacts.cache import ArtifactCache
from modelport.hosting.artifacts.extract import extract_archive, is_archive_name
from modelport.hosting.artifacts.fetch import failure_reason, fetch_model_data
from modelport.hosting.artifacts.urls import ParsedUrl, UrlKind, parse_model_data_url

__all__ = [
    "ArtifactCache",
    "ParsedUrl",
    "UrlKind",
    "extract_archive",
    "failure_reason",
    "fetch_model_data",
    "is_archive_name",
    "parse_model_data_url",
]
