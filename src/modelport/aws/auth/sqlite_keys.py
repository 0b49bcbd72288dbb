"""A KeyStore in SQLite, on a connection the caller owns (plain ``sqlite3``, no ORM).

The table is created on construction if missing, so the store can share the server's database
file with other tables.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from modelport.aws.auth.keys import AccessKey
from modelport.aws.auth.principal import PrincipalKind

SCHEMA = """
CREATE TABLE IF NOT EXISTS access_keys (
    access_key_id     TEXT PRIMARY KEY,
    secret_access_key TEXT NOT NULL,
    kind              TEXT NOT NULL,
    name              TEXT NOT NULL,
    created           REAL NOT NULL,
    session_token     TEXT,
    expires           REAL
)
"""
_CACHED_KEYS = 1024  # unknown key ids are cached too; a flood of made-up ones stops at this
_COLUMNS = "access_key_id, secret_access_key, kind, name, created, session_token, expires"


class SqliteKeyStore:
    """A KeyStore over ``conn``. Each call commits, unless the connection is inside a transaction
    the caller opened."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        with conn:
            conn.execute(SCHEMA)
        # Every signed request looks its key up (a SELECT cost ~25 µs, the largest single item
        # in a profile of the pinned server). Keys read outside a transaction are kept until
        # this connection changes anything at all (``total_changes`` grows with every write,
        # committed or later rolled back); the server is the store's only writer.
        self._cache: dict[str, AccessKey | None] = {}
        self._cached_at = -1

    def get(self, access_key_id: str) -> AccessKey | None:
        conn = self._conn
        if conn.in_transaction or conn.total_changes != self._cached_at:
            self._cache.clear()
            self._cached_at = -1 if conn.in_transaction else conn.total_changes
        elif access_key_id in self._cache:
            return self._cache[access_key_id]
        row = conn.execute(
            f"SELECT {_COLUMNS} FROM access_keys WHERE access_key_id = ?", (access_key_id,)
        ).fetchone()
        key = None if row is None else _key(row)
        if self._cached_at >= 0 and len(self._cache) < _CACHED_KEYS:
            self._cache[access_key_id] = key
        return key

    def put(self, key: AccessKey) -> None:
        with self._conn:
            self._conn.execute(
                f"INSERT OR REPLACE INTO access_keys ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    key.access_key_id,
                    key.secret_access_key,
                    str(key.kind),
                    key.name,
                    key.created,
                    key.session_token,
                    key.expires,
                ),
            )

    def list(self, kind: PrincipalKind | None = None, name: str | None = None) -> Sequence[AccessKey]:
        rows = self._conn.execute(
            f"SELECT {_COLUMNS} FROM access_keys"
            " WHERE (?1 IS NULL OR kind = ?1) AND (?2 IS NULL OR name = ?2)"
            " ORDER BY created, access_key_id",
            (None if kind is None else str(kind), name),
        ).fetchall()
        return [_key(row) for row in rows]

    def delete(self, access_key_id: str) -> bool:
        with self._conn:
            cursor = self._conn.execute("DELETE FROM access_keys WHERE access_key_id = ?", (access_key_id,))
        return cursor.rowcount > 0


def _key(row: tuple[str, str, str, str, float, str | None, float | None]) -> AccessKey:
    access_key_id, secret, kind, name, created, token, expires = row
    return AccessKey(access_key_id, secret, PrincipalKind(kind), name, created, token, expires)
