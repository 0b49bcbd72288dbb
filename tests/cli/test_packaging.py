"""Packaging what ``deploy`` is pointed at into the archive the server reads."""

from __future__ import annotations

from pathlib import Path

from modelport.cli.packaging import package

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
