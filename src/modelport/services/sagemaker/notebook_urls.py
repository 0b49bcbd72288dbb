"""CreatePresignedNotebookInstanceUrl, and where its URL leads.

AWS answers ``https://<name>.notebook.<region>.sagemaker.aws?authToken=…``, valid for 5 minutes;
opening it starts a JupyterLab session. modelport answers a URL of its own front door:

    {server url}/_modelport/notebooks/{name}?Expires={epoch s}&authToken={hex}

valid for ``Limits.notebook_url_ttl_s`` (300 s). ``authToken`` is HMAC-SHA256 over the path and
``Expires`` (``aws/auth/url_signing``) under a key derived from the root user's secret; a genuine,
unexpired URL is redirected (``http/notebook_urls.py``) to the instance's JupyterLab on
127.0.0.1 with the instance's Jupyter token, which JupyterLab keeps as its session cookie. That
session lasts until the instance stops (``SessionExpirationDurationInSeconds`` is accepted and
not enforced: JupyterLab's token has no expiry).
"""

from __future__ import annotations

import math
from typing import Any
from urllib.parse import urlencode

from modelport.aws.auth.principal import PrincipalKind
from modelport.aws.auth.url_signing import derive_key, token_matches, url_token
from modelport.core.errors import AccessDenied, InvalidRequest, ResourceNotFound
from modelport.services.context import ServiceContext
from modelport.services.sagemaker.notebook_instances import (
    IN_SERVICE,
    notebook_host,
    observed_notebook_instance,
)

OPEN_PATH = "/_modelport/notebooks/{name}"
URL_PURPOSE = "modelport/sagemaker/notebook-url/v1"


def create_presigned_notebook_instance_url(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    """A URL of this server that, until it expires, redirects to the instance's JupyterLab with its token.

    AWS's URL is valid for 5 minutes (``Limits.notebook_url_ttl_s``); opening it starts a session.
    """
    record = observed_notebook_instance(ctx, params["NotebookInstanceName"])
    if record.status != IN_SERVICE:
        raise InvalidRequest(
            f"Notebook Instance ({record.arn}) is {record.status}, not InService: start it first "
            "(StartNotebookInstance, or modelport notebook start)."
        )
    path = OPEN_PATH.format(name=record.name)
    expires = math.floor(ctx.clock.now() + ctx.settings.limits.notebook_url_ttl_s)
    query = urlencode({"Expires": expires, "authToken": url_token(_url_key(ctx), path, expires)})
    return {"AuthorizedUrl": f"{ctx.settings.url}{path}?{query}"}


def jupyter_url(ctx: ServiceContext, name: str, expires: str, token: str) -> str:
    """Where a genuine, unexpired presigned URL leads: JupyterLab with the instance's token."""
    path = OPEN_PATH.format(name=name)
    if not (expires.isascii() and expires.isdigit() and len(expires) <= 12):
        raise AccessDenied("Invalid or expired authentication token.")
    if not token_matches(_url_key(ctx), path, int(expires), token) or int(expires) <= ctx.clock.now():
        raise AccessDenied("Invalid or expired authentication token: create a new presigned URL.")
    running = notebook_host(ctx).running(name)
    if running is None:
        raise ResourceNotFound(f"Notebook instance {name} is not running: start it first.")
    return f"{running.base_url}/lab?{urlencode({'token': running.token})}"


def _url_key(ctx: ServiceContext) -> bytes:
    roots = ctx.keys.list(kind=PrincipalKind.ROOT)
    if roots:
        return derive_key(roots[-1].secret_access_key, URL_PURPOSE)
    return ctx.fallback_url_key
