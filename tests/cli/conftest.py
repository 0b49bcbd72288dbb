"""Fixtures for the CLI tests: real model files, written once per session (detection reads real
bytes), and, for the end-to-end modules, a working folder and a real server per module.

The CLI modules do not use the shared server: they list and ``cleanup --all`` everything a
server has, so each needs one that holds only what the module made."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest

from cli.harness import ACCESS_KEY, SECRET_KEY
from support.fixtures import ServerPool
from support.modelport_server import ModelportServer


@pytest.fixture(scope="session")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Named model files: joblib XGBClassifier (plain and zlib), joblib LogisticRegression, Booster JSON."""
    import joblib
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    from modelport import seed

    folder = tmp_path_factory.mktemp("models")
    xgb = seed.train_iris_model()
    features, labels = load_iris(return_X_y=True)
    logistic = LogisticRegression(max_iter=500).fit(features, labels)
    paths = {
        "xgb_joblib": folder / "iris-xgb.joblib",
        "xgb_joblib_zlib": folder / "iris-xgb-compressed.joblib",
        "sklearn_joblib": folder / "iris-logistic.joblib",
        "sklearn_pkl_noext": folder / "logistic-model",
        "booster_json": folder / "iris-booster.json",
    }
    joblib.dump(xgb, paths["xgb_joblib"])
    joblib.dump(xgb, paths["xgb_joblib_zlib"], compress=3)
    joblib.dump(logistic, paths["sklearn_joblib"])
    joblib.dump(logistic, paths["sklearn_pkl_noext"])
    xgb.get_booster().save_model(str(paths["booster_json"]))
    return paths


@pytest.fixture(scope="module")
def workdir(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One folder per test module: CLI data, AWS config files, inputs and the server's data."""
    return tmp_path_factory.mktemp(request.module.__name__.rsplit(".", 1)[-1].removeprefix("test_"))


@pytest.fixture(scope="module")
def server(module_servers: ServerPool, workdir: Path) -> ModelportServer:
    """A real server for the module, signed for with the keys every ``harness.run`` uses."""
    return module_servers.start(keys=(ACCESS_KEY, SECRET_KEY), data_dir=workdir / "data")


def make_tar(path: Path, members: dict[str, bytes]) -> Path:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    path.write_bytes(buffer.getvalue())
    return path


def tar_names(path: Path) -> list[str]:
    with tarfile.open(path, "r:gz") as tar:
        return sorted(tar.getnames())
