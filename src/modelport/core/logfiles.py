"""Log files that processes append to, kept under a size limit (stdlib only).

Function environments and endpoint workers write their logs through descriptors opened with
``O_APPEND``. Past its limit a log keeps only its newer half, starting at a whole line, behind a
note that says how much was dropped. Because the writers append, their next line lands after the
kept part; a line written by another process in the instant between the truncation and the
rewrite may appear just before the note.
"""

from __future__ import annotations

import os
from pathlib import Path


def shorten_fd(fd: int, limit: int) -> bool:
    """Shorten the log open as ``fd`` (opened for appending) if it is over ``limit`` bytes.

    ``limit <= 0`` means no limit. Returns whether the log was shortened.
    """
    size = os.fstat(fd).st_size
    if limit <= 0 or size <= limit:
        return False
    keep = os.pread(fd, limit // 2, size - limit // 2)
    keep = keep[keep.find(b"\n") + 1 :]  # start at a whole line
    note = f"[modelport] log shortened: the oldest {size - len(keep)} bytes were dropped\n"
    os.ftruncate(fd, 0)
    os.write(fd, note.encode() + keep)
    return True


def shorten(path: Path, limit: int) -> bool:
    """:func:`shorten_fd` for a log named by its path; a missing file is left alone."""
    try:
        if limit <= 0 or path.stat().st_size <= limit:
            return False
        fd = os.open(path, os.O_RDWR | os.O_APPEND)
    except FileNotFoundError:
        return False
    try:
        return shorten_fd(fd, limit)
    finally:
        os.close(fd)
