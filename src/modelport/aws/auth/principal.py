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
