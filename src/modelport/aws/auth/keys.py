"""Access keys: their shapes, the small store protocol they live behind, and the root key.

A key store holds :class:`AccessKey` rows and nothing else; :class:`KeyStoreLookup` adapts any
store to the verifier's ``KeyLookup``. :class:`MemoryKeyStore` is for tests,
``modelport.aws.auth.sqlite_keys.SqliteKeyStore`` for the server.
"""

from __future__ import annotations

import secrets
import string
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Protocol

from modelport.aws.auth.principal import Principal, PrincipalKind
from modelport.core.clock import Clock, SystemClock
from modelport.core.config import Settings

ROOT_NAME = "root"
# AWS key ids are upper-case letters and digits; AWS uses base32 (A-Z2-7), which is a subset.
_KEY_ID_ALPHABET = string.ascii_uppercase + "234567"
_SECRET_ALPHABET = string.ascii_letters + string.digits + "+/"


@dataclass(frozen=True)
class AccessKey:
    """One access key as stored.

    ``expires`` (seconds since the epoch) and ``session_token`` are set for temporary
    credentials only; an expired key is treated as unknown.
    """

    access_key_id: str
    secret_access_key: str = field(repr=False)
    kind: PrincipalKind
    name: str
    created: float
    session_token: str | None = field(default=None, repr=False)
    expires: float | None = None

    @cached_property  # a stored key is shared by every request it signs (``SqliteKeyStore.get``)
    def principal(self) -> Principal:
        return Principal(self.access_key_id, self.kind, self.name, self.session_token)


class KeyStore(Protocol):
    """Where access keys live. Every method is a single, atomic operation."""

    def get(self, access_key_id: str) -> AccessKey | None:
        """The key with this id, or None."""
        ...

    def put(self, key: AccessKey) -> None:
        """Insert the key, or replace the one with the same id."""
        ...

    def list(self, kind: PrincipalKind | None = None, name: str | None = None) -> Sequence[AccessKey]:
        """Keys, oldest first, optionally only those of one principal kind and/or name."""
        ...

    def delete(self, access_key_id: str) -> bool:
        """Remove the key; False if there was none."""
        ...


class MemoryKeyStore:
    """A KeyStore in a dict, for tests."""

    def __init__(self) -> None:
        self._keys: dict[str, AccessKey] = {}

    def get(self, access_key_id: str) -> AccessKey | None:
        return self._keys.get(access_key_id)

    def put(self, key: AccessKey) -> None:
        self._keys[key.access_key_id] = key

    def list(self, kind: PrincipalKind | None = None, name: str | None = None) -> Sequence[AccessKey]:
        keys = sorted(self._keys.values(), key=lambda k: (k.created, k.access_key_id))
        return [k for k in keys if (kind is None or k.kind == kind) and (name is None or k.name == name)]

    def delete(self, access_key_id: str) -> bool:
        return self._keys.pop(access_key_id, None) is not None


class KeyStoreLookup:
    """The verifier's ``KeyLookup`` over a KeyStore; expired temporary keys count as unknown."""

    def __init__(self, store: KeyStore, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    def secret_for(self, access_key_id: str) -> tuple[str, Principal] | None:
        key = self._store.get(access_key_id)
        if key is None or (key.expires is not None and key.expires <= self._clock.now()):
            return None
        return key.secret_access_key, key.principal


def new_access_key_id(*, temporary: bool = False) -> str:
    """``AKIA`` (long-term) or ``ASIA`` (temporary) and 16 upper-case letters and digits."""
    prefix = "ASIA" if temporary else "AKIA"
    return prefix + "".join(secrets.choice(_KEY_ID_ALPHABET) for _ in range(16))


def new_secret_access_key() -> str:
    """40 characters of the base64 alphabet, like AWS's secrets (240 bits of entropy)."""
    return "".join(secrets.choice(_SECRET_ALPHABET) for _ in range(40))


def new_session_token() -> str:
    return secrets.token_urlsafe(96)


def ensure_root_key(
    store: KeyStore, settings: Settings, *, clock: Clock | None = None
) -> tuple[str, str, bool]:
    """Make sure the root user has exactly one key; return ``(key id, secret, created)``.

    With ``settings.root_access_key_id`` and ``root_secret_access_key`` set (for automation, as
    MinIO's root user), that pair is the root key and replaces any other stored one. Otherwise
    the stored root key is reused, or a new one is made on first start. ``created`` is True
    when the store was changed.
    """
    clock = clock or SystemClock()
    stored = store.list(kind=PrincipalKind.ROOT)
    wanted_id, wanted_secret = settings.root_access_key_id, settings.root_secret_access_key
    if (wanted_id is None) != (wanted_secret is None):
        raise ValueError(
            "MODELPORT_ROOT_ACCESS_KEY_ID and MODELPORT_ROOT_SECRET_ACCESS_KEY must be set together"
        )
    if wanted_id is not None and wanted_secret is not None:
        if [(k.access_key_id, k.secret_access_key) for k in stored] == [(wanted_id, wanted_secret)]:
            return wanted_id, wanted_secret, False
        for old in stored:
            store.delete(old.access_key_id)
        taken = store.get(wanted_id)
        if taken is not None and taken.kind != PrincipalKind.ROOT:
            raise ValueError(f"access key {wanted_id} already belongs to {taken.kind} {taken.name!r}")
        store.put(_root_key(wanted_id, wanted_secret, clock))
        return wanted_id, wanted_secret, True
    if stored:
        newest = stored[-1]
        return newest.access_key_id, newest.secret_access_key, False
    key = _root_key(new_access_key_id(), new_secret_access_key(), clock)
    store.put(key)
    return key.access_key_id, key.secret_access_key, True


def _root_key(access_key_id: str, secret: str, clock: Clock) -> AccessKey:
    return AccessKey(access_key_id, secret, PrincipalKind.ROOT, ROOT_NAME, created=clock.now())
