"""The sign-in page (``GET``/``POST /console/signin``) and sign-out (``POST /console/signout``).

The sign-in form is open (no session yet); a cross-site page cannot post it in the user's name
because it must repeat the random value of the short-lived ``modelport_console_signin`` cookie,
which another site can neither read nor, with ``SameSite=Strict``, make the browser send.
A failed sign-in says only that the credentials were wrong, never which part.

A user whose login profile has ``PasswordResetRequired`` gets no session from its password:
the page asks for the old password again and a new one, and the session opens once the new
one is set (IAM's ChangePassword for the user's own password, as AWS's console does at sign-in).
"""

from __future__ import annotations

import secrets

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from modelport.bootstrap import Platform
from modelport.console import rendering
from modelport.console.guard import Form, cookies
from modelport.console.session import (
    SESSION_COOKIE,
    SIGNIN_COOKIE,
    SignInFailed,
    cookie_header,
    csrf_matches,
    sign_in_with_key,
    sign_in_with_password,
)
from modelport.core.errors import InvalidRequest
from modelport.services.iam import login_profiles

SIGNIN_COOKIE_AGE_S = 3600


def routes() -> list[BaseRoute]:
    return [
        Route("/signin", signin_page, methods=["GET"]),
        Route("/signin", signin, methods=["POST"]),
        Route("/signout", signout, methods=["POST"]),
    ]


async def signin_page(
    request: Request, *, problem: str = "", status_code: int = 200, change_for: str = ""
) -> Response:
    token = secrets.token_urlsafe(24)
    answer = rendering.render(
        request,
        "signin.html",
        {
            "signin_token": token,
            "problem": problem,
            "next": _safe_next(request.query_params.get("next", "")),
            "method": "change" if change_for else request.query_params.get("method", "key"),
            "change_for": change_for,
        },
        status_code=status_code,
    )
    answer.headers.append("set-cookie", cookie_header(SIGNIN_COOKIE, token, SIGNIN_COOKIE_AGE_S))
    return answer


async def signin(request: Request) -> Response:
    form = rendering.form(request)
    platform = rendering.platform(request)
    if not csrf_matches(cookies(request.scope).get(SIGNIN_COOKIE, ""), form.get("signin_token") or None):
        return await signin_page(
            request, problem="The sign-in form expired. Please sign in again.", status_code=403
        )
    method = form.get("method")
    try:
        if method in ("password", "change"):
            principal = await anyio.to_thread.run_sync(
                sign_in_with_password, platform, form.get("user_name"), form.get("password")
            )
            if login_profiles.reset_required(platform.context, principal.name):
                if method != "change":
                    return await signin_page(request, change_for=principal.name)
                problem = await anyio.to_thread.run_sync(_change_password, platform, principal.name, form)
                if problem:
                    return await signin_page(
                        request, problem=problem, status_code=400, change_for=principal.name
                    )
        else:
            principal = sign_in_with_key(platform, form.get("access_key_id"), form.get("secret_access_key"))
    except SignInFailed as exc:
        return await signin_page(request, problem=str(exc), status_code=401)
    ttl = platform.settings.limits.console_session_ttl_s
    token, _ = rendering.sessions(request).open(principal, now=platform.clock.now(), ttl_s=ttl)
    answer = RedirectResponse(rendering.url(request, _safe_next(form.get("next")) or "/"), status_code=303)
    answer.headers.append("set-cookie", cookie_header(SESSION_COOKIE, token, int(ttl)))
    answer.headers.append("set-cookie", cookie_header(SIGNIN_COOKIE, "", 0))
    return answer


async def signout(request: Request) -> Response:
    rendering.sessions(request).close(rendering.session(request).token_sha256)
    answer = RedirectResponse(rendering.url(request, "/signin"), status_code=303)
    answer.headers.append("set-cookie", cookie_header(SESSION_COOKIE, "", 0))
    return answer


def _change_password(platform: Platform, user_name: str, form: Form) -> str:
    """Set the user's new password from the change form; what to fix, or "" once it is set."""
    new = form.get("new_password") or ""
    if new != (form.get("confirm_password") or ""):
        return "The new passwords do not match. Type the same new password twice."
    try:
        login_profiles.set_own_password(platform.context, user_name, form.get("password") or "", new)
    except InvalidRequest as exc:
        return str(exc.message)
    return ""


def _safe_next(path: str) -> str:
    """A path inside the console to return to after sign-in; anything else (another site,
    ``//host``, a scheme) is dropped."""
    if (
        path.startswith("/")
        and not path.startswith("//")
        and "\\" not in path
        and ":" not in path.split("?")[0]
    ):
        return path
    return ""
