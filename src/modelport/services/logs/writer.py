"""``LogWriter``: how what processes print reaches the log store without slowing anything down.

Producers never touch SQLite. Lambda's execution environments hand each invocation's output to
``append`` (a list append under a lock); endpoint instances and notebook servers keep writing
their log files, which ``sources`` names and ``flush`` reads from where it left off (and once
more after ``stopped`` says a process ended, so a failed start's last words are kept). ``run``
flushes in a thread every ``FLUSH_INTERVAL_S``: it creates groups and streams on first write,
as AWS does, stores the lines, holds each group under its size cap and, every
``PURGE_INTERVAL_S``, deletes events past their group's retention. Readers (the Logs API)
call ``flush`` first, so what was printed before a call is what the call sees.

The buffer is bounded: past ``MAX_PENDING_BYTES`` lines are dropped (and a note says how many)
rather than blocking an invocation or growing memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from modelport.core.clock import Clock
from modelport.services.logs.store import Group, LogStore

logger = logging.getLogger(__name__)

FLUSH_INTERVAL_S = 0.5
PURGE_INTERVAL_S = 60.0
MAX_PENDING_BYTES = 16 * 1024 * 1024
MAX_READ_PER_FILE = 1024 * 1024  # one flush reads at most this much of one log file
MAX_EVENT_BYTES = 256 * 1024 - 26  # CloudWatch's largest event: a longer line is cut


@dataclass(frozen=True)
class FileSource:
    """A log file one process appends to, shipped to ``group``/``stream`` from ``start``."""

    key: str  # stable while the process lives (an instance id)
    path: Path
    group: str
    stream: str
    start: int = 0


@dataclass
class _Pending:
    chunks: list[tuple[int, bytes | str]]  # (timestamp, text as written): split into lines on flush


def split_lines(data: bytes | str) -> list[str]:
    """Non-empty lines of ``data`` (a trailing ``\\r`` dropped), each cut to ``MAX_EVENT_BYTES``."""
    text = data.decode("utf-8", errors="replace") if isinstance(data, bytes) else data
    lines = []
    for line in text.split("\n"):
        line = line.rstrip("\r")
        if line.strip():
            lines.append(line if len(line) <= MAX_EVENT_BYTES // 4 else _cut(line))
    return lines


def _cut(line: str) -> str:
    return line.encode()[:MAX_EVENT_BYTES].decode("utf-8", errors="ignore")


class LogWriter:
    def __init__(self, store: LogStore, clock: Clock, *, max_group_bytes: int) -> None:
        self.store = store
        self.clock = clock
        self.max_group_bytes = max_group_bytes
        self.sources: Callable[[], Iterable[FileSource]] = tuple
        self._pending: dict[tuple[str, str], _Pending] = {}
        self._pending_bytes = 0
        self._dropped = 0
        self._lock = threading.Lock()
        self._flushing = threading.Lock()
        self._offsets: dict[str, int] = {}
        self._known: dict[str, FileSource] = {}
        self._stopped: list[FileSource] = []
        self._last_purge = 0.0

    def now_ms(self) -> int:
        return int(self.clock.now() * 1000)

    def append(self, group: str, stream: str, data: bytes | str, timestamp_ms: int | None = None) -> None:
        """Queue ``data``'s lines for ``group``/``stream`` (both created on flush if need be).

        Never blocks on I/O and never raises for a full buffer: the lines are dropped and
        counted instead. Empty ``data`` still makes the group and stream exist. Lines are split
        on flush, in the writer's thread, not here on the caller's."""
        now = self.now_ms() if timestamp_ms is None else timestamp_ms
        with self._lock:
            pending = self._pending.setdefault((group, stream), _Pending([]))
            if self._pending_bytes + len(data) > MAX_PENDING_BYTES:
                lines = data.count(b"\n") if isinstance(data, bytes) else data.count("\n")
                self._dropped += max(1, lines)
                return
            if data:
                pending.chunks.append((now, data))
                self._pending_bytes += len(data)

    def flush(self) -> None:
        """Read the log files, store everything queued; safe from any thread."""
        with self._flushing:
            try:
                self._read_sources()
            except Exception:  # a source vanishing mid-read must not stop the writer
                logger.exception("reading log files failed")
            with self._lock:
                batch, self._pending, self._pending_bytes = self._pending, {}, 0
                dropped, self._dropped = self._dropped, 0
            if dropped:
                note = f"[modelport] {dropped} log lines were dropped: the log buffer was full"
                for pending in batch.values():
                    pending.chunks.append((self.now_ms(), note))
            now = self.now_ms()
            touched: dict[str, Group] = {}
            for (group_name, stream_name), pending in batch.items():
                group = touched.get(group_name) or self._ensure_group(group_name, now)
                touched[group_name] = group
                self.store.create_stream(group, stream_name, now)
                stream = self.store.stream(group, stream_name)
                events = [(ts, line) for ts, chunk in pending.chunks for line in split_lines(chunk)]
                if stream is not None and events:
                    self.store.append(group, stream, sorted(events, key=lambda e: e[0]), now)
            for group in touched.values():
                self.store.enforce_cap(group, self.max_group_bytes)

    def stopped(self, source: FileSource) -> None:
        """``source``'s process has stopped: the next flush reads what it wrote last, even if no
        flush saw it running (a failed start). Only queues: never blocks, safe from any thread."""
        with self._lock:
            self._stopped.append(source)

    def purge(self) -> int:
        """Delete events past their group's retention; return how many."""
        return self.store.purge_expired(self.now_ms())

    async def run(self) -> None:
        """Flush every ``FLUSH_INTERVAL_S`` and purge every ``PURGE_INTERVAL_S``, until cancelled."""
        while True:
            await asyncio.sleep(FLUSH_INTERVAL_S)
            try:
                await asyncio.to_thread(self.flush)
                if self.clock.monotonic() - self._last_purge >= PURGE_INTERVAL_S:
                    self._last_purge = self.clock.monotonic()
                    await asyncio.to_thread(self.purge)
            except Exception:
                logger.exception("writing logs failed")

    def close(self) -> None:
        """Store what is queued, then close the store."""
        with contextlib.suppress(Exception):
            self.flush()
        self.store.close()

    def _ensure_group(self, name: str, now: int) -> Group:
        group = self.store.group(name)
        if group is None:
            self.store.create_group(name, now)
            group = self.store.group(name)
        assert group is not None
        return group

    def _read_sources(self) -> None:
        live = {source.key: source for source in list(self.sources())}
        with self._lock:
            stopped, self._stopped = self._stopped, []
        for source in stopped:
            if source.key not in live:  # else the file is still followed for a newer process
                self._offsets.setdefault(source.key, source.start)
                self._known.pop(source.key, None)
                self._ship(source, final=True)
                del self._offsets[source.key]
        for key, source in live.items():
            if key not in self._offsets:
                self._offsets[key] = source.start
                self.append(source.group, source.stream, b"")  # the stream exists from the start
            self._ship(source, final=False)
        # A process that went away unannounced gets one last read: what it printed last is
        # often why.
        for key in set(self._known) - set(live):
            self._ship(self._known.pop(key), final=True)
            self._offsets.pop(key, None)
        self._known.update(live)

    def _ship(self, source: FileSource, *, final: bool) -> None:
        data, self._offsets[source.key] = _read_from(source.path, self._offsets[source.key], final=final)
        if data or final:
            self.append(source.group, source.stream, data)  # empty: the stream exists all the same


def _read_from(path: Path, offset: int, *, final: bool = False) -> tuple[bytes, int]:
    """Whole new lines of ``path`` from ``offset`` (with ``final``, a last partial line too), and
    the offset after them. A file shortened below ``offset`` (``core.logfiles.shorten``) is
    followed from its new end."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return b"", offset
    try:
        size = os.fstat(fd).st_size
        if size < offset:
            return b"", size
        data = os.pread(fd, min(size - offset, MAX_READ_PER_FILE), offset)
    finally:
        os.close(fd)
    complete = len(data) if final else data.rfind(b"\n") + 1
    if complete == 0 and len(data) < MAX_READ_PER_FILE:
        return b"", offset  # a line still being written
    if complete == 0:
        complete = len(data)
    return data[:complete], offset + complete
