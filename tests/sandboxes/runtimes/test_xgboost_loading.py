from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pytest
import xgboost as xgb

from modelport.sandboxes.runtimes.base import ModelLoadError
from modelport.sandboxes.runtimes.xgboost_runtime import XGBoostRuntime
from sandboxes.runtimes.sample_rows import CSV_BODY, ROWS


def _load(model_dir: Path, version: str = "1.7-1", **environ: str) -> XGBoostRuntime:
    runtime = XGBoostRuntime(version, environ)
    runtime.load(model_dir)
    return runtime


def test_joblib_xgbclassifier_like_the_seed_tutorial(iris: Any, tmp_path: Path) -> None:
    features, target = iris
    classifier = xgb.XGBClassifier(n_estimators=5, max_depth=2).fit(features, target)
    joblib.dump(classifier, tmp_path / "xgboost-model")
    runtime = _load(tmp_path)
    assert (runtime.objective, runtime.num_class, runtime.pickled) == ("multi:softprob", "3", True)
    expected = classifier.predict_proba(ROWS).tolist()
    body = runtime.invoke(CSV_BODY, "text/csv", None, None).body
    assert body == "".join(",".join(map(str, row)) + "\n" for row in expected).encode()
    wrong = runtime.invoke(b"1,2", "text/csv", None, None)
    assert wrong.body == (
        b"Unable to evaluate payload provided: Feature size of csv inference data 2 "
        b"is not consistent with feature size of trained model 4."
    )
    old = _load(tmp_path, "0.90-1").invoke(b"1,2", "text/csv", None, None)
    assert old.body.endswith(b"feature size of trained model 4")


@pytest.mark.parametrize("name", ["xgboost-model", "model.json", "model.ubj", "model.model"])
def test_native_formats(name: str, boosters: dict[str, Any], tmp_path: Path) -> None:
    booster = boosters["binary:logistic"]
    if "." not in name or name.endswith(".model"):
        (tmp_path / name).write_bytes(booster.save_raw("ubj"))
    else:
        booster.save_model(str(tmp_path / name))
    runtime = _load(tmp_path)
    assert not runtime.pickled
    assert (
        runtime.invoke(CSV_BODY, "text/csv", None, None).body
        == "".join(f"{v}\n" for v in booster.predict(xgb.DMatrix(ROWS)).tolist()).encode()
    )


def test_pickled_booster(boosters: dict[str, Any], tmp_path: Path) -> None:
    (tmp_path / "xgboost-model").write_bytes(pickle.dumps(boosters["multi:softmax"]))
    runtime = _load(tmp_path, "1.2-1")
    assert runtime.pickled
    assert runtime.invoke(CSV_BODY, "text/csv", None, None).status == 200


def test_ensemble_averages_and_votes(iris: Any, tmp_path: Path) -> None:
    features, target = iris
    first = xgb.train(
        {"objective": "binary:logistic", "max_depth": 1}, xgb.DMatrix(features, label=target == 0), 2
    )
    second = xgb.train(
        {"objective": "binary:logistic", "max_depth": 2}, xgb.DMatrix(features, label=target == 0), 3
    )
    (tmp_path / "xgboost-model-0").write_bytes(first.save_raw("ubj"))
    (tmp_path / "xgboost-model-1").write_bytes(second.save_raw("json"))
    (tmp_path / ".hidden").write_text("not a model")
    mean = np.mean([b.predict(xgb.DMatrix(ROWS)) for b in (first, second)], axis=0)
    runtime = _load(tmp_path)
    assert len(runtime.boosters) == 2
    assert (
        runtime.invoke(CSV_BODY, "text/csv", None, None).body
        == "".join(f"{v}\n" for v in mean.tolist()).encode()
    )
    assert len(_load(tmp_path, SAGEMAKER_INFERENCE_ENSEMBLE="false").boosters) == 1


def test_corrupt_file(tmp_path: Path) -> None:
    (tmp_path / "xgboost-model").write_bytes(b"\x00\x01garbage")
    with pytest.raises(ModelLoadError) as caught:
        _load(tmp_path)
    message = str(caught.value)
    assert message.startswith(f"Model {tmp_path / 'xgboost-model'} cannot be loaded: Pickle load error=")
    assert "XGB load model error=" in message and "Stack trace" not in message


def test_foreign_pickle_names_the_missing_module(tmp_path: Path) -> None:
    # GLOBAL opcode for a class in a module that does not exist anywhere.
    (tmp_path / "model.pkl").write_bytes(b"cnosuchpkg.models\nThing\n)\x81.")
    with pytest.raises(ModelLoadError) as caught:
        _load(tmp_path)
    assert "pickle needs module 'nosuchpkg'" in str(caught.value)


def test_pickle_of_something_else(tmp_path: Path) -> None:
    (tmp_path / "model.pkl").write_bytes(pickle.dumps({"a": 1}))
    with pytest.raises(ModelLoadError, match=r"pickle holds a builtins\.dict, not an XGBoost model"):
        _load(tmp_path)


def test_xgboost_version_recovered_from_pickled_booster(boosters: dict[str, Any], tmp_path: Path) -> None:
    from modelport.sandboxes.runtimes.pickles import read_facts

    path = tmp_path / "b.pkl"
    path.write_bytes(pickle.dumps(boosters["binary:logistic"]))
    assert read_facts(path).versions["xgboost"] == xgb.__version__.split("rc")[0].split(".dev")[0]
