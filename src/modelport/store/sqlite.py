"""SQLite implementation of the Store, durable across kill -9.

WAL journal with ``synchronous=FULL``: a call that returned has been fsynced, so every
acknowledged create, update or delete survives a crash of the server. One connection guarded
by a lock; each call is a single short transaction.

``get_shared`` serves the hot read paths (an API Gateway invocation reads its REST API and its
function on every request) from a cache: the same ``Resource`` object until anything writes a
resource of that kind, through this store or any other connection to the file.
"""

from __future__ import annotations

import builtins
import json
import sqlite3
import threading
from pathlib import Path

from modelport.store.base import Resource

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS resources (
    kind TEXT NOT NULL,
    name_key TEXT NOT NULL,
    name TEXT NOT NULL,
    arn TEXT NOT NULL,
    creation_time REAL NOT NULL,
    last_modified_time REAL NOT NULL,
    status TEXT,
    body TEXT NOT NULL,
    PRIMARY KEY (kind, name_key)
);
CREATE TABLE IF NOT EXISTS tags (
    arn TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (arn, key)
);
"""

_SHARED_PER_KIND = 1024  # get_shared's cache per kind; past it, reads go to the file
_COLUMNS = "kind, name, arn, creation_time, last_modified_time, status, body"


class SqliteStore:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.connection = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._lock = threading.Lock()
        with self._lock:
            self.connection.execute("PRAGMA journal_mode=WAL")
            self.connection.execute("PRAGMA synchronous=FULL")
            self.connection.execute("PRAGMA busy_timeout=5000")
            self.connection.executescript(_SCHEMA)
            self.connection.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        # get_shared's cache: per kind, the records read since the kind's last write here, valid
        # while ``PRAGMA data_version`` (which moves when another connection commits) is unchanged.
        self._shared: dict[str, dict[str, Resource | None]] = {}
        self._shared_version = -1

    def insert(self, resource: Resource) -> bool:
        with self._lock:
            self._shared.pop(resource.kind, None)
            try:
                self.connection.execute(
                    "INSERT INTO resources (kind, name_key, name, arn, creation_time, last_modified_time,"
                    " status, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (resource.kind, resource.name.lower(), *_row(resource)),
                )
            except sqlite3.IntegrityError:
                return False
            return True

    def get(self, kind: str, name: str) -> Resource | None:
        with self._lock:
            row = self.connection.execute(
                f"SELECT {_COLUMNS} FROM resources WHERE kind = ? AND name_key = ?", (kind, name.lower())
            ).fetchone()
        return None if row is None else _resource(row)

    def get_shared(self, kind: str, name: str) -> Resource | None:
        """``get``, from a cache kept until the next write of a ``kind`` resource.

        The answer may be the very object other callers got: read it, never change its body (a
        writer ``get``s its own copy). A read inside an open transaction is not cached.
        """
        key = name.lower()
        with self._lock:
            version = self.connection.execute("PRAGMA data_version").fetchone()[0]
            if version != self._shared_version:
                self._shared.clear()
                self._shared_version = version
            cached = self._shared.setdefault(kind, {})
            if key in cached:
                return cached[key]
            row = self.connection.execute(
                f"SELECT {_COLUMNS} FROM resources WHERE kind = ? AND name_key = ?", (kind, key)
            ).fetchone()
            resource = None if row is None else _resource(row)
            if not self.connection.in_transaction and len(cached) < _SHARED_PER_KIND:
                cached[key] = resource
        return resource

    def list(self, kind: str, *, bodies: bool = True) -> builtins.list[Resource]:
        # Without bodies, neither read nor decoded: a List* whose summaries need only the columns
        # (ListEndpoints, ListModels, ListEndpointConfigs) skips the JSON of every record.
        columns = _COLUMNS if bodies else _COLUMNS.replace("body", "'{}'")
        with self._lock:
            rows = self.connection.execute(
                f"SELECT {columns} FROM resources WHERE kind = ? ORDER BY creation_time", (kind,)
            ).fetchall()
        return [_resource(row) for row in rows]

    def update(self, resource: Resource) -> None:
        with self._lock:
            self._shared.pop(resource.kind, None)
            self.connection.execute(
                "UPDATE resources SET name = ?, arn = ?, creation_time = ?, last_modified_time = ?,"
                " status = ?, body = ? WHERE kind = ? AND name_key = ?",
                (*_row(resource), resource.kind, resource.name.lower()),
            )

    def delete(self, kind: str, name: str) -> bool:
        with self._lock:
            self._shared.pop(kind, None)
            cursor = self.connection.execute(
                "DELETE FROM resources WHERE kind = ? AND name_key = ?", (kind, name.lower())
            )
        return cursor.rowcount > 0

    def put_tags(self, arn: str, tags: dict[str, str]) -> None:
        with self._lock:
            self.connection.execute("BEGIN")
            self.connection.executemany(
                "INSERT OR REPLACE INTO tags (arn, key, value) VALUES (?, ?, ?)",
                [(arn, key, value) for key, value in tags.items()],
            )
            self.connection.execute("COMMIT")

    def get_tags(self, arn: str) -> dict[str, str]:
        with self._lock:
            rows = self.connection.execute(
                "SELECT key, value FROM tags WHERE arn = ? ORDER BY key", (arn,)
            ).fetchall()
        return {key: value for key, value in rows}

    def delete_tags(self, arn: str, keys: builtins.list[str] | None = None) -> None:
        with self._lock:
            if keys is None:
                self.connection.execute("DELETE FROM tags WHERE arn = ?", (arn,))
            else:
                self.connection.executemany(
                    "DELETE FROM tags WHERE arn = ? AND key = ?", [(arn, key) for key in keys]
                )

    def close(self) -> None:
        with self._lock:
            self.connection.close()


def _row(resource: Resource) -> tuple[object, ...]:
    return (
        resource.name,
        resource.arn,
        resource.creation_time,
        resource.last_modified_time,
        resource.status,
        json.dumps(resource.body, separators=(",", ":")),
    )


def _resource(row: tuple[object, ...]) -> Resource:
    kind, name, arn, created, modified, status, body = row
    return Resource(
        kind=str(kind),
        name=str(name),
        arn=str(arn),
        creation_time=float(created),  # type: ignore[arg-type]
        last_modified_time=float(modified),  # type: ignore[arg-type]
        status=None if status is None else str(status),
        body=json.loads(str(body)),
    )
