"""Tiny real models trained in-process: iris for classification, a linear toy for regression."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import xgboost as xgb
from sklearn.datasets import load_iris


@pytest.fixture(scope="session")
def iris() -> tuple[Any, Any]:
    features, target = load_iris(return_X_y=True)
    return features, target


def _train(features: Any, target: Any, **params: Any) -> xgb.Booster:
    params = {"max_depth": 2, "nthread": 1, **params}
    return xgb.train(params, xgb.DMatrix(features, label=target), num_boost_round=4)


@pytest.fixture(scope="session")
def boosters(iris: tuple[Any, Any]) -> dict[str, xgb.Booster]:
    features, target = iris
    return {
        "binary:logistic": _train(features, (target == 0).astype(float), objective="binary:logistic"),
        "multi:softprob": _train(features, target, objective="multi:softprob", num_class=3),
        "multi:softmax": _train(features, target, objective="multi:softmax", num_class=3),
        "reg:squarederror": _train(features, features[:, 0], objective="reg:squarederror"),
    }


@pytest.fixture
def native_model_dir(tmp_path: Path) -> Any:
    def write(booster: xgb.Booster, name: str = "xgboost-model.json") -> Path:
        booster.save_model(str(tmp_path / name))
        return tmp_path

    return write
