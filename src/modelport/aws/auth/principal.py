"""Who made a request: the identity an access key stands for, as the verifier hands it on."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class PrincipalKind(StrEnum):
    """The kind of identity behind an access key."""

    ROOT = "root"  # the account's root user: every action is allowed
    USER = "user"  # an IAM user with long-term keys (AKIA...)
    ROLE = "role"  # an assumed role with temporary keys (ASIA...) and a session token


@dataclass(frozen=True)
class Principal:
    """An authenticated caller.

    ``session_token`` is set for temporary credentials only; the verifier requires the request's
    ``X-Amz-Security-Token`` to equal it. It is kept out of ``repr`` so that logs never show it.
    """

    access_key_id: str
    kind: PrincipalKind
    name: str
    session_token: str | None = field(default=None, repr=False)


def stored_caller(principal: Principal | None) -> dict[str, str] | None:
    """Who work done later (a transform job, an asynchronous request) reads and writes S3 for, as
    stored with it: the server uses its own S3 key, so each object is checked against this
    caller's IAM policies (None: the root user, or authentication off: everything is allowed)."""
    if principal is None or principal.kind is PrincipalKind.ROOT:
        return None
    return {"Kind": str(principal.kind), "Name": principal.name}


def caller_principal(caller: dict[str, str]) -> Principal:
    """The principal a stored caller (``stored_caller``) stands for, for an IAM check."""
    return Principal(access_key_id="", kind=PrincipalKind(caller["Kind"]), name=caller["Name"])
