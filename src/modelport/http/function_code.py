"""``GET /_modelport/lambda/functions/{name}/code/{sha}.zip``: GetFunction's ``Code.Location``.

Unsigned, like the presigned S3 URL Lambda hands out: the URL's own ``Expires`` and ``Token``
are the credential (``services/lambda_/code_url``). The answer is the zip as it was uploaded
(``application/zip``), or an error in S3's XML shape, since clients expect S3 behind this URL:

    403 AccessDenied   a missing or forged token, an expired URL ("Request has expired"), or
                       code replaced since the URL was issued
    404 NoSuchKey      the function no longer exists
    500 InternalError  anything else (logged with the request id)
"""

from __future__ import annotations

import logging
from xml.sax.saxutils import escape

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from modelport.bootstrap import Platform
from modelport.core.arns import request_id
from modelport.core.errors import AccessDenied, ResourceNotFound
from modelport.services.lambda_.code_url import CODE_PATH, function_code

logger = logging.getLogger(__name__)


def function_code_route(platform: Platform) -> Route:
    async def download(request: Request) -> Response:
        rid = request_id()
        try:
            zip_bytes = await function_code(
                platform.context,
                request.path_params["name"],
                request.path_params["sha"],
                request.query_params.get("Expires", ""),
                request.query_params.get("Token", ""),
            )
        except AccessDenied as exc:
            return _s3_error(403, "AccessDenied", exc.message, rid)
        except ResourceNotFound as exc:
            return _s3_error(404, "NoSuchKey", exc.message, rid)
        except Exception:
            logger.exception("Serving function code failed (request id %s)", rid)
            return _s3_error(500, "InternalError", "We encountered an internal error. Please try again.", rid)
        return Response(zip_bytes, media_type="application/zip", headers={"x-amz-request-id": rid})

    return Route(CODE_PATH, download, methods=["GET"])


def _s3_error(status: int, code: str, message: str, rid: str) -> Response:
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{code}</Code><Message>{escape(message)}</Message>"
        f"<RequestId>{rid}</RequestId></Error>"
    )
    return Response(body, status_code=status, media_type="application/xml", headers={"x-amz-request-id": rid})
