"""The reusable proxy matrix predicts exactly what ``inplace_predict`` predicts."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from modelport.sandboxes.runtimes.xgboost_inplace import ProxyPredictor
from modelport.sandboxes.runtimes.xgboost_runtime import XGBoostRuntime

OBJECTIVES = ["binary:logistic", "multi:softprob", "multi:softmax", "reg:squarederror"]


@pytest.mark.parametrize("objective", OBJECTIVES)
def test_same_bytes_as_inplace_predict(objective: str, boosters: dict[str, Any]) -> None:
    booster = boosters[objective]
    predictor = ProxyPredictor.create(booster, (0, 0), 4)
    assert predictor is not None
    rng = np.random.default_rng(7)
    # Row counts that differ call to call: the proxy must hold only the batch it was just given.
    for rows in (1, 64, 2, 1, 17, 3):
        for dtype in (np.float64, np.float32):
            data = (rng.normal(scale=3.0, size=(rows, 4)) + 4.0).astype(dtype)
            data[rng.random(size=data.shape) < 0.1] = np.nan
            expected = booster.inplace_predict(data, validate_features=False)
            found = predictor.predict(data)
            assert found.dtype == expected.dtype and found.shape == expected.shape
            assert found.tobytes() == expected.tobytes()


def test_strided_arrays_and_writable_answers(boosters: dict[str, Any]) -> None:
    booster = boosters["multi:softprob"]
    predictor = ProxyPredictor.create(booster, (0, 0), 4)
    assert predictor is not None
    wide = np.arange(48, dtype=np.float64).reshape(6, 8) / 8.0
    for data in (np.asfortranarray(wide[:, :4]), wide[:, ::2], wide[::2, :4]):
        assert not data.flags.c_contiguous  # written by json.dumps, not the short path
        expected = booster.inplace_predict(data, validate_features=False)
        found = predictor.predict(data)
        assert found.shape == expected.shape and found.tobytes() == expected.tobytes()
    answer = predictor.predict(np.ascontiguousarray(wide[:, :4]))
    answer[0, 0] = 0.5  # the caller owns its answer, as it owns inplace_predict's
    assert predictor.predict(np.ascontiguousarray(wide[:, :4]))[0, 0] != 0.5


def test_iteration_range_is_honoured(boosters: dict[str, Any]) -> None:
    booster = boosters["reg:squarederror"]
    predictor = ProxyPredictor.create(booster, (0, 2), 4)
    assert predictor is not None
    data = np.array([[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]])
    expected = booster.inplace_predict(data, iteration_range=(0, 2), validate_features=False)
    assert predictor.predict(data).tobytes() == expected.tobytes()


def test_other_inputs_are_left_to_inplace_predict(boosters: dict[str, Any]) -> None:
    predictor = ProxyPredictor.create(boosters["binary:logistic"], (0, 0), 4)
    assert predictor is not None
    assert predictor.predict(np.zeros((0, 4))) is None
    assert predictor.predict(np.zeros(4)) is None
    assert predictor.predict(np.zeros((1, 4), dtype=np.int64)) is None


def test_runtime_answers_unchanged(boosters: dict[str, Any], native_model_dir: Any) -> None:
    booster = boosters["multi:softprob"]
    runtime = XGBoostRuntime("1.7-1", {})
    runtime.load(native_model_dir(booster))
    assert all(p is not None for p in runtime.predictors)
    body = b"5.1,3.5,1.4,0.2\n6.7,3.0,5.2,2.3"
    with_proxy = runtime.invoke(body, "text/csv", None, None)
    runtime.predictors = [None]
    without = runtime.invoke(body, "text/csv", None, None)
    assert with_proxy == without and with_proxy.status == 200


def test_a_failing_check_keeps_inplace_predict(boosters: dict[str, Any]) -> None:
    class Wrong:
        handle = boosters["binary:logistic"].handle

        def inplace_predict(self, data: Any, **_: Any) -> Any:
            return np.zeros((len(data),), dtype=np.float32)  # not what the C function answers

    assert ProxyPredictor.create(Wrong(), (0, 0), 4) is None
