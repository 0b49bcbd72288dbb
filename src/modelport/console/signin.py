"""The sign-in page (``GET``/``POST /console/signin``) and sign-out (``POST /console/signout``).

The sign-in form is open (no session yet); a cross-site page cannot post it in the user's name
because it must repeat the random value of the short-lived ``modelport_console_signin`` cookie,
which another site can neither read nor, with ``SameSite=Strict``, make the browser send.
A failed sign-in says only that the credentials were wrong, never which part.
"""

from __future__ import annotations

import secrets

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from modelport.console import rendering
from modelport.console.guard import cookies
from modelport.console.session import (
    SESSION_COOKIE,
    SIGNIN_COOKIE,
    SignInFailed,
    cookie_header,
    csrf_matches,
    sign_in_with_key,
    sign_in_with_password,
)

SIGNIN_COOKIE_AGE_S = 3600


def routes() -> list[BaseRoute]:
    return [
        Route("/signin", signin_page, methods=["GET"]),
        Route("/signin", signin, methods=["POST"]),
        Route("/signout", signout, methods=["POST"]),
    ]


async def signin_page(request: Request, *, problem: str = "", status_code: int = 200) -> Response:
    token = secrets.token_urlsafe(24)
    answer = rendering.render(
        request,
        "signin.html",
        {
            "signin_token": token,
            "problem": problem,
            "next": _safe_next(request.query_params.get("next", "")),
            "method": request.query_params.get("method", "key"),
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
    try:
        if form.get("method") == "password":
            principal = await anyio.to_thread.run_sync(
                sign_in_with_password, platform, form.get("user_name"), form.get("password")
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
