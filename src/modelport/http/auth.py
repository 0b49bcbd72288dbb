"""Request authentication at the front door: SigV4 against the server's access keys."""

from __future__ import annotations

from starlette.requests import Request

from modelport.auth.principal import Principal, PrincipalKind
from modelport.auth.sigv4 import SignedRequest, verify
from modelport.bootstrap import Platform

ANONYMOUS = Principal(access_key_id="", kind=PrincipalKind.ROOT, name="anonymous")


def authenticate(platform: Platform, request: Request, body: bytes, *, service: str) -> Principal:
    """The principal that signed ``request`` for ``service``; raises an AuthError otherwise."""
    settings = platform.settings
    if not settings.auth_enabled:
        return ANONYMOUS
    scope = request.scope
    signed = SignedRequest(
        method=scope["method"],
        raw_path=scope.get("raw_path", scope["path"].encode()).decode("latin-1"),
        query_string=scope.get("query_string", b"").decode("latin-1"),
        headers=[(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]],
        body=body,
    )
    verified = verify(
        signed,
        platform.key_lookup,
        clock=platform.clock,
        skew_s=settings.limits.signature_skew_s,
        expected_service=service,
    )
    return verified.principal
