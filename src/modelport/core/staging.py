"""A folder that appears whole or not at all, and the member checks both unpackers share.

Unpacking model data or function code happens in a hidden sibling folder that is renamed into
place only when complete, so a crash or a refused archive never leaves a half-written folder
that looks finished. ``member_path``, ``make_dirs`` and ``copy_capped`` are the per-member
rules of both unpackers (model tarballs, function zips); they raise ``UnsafeMember`` with the
rule broken, which each unpacker words as its own error.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import IO

_CHUNK = 1024 * 1024


class UnsafeMember(ValueError):
    """A member an unpacker must refuse; the text is the rule it breaks."""


class OverBudget(Exception):
    """A member's data ran past the unpacked-size budget while being written."""


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


def copy_capped(source: IO[bytes], fd: int, budget: int) -> int:
    """Copy ``source`` into the open file ``fd`` (closed afterwards); return the bytes written.

    Counted while writing, so a member whose header lies about its size is stopped at
    ``budget`` bytes (``OverBudget``), not after it fills the disk.
    """
    written = 0
    with os.fdopen(fd, "wb") as out, source:
        while chunk := source.read(_CHUNK):
            written += len(chunk)
            if written > budget:
                raise OverBudget()
            out.write(chunk)
    return written
