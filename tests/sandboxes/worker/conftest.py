"""Start real worker processes on an inherited listening socket, as the supervisor does."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import joblib
import pytest
import xgboost as xgb
from sklearn.datasets import load_iris

from sandboxes.worker.worker_harness import Worker


@pytest.fixture(scope="session")
def iris_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    features, target = load_iris(return_X_y=True)
    model_dir = tmp_path_factory.mktemp("iris")
    joblib.dump(
        xgb.XGBClassifier(n_estimators=10, max_depth=3).fit(features, target), model_dir / "xgboost-model"
    )
    return model_dir


@pytest.fixture
def start_worker(tmp_path: Path) -> Iterator[Any]:
    workers: list[Worker] = []

    def start(model_dir: Path, **kw: Any) -> Worker:
        worker = Worker(model_dir, tmp_path / f"worker{len(workers)}.log", **kw)
        workers.append(worker)
        return worker

    yield start
    for worker in workers:
        worker.stop()
