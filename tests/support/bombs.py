"""Decompression bombs for tests, streamed: the unpacked size is never held in memory or on disk."""

from __future__ import annotations

import tarfile
from pathlib import Path


class Zeros:
    """A file of ``size`` zero bytes that exists only as it is read."""

    def __init__(self, size: int) -> None:
        self.left = size

    def read(self, n: int = -1) -> bytes:
        count = self.left if n < 0 else min(n, self.left)
        self.left -= count
        return bytes(count)


def write_zero_bomb(path: Path, size: int, member: str = "xgboost-model") -> Path:
    """A tar.gz at ``path`` holding one member of ``size`` zeros (about size / 1,000 bytes packed)."""
    with tarfile.open(path, mode="w:gz", compresslevel=9) as tar:
        info = tarfile.TarInfo(member)
        info.size = size
        tar.addfile(info, Zeros(size))  # type: ignore[arg-type]
    return path
