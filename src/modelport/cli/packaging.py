"""Turning what the user points ``deploy`` at into a ``model.tar.gz`` the server can read.

A plain file becomes an archive holding it under its own name (the XGBoost runtime loads any
single file; the scikit-learn runtime any single pickle); a folder becomes an archive of its
contents; an existing ``.tar.gz`` is copied unchanged. Archives are kept in the CLI's data
folder, ``<data_dir>/packages/<name>-<stamp>.tar.gz``, and the server is given their absolute
local path as ``ModelDataUrl``: nothing is uploaded.
"""

from __future__ import annotations

import os
import shutil
import tarfile
from pathlib import Path

from modelport.cli.detect import is_archive

_SKIPPED = {"__pycache__", ".DS_Store", ".ipynb_checkpoints"}


def package(source: Path, packages_dir: Path, stem: str) -> Path:
    """Write ``packages_dir/<stem>.tar.gz`` from ``source`` and return its absolute path."""
    packages_dir.mkdir(parents=True, exist_ok=True)
    target = (packages_dir / f"{stem}.tar.gz").resolve()
    # Write a sibling and rename: a crash never leaves a half archive under the final name.
    partial = target.with_name(f".{target.name}.partial")
    try:
        if is_archive(source):
            shutil.copyfile(source, partial)
        else:
            with tarfile.open(partial, "w:gz", dereference=True) as tar:
                if source.is_dir():
                    for child in sorted(source.iterdir()):
                        if child.name not in _SKIPPED:
                            tar.add(child, arcname=child.name, filter=_skip_clutter)
                else:
                    tar.add(source, arcname=source.name)
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return target


def _skip_clutter(info: tarfile.TarInfo) -> tarfile.TarInfo | None:
    return None if set(Path(info.name).parts) & _SKIPPED else info
