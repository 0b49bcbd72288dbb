"""Stored minutes of every metric, in their own SQLite file, kept ``retention_s`` seconds.

A minute flushed twice (the flusher ran mid-minute) is merged: counts and sums add, minimum and
maximum keep the extremes. Queries aggregate the minutes into periods of whole minutes, as
CloudWatch's GetMetricStatistics does.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from pathlib import Path

from modelport.hosting.metrics.recorder import Datapoint

SCHEMA = """
CREATE TABLE IF NOT EXISTS datapoints (
    namespace TEXT NOT NULL, metric TEXT NOT NULL, endpoint TEXT NOT NULL, variant TEXT NOT NULL,
    timestamp INTEGER NOT NULL, unit TEXT NOT NULL,
    sample_count REAL NOT NULL, sum REAL NOT NULL, minimum REAL NOT NULL, maximum REAL NOT NULL,
    PRIMARY KEY (namespace, metric, endpoint, variant, timestamp)
);
CREATE INDEX IF NOT EXISTS datapoints_by_time ON datapoints (timestamp);
"""
MERGE = """
INSERT INTO datapoints VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (namespace, metric, endpoint, variant, timestamp) DO UPDATE SET
    sample_count = sample_count + excluded.sample_count, sum = sum + excluded.sum,
    minimum = min(minimum, excluded.minimum), maximum = max(maximum, excluded.maximum)
"""


@dataclass(frozen=True)
class Period:
    """Statistics of one period (``timestamp`` its start)."""

    timestamp: int
    unit: str
    sample_count: float
    sum: float
    minimum: float
    maximum: float

    @property
    def average(self) -> float:
        return self.sum / self.sample_count if self.sample_count else 0.0


class MetricStore:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        # The flusher writes from a worker thread, readers read from the event loop: one lock.
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(SCHEMA)
        self._lock = threading.Lock()

    def add(self, points: Iterable[Datapoint]) -> None:
        rows = [
            (
                p.namespace,
                p.metric,
                p.endpoint,
                p.variant,
                p.timestamp,
                p.unit,
                p.sample_count,
                p.sum,
                p.minimum,
                p.maximum,
            )
            for p in points
        ]
        if rows:
            with self._lock, self._db:
                self._db.executemany(MERGE, rows)

    def prune(self, before: float) -> int:
        """Forget minutes that started before ``before``; how many rows went."""
        with self._lock, self._db:
            return self._db.execute("DELETE FROM datapoints WHERE timestamp < ?", (int(before),)).rowcount

    def statistics(
        self,
        namespace: str,
        metric: str,
        endpoint: str,
        variant: str | None,
        start: float,
        end: float,
        period: int,
        exclude: Collection[str] = (),
    ) -> list[Period]:
        """Minutes in [start, end) grouped into periods of ``period`` seconds (a multiple of 60),
        counted from ``start``; ``variant`` None sums over every variant of the endpoint but
        those in ``exclude`` (its shadow variants)."""
        query = (
            "SELECT timestamp, unit, sample_count, sum, minimum, maximum FROM datapoints"
            " WHERE namespace = ? AND metric = ? AND endpoint = ? AND timestamp >= ? AND timestamp < ?"
        )
        args: list[object] = [namespace, metric, endpoint, int(start), end]
        if variant is not None:
            query += " AND variant = ?"
            args.append(variant)
        elif exclude:
            query += f" AND variant NOT IN ({', '.join('?' * len(exclude))})"
            args.extend(exclude)
        with self._lock:
            rows = self._db.execute(query + " ORDER BY timestamp", args).fetchall()
        periods: dict[int, Period] = {}
        for timestamp, unit, count, total, minimum, maximum in rows:
            slot = int(start) + (timestamp - int(start)) // period * period
            seen = periods.get(slot)
            if seen is None:
                periods[slot] = Period(slot, unit, count, total, minimum, maximum)
            else:
                periods[slot] = Period(
                    slot,
                    unit,
                    seen.sample_count + count,
                    seen.sum + total,
                    min(seen.minimum, minimum),
                    max(seen.maximum, maximum),
                )
        return [periods[slot] for slot in sorted(periods)]

    def metrics(self, namespace: str | None = None) -> list[tuple[str, str, str, str]]:
        """(namespace, metric, endpoint, variant) of every stored series."""
        query = "SELECT DISTINCT namespace, metric, endpoint, variant FROM datapoints"
        args: tuple[str, ...] = ()
        if namespace is not None:
            query, args = query + " WHERE namespace = ?", (namespace,)
        with self._lock:
            return [tuple(row) for row in self._db.execute(query + " ORDER BY 1, 2, 3, 4", args)]

    def close(self) -> None:
        with self._lock:
            self._db.close()
