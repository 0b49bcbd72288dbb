"""Execution-role credentials served the way ECS serves a task role (``modelport env --role``).

A caller registers a role with its own signed request; the server checks that the caller may
assume the role (STS AssumeRole: its trust policy, the caller's policies; the root user may assume
any role) and returns a random token. ``GET <uri>`` with ``Authorization: <token>`` then answers
fresh role credentials in the container-credentials format botocore's ``ContainerProvider``
reads, each time by AssumeRole *as the registering caller*: when that caller's key is deleted or
the role stops trusting it, refreshing fails. Tokens are kept only as SHA-256 digests, in memory:
a server restart or ``DELETE <uri>`` revokes them.

A notebook instance's kernels get a token the SageMaker service registers for the instance's role
(``register_service``): no caller stands behind it, so each refresh issues the role's credentials
directly, as SageMaker does for a role it was given; stopping or deleting the instance revokes it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from modelport.aws.auth.keys import KeyStoreLookup
from modelport.aws.auth.principal import Principal
from modelport.core.errors import AccessDenied
from modelport.services.context import ServiceContext
from modelport.services.iam.operations import issue_role_credentials
from modelport.services.sts.operations import assume_role

SESSION_NAME = "SageMaker"  # a notebook instance's role session, as get_execution_role() sees it


@dataclass(frozen=True)
class Registration:
    digest: bytes
    role_arn: str
    caller_key_id: str | None  # None: registered by a service for a role it was given
    duration_s: int


class RoleTokens:
    """The registered tokens, by id; thread-safe (handlers run in the server's thread pool)."""

    def __init__(self) -> None:
        self._by_id: dict[str, Registration] = {}
        self._lock = threading.Lock()

    def register(self, ctx: ServiceContext, role_arn: str, duration_s: int) -> tuple[str, str, str]:
        """Check the caller may assume the role now; return (id, token, assumed-role ARN)."""
        assert ctx.principal is not None
        first = _assume(ctx, role_arn, duration_s)
        token_id = secrets.token_hex(8)
        token = secrets.token_urlsafe(32)
        registration = Registration(_digest(token), role_arn, ctx.principal.access_key_id, duration_s)
        with self._lock:
            self._by_id[token_id] = registration
        return token_id, token, str(first["AssumedRoleUser"]["Arn"])

    def register_service(self, role_arn: str, duration_s: int) -> tuple[str, str]:
        """A token for a role a service runs code as (a notebook instance's); (id, token)."""
        token_id = secrets.token_hex(8)
        token = secrets.token_urlsafe(32)
        with self._lock:
            self._by_id[token_id] = Registration(_digest(token), role_arn, None, duration_s)
        return token_id, token

    def forget(self, token_id: str) -> None:
        """Revoke a token without asking who registered it (the service that did, stopping)."""
        with self._lock:
            self._by_id.pop(token_id, None)

    def revoke(self, ctx: ServiceContext, token_id: str) -> bool:
        """Forget a token; only the caller who registered it (or root) may."""
        with self._lock:
            registration = self._by_id.get(token_id)
            if registration is None or not _may_revoke(ctx.principal, registration):
                return False
            del self._by_id[token_id]
            return True

    def credentials(
        self, ctx: ServiceContext, lookup: KeyStoreLookup, token_id: str, token: str
    ) -> dict[str, Any] | None:
        """Fresh credentials for a valid token (ECS's JSON), None for an unknown or wrong token."""
        with self._lock:
            registration = self._by_id.get(token_id)
        if registration is None or not hmac.compare_digest(registration.digest, _digest(token)):
            return None
        if registration.caller_key_id is None:
            issued = issue_role_credentials(ctx, registration.role_arn, SESSION_NAME, registration.duration_s)
            return _container_credentials(issued, registration.role_arn)
        found = lookup.secret_for(registration.caller_key_id)
        if found is None:
            raise AccessDenied(
                "The key that registered this token no longer exists: run modelport env --role again."
            )
        caller = found[1]
        assumed = _assume(ctx.acting_as(caller), registration.role_arn, registration.duration_s)
        return _container_credentials(assumed["Credentials"], registration.role_arn)


def _container_credentials(issued: dict[str, Any], role_arn: str) -> dict[str, Any]:
    """STS's ``Credentials`` in the container-credentials format botocore reads."""
    expiration = datetime.fromtimestamp(float(issued["Expiration"]), tz=UTC)
    return {
        "AccessKeyId": issued["AccessKeyId"],
        "SecretAccessKey": issued["SecretAccessKey"],
        "Token": issued["SessionToken"],
        "Expiration": expiration.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "RoleArn": role_arn,
    }


def _assume(ctx: ServiceContext, role_arn: str, duration_s: int) -> dict[str, Any]:
    return assume_role(
        ctx, {"RoleArn": role_arn, "RoleSessionName": SESSION_NAME, "DurationSeconds": duration_s}
    )


def _may_revoke(principal: Principal | None, registration: Registration) -> bool:
    from modelport.aws.auth.principal import PrincipalKind

    if principal is None or principal.kind is PrincipalKind.ROOT:
        return True
    return principal.access_key_id == registration.caller_key_id


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()
