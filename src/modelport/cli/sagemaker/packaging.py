"""Turning what the user points ``deploy`` at into a ``model.tar.gz`` the server can read.

A plain file becomes an archive holding it under its own name (the XGBoost runtime loads any
single file; the scikit-learn runtime any single pickle); a folder becomes an archive of its
contents; an existing ``.tar.gz`` is copied unchanged. Archives are kept in the CLI's data
folder, ``<data_dir>/packages/<name>-<stamp>.tar.gz``, and the server is given their absolute
local path as ``ModelDataUrl``: nothing is uploaded.

gzip runs at its fastest level, and not at all (stored blocks) when the first MiB of the largest
file hardly compresses: model weights (float arrays) shrink by some 7 % at best, which is not
worth seconds of CPU; pickled trees and JSON boosters do compress. A 109 MB float32 model packs
in about 0.3 s of CPU instead of 4 s at level 1 and more at the old slowest level. ``progress``
is told the bytes read so far and the total, for the progress bar ``deploy`` shows.
"""

from __future__ import annotations

import os
import tarfile
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

from modelport.cli.sagemaker.detect import is_archive

COMPRESS_LEVEL = 1  # gzip's fastest: slower levels gain little on models and cost much time
STORE_BELOW_RATIO = 1.2  # a sample compressing less than this is stored, not compressed
_SAMPLE_BYTES = 1 << 20
_CHUNK = 1 << 20
_SKIPPED = {"__pycache__", ".DS_Store", ".ipynb_checkpoints"}

Progress = Callable[[int, int], None]


def package(source: Path, packages_dir: Path, stem: str, progress: Progress | None = None) -> Path:
    """Write ``packages_dir/<stem>.tar.gz`` from ``source`` and return its absolute path."""
    packages_dir.mkdir(parents=True, exist_ok=True)
    target = (packages_dir / f"{stem}.tar.gz").resolve()
    report = progress or (lambda done, total: None)
    # Write a sibling and rename: a crash never leaves a half archive under the final name.
    partial = target.with_name(f".{target.name}.partial")
    try:
        if is_archive(source):
            _copy(source, partial, report)
        else:
            members = list(_members(source))
            files = [path for path, _ in members if path.is_file()]
            counter = _Counter(sum(path.stat().st_size for path in files), report)
            level = compress_level(max(files, key=lambda path: path.stat().st_size) if files else None)
            with tarfile.open(partial, "w:gz", dereference=True, compresslevel=level) as tar:
                for path, arcname in members:
                    info = tar.gettarinfo(str(path), arcname=arcname)
                    if info.isfile():
                        with open(path, "rb") as handle:
                            tar.addfile(info, _Reading(handle, counter))
                    else:
                        tar.addfile(info)
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return target


def compress_level(largest: Path | None) -> int:
    """``COMPRESS_LEVEL``, or 0 (store) when the largest file's first MiB barely compresses."""
    if largest is None:
        return COMPRESS_LEVEL
    with open(largest, "rb") as handle:
        sample = handle.read(_SAMPLE_BYTES)
    if len(sample) < 4096:
        return COMPRESS_LEVEL
    ratio = len(sample) / len(zlib.compress(sample, COMPRESS_LEVEL))
    return 0 if ratio < STORE_BELOW_RATIO else COMPRESS_LEVEL


def _members(source: Path) -> Iterator[tuple[Path, str]]:
    """``(path, name in the archive)`` of everything to pack, folders before their contents."""
    if not source.is_dir():
        yield source, source.name
        return
    for child in sorted(source.iterdir()):
        if child.name in _SKIPPED:
            continue
        yield child, child.name
        if child.is_dir():
            for path in sorted(child.rglob("*")):
                relative = path.relative_to(source)
                if not set(relative.parts) & _SKIPPED:
                    yield path, relative.as_posix()


def _copy(source: Path, target: Path, report: Progress) -> None:
    counter = _Counter(source.stat().st_size, report)
    with open(source, "rb") as reader, open(target, "wb") as writer:
        while chunk := reader.read(_CHUNK):
            writer.write(chunk)
            counter.add(len(chunk))


class _Counter:
    def __init__(self, total: int, report: Progress) -> None:
        self.total, self.done, self.report = total, 0, report
        report(0, total)

    def add(self, count: int) -> None:
        self.done += count
        self.report(self.done, self.total)


class _Reading:
    """A file that counts what tarfile reads from it."""

    def __init__(self, handle: IO[bytes], counter: _Counter) -> None:
        self.handle, self.counter = handle, counter

    def read(self, size: int = -1) -> bytes:
        data = self.handle.read(size)
        self.counter.add(len(data))
        return data
