"""The floor: the model's in-process predict, and the helpers the FastAPI baseline shares."""

from __future__ import annotations

import time
import warnings
from pathlib import Path
from typing import Any

from benchmarks.loadgen import percentile


def load_booster(model_file: Path) -> Any:
    """The booster as the worker loads it: native format, one thread."""
    import xgboost

    booster = xgboost.Booster()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Unknown file format ... Using UBJSON as a guess": it is UBJSON
        booster.load_model(str(model_file))
    booster.set_param({"nthread": 1})
    return booster


def parse_csv(text: str) -> Any:
    import numpy as np

    return np.array([line.split(",") for line in text.strip().split("\n")], dtype=np.float64)


def csv_output(preds: Any) -> bytes:
    """The 1.7-1 container's text/csv body for multi-class probabilities."""
    rows = preds.tolist()
    if preds.ndim > 1:
        return "".join(",".join(map(str, row)) + "\n" for row in rows).encode()
    return "".join(f"{value}\n" for value in rows).encode()


def time_in_process(model_file: Path, row: str, calls: int) -> dict[str, float]:
    """p50/p99 in microseconds of predict alone, and of parse + predict + encode."""
    booster = load_booster(model_file)
    features = parse_csv(row)
    for _ in range(200):
        booster.inplace_predict(features, validate_features=False)
    predict_only = []
    for _ in range(calls):
        started = time.perf_counter()
        booster.inplace_predict(features, validate_features=False)
        predict_only.append(time.perf_counter() - started)
    handler = []
    for _ in range(calls):
        started = time.perf_counter()
        csv_output(booster.inplace_predict(parse_csv(row), validate_features=False))
        handler.append(time.perf_counter() - started)
    return {
        "predict_p50_us": percentile(predict_only, 50) * 1e6,
        "predict_p99_us": percentile(predict_only, 99) * 1e6,
        "parse_predict_encode_p50_us": percentile(handler, 50) * 1e6,
        "parse_predict_encode_p99_us": percentile(handler, 99) * 1e6,
    }
