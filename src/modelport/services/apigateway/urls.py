"""Invoke URLs of deployed REST APIs: which API, stage and path a request addresses.

Two forms are served (spec §4):

- host style, as on AWS: ``http://{api_id}.execute-api.<anything>[:port]/{stage}/{path}``
  (``<anything>`` is ``localhost`` for us, ``<region>.amazonaws.com`` on AWS);
- path style, for clients without wildcard DNS:
  ``http://<host>:<port>/restapis/{api_id}/{stage}/_user_request_/{path}`` (LocalStack's legacy
  form) and ``/_aws/execute-api/{api_id}/{stage}/{path}`` (LocalStack's current one).

The path is returned raw (still percent-encoded), always starting with ``/``; routing decodes it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_API_ID = r"[a-zA-Z0-9]+"
_STAGE = r"[a-zA-Z0-9_-]+"
_HOST = re.compile(rf"^(?P<api>{_API_ID})\.execute-api\.[^:]+(:\d+)?$", re.IGNORECASE)
_HOST_PATH = re.compile(rf"^/(?P<stage>{_STAGE})(?P<path>/.*)?$")
_LEGACY_PATH = re.compile(rf"^/restapis/(?P<api>{_API_ID})/(?P<stage>{_STAGE})/_user_request_(?P<path>/.*)?$")
_AWS_PATH = re.compile(rf"^/_aws/execute-api/(?P<api>{_API_ID})/(?P<stage>{_STAGE})(?P<path>/.*)?$")


@dataclass(frozen=True)
class InvokeTarget:
    api_id: str
    stage: str
    path: str  # "/irisprediction", raw; "/" for the root


def parse_invoke_url(host: str, path: str) -> InvokeTarget | None:
    """Which API, stage and path ``Host: host`` + ``path`` (no query string) address, if any.

    The host form wins: on an ``execute-api`` host every path is the API's.
    """
    host_match = _HOST.match(host)
    if host_match is not None:
        found = _HOST_PATH.match(path)
        if found is None:
            return None
        return InvokeTarget(host_match["api"], found["stage"], found["path"] or "/")
    for pattern in (_LEGACY_PATH, _AWS_PATH):
        found = pattern.match(path)
        if found is not None:
            return InvokeTarget(found["api"], found["stage"], found["path"] or "/")
    return None


def _resource_path(path: str) -> str:
    return "/" + path.lstrip("/")


def host_style_url(api_id: str, stage: str, path: str = "/", *, port: int, domain: str = "localhost") -> str:
    """``http://{api_id}.execute-api.localhost:{port}/{stage}/{path}``."""
    return f"http://{api_id}.execute-api.{domain}:{port}/{stage}{_resource_path(path)}"


def path_style_url(base_url: str, api_id: str, stage: str, path: str = "/") -> str:
    """``{base_url}/restapis/{api_id}/{stage}/_user_request_/{path}``."""
    return f"{base_url.rstrip('/')}/restapis/{api_id}/{stage}/_user_request_{_resource_path(path)}"
