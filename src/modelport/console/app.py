"""The console's ASGI app, mounted at ``/console`` by ``http/app.py``.

``console_app(platform, tables)`` wires the pieces: the guard (sessions, CSRF, security
headers) in front of every route; sign-in; the static files; each area's pages (``PAGES``:
every module in ``console/pages/`` exports ``routes() -> list[BaseRoute]``); and, last, a
console-styled 404 for paths no page serves. A new area is one module in ``pages/``, its
templates in ``templates/<area>/``, and one line in ``PAGES``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from modelport.bootstrap import Platform
from modelport.console import rendering, signin
from modelport.console.actions import Handler, Operations
from modelport.console.guard import Guard
from modelport.console.pages import (
    apigateway_apis,
    apigateway_resources,
    cloudwatch,
    home,
    iam_policies,
    iam_roles,
    iam_users,
    lambda_function,
    lambda_functions,
    sagemaker_endpoints,
    sagemaker_models,
    sagemaker_notebooks,
    sagemaker_scaling,
    sagemaker_transform_jobs,
)
from modelport.console.session import SessionStore

STATIC = Path(__file__).parent / "static"

# Each area's pages, in the order of the left navigation.
PAGES = [
    home,
    sagemaker_notebooks,
    sagemaker_models,
    sagemaker_endpoints,
    sagemaker_scaling,
    sagemaker_transform_jobs,
]
PAGES += [iam_roles, iam_policies, iam_users]
PAGES += [lambda_functions, lambda_function, apigateway_apis, apigateway_resources, cloudwatch]


def console_app(platform: Platform, tables: Mapping[str, Mapping[str, Handler]]) -> Guard:
    """The console over ``platform``; ``tables`` are the front door's operation tables
    (``http/bindings.OPERATIONS``' handlers, by botocore service name)."""
    routes: list[BaseRoute] = [*signin.routes(), Mount("/static", app=StaticFiles(directory=STATIC))]
    for area in PAGES:
        routes.extend(area.routes())
    routes.append(Route("/{path:path}", not_found, methods=["GET", "POST"]))
    app = Starlette(routes=routes)
    sessions = SessionStore(platform.store.connection)
    app.state.platform = platform
    app.state.sessions = sessions
    app.state.operations = Operations(tables)
    app.state.templates = rendering.environment()
    return Guard(app, platform, sessions)


async def not_found(request: Request) -> Response:
    return rendering.render(request, "not_found.html", {"path": request.url.path}, status_code=404)
