"""``GET /_modelport/notebooks/{name}``: CreatePresignedNotebookInstanceUrl's ``AuthorizedUrl``.

Unsigned, like AWS's presigned notebook URL: its own ``Expires`` and ``authToken`` are the
credential (``services/sagemaker/notebook_urls.py``).
A genuine, unexpired URL answers ``302`` to the instance's JupyterLab on 127.0.0.1 with the
instance's Jupyter token (``/lab?token=…``), which JupyterLab turns into its session cookie; a
forged or expired one ``403``, an instance that is not running ``404``, as plain text.
"""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from modelport.bootstrap import Platform
from modelport.core.arns import request_id
from modelport.core.errors import AccessDenied, ModelportError
from modelport.services.sagemaker.notebook_urls import OPEN_PATH, jupyter_url

logger = logging.getLogger(__name__)


def notebook_url_route(platform: Platform) -> Route:
    async def open_notebook(request: Request) -> Response:
        try:
            target = jupyter_url(
                platform.context,
                request.path_params["name"],
                request.query_params.get("Expires", ""),
                request.query_params.get("authToken", ""),
            )
        except AccessDenied as exc:
            return PlainTextResponse(exc.message + "\n", status_code=403)
        except ModelportError as exc:
            return PlainTextResponse(exc.message + "\n", status_code=404)
        except Exception:
            rid = request_id()
            logger.exception("Opening a notebook instance failed (request id %s)", rid)
            return PlainTextResponse(f"Internal error (request id {rid}).\n", status_code=500)
        return RedirectResponse(target, status_code=302, headers={"Cache-Control": "no-store"})

    return Route(OPEN_PATH, open_notebook, methods=["GET"])
