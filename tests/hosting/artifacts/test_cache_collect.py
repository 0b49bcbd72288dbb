"""ArtifactCache.collect: dead entries go, live, locked and the cache's own files stay."""

from __future__ import annotations

import fcntl
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from unittest import mock

import pytest

from modelport.core.config import Settings
from modelport.hosting.artifacts import cache as cache_module
from modelport.hosting.artifacts.cache import ArtifactCache

from .archives import file_member, make_tar


@pytest.fixture
def cache(tmp_path: Path, settings: Settings) -> ArtifactCache:
    return ArtifactCache(tmp_path / "cache", settings)


@pytest.fixture
def model_tgz(tmp_path: Path) -> Path:
    path = tmp_path / "model.tar.gz"
    path.write_bytes(make_tar([file_member("xgboost-model", b"booster"), file_member("code/x.py", b"1")]))
    return path


def entries(cache: ArtifactCache) -> set[str]:
    return {p.name for p in cache.root.iterdir() if not p.name.startswith(".")}


@contextmanager
def held_lock(cache: ArtifactCache, model_key: str) -> Iterator[None]:
    """Hold an entry's lock as another process preparing it would (a separate open file)."""
    path = cache.root / cache_module.LOCKS / f"{cache.entry_dir(model_key).name}.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def test_dead_entries_go_and_live_ones_stay(cache: ArtifactCache, model_tgz: Path) -> None:
    for key in ("live-1", "dead-1", "dead-2"):
        cache.prepare(key, str(model_tgz))
    deleted = cache.collect({"live-1", "never-prepared"})
    assert sorted(deleted) == sorted([cache.entry_dir("dead-1"), cache.entry_dir("dead-2")])
    assert entries(cache) == {cache.entry_dir("live-1").name}
    assert cache.is_ready("live-1")
    assert (cache.model_dir("live-1") / "xgboost-model").read_bytes() == b"booster"
    assert cache.collect({"live-1"}) == []


def test_lock_files_are_kept(cache: ArtifactCache, model_tgz: Path) -> None:
    cache.prepare("dead", str(model_tgz))
    lock = cache.root / cache_module.LOCKS / f"{cache.entry_dir('dead').name}.lock"
    assert lock.is_file()
    assert cache.collect(set()) == [cache.entry_dir("dead")]
    assert lock.is_file()
    assert entries(cache) == set()


def test_a_locked_entry_is_left_for_the_next_round(cache: ArtifactCache, model_tgz: Path) -> None:
    cache.prepare("busy", str(model_tgz))
    cache.prepare("idle", str(model_tgz))
    with held_lock(cache, "busy"):
        assert cache.collect(set()) == [cache.entry_dir("idle")]
        assert cache.is_ready("busy")
    assert cache.collect(set()) == [cache.entry_dir("busy")]
    assert entries(cache) == set()


def test_a_half_deleted_entry_is_deleted(cache: ArtifactCache, model_tgz: Path) -> None:
    """What a crash mid-delete leaves: no marker, part of the model. Never reused, deleted next round."""
    cache.prepare("m", str(model_tgz))
    (cache.entry_dir("m") / cache_module.MARKER).unlink()
    (cache.model_dir("m") / "xgboost-model").unlink()
    assert not cache.is_ready("m")
    assert cache.collect(set()) == [cache.entry_dir("m")]
    assert not cache.entry_dir("m").exists()


def test_the_marker_goes_first(cache: ArtifactCache, model_tgz: Path) -> None:
    """A deletion that fails half-way leaves an entry that prepare rebuilds and collect retries."""
    cache.prepare("m", str(model_tgz))
    with mock.patch.object(shutil, "rmtree", side_effect=PermissionError("simulated")):
        assert cache.collect(set()) == []  # logged, not raised
    assert cache.entry_dir("m").exists()
    assert not cache.is_ready("m")
    assert cache.collect(set()) == [cache.entry_dir("m")]


def test_a_failure_does_not_stop_the_round(cache: ArtifactCache, model_tgz: Path) -> None:
    for key in ("a", "b"):
        cache.prepare(key, str(model_tgz))
    real_rmtree = shutil.rmtree
    failing = cache.entry_dir("a")

    def rmtree(path: Path) -> None:
        if Path(path) == failing:
            raise OSError("simulated")
        real_rmtree(path)

    with mock.patch.object(shutil, "rmtree", side_effect=rmtree):
        assert cache.collect(set()) == [cache.entry_dir("b")]
    assert entries(cache) == {failing.name}


def test_read_only_folders_are_deleted(cache: ArtifactCache, tmp_path: Path) -> None:
    """A model folder copied as it was may hold folders without write (or any) permission."""
    source = tmp_path / "model-dir"
    (source / "ro" / "deeper").mkdir(parents=True)
    (source / "ro" / "deeper" / "w.bin").write_bytes(b"w")
    (source / "none").mkdir()
    (source / "none" / "x").write_bytes(b"x")
    cache.prepare("folder", str(source))
    os.chmod(cache.model_dir("folder") / "ro" / "deeper", 0o555)
    os.chmod(cache.model_dir("folder") / "ro", 0o555)
    os.chmod(cache.model_dir("folder") / "none", 0o000)
    assert cache.collect(set()) == [cache.entry_dir("folder")]
    assert entries(cache) == set()


def test_a_prepare_after_collect_fetches_again(cache: ArtifactCache, model_tgz: Path) -> None:
    cache.prepare("m", str(model_tgz))
    cache.collect(set())
    assert (cache.prepare("m", str(model_tgz)) / "xgboost-model").read_bytes() == b"booster"


def test_no_cache_folder_yet(cache: ArtifactCache) -> None:
    assert cache.collect(set()) == []
    assert not cache.root.exists()


def test_stray_files_and_links_are_left_alone(cache: ArtifactCache, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep").write_bytes(b"k")
    cache.root.mkdir(parents=True)
    (cache.root / "a-link").symlink_to(outside)
    (cache.root / "a-file").write_bytes(b"f")
    assert cache.collect(set()) == []
    assert (outside / "keep").exists() and (cache.root / "a-file").exists()
