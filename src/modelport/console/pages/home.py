"""The console's home page: who is signed in, and every area."""

from __future__ import annotations

import contextlib

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from modelport.console import rendering
from modelport.console.actions import AwsError, call


def routes() -> list[BaseRoute]:
    return [Route("/", home, methods=["GET"])]


async def home(request: Request) -> Response:
    caller_arn = ""
    with contextlib.suppress(AwsError):  # a caller denied GetCallerIdentity still gets the page
        caller_arn = (await call(request, "sts", "GetCallerIdentity", {}))["Arn"]
    return rendering.render(
        request,
        "home.html",
        {"caller_arn": caller_arn, "server_url": rendering.platform(request).settings.url},
    )
