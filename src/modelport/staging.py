"""A folder that appears whole or not at all.

Unpacking model data or function code happens in a hidden sibling folder that is renamed into
place only when complete, so a crash or a refused archive never leaves a half-written folder
that looks finished.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


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
