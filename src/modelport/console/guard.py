"""The console's door: every request but the sign-in page and static files needs a session, and
every POST the session's CSRF token. Page handlers cannot forget either, because they never see
a request that failed them.

What passes on, in ``request.state``: ``session`` (``session.Session``) and, for a POST,
``form`` (``Form``, the url-encoded body already read). Every answer carries headers that keep
pages out of caches and frames and forbid scripts from anywhere but ``/console/static``.
"""

from __future__ import annotations

from collections.abc import Mapping
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qs, quote

from starlette.datastructures import MutableHeaders
from starlette.responses import PlainTextResponse, RedirectResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from modelport.bootstrap import Platform
from modelport.console.session import SESSION_COOKIE, Session, SessionStore, csrf_matches, still_valid

# Forms carry names, JSON policies and function code pasted in an editor; never more than this.
MAX_FORM_BYTES = 6 * 1024 * 1024
# Before sign-in, a form is a key pair or a name and password: no stranger gets to send more.
MAX_OPEN_FORM_BYTES = 16 * 1024
CSRF_FIELD = "csrf_token"
OPEN_PATHS = ("/signin", "/static/")
SECURITY_HEADERS = {
    "content-security-policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    ),
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "cache-control": "no-store",
}


class Form:
    """A url-encoded form: ``get`` for one value, ``getlist`` for checkboxes and repeated fields."""

    def __init__(self, values: Mapping[str, list[str]]) -> None:
        self._values = dict(values)

    @classmethod
    def parse(cls, body: bytes) -> Form:
        return cls(parse_qs(body.decode("utf-8", errors="replace"), keep_blank_values=True))

    def get(self, name: str, default: str = "") -> str:
        values = self._values.get(name)
        return values[0] if values else default

    def getlist(self, name: str) -> list[str]:
        return list(self._values.get(name, []))

    def __contains__(self, name: object) -> bool:
        return name in self._values


def cookies(scope: Scope) -> dict[str, str]:
    jar: SimpleCookie = SimpleCookie()
    for key, value in scope.get("headers", []):
        if key == b"cookie":
            try:
                jar.load(value.decode("latin-1"))
            except Exception:  # a malformed cookie header is no session
                continue
    return {name: morsel.value for name, morsel in jar.items()}


async def read_body(receive: Receive, limit: int) -> bytes | None:
    """The whole request body, or None when it is over ``limit`` bytes."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return b""
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


class Guard:
    """ASGI middleware in front of every console route."""

    def __init__(self, app: ASGIApp, platform: Platform, sessions: SessionStore) -> None:
        self.app = app
        self.platform = platform
        self.sessions = sessions

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        send = _with_security_headers(send)
        path: str = scope["path"][len(scope.get("root_path", "")) :] or "/"
        state: dict[str, Any] = scope.setdefault("state", {})
        method = scope["method"]
        open_path = path.startswith(OPEN_PATHS)
        session = None if open_path else self._session(scope)
        if not open_path and session is None:
            # Before any body is read: a stranger's POST costs nothing.
            target = scope.get("root_path", "") + "/signin"
            if method == "GET":
                query = scope.get("query_string", b"").decode("latin-1")
                target += "?next=" + quote(path + ("?" + query if query else ""), safe="")
            await RedirectResponse(target, status_code=303)(scope, receive, send)
            return
        if method == "POST":
            body = await read_body(receive, MAX_OPEN_FORM_BYTES if open_path else MAX_FORM_BYTES)
            if body is None:
                await PlainTextResponse("The form is too large.", status_code=413)(scope, receive, send)
                return
            state["form"] = Form.parse(body)
            receive = _replay(body, receive)
        if session is not None:
            sent = state["form"].get(CSRF_FIELD) if "form" in state else None
            if method not in ("GET", "HEAD") and not csrf_matches(session.csrf_token, sent):
                await PlainTextResponse(
                    "This form has expired or did not come from the console (its CSRF token does "
                    "not match). Go back, reload the page and try again.",
                    status_code=403,
                )(scope, receive, send)
                return
            state["session"] = session
        await self.app(scope, receive, send)

    def _session(self, scope: Scope) -> Session | None:
        token = cookies(scope).get(SESSION_COOKIE)
        if not token:
            return None
        session = self.sessions.get(token, now=self.platform.clock.now())
        if session is not None and not still_valid(self.platform, session):
            self.sessions.close(session.token_sha256)
            return None
        return session


def _replay(body: bytes, receive: Receive) -> Receive:
    """The body already read, then the client's own messages (a disconnect, when it comes:
    streaming responses listen for it and must not be told early)."""
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replayed


def _with_security_headers(send: Send) -> Send:
    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = MutableHeaders(scope=message)
            for name, value in SECURITY_HEADERS.items():
                if name not in headers:
                    headers[name] = value
        await send(message)

    return wrapped
