"""Authentication: SigV4 verification (``sigv4``), access keys (``keys``, ``sqlite_keys``) and the
AWS profile the server writes for its root key (``profile``)."""

from modelport.aws.auth.keys import (
    AccessKey,
    KeyStore,
    KeyStoreLookup,
    MemoryKeyStore,
    ensure_root_key,
    new_access_key_id,
    new_secret_access_key,
    new_session_token,
)
from modelport.aws.auth.principal import Principal, PrincipalKind
from modelport.aws.auth.profile import write_profile
from modelport.aws.auth.sigv4 import KeyLookup, SignedRequest, VerifiedRequest, verify
from modelport.aws.auth.sqlite_keys import SqliteKeyStore

__all__ = [
    "AccessKey",
    "KeyLookup",
    "KeyStore",
    "KeyStoreLookup",
    "MemoryKeyStore",
    "Principal",
    "PrincipalKind",
    "SignedRequest",
    "SqliteKeyStore",
    "VerifiedRequest",
    "ensure_root_key",
    "new_access_key_id",
    "new_secret_access_key",
    "new_session_token",
    "verify",
    "write_profile",
]
