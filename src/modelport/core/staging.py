"""A folder that appears whole or not at all, and the member checks both unpackers share.

Unpacking model data or function code happens in a hidden sibling folder that is renamed into
place only when complete, so a crash or a refused archive never leaves a half-written folder
that looks finished. ``member_path``, ``make_dirs`` and ``copy_capped`` are the per-member
rules of both unpackers (model tarballs, function zips); they raise ``UnsafeMember`` with the
rule broken, which each unpacker words as its own error.

``UnpackGuard`` holds the running checks of one unpacking, applied to every chunk before it is
written: the unpacked-size cap (``OverBudget``), the compression ratio (``TooCompressed``: a
decompression bomb is stopped after ``ratio_floor_bytes``, not at the size cap) and the free
disk space (``LowDisk``: the disk keeps ``min_free_bytes`` free, checked before and during).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO

_CHUNK = 1024 * 1024


class UnsafeMember(ValueError):
    """A member an unpacker must refuse; the text is the rule it breaks."""


class OverBudget(Exception):
    """A member's data ran past the unpacked-size budget while being written."""


class TooCompressed(Exception):
    """The archive unpacks to more than the allowed multiple of its packed size: a bomb.

    The text says what was seen and which setting allows more; each unpacker prefixes its label.
    """


class LowDisk(Exception):
    """Unpacking (further) would leave less free disk space than the setting keeps free."""


@dataclass(frozen=True)
class GuardLimits:
    """The limits of one unpacking; ``0`` turns the ratio or the free-space check off."""

    max_bytes: int  # total unpacked size
    max_ratio: float  # unpacked bytes per packed byte read so far ...
    ratio_floor_bytes: int  # ... checked once more than this much is unpacked
    min_free_bytes: int  # free space the disk keeps
    ratio_setting: str = "MODELPORT_MAX_UNPACK_RATIO"
    free_setting: str = "MODELPORT_MIN_FREE_DISK_BYTES"


def free_disk_bytes(path: Path) -> int:
    """Bytes an unprivileged process may still write on the file system holding ``path``."""
    stats = os.statvfs(path)
    return stats.f_bavail * stats.f_frsize


class UnpackGuard:
    """The running checks of one unpacking (see the module docstring).

    ``packed`` returns how many packed bytes the unpacker has read so far; ``folder`` is where
    the files go (its file system is the one whose free space counts).
    """

    def __init__(self, limits: GuardLimits, packed: Callable[[], int], folder: Path) -> None:
        self.limits = limits
        self.packed = packed
        self.folder = folder
        self.unpacked = 0

    def check_disk(self, coming: int = 0) -> None:
        """Raise ``LowDisk`` unless ``coming`` more bytes still leave ``min_free_bytes`` free."""
        if self.limits.min_free_bytes <= 0:
            return
        free = free_disk_bytes(self.folder)
        if free - coming < self.limits.min_free_bytes:
            raise LowDisk(
                f"not enough free disk space: {_size(free)} free on the disk of {self.folder.parent}"
                f"{f' and {_size(coming)} still to write' if coming else ''}, and at least "
                f"{_size(self.limits.min_free_bytes)} must stay free ({self.limits.free_setting}). "
                "Free some disk space or lower the setting."
            )

    def add(self, size: int) -> None:
        """Count ``size`` more unpacked bytes, about to be written; raise if that breaks a limit."""
        self.unpacked += size
        if self.unpacked > self.limits.max_bytes:
            raise OverBudget()
        ratio = self.limits.max_ratio
        if ratio > 0 and self.unpacked > self.limits.ratio_floor_bytes:
            packed = max(self.packed(), 1)
            if self.unpacked > ratio * packed:
                raise TooCompressed(
                    f"it unpacks to more than {ratio:g} times its packed size ({self.unpacked} bytes "
                    f"from the first {packed} packed bytes), so it is refused as a decompression bomb. "
                    f"Real model weights and code pack at most a few times smaller; if this archive is "
                    f"genuine, raise {self.limits.ratio_setting}"
                )
        self.check_disk(size)


class CountingReader:
    """A binary file whose ``read`` counts the bytes it returned (the packed bytes consumed)."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self.count = 0

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size)
        self.count += len(data)
        return data

    def close(self) -> None:
        self.raw.close()


def _size(count: int) -> str:
    return f"{count / 1024**2:,.0f} MiB" if count >= 1024**2 else f"{count} bytes"


@contextmanager
def staged_folder(dest: Path) -> Iterator[Path]:
    """Yield an empty staging folder; on success it becomes ``dest``, on any error it is removed."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{dest.name}.partial-", dir=dest.parent))
    try:
        yield staging
        os.chmod(staging, 0o755)
        os.rename(staging, dest)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def member_path(name: str, *, escapes: str, backslash_separates: bool = False) -> PurePosixPath:
    """``name`` as a path relative to the unpacked folder (``"."`` for the folder itself).

    Refused: NUL bytes, absolute paths, ``..`` anywhere (``escapes`` is that rule's text, naming
    the folder). With ``backslash_separates`` (zips made
    on Windows) ``\\`` counts as a separator and a drive letter makes a path absolute.
    """
    if "\x00" in name:
        raise UnsafeMember("the name contains a NUL byte")
    unified = name.replace("\\", "/") if backslash_separates else name
    drive = backslash_separates and len(unified) > 1 and unified[1] == ":"
    if unified.startswith("/") or drive:
        raise UnsafeMember("absolute paths are not allowed")
    parts = [part for part in unified.split("/") if part not in ("", ".")]
    if ".." in parts:
        raise UnsafeMember(escapes)
    return PurePosixPath(*parts) if parts else PurePosixPath(".")


def make_dirs(path: Path) -> None:
    """Create ``path`` and its parents (0755); refuse when a component is already a file."""
    try:
        path.mkdir(mode=0o755, parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError) as exc:
        raise UnsafeMember("a path component is a file, not a directory") from exc


def copy_capped(source: IO[bytes], fd: int, guard: UnpackGuard) -> int:
    """Copy ``source`` into the open file ``fd`` (closed afterwards); return the bytes written.

    Each chunk passes ``guard`` before it is written, so a member whose header lies about its
    size, a bomb or a filling disk is stopped there (``OverBudget``, ``TooCompressed``,
    ``LowDisk``), not after it fills the disk.
    """
    written = 0
    with os.fdopen(fd, "wb") as out, source:
        while chunk := source.read(_CHUNK):
            guard.add(len(chunk))
            written += len(chunk)
            out.write(chunk)
    return written
