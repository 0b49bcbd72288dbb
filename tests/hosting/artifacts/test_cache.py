"""ArtifactCache with local model data: archives, plain files, folders, reuse, concurrency."""

from __future__ import annotations

import threading
from pathlib import Path
from unittest import mock

import pytest

from modelport.core.config import Settings
from modelport.core.errors import ArtifactError
from modelport.hosting.artifacts import cache as cache_module
from modelport.hosting.artifacts.cache import ArtifactCache
from modelport.hosting.artifacts.fetch import failure_reason, fetch_model_data

from .archives import file_member, make_tar


@pytest.fixture
def cache(tmp_path: Path, settings: Settings) -> ArtifactCache:
    return ArtifactCache(tmp_path / "cache", settings)


@pytest.fixture
def model_tgz(tmp_path: Path) -> Path:
    path = tmp_path / "src" / "model.tar.gz"
    path.parent.mkdir()
    path.write_bytes(make_tar([file_member("xgboost-model", b"booster"), file_member("code/x.py", b"1")]))
    return path


def test_archive_path_and_file_url(cache: ArtifactCache, model_tgz: Path) -> None:
    folder = cache.prepare("m1", str(model_tgz))
    assert (folder / "xgboost-model").read_bytes() == b"booster"
    assert (folder / "code/x.py").exists()
    from_url = cache.prepare("m2", model_tgz.as_uri())
    assert (from_url / "xgboost-model").read_bytes() == b"booster"
    assert from_url != folder


def test_relative_path(cache: ArtifactCache, model_tgz: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(model_tgz.parent.parent)
    assert (cache.prepare("rel", "src/model.tar.gz") / "xgboost-model").exists()


def test_plain_file_keeps_its_name(cache: ArtifactCache, tmp_path: Path) -> None:
    source = tmp_path / "xgboost-model"
    source.write_bytes(b"raw")
    folder = cache.prepare("plain", str(source))
    assert [p.name for p in folder.iterdir()] == ["xgboost-model"]
    assert (folder / "xgboost-model").read_bytes() == b"raw"


def test_folder_is_copied_not_shared(cache: ArtifactCache, tmp_path: Path) -> None:
    source = tmp_path / "model-dir"
    (source / "sub").mkdir(parents=True)
    (source / "sub" / "w.bin").write_bytes(b"v1")
    folder = cache.prepare("dir", str(source))
    (source / "sub" / "w.bin").write_bytes(b"v2 edited later")
    assert (folder / "sub" / "w.bin").read_bytes() == b"v1"


def test_no_model_data_gives_empty_folder(cache: ArtifactCache) -> None:
    folder = cache.prepare("none", None)
    assert folder.is_dir() and list(folder.iterdir()) == []


def test_missing_file_has_aws_failure_reason(cache: ArtifactCache, tmp_path: Path) -> None:
    url = str(tmp_path / "nope.tar.gz")
    with pytest.raises(ArtifactError) as caught:
        cache.prepare("missing", url)
    assert caught.value.message.startswith(failure_reason(url))
    assert not cache.entry_dir("missing").exists()


def test_unsupported_host_is_an_artifact_error(cache: ArtifactCache) -> None:
    with pytest.raises(ArtifactError, match="not an S3 host"):
        cache.prepare("bad", "https://example.com/b/model.tar.gz")


def test_reuse_and_restart(cache: ArtifactCache, model_tgz: Path, settings: Settings) -> None:
    first = cache.prepare("m", str(model_tgz))
    model_tgz.unlink()  # a second fetch would now fail
    assert cache.prepare("m", str(model_tgz)) == first
    restarted = ArtifactCache(cache.root, settings)
    assert restarted.prepare("m", str(model_tgz)) == first
    assert (first / "xgboost-model").exists()


def test_interrupted_attempt_is_redone(cache: ArtifactCache, model_tgz: Path) -> None:
    """A model folder without the completion marker (a crash between rename and marker) is redone."""
    folder = cache.prepare("m", str(model_tgz))
    (cache.entry_dir("m") / cache_module.MARKER).unlink()
    (folder / "xgboost-model").write_bytes(b"half-written")
    assert not cache.is_ready("m")
    assert (cache.prepare("m", str(model_tgz)) / "xgboost-model").read_bytes() == b"booster"


def test_remove(cache: ArtifactCache, model_tgz: Path) -> None:
    folder = cache.prepare("m", str(model_tgz))
    cache.remove("m")
    assert not folder.exists() and not cache.is_ready("m")
    cache.remove("m")  # idempotent
    assert (cache.prepare("m", str(model_tgz)) / "xgboost-model").exists()


def test_refused_archive_leaves_no_entry(cache: ArtifactCache, tmp_path: Path) -> None:
    evil = tmp_path / "evil.tar.gz"
    evil.write_bytes(make_tar([file_member("../../escape", b"x")]))
    with pytest.raises(ArtifactError, match="path escapes"):
        cache.prepare("evil", str(evil))
    assert not cache.entry_dir("evil").exists()
    assert not (tmp_path / "escape").exists()


def test_keys_are_safe_names(cache: ArtifactCache) -> None:
    entry = cache.entry_dir("../../etc/passwd 2024-01-01T00:00:00")
    assert entry.parent == cache.root
    assert cache.entry_dir("a/b") != cache.entry_dir("a_b")


def test_concurrent_prepare_does_the_work_once(cache: ArtifactCache, model_tgz: Path) -> None:
    calls = 0
    real = fetch_model_data
    lock = threading.Lock()

    def counting(*args: object, **kwargs: object) -> Path:
        nonlocal calls
        with lock:
            calls += 1
        return real(*args, **kwargs)  # type: ignore[arg-type]

    results: list[Path] = []
    with mock.patch("modelport.hosting.artifacts.cache.fetch_model_data", counting):
        threads = [
            threading.Thread(target=lambda: results.append(cache.prepare("m", str(model_tgz))))
            for _ in range(8)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert calls == 1
    assert len(set(results)) == 1 and len(results) == 8
