"""Framework detection on real model files: names, pickle opcodes, archives, and refusals."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from modelport.cli.failures import CommandFailed, UnknownFramework
from modelport.cli.sagemaker.detect import detect_framework, modules_in_pickle, pickle_head

from .conftest import make_tar


@pytest.mark.parametrize(
    ("key", "framework"),
    [
        ("xgb_joblib", "xgboost"),
        ("xgb_joblib_zlib", "xgboost"),
        ("sklearn_joblib", "sklearn"),
        ("sklearn_pkl_noext", "sklearn"),
        ("booster_json", "xgboost"),
    ],
)
def test_detects_plain_files(models: dict[str, Path], key: str, framework: str) -> None:
    detection = detect_framework(models[key])
    assert detection.framework == framework
    assert detection.image == {"xgboost": "xgboost:1.7-1", "sklearn": "sklearn:1.2-1"}[framework]


def test_the_reason_names_the_module_found(models: dict[str, Path]) -> None:
    assert "xgboost.sklearn" in detect_framework(models["xgb_joblib"]).reason
    assert "sklearn.linear_model" in detect_framework(models["sklearn_joblib"]).reason


@pytest.mark.parametrize(
    ("key", "member", "framework"),
    [
        ("xgb_joblib", "model.joblib", "xgboost"),
        ("sklearn_joblib", "model.joblib", "sklearn"),
        ("sklearn_joblib", "./model.pkl", "sklearn"),
        ("booster_json", "xgboost-model", "xgboost"),
        ("booster_json", "model.json", "xgboost"),
    ],
)
def test_detects_inside_archives(
    models: dict[str, Path], tmp_path: Path, key: str, member: str, framework: str
) -> None:
    archive = make_tar(tmp_path / "model.tar.gz", {member: models[key].read_bytes()})
    assert detect_framework(archive).framework == framework
    assert [p.name for p in tmp_path.iterdir()] == ["model.tar.gz"]  # nothing extracted


def test_script_mode_folder_is_sklearn(models: dict[str, Path], tmp_path: Path) -> None:
    (tmp_path / "code").mkdir()
    (tmp_path / "code" / "inference.py").write_text("def model_fn(model_dir):\n    return None\n")
    (tmp_path / "model.joblib").write_bytes(models["xgb_joblib"].read_bytes())
    detection = detect_framework(tmp_path)
    assert detection.framework == "sklearn"
    assert "script mode" in detection.reason


def test_script_mode_inside_an_archive(tmp_path: Path) -> None:
    archive = make_tar(tmp_path / "m.tgz", {"./code/inference.py": b"", "./weights.bin": b"\0" * 10})
    assert detect_framework(archive).framework == "sklearn"


def test_folder_with_a_pickle(models: dict[str, Path], tmp_path: Path) -> None:
    (tmp_path / "README.txt").write_text("my model")
    (tmp_path / "model.joblib").write_bytes(models["sklearn_joblib"].read_bytes())
    assert detect_framework(tmp_path).framework == "sklearn"


def test_unknown_file_asks_for_framework(tmp_path: Path) -> None:
    path = tmp_path / "weights.onnx"
    path.write_bytes(b"\x08\x07\x12\x04onnx")
    with pytest.raises(UnknownFramework, match="--framework xgboost or --framework sklearn"):
        detect_framework(path)


def test_pickle_of_something_else_is_unknown(tmp_path: Path) -> None:
    path = tmp_path / "model.pkl"
    path.write_bytes(pickle.dumps({"weights": [1.0, 2.0]}))
    with pytest.raises(UnknownFramework):
        detect_framework(path)


def test_broken_archive_is_one_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "model.tar.gz"
    path.write_bytes(b"not a tar at all")
    with pytest.raises(CommandFailed, match=r"not a readable tar\.gz"):
        detect_framework(path)


def test_missing_path(tmp_path: Path) -> None:
    with pytest.raises(CommandFailed, match="does not exist"):
        detect_framework(tmp_path / "nope.joblib")


class Exploding:
    """Unpickling this would run ``os.system``; detection must only read its opcodes."""

    def __reduce__(self) -> tuple[object, tuple[str]]:
        import os

        return (os.system, ("touch /tmp/modelport-detect-was-executed",))


@pytest.mark.parametrize("protocol", [0, 2, 4, 5])
def test_opcodes_are_read_not_executed(tmp_path: Path, protocol: int) -> None:
    marker = Path("/tmp/modelport-detect-was-executed")
    marker.unlink(missing_ok=True)
    data = pickle.dumps(Exploding(), protocol=protocol)
    modules = modules_in_pickle(data)
    assert modules and modules[0] in ("posix", "os", "nt")
    path = tmp_path / "evil.pkl"
    path.write_bytes(data)
    with pytest.raises(UnknownFramework):
        detect_framework(path)
    assert not marker.exists()


def test_stack_global_through_the_memo() -> None:
    # The second reference to a module is a memo get, not a new string.
    from sklearn.linear_model import LogisticRegression

    data = pickle.dumps([LogisticRegression(), LogisticRegression()], protocol=4)
    assert modules_in_pickle(data)[0].startswith("sklearn.")


def test_pickle_head_recognises_compression(models: dict[str, Path]) -> None:
    compressed = models["xgb_joblib_zlib"].read_bytes()
    assert not compressed.startswith(b"\x80")
    head = pickle_head(compressed)
    assert head is not None and head.startswith(b"\x80")
    assert pickle_head(b"plain text") is None
