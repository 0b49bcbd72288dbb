"""Request authentication at the front door: SigV4 against the server's access keys."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from modelport.aws.auth.principal import Principal, PrincipalKind
from modelport.aws.auth.sigv4 import SignedRequest, verify
from modelport.bootstrap import Platform

ANONYMOUS = Principal(access_key_id="", kind=PrincipalKind.ROOT, name="anonymous")


def authenticate(platform: Platform, scope: Mapping[str, Any], body: bytes, *, service: str) -> Principal:
    """The principal that signed the request in ASGI ``scope`` for ``service``; raises an AuthError."""
    settings = platform.settings
    if not settings.auth_enabled:
        return ANONYMOUS
    signed = SignedRequest(
        method=scope["method"],
        raw_path=(scope.get("raw_path") or scope["path"].encode()).decode("latin-1"),
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
        # IAM is global: clients sign it for us-east-1 whatever the server's region.
        expected_region=None if service == "iam" else settings.region,
    )
    return verified.principal
