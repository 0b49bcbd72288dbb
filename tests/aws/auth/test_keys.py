"""Access key shapes, both key stores, the verifier's lookup over a store, and the root key."""

from __future__ import annotations

import dataclasses
import re
import sqlite3
from collections.abc import Iterator

import pytest

from modelport.aws.auth.keys import (
    AccessKey,
    KeyStore,
    KeyStoreLookup,
    MemoryKeyStore,
    ensure_root_key,
    new_access_key_id,
    new_secret_access_key,
)
from modelport.aws.auth.principal import PrincipalKind
from modelport.aws.auth.sqlite_keys import SqliteKeyStore
from modelport.core.clock import FakeClock
from modelport.core.config import Settings


def test_key_shapes() -> None:
    ids = {new_access_key_id() for _ in range(100)}
    assert len(ids) == 100
    assert all(re.fullmatch(r"AKIA[A-Z0-9]{16}", i) for i in ids)
    assert re.fullmatch(r"ASIA[A-Z0-9]{16}", new_access_key_id(temporary=True))
    assert re.fullmatch(r"[A-Za-z0-9+/]{40}", new_secret_access_key())


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest) -> Iterator[KeyStore]:
    if request.param == "memory":
        yield MemoryKeyStore()
        return
    conn = sqlite3.connect(":memory:")
    try:
        yield SqliteKeyStore(conn)
    finally:
        conn.close()


def key(
    access_key_id: str, kind: PrincipalKind = PrincipalKind.USER, name: str = "alice", created: float = 1.0
) -> AccessKey:
    return AccessKey(access_key_id, "secret-" + access_key_id, kind, name, created)


def test_store_round_trip(store: KeyStore) -> None:
    temporary = AccessKey("ASIA1", "s", PrincipalKind.ROLE, "r", 3.0, session_token="tok", expires=10.0)
    for k in (key("AKIA2", created=2.0), key("AKIA1", PrincipalKind.ROOT, "root"), temporary):
        store.put(k)
    assert store.get("ASIA1") == temporary
    assert store.get("nope") is None
    assert [k.access_key_id for k in store.list()] == ["AKIA1", "AKIA2", "ASIA1"]
    assert [k.access_key_id for k in store.list(kind=PrincipalKind.USER)] == ["AKIA2"]
    assert [k.access_key_id for k in store.list(name="r")] == ["ASIA1"]
    store.put(dataclasses.replace(key("AKIA2"), secret_access_key="new"))
    assert store.get("AKIA2") is not None and store.get("AKIA2").secret_access_key == "new"  # type: ignore[union-attr]
    assert store.delete("AKIA2") is True
    assert store.delete("AKIA2") is False
    assert store.get("AKIA2") is None


def test_secret_and_token_stay_out_of_repr() -> None:
    text = repr(AccessKey("AKIA1", "topsecret", PrincipalKind.ROLE, "r", 1.0, session_token="tok"))
    assert "topsecret" not in text and "tok'" not in text


def test_lookup_ignores_expired_keys(store: KeyStore) -> None:
    clock = FakeClock(100.0)
    store.put(AccessKey("ASIA1", "s", PrincipalKind.ROLE, "r", 1.0, session_token="tok", expires=150.0))
    lookup = KeyStoreLookup(store, clock)
    found = lookup.secret_for("ASIA1")
    assert found is not None
    secret, principal = found
    assert (secret, principal.kind, principal.name, principal.session_token) == ("s", "role", "r", "tok")
    clock.advance(50)
    assert lookup.secret_for("ASIA1") is None
    assert lookup.secret_for("AKIAUNKNOWN") is None


def test_root_key_created_once_then_reused(store: KeyStore) -> None:
    clock = FakeClock()
    first = ensure_root_key(store, Settings(), clock=clock)
    assert first[2] is True and first[0].startswith("AKIA")
    assert ensure_root_key(store, Settings(), clock=clock) == (first[0], first[1], False)
    assert len(store.list(kind=PrincipalKind.ROOT)) == 1


def test_root_key_from_settings_replaces_stored(store: KeyStore) -> None:
    generated = ensure_root_key(store, Settings())
    given = Settings(root_access_key_id="AKIAFIXEDFIXEDFIXED0", root_secret_access_key="fixed-secret")
    assert ensure_root_key(store, given) == ("AKIAFIXEDFIXEDFIXED0", "fixed-secret", True)
    assert ensure_root_key(store, given) == ("AKIAFIXEDFIXEDFIXED0", "fixed-secret", False)
    assert store.get(generated[0]) is None
    changed = Settings(root_access_key_id="AKIAFIXEDFIXEDFIXED0", root_secret_access_key="rotated")
    assert ensure_root_key(store, changed)[2] is True
    assert [(k.access_key_id, k.secret_access_key) for k in store.list(kind=PrincipalKind.ROOT)] == [
        ("AKIAFIXEDFIXEDFIXED0", "rotated")
    ]
    # Without the settings, the stored (configured) key is kept.
    assert ensure_root_key(store, Settings()) == ("AKIAFIXEDFIXEDFIXED0", "rotated", False)


def test_root_key_settings_from_env(store: KeyStore) -> None:
    settings = Settings.from_env(
        {"MODELPORT_ROOT_ACCESS_KEY_ID": "AKIAENVENVENVENVENV0", "MODELPORT_ROOT_SECRET_ACCESS_KEY": "s3cret"}
    )
    assert ensure_root_key(store, settings)[:2] == ("AKIAENVENVENVENVENV0", "s3cret")


def test_root_key_needs_both_settings(store: KeyStore) -> None:
    with pytest.raises(ValueError, match="must be set together"):
        ensure_root_key(store, Settings(root_access_key_id="AKIAONLYONLYONLYONLY"))


def test_root_key_cannot_take_a_users_id(store: KeyStore) -> None:
    store.put(key("AKIAUSERUSERUSERUSER"))
    with pytest.raises(ValueError, match="already belongs to user 'alice'"):
        ensure_root_key(
            store, Settings(root_access_key_id="AKIAUSERUSERUSERUSER", root_secret_access_key="x")
        )


def test_sqlite_store_shares_a_file(tmp_path: object) -> None:
    from pathlib import Path

    path = Path(str(tmp_path)) / "db.sqlite3"
    conn = sqlite3.connect(path)
    ensure_root_key(SqliteKeyStore(conn), Settings())
    conn.close()
    conn = sqlite3.connect(path)
    try:
        assert ensure_root_key(SqliteKeyStore(conn), Settings())[2] is False
    finally:
        conn.close()


def test_sqlite_lookups_never_outlive_a_write() -> None:
    """The store keeps keys it has read, but any write on its connection, by any store over it,
    committed or rolled back, makes it read again."""
    conn = sqlite3.connect(":memory:", isolation_level=None)
    store, other = SqliteKeyStore(conn), SqliteKeyStore(conn)
    store.put(key("AKIA1"))
    assert store.get("AKIA1") == key("AKIA1") and store.get("AKIA9") is None  # both now cached
    other.delete("AKIA1")
    other.put(key("AKIA9"))
    assert store.get("AKIA1") is None and store.get("AKIA9") == key("AKIA9")
    conn.execute("BEGIN")
    conn.execute(
        "INSERT INTO access_keys (access_key_id, secret_access_key, kind, name, created)"
        " VALUES ('AKIA2', 's', 'user', 'bob', 1.0)"
    )
    assert store.get("AKIA2") is not None  # the transaction's own view, not kept
    conn.execute("ROLLBACK")
    assert store.get("AKIA2") is None
    conn.execute("UPDATE access_keys SET secret_access_key = 'rotated' WHERE access_key_id = 'AKIA9'")
    found = store.get("AKIA9")
    assert found is not None and found.secret_access_key == "rotated"
    conn.close()
