"""Packaging what ``deploy`` is pointed at into the archive the server reads."""

from __future__ import annotations

from pathlib import Path

from modelport.cli.sagemaker.packaging import package

from .conftest import make_tar, tar_names


def test_a_file_keeps_its_name(models: dict[str, Path], tmp_path: Path) -> None:
    archive = package(models["xgb_joblib"], tmp_path / "packages", "iris-20240101-000000")
    assert archive == (tmp_path / "packages" / "iris-20240101-000000.tar.gz").resolve()
    assert archive.is_absolute()
    assert tar_names(archive) == ["iris-xgb.joblib"]


def test_a_folder_becomes_its_contents(tmp_path: Path) -> None:
    source = tmp_path / "model"
    (source / "code" / "__pycache__").mkdir(parents=True)
    (source / "code" / "inference.py").write_text("")
    (source / "code" / "__pycache__" / "inference.cpython-311.pyc").write_bytes(b"")
    (source / "model.joblib").write_bytes(b"\x80\x04.")
    archive = package(source, tmp_path / "packages", "m")
    assert tar_names(archive) == ["code", "code/inference.py", "model.joblib"]


def test_an_archive_is_copied_unchanged(tmp_path: Path) -> None:
    source = make_tar(tmp_path / "model.tar.gz", {"xgboost-model": b"{}"})
    archive = package(source, tmp_path / "packages", "m")
    assert archive.read_bytes() == source.read_bytes()
    assert archive != source


def test_no_partial_file_is_left(tmp_path: Path) -> None:
    source = tmp_path / "model.bst"
    source.write_bytes(b"x")
    package(source, tmp_path / "packages", "m")
    assert sorted(p.name for p in (tmp_path / "packages").iterdir()) == ["m.tar.gz"]


def gzip_level_flag(archive: Path) -> int:
    """The gzip header's XFL byte: 2 for the slowest level, 4 for the fastest, 0 otherwise."""
    return archive.read_bytes()[8]


def test_compressible_models_are_packed_at_the_fastest_level(tmp_path: Path) -> None:
    source = tmp_path / "booster.json"
    source.write_text('{"learner": {"trees": [' + ", ".join(['{"split": 1.5}'] * 50_000) + "]}}")
    archive = package(source, tmp_path / "packages", "fast")
    assert gzip_level_flag(archive) == 4  # fastest; was 2 (compresslevel 9)
    assert tar_names(archive) == ["booster.json"]


def test_weights_that_barely_compress_are_stored(tmp_path: Path) -> None:
    import numpy as np

    source = tmp_path / "weights.bin"
    np.random.default_rng(0).standard_normal(1_000_000).astype(np.float32).tofile(source)
    archive = package(source, tmp_path / "packages", "stored")
    assert archive.stat().st_size > source.stat().st_size  # stored blocks, not compressed
    assert tar_names(archive) == ["weights.bin"]


def test_progress_reports_every_byte_read(tmp_path: Path) -> None:
    source = tmp_path / "model"
    source.mkdir()
    (source / "a.bin").write_bytes(b"a" * 300_000)
    (source / "b.bin").write_bytes(b"b" * 200_000)
    seen: list[tuple[int, int]] = []
    package(source, tmp_path / "packages", "counted", lambda done, total: seen.append((done, total)))
    assert seen[0] == (0, 500_000)
    assert seen[-1] == (500_000, 500_000)
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)


def test_progress_of_a_copied_archive(tmp_path: Path) -> None:
    source = make_tar(tmp_path / "model.tar.gz", {"xgboost-model": b"{}" * 1000})
    seen: list[tuple[int, int]] = []
    package(source, tmp_path / "packages", "copied", lambda done, total: seen.append((done, total)))
    size = source.stat().st_size
    assert seen[0] == (0, size) and seen[-1] == (size, size)


def test_deploys_of_one_name_in_one_second_get_their_own_stamps(tmp_path: Path) -> None:
    """A deploy can take less than a second: the next one must not reuse (and so overwrite, then
    delete) the package the first one's model reads."""
    from datetime import datetime

    from modelport.cli.sagemaker.deploy import reserve_stamp

    packages = tmp_path / "packages"
    now = datetime(2026, 12, 8, 0, 35, 30, 123456)
    stamps = [reserve_stamp(packages, "again", now)[0] for _ in range(3)]
    assert stamps == ["20261208-003530", "20261208-003531", "20261208-003532"]
    assert sorted(p.name for p in packages.iterdir()) == [f"again-{stamp}.tar.gz" for stamp in stamps]
    assert reserve_stamp(packages, "other", now)[0] == "20261208-003530"  # names do not share stamps
    source = tmp_path / "model.bst"
    source.write_bytes(b"x")
    archive = package(source, packages, f"again-{stamps[0]}")  # the package takes its reserved name
    assert tar_names(archive) == ["model.bst"]
