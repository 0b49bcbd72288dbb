"""How pages answer: ``render`` a template with the console's frame, ``redirect`` after a POST
(with a flash message for the next page), ``form`` and ``session`` of the current request.

Templates live in ``console/templates/<area>/*.html`` and extend ``base.html`` (the top bar, the
left navigation, the flash and error boxes). Jinja2 escapes every value (``autoescape``), so a
name, tag, environment value or log line holding ``<script>`` is shown as text; nothing in the
console marks a value ``|safe``.
"""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from modelport.bootstrap import Platform
from modelport.console.actions import AwsError
from modelport.console.guard import CSRF_FIELD, Form
from modelport.console.session import Session, SessionStore

TEMPLATES = Path(__file__).parent / "templates"

# The left navigation: (section, [(label, path under /console)]), as base.html draws it.
NAVIGATION: list[tuple[str, list[tuple[str, str]]]] = [
    (
        "SageMaker",
        [
            ("Notebook instances", "/sagemaker/notebook-instances"),
            ("Models", "/sagemaker/models"),
            ("Endpoint configurations", "/sagemaker/endpoint-configs"),
            ("Endpoints", "/sagemaker/endpoints"),
            ("Batch transform jobs", "/sagemaker/transform-jobs"),
        ],
    ),
    ("IAM", [("Roles", "/iam/roles"), ("Policies", "/iam/policies"), ("Users", "/iam/users")]),
    ("Lambda", [("Functions", "/lambda/functions")]),
    ("API Gateway", [("APIs", "/apigateway/apis")]),
    ("CloudWatch", [("Log groups", "/cloudwatch/log-groups")]),
]


def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["urlpart"] = lambda value: part(str(value))
    env.filters["timestamp"] = _timestamp
    return env


def platform(request: Request) -> Platform:
    found: Platform = request.app.state.platform
    return found


def sessions(request: Request) -> SessionStore:
    found: SessionStore = request.app.state.sessions
    return found


def session(request: Request) -> Session:
    """The signed-in session (the guard let only signed-in requests through to pages)."""
    found: Session = request.state.session
    return found


def form(request: Request) -> Form:
    """The POSTed form (read and CSRF-checked by the guard)."""
    found: Form = getattr(request.state, "form", None) or Form({})
    return found


def part(value: str) -> str:
    """``value`` as one URL path segment or query value (a name with ``/`` or ``?`` stays whole)."""
    return quote(value, safe="")


def url(request: Request, path: str) -> str:
    """``/console`` + ``path``: pages name their links relative to the console."""
    return str(request.scope.get("root_path", "")) + path


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    error: AwsError | None = None,
    status_code: int = 200,
) -> Response:
    """``template`` with the console's frame: who is signed in, the CSRF token for forms,
    waiting flash messages and ``error`` (an AWS error shown in the red box)."""
    current: Session | None = getattr(request.state, "session", None)
    flash = sessions(request).take_flash(current) if current is not None else []
    values = {
        "request": request,
        "session": current,
        "csrf_field": CSRF_FIELD,
        "csrf_token": current.csrf_token if current is not None else "",
        "flash": flash,
        "error": error,
        "navigation": NAVIGATION,
        "root": url(request, ""),
        "current_path": request.url.path,
        **(context or {}),
    }
    env: jinja2.Environment = request.app.state.templates
    html = env.get_template(template).render(values)
    return HTMLResponse(html, status_code=status_code)


def redirect(
    request: Request, path: str, *, flash: str | None = None, error: AwsError | None = None
) -> Response:
    """303 to ``/console`` + ``path`` (POST-redirect-GET), with a success or error message
    shown on that page."""
    current = session(request)
    if flash:
        sessions(request).add_flash(current, "success", flash)
    if error is not None:
        sessions(request).add_flash(current, "error", f"{error.code}: {error.message}")
    return RedirectResponse(url(request, path), status_code=303)


def _timestamp(value: Any) -> str:
    if isinstance(value, int | float):
        return datetime.datetime.fromtimestamp(value, datetime.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    if isinstance(value, datetime.datetime):
        return value.astimezone(datetime.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    return str(value)
