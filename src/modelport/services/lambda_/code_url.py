"""GetFunction's ``Code.Location``: a URL anyone holding it may GET, until it expires.

Lambda answers with a presigned S3 URL valid for 10 minutes; modelport serves the function's
stored zip from its own front door instead:

    {server url}/_modelport/lambda/functions/{name}/code/{sha256 hex}.zip?Expires={epoch s}&Token={hex}

``Token`` is HMAC-SHA256 over the path and ``Expires`` (``aws/auth/url_signing``), under a key derived
from the root user's secret access key: the server's one secret, kept in its key store. A new
root key therefore invalidates every URL handed out before it. A context whose key store holds
no root key (unit tests build such contexts) signs with a random key that lives as long as the
context.

``function_code`` checks, in this order: the token (``AccessDenied``, "Access Denied"), the
expiry (``AccessDenied``, "Request has expired"), that the function exists (``ResourceNotFound``)
and that its current code is still the one the URL names (``AccessDenied``: after
UpdateFunctionCode an old URL no longer downloads anything). The HTTP layer
(``http/function_code.py``) turns those into S3's XML errors.
"""

from __future__ import annotations

import asyncio
import math
from urllib.parse import urlencode

from modelport.aws.auth.principal import PrincipalKind
from modelport.aws.auth.url_signing import derive_key, token_matches, url_token
from modelport.core.errors import AccessDenied, ResourceNotFound
from modelport.services.context import ServiceContext
from modelport.services.lambda_.host import KIND, code_archive
from modelport.store.base import Resource

CODE_PATH = "/_modelport/lambda/functions/{name}/code/{sha}.zip"
PURPOSE = "modelport/lambda/function-code-url/v1"
_STALE = "Access Denied: the function's code has changed since this URL was issued."


def code_location(ctx: ServiceContext, record: Resource) -> str:
    """The download URL of the function's current code, valid for ``function_code_url_ttl_s``."""
    path = CODE_PATH.format(name=record.name, sha=record.body["CodeShaHex"])
    expires = math.floor(ctx.clock.now() + ctx.settings.limits.function_code_url_ttl_s)
    query = urlencode({"Expires": expires, "Token": url_token(_key(ctx), path, expires)})
    return f"{ctx.settings.url}{path}?{query}"


async def function_code(ctx: ServiceContext, name: str, sha: str, expires: str, token: str) -> bytes:
    """The zip bytes a ``code_location`` URL names, if it is genuine, unexpired and current."""
    path = CODE_PATH.format(name=name, sha=sha)
    # ASCII digits only, and few of them: int() takes "²" and refuses 5,000 digits.
    if not (expires.isascii() and expires.isdigit() and len(expires) <= 12):
        raise AccessDenied("Access Denied")
    if not token_matches(_key(ctx), path, int(expires), token):
        raise AccessDenied("Access Denied")
    if int(expires) <= ctx.clock.now():
        raise AccessDenied("Request has expired")
    record = ctx.store.get(KIND, name)
    if record is None or record.name != name:
        raise ResourceNotFound("The specified key does not exist.")
    if record.body["CodeShaHex"] != sha:
        raise AccessDenied(_STALE)
    try:
        return await asyncio.to_thread(code_archive(ctx, name, sha).read_bytes)
    except FileNotFoundError:  # replaced and pruned between the check and the read
        raise AccessDenied(_STALE) from None


def _key(ctx: ServiceContext) -> bytes:
    roots = ctx.keys.list(kind=PrincipalKind.ROOT)
    if roots:
        return derive_key(roots[-1].secret_access_key, PURPOSE)
    return ctx.fallback_url_key
