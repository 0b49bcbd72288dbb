"""Exact response bytes per container version family and objective (spec §9.4).

Expected bytes are built independently from ``booster.predict`` values and the spec's rules.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import xgboost as xgb

from modelport.sandboxes.runtimes.base import InvocationResult
from modelport.sandboxes.runtimes.xgboost_runtime import XGBoostRuntime
from sandboxes.runtimes.sample_rows import CSV_BODY, ROWS

OLD_VERSIONS = ["0.90-1", "0.90-2", "1.0-1", "1.2-1"]
NEW_VERSIONS = ["1.2-2", "1.3-1", "1.5-1", "1.7-1", "3.0-5"]
OBJECTIVES = ["binary:logistic", "multi:softprob", "multi:softmax", "reg:squarederror"]
CSV_TYPE = "text/csv; charset=utf-8"


def _runtime(model_dir: Path, version: str, **environ: str) -> XGBoostRuntime:
    runtime = XGBoostRuntime(version, environ)
    runtime.load(model_dir)
    return runtime


def _expected_values(booster: xgb.Booster) -> list[Any]:
    return booster.predict(xgb.DMatrix(ROWS)).tolist()  # type: ignore[no-any-return]


def _invoke(runtime: XGBoostRuntime, accept: str | None = None) -> InvocationResult:
    return runtime.invoke(CSV_BODY, "text/csv", accept, None)


@pytest.mark.parametrize("version", OLD_VERSIONS)
@pytest.mark.parametrize("objective", OBJECTIVES)
def test_old_style_bytes(
    version: str, objective: str, boosters: dict[str, Any], native_model_dir: Any
) -> None:
    booster = boosters[objective]
    result = _invoke(_runtime(native_model_dir(booster), version), accept="application/json")
    values = _expected_values(booster)
    assert result == InvocationResult(200, ",".join(str(v) for v in values).encode(), CSV_TYPE)
    if objective == "multi:softprob":
        assert result.body.startswith(b"[") and b"], [" not in result.body and b"],[" in result.body


@pytest.mark.parametrize("version", NEW_VERSIONS)
@pytest.mark.parametrize("objective", OBJECTIVES)
def test_new_style_csv_bytes(
    version: str, objective: str, boosters: dict[str, Any], native_model_dir: Any
) -> None:
    booster = boosters[objective]
    runtime = _runtime(native_model_dir(booster), version)
    values = _expected_values(booster)
    if objective == "multi:softprob":
        expected = "".join(",".join(str(p) for p in row) + "\n" for row in values)
    else:
        expected = "".join(f"{v}\n" for v in values)
    for accept in (None, "*/*", "text/csv", "TEXT/CSV; q=1"):
        assert _invoke(runtime, accept) == InvocationResult(200, expected.encode(), CSV_TYPE)


@pytest.mark.parametrize("objective", OBJECTIVES)
def test_new_style_json_bytes(objective: str, boosters: dict[str, Any], native_model_dir: Any) -> None:
    booster = boosters[objective]
    result = _invoke(_runtime(native_model_dir(booster), "1.7-1"), "application/json")
    scores = ", ".join(f'{{"score": {json.dumps(v)}}}' for v in _expected_values(booster))
    assert result == InvocationResult(200, f'{{"predictions": [{scores}]}}'.encode(), "application/json")


def test_new_style_accept_errors(boosters: dict[str, Any], native_model_dir: Any) -> None:
    runtime = _runtime(native_model_dir(boosters["binary:logistic"]), "1.7-1")
    refused = _invoke(runtime, "application/xml")
    assert refused.status == 406
    assert refused.body == (
        b"Accept type application/xml is not supported. Please use supported accept types: "
        b"['application/json', 'application/jsonlines', 'application/x-recordio-protobuf', 'text/csv']."
    )
    assert _invoke(runtime, "text/csv, application/json").status == 406
    assert _invoke(runtime, "application/jsonlines").status == 500


def test_default_accept_from_environment(boosters: dict[str, Any], native_model_dir: Any) -> None:
    model_dir = native_model_dir(boosters["binary:logistic"])
    runtime = _runtime(model_dir, "1.7-1", SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT="application/json")
    assert _invoke(runtime).content_type == "application/json"


@pytest.mark.parametrize("version", ["0.90-1", "1.2-1", "1.7-1"])
def test_batch_output(version: str, boosters: dict[str, Any], native_model_dir: Any) -> None:
    booster = boosters["multi:softprob"]
    runtime = _runtime(native_model_dir(booster), version, SAGEMAKER_BATCH="true")
    expected = "".join(f"{row}\n" for row in _expected_values(booster))
    assert _invoke(runtime) == InvocationResult(200, expected.encode(), CSV_TYPE)


def test_selectable_inference_binary(boosters: dict[str, Any], native_model_dir: Any) -> None:
    booster = boosters["binary:logistic"]
    runtime = _runtime(
        native_model_dir(booster), "1.7-1", SAGEMAKER_INFERENCE_OUTPUT="predicted_label, Probabilities"
    )
    p = _expected_values(booster)
    records = [{"predicted_label": int(v > 0.5), "probabilities": [1.0 - v, v]} for v in p]
    as_json = _invoke(runtime, "application/json")
    assert as_json == InvocationResult(200, json.dumps({"predictions": records}).encode(), "application/json")
    lines = _invoke(runtime, "application/jsonlines")
    assert lines.body == "".join(json.dumps(r) + "\n" for r in records).encode()
    as_csv = _invoke(runtime, "text/csv")
    expected = "\n".join(f'{int(v > 0.5)},"{[1.0 - v, v]}"' for v in p)
    assert as_csv == InvocationResult(200, expected.encode(), CSV_TYPE)


def test_selectable_inference_softprob_and_invalid_key(
    boosters: dict[str, Any], native_model_dir: Any
) -> None:
    booster = boosters["multi:softprob"]
    runtime = _runtime(
        native_model_dir(booster), "1.2-1", SAGEMAKER_INFERENCE_OUTPUT="predicted_score,labels,probability"
    )
    rows = _expected_values(booster)
    result = _invoke(runtime, "application/json")
    expected = [
        {"labels": [0, 1, 2], "probability": max(row), "predicted_score": float("nan")} for row in rows
    ]
    assert result.body == json.dumps({"predictions": expected}).encode()


def test_selectable_inference_unsupported_objective(iris: Any, tmp_path: Path) -> None:
    features, target = iris
    booster = xgb.train({"objective": "count:poisson"}, xgb.DMatrix(features, label=target), 2)
    booster.save_model(str(tmp_path / "m.json"))
    runtime = _runtime(tmp_path, "1.7-1", SAGEMAKER_INFERENCE_OUTPUT="predicted_score")
    result = _invoke(runtime)
    assert result.status == 500
    assert result.body == b"Objective `count:poisson` unsupported for selectable inference predictions."


def test_empty_body_and_prediction_errors(boosters: dict[str, Any], native_model_dir: Any) -> None:
    runtime = _runtime(native_model_dir(boosters["multi:softprob"]), "1.7-1")
    assert runtime.invoke(b"", "text/csv", None, None).status == 204
    too_wide = runtime.invoke(b"1,2,3,4,5,6", "text/csv", None, None)
    assert too_wide.status == 400
    assert too_wide.body.startswith(b"Unable to evaluate payload provided: ")
    fewer = runtime.invoke(b"1,2,3", "text/csv", None, None)
    assert fewer.status == 200
    libsvm = runtime.invoke(b"0 1:5.1 2:3.5 3:1.4 4:0.2", "text/libsvm", None, None)
    softprob = runtime.invoke(b"5.1,3.5,1.4,0.2", "text/csv", None, None)
    assert libsvm.body == softprob.body
