"""The artifact cache: one unpacked model folder (what a container sees as /opt/ml/model) per model.

Layout under ``root``::

    <entry>/model/           the unpacked model, renamed into place only when complete
    <entry>/code/            the model's script-mode code when it lives on S3 (``code.py``)
    <entry>/complete.json    written after the rename: the entry may be reused, even after a restart
    <entry>/.download-*/     scratch space for S3 downloads, removed when done
    .locks/<entry>.lock      flock(2) file serialising work on one entry across threads and processes

``<entry>`` is a readable slug of the model key plus a hash of it, so any key is safe as a name.
Lock files are never deleted: unlinking a lock another waiter holds open would let two workers
in at once. The code is blocking; callers run it in a thread.

Nothing here knows which models are still in use: the caller passes the live keys to
``collect``, which deletes every other entry it can lock at once. An entry is deleted marker
first, so one whose deletion was interrupted never looks whole, and goes in the next round.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol

from modelport.core.config import Settings
from modelport.core.errors import ArtifactError
from modelport.hosting.artifacts.code import CODE_DIR, SUBMIT_DIRECTORY
from modelport.hosting.artifacts.extract import extract_archive, is_archive_name
from modelport.hosting.artifacts.fetch import (
    DEFAULT_CONTAINER,
    download_errors,
    failure_reason,
    fetch_model_data,
)

log = logging.getLogger(__name__)

MARKER = "complete.json"
MODEL_DIR = "model"
LOCKS = ".locks"


class ArtifactPreparer(Protocol):
    """What the controller and the transform runner need of the cache (tests give fakes)."""

    def prepare(self, model_key: str, model_data_url: str | None, code_url: str | None = None) -> Path: ...

    def collect(self, live_keys: Collection[str]) -> list[Path]: ...


class ArtifactCache:
    """Downloads and unpacks each model once, and hands out its folder on every later call."""

    def __init__(
        self, root: Path, settings: Settings, *, s3_ready: Callable[[], str | None] | None = None
    ) -> None:
        self.root = root
        self.settings = settings
        # Waits for the embedded S3 before an s3:// read; returns why it is unusable, or None.
        self.s3_ready = s3_ready

    def entry_dir(self, model_key: str) -> Path:
        slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", model_key).strip(".-")[:80] or "model"
        digest = hashlib.sha256(model_key.encode()).hexdigest()[:16]
        return self.root / f"{slug}-{digest}"

    def model_dir(self, model_key: str) -> Path:
        """Where the model for ``model_key`` is (or will be) unpacked."""
        return self.entry_dir(model_key) / MODEL_DIR

    def is_ready(self, model_key: str) -> bool:
        entry = self.entry_dir(model_key)
        return (entry / MARKER).is_file() and (entry / MODEL_DIR).is_dir()

    def prepare(
        self,
        model_key: str,
        model_data_url: str | None,
        code_url: str | None = None,
        *,
        container: str = DEFAULT_CONTAINER,
    ) -> Path:
        """Return the folder holding the unpacked model, fetching and unpacking it the first time.

        Concurrent callers with the same key wait for the one doing the work, then share its
        result. ``model_data_url=None`` gives an empty folder. ``code_url`` (an S3
        ``SAGEMAKER_SUBMIT_DIRECTORY``) is unpacked into the ``code`` folder beside the model's.
        Raises ``ArtifactError``.
        """
        entry = self.entry_dir(model_key)
        with self._locked(entry):
            if self.is_ready(model_key):
                return entry / MODEL_DIR
            # Whatever is here is the remains of an interrupted attempt.
            shutil.rmtree(entry, ignore_errors=True)
            entry.mkdir(parents=True)
            try:
                self._build(entry, model_data_url, container)
                if code_url is not None:
                    self._build_code(entry, code_url, container)
            except BaseException:
                shutil.rmtree(entry, ignore_errors=True)
                raise
            _write_marker(
                entry / MARKER,
                {"model_key": model_key, "model_data_url": model_data_url, "code_url": code_url},
            )
            return entry / MODEL_DIR

    def remove(self, model_key: str) -> None:
        """Delete the model's folder; a later ``prepare`` fetches it again."""
        entry = self.entry_dir(model_key)
        with self._locked(entry):
            _delete_entry(entry)

    def collect(self, live_keys: Collection[str]) -> list[Path]:
        """Delete every entry that no key in ``live_keys`` names; return the entries deleted.

        An entry whose lock is held (being prepared or removed right now) is left for the next
        call. One that cannot be deleted is logged and skipped; the others are still deleted.
        """
        if not self.root.is_dir():
            return []
        keep = {self.entry_dir(key).name for key in live_keys}
        deleted: list[Path] = []
        for entry in sorted(self.root.iterdir()):
            # Entry names never start with a dot: hidden names (.locks) are the cache's own.
            if entry.name in keep or entry.name.startswith(".") or not _is_folder(entry):
                continue
            with self._locked(entry, wait=False) as locked:
                if not locked or not _is_folder(entry):
                    continue
                try:
                    _delete_entry(entry)
                except OSError:
                    log.exception("cannot delete the cached model folder %s", entry)
                    continue
            deleted.append(entry)
        return deleted

    def _build_code(self, entry: Path, url: str, container: str) -> None:
        try:
            self._unpack(entry, url, entry / CODE_DIR, container)
        except ArtifactError as exc:
            raise ArtifactError(
                f"The inference code that {SUBMIT_DIRECTORY} names could not be used: {exc.message}"
            ) from exc

    def _build(self, entry: Path, url: str | None, container: str) -> None:
        target = entry / MODEL_DIR
        if url is None:
            target.mkdir()
            return
        self._unpack(entry, url, target, container)

    def _unpack(self, entry: Path, url: str, target: Path, container: str) -> None:
        """Fetch ``url`` and make ``target`` the folder it unpacks (or copies) to."""
        if self.s3_ready is not None and url.startswith("s3://"):
            problem = self.s3_ready()
            if problem is not None:
                raise ArtifactError(f"{failure_reason(url, container)} ({problem})")
        with tempfile.TemporaryDirectory(prefix=".download-", dir=entry) as work:
            source = fetch_model_data(url, Path(work), self.settings, container=container)
            if source.is_file() and is_archive_name(source.name):
                extract_archive(source, target, self.settings.limits)
                return
            with download_errors(url, container):
                staging = Path(tempfile.mkdtemp(prefix=".model.partial-", dir=entry))
                if source.is_dir():
                    self._check_folder(url, source)
                    shutil.copytree(source, staging, dirs_exist_ok=True)
                else:
                    # A plain model file becomes a folder holding it, under its own name.
                    shutil.copyfile(source, staging / source.name)
                os.chmod(staging, 0o755)
                os.rename(staging, target)

    def _check_folder(self, url: str, folder: Path) -> None:
        limits = self.settings.limits
        total = files = 0
        for dirpath, _dirnames, filenames in os.walk(folder):
            files += len(filenames)
            total += sum(os.stat(os.path.join(dirpath, name)).st_size for name in filenames)
            if total > limits.max_archive_bytes or files > limits.max_archive_members:
                raise ArtifactError(
                    f'Model folder "{url}" is over the limit of {limits.max_archive_bytes} bytes '
                    f"or {limits.max_archive_members} files."
                )

    @contextmanager
    def _locked(self, entry: Path, *, wait: bool = True) -> Iterator[bool]:
        """Hold the entry's lock; with ``wait=False``, yield False at once if someone else holds it."""
        locks = self.root / LOCKS
        locks.mkdir(parents=True, exist_ok=True)
        fd = os.open(locks / f"{entry.name}.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
                locked = True
            except BlockingIOError:
                locked = False
            yield locked
        finally:
            os.close(fd)  # closing releases the lock


def _write_marker(path: Path, content: dict[str, str | None]) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(json.dumps(content))
    os.replace(temporary, path)


def _is_folder(path: Path) -> bool:
    return path.is_dir() and not path.is_symlink()


def _delete_entry(entry: Path) -> None:
    """Delete an entry, marker first: a crash mid-delete must never leave one that looks whole."""
    (entry / MARKER).unlink(missing_ok=True)
    if not _is_folder(entry):
        return
    # A model folder copied as it was may hold read-only folders, whose files cannot be unlinked.
    os.chmod(entry, 0o700)
    for folder, subfolders, _files in os.walk(entry):
        for name in subfolders:
            path = os.path.join(folder, name)
            if not os.path.islink(path):
                os.chmod(path, 0o700)
    shutil.rmtree(entry)
