"""``LogStore``: log groups, streams and events in their own SQLite file.

Events are many and small, written in batches by the ``LogWriter`` and by PutLogEvents; the
control plane's store fsyncs every write (``synchronous=FULL``) and serialises its writers, so
events live in a file of their own (``<data dir>/cloudwatch-logs.sqlite3``, WAL,
``synchronous=NORMAL``: a crash may lose the last batch, never corrupt the file). Two indexes
answer every read: ``(stream, timestamp, id)`` for GetLogEvents and ``(group, timestamp, id)``
for FilterLogEvents, so reads by group, stream and time never scan another group's events.

A group's ``stored_bytes`` is the UTF-8 size of the messages it keeps, maintained on every
write and delete. Past ``max_bytes`` per group the oldest events go first (``enforce_cap``);
events older than a group's retention are never returned and are deleted by ``purge_expired``.
One connection, shared by the event loop and the writer's thread under a lock.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

DAY_MS = 86_400_000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS log_groups (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    created INTEGER NOT NULL,
    retention_days INTEGER,
    stored_bytes INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS log_streams (
    id INTEGER PRIMARY KEY,
    group_id INTEGER NOT NULL,
    name TEXT NOT NULL,
    created INTEGER NOT NULL,
    first_event INTEGER,
    last_event INTEGER,
    last_ingestion INTEGER,
    sequence INTEGER NOT NULL DEFAULT 0,
    UNIQUE (group_id, name)
);
CREATE TABLE IF NOT EXISTS log_events (
    id INTEGER PRIMARY KEY,
    group_id INTEGER NOT NULL,
    stream_id INTEGER NOT NULL,
    ts INTEGER NOT NULL,
    ingested INTEGER NOT NULL,
    size INTEGER NOT NULL,
    message TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_by_stream ON log_events (stream_id, ts, id);
CREATE INDEX IF NOT EXISTS events_by_group ON log_events (group_id, ts, id);
"""


@dataclass(frozen=True)
class Group:
    id: int
    name: str
    created: int
    retention_days: int | None
    stored_bytes: int

    def cutoff(self, now_ms: int) -> int:
        """The oldest timestamp still kept (0: kept forever)."""
        return 0 if self.retention_days is None else now_ms - self.retention_days * DAY_MS


@dataclass(frozen=True)
class Stream:
    id: int
    group_id: int
    name: str
    created: int
    first_event: int | None
    last_event: int | None
    last_ingestion: int | None
    sequence: int


@dataclass(frozen=True)
class Event:
    id: int
    stream: str
    timestamp: int
    ingested: int
    message: str

    @property
    def key(self) -> tuple[int, int]:
        """Events are ordered by (timestamp, id): the order every read returns them in."""
        return (self.timestamp, self.id)


class LogStore:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        self._lock = threading.RLock()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    # --- groups --------------------------------------------------------------------------------

    def create_group(self, name: str, now_ms: int) -> bool:
        """Create the group; False when it already exists."""
        with self._lock:
            cursor = self._db.execute(
                "INSERT OR IGNORE INTO log_groups (name, created) VALUES (?, ?)", (name, now_ms)
            )
            return cursor.rowcount == 1

    def group(self, name: str) -> Group | None:
        with self._lock:
            row = self._db.execute(
                "SELECT id, name, created, retention_days, stored_bytes FROM log_groups WHERE name = ?",
                (name,),
            ).fetchone()
        return None if row is None else Group(*row)

    def groups(self, prefix: str = "", after: str = "", limit: int = 50) -> list[Group]:
        """Groups whose name starts with ``prefix``, in name order, after ``after``."""
        with self._lock:
            rows = self._db.execute(
                "SELECT id, name, created, retention_days, stored_bytes FROM log_groups"
                " WHERE substr(name, 1, ?) = ? AND name > ? ORDER BY name LIMIT ?",
                (len(prefix), prefix, after, limit),
            ).fetchall()
        return [Group(*row) for row in rows]

    def all_groups(self) -> list[Group]:
        return self.groups(limit=-1)

    def delete_group(self, group: Group) -> None:
        """The group, its streams and all its events."""
        with self._transaction() as db:
            db.execute("DELETE FROM log_events WHERE group_id = ?", (group.id,))
            db.execute("DELETE FROM log_streams WHERE group_id = ?", (group.id,))
            db.execute("DELETE FROM log_groups WHERE id = ?", (group.id,))

    def set_retention(self, group: Group, days: int | None) -> None:
        with self._lock:
            self._db.execute("UPDATE log_groups SET retention_days = ? WHERE id = ?", (days, group.id))

    # --- streams -------------------------------------------------------------------------------

    def create_stream(self, group: Group, name: str, now_ms: int) -> bool:
        with self._lock:
            cursor = self._db.execute(
                "INSERT OR IGNORE INTO log_streams (group_id, name, created) VALUES (?, ?, ?)",
                (group.id, name, now_ms),
            )
            return cursor.rowcount == 1

    def stream(self, group: Group, name: str) -> Stream | None:
        with self._lock:
            row = self._db.execute(
                "SELECT * FROM log_streams WHERE group_id = ? AND name = ?", (group.id, name)
            ).fetchone()
        return None if row is None else Stream(*row)

    def streams(self, group: Group) -> list[Stream]:
        with self._lock:
            rows = self._db.execute(
                "SELECT * FROM log_streams WHERE group_id = ? ORDER BY name", (group.id,)
            ).fetchall()
        return [Stream(*row) for row in rows]

    # --- events --------------------------------------------------------------------------------

    def append(self, group: Group, stream: Stream, events: Iterable[tuple[int, str]], now_ms: int) -> int:
        """Add ``(timestamp, message)`` events to ``stream``; return the stream's next sequence."""
        rows = [(group.id, stream.id, ts, now_ms, len(msg.encode()), msg) for ts, msg in events]
        if not rows:
            return stream.sequence
        first = min(row[2] for row in rows)
        last = max(row[2] for row in rows)
        size = sum(row[4] for row in rows)
        with self._transaction() as db:
            db.executemany(
                "INSERT INTO log_events (group_id, stream_id, ts, ingested, size, message)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                rows,
            )
            db.execute(
                "UPDATE log_streams SET first_event = min(coalesce(first_event, ?), ?),"
                " last_event = max(coalesce(last_event, ?), ?), last_ingestion = ?,"
                " sequence = sequence + 1 WHERE id = ?",
                (first, first, last, last, now_ms, stream.id),
            )
            db.execute("UPDATE log_groups SET stored_bytes = stored_bytes + ? WHERE id = ?", (size, group.id))
            (sequence,) = db.execute("SELECT sequence FROM log_streams WHERE id = ?", (stream.id,)).fetchone()
        return int(sequence)

    def events(
        self,
        group: Group,
        *,
        streams: list[Stream] | None = None,
        start: int = 0,
        end: int | None = None,
        after: tuple[int, int] | None = None,
        before: tuple[int, int] | None = None,
        limit: int = 1000,
    ) -> list[Event]:
        """Events with ``start <= timestamp < end``, in (timestamp, id) order: ascending from
        ``after`` (exclusive), or the ``limit`` last ones before ``before`` (returned ascending)."""
        where = ["e.group_id = ?", "e.ts >= ?"]
        args: list[object] = [group.id, start]
        if end is not None:
            where.append("e.ts < ?")
            args.append(end)
        if streams is not None:
            where.append(f"e.stream_id IN ({','.join('?' * len(streams))})")
            args.extend(s.id for s in streams)
        if after is not None:
            where.append("(e.ts > ? OR (e.ts = ? AND e.id > ?))")
            args.extend((after[0], after[0], after[1]))
        if before is not None:
            where.append("(e.ts < ? OR (e.ts = ? AND e.id < ?))")
            args.extend((before[0], before[0], before[1]))
        order = "DESC" if before is not None else "ASC"
        sql = (
            "SELECT e.id, s.name, e.ts, e.ingested, e.message FROM log_events e"
            " JOIN log_streams s ON s.id = e.stream_id"
            f" WHERE {' AND '.join(where)} ORDER BY e.ts {order}, e.id {order} LIMIT ?"
        )
        with self._lock:
            rows = self._db.execute(sql, (*args, limit)).fetchall()
        found = [Event(*row) for row in rows]
        return found[::-1] if before is not None else found

    # --- keeping within bounds -----------------------------------------------------------------

    def purge_expired(self, now_ms: int) -> int:
        """Delete every event older than its group's retention; return how many went."""
        removed = 0
        for group in self.all_groups():
            if group.retention_days is not None:
                removed += self._delete_before(group, group.cutoff(now_ms))
        return removed

    def enforce_cap(self, group: Group, max_bytes: int) -> int:
        """Delete ``group``'s oldest events until it keeps at most ``max_bytes`` (0: no cap)."""
        current = self.group(group.name)
        if max_bytes <= 0 or current is None or current.stored_bytes <= max_bytes:
            return 0
        excess = current.stored_bytes - max_bytes
        with self._lock:
            rows = self._db.execute(
                "SELECT ts, id, size FROM log_events WHERE group_id = ? ORDER BY ts, id", (group.id,)
            )
            freed, boundary = 0, None
            for ts, event_id, size in rows:
                freed += size
                boundary = (ts, event_id)
                if freed >= excess:
                    break
        if boundary is None:
            return 0
        return self._delete_through(group, boundary)

    def _delete_before(self, group: Group, cutoff: int) -> int:
        with self._transaction() as db:
            count, size = db.execute(
                "SELECT count(*), coalesce(sum(size), 0) FROM log_events WHERE group_id = ? AND ts < ?",
                (group.id, cutoff),
            ).fetchone()
            if count:
                db.execute("DELETE FROM log_events WHERE group_id = ? AND ts < ?", (group.id, cutoff))
                db.execute(
                    "UPDATE log_groups SET stored_bytes = max(0, stored_bytes - ?) WHERE id = ?",
                    (size, group.id),
                )
        return int(count)

    def _delete_through(self, group: Group, boundary: tuple[int, int]) -> int:
        condition = "group_id = ? AND (ts < ? OR (ts = ? AND id <= ?))"
        args = (group.id, boundary[0], boundary[0], boundary[1])
        with self._transaction() as db:
            count, size = db.execute(
                f"SELECT count(*), coalesce(sum(size), 0) FROM log_events WHERE {condition}", args
            ).fetchone()
            db.execute(f"DELETE FROM log_events WHERE {condition}", args)
            db.execute(
                "UPDATE log_groups SET stored_bytes = max(0, stored_bytes - ?) WHERE id = ?", (size, group.id)
            )
        return int(count)
