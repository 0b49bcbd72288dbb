"""Batched answers are the lone answers, byte for byte: ``invoke_many`` against ``invoke``.

Hypothesis draws random batch compositions (formats, widths, Accept values, bad requests mixed
in) for the XGBoost runtime in each output family and for the scikit-learn runtime.
"""

from __future__ import annotations

import dataclasses
import io
import json
import re
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pytest
import xgboost as xgb
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.ensemble import HistGradientBoostingRegressor, RandomForestClassifier
from sklearn.linear_model import LinearRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeRegressor

from modelport.sandboxes.runtimes import ModelLoadError, Runtime, load_runtime
from modelport.sandboxes.runtimes.base import Invocation, InvocationResult
from modelport.sandboxes.runtimes.batch_predict import predict_together, row_stable, split_rows

XGBOOST_SETUPS = {
    "softprob 1.7-1": ("multi:softprob", "1.7-1", {}),
    "softmax 1.7-1": ("multi:softmax", "1.7-1", {}),
    "binary 1.7-1 selectable": (
        "binary:logistic",
        "1.7-1",
        {"SAGEMAKER_INFERENCE_OUTPUT": "predicted_label,probabilities,labels"},
    ),
    "softprob 1.0-1 selectable": ("multi:softprob", "1.0-1", {"SAGEMAKER_INFERENCE_OUTPUT": "probability"}),
    "regression 1.2-1": ("reg:squarederror", "1.2-1", {}),
    "regression 0.90-1": ("reg:squarederror", "0.90-1", {}),
    "softprob 1.7-1 batch": ("multi:softprob", "1.7-1", {"SAGEMAKER_BATCH": "true"}),
}


@pytest.fixture(scope="module")
def runtimes(boosters: dict[str, xgb.Booster], iris: Any, tmp_path_factory: Any) -> dict[str, Runtime]:
    loaded: dict[str, Runtime] = {}
    for name, (objective, version, environ) in XGBOOST_SETUPS.items():
        model_dir = tmp_path_factory.mktemp("xgb")
        boosters[objective].save_model(str(model_dir / "xgboost-model.json"))
        loaded[name] = _load("xgboost", version, environ, model_dir)
    features, target = iris
    pickled = tmp_path_factory.mktemp("pickled")
    joblib.dump(xgb.XGBClassifier(n_estimators=5, max_depth=2).fit(features, target), pickled / "model")
    loaded["pickled XGBClassifier 1.7-1"] = _load("xgboost", "1.7-1", {}, pickled)
    for name, model in {
        "sklearn forest": RandomForestClassifier(n_estimators=5, random_state=0).fit(features, target),
        "sklearn hist gradient boosting": HistGradientBoostingRegressor(max_iter=5).fit(features, target),
        "sklearn scaled tree": make_pipeline(StandardScaler(), DecisionTreeRegressor(random_state=0)).fit(
            features, features[:, 0]
        ),
    }.items():
        model_dir = tmp_path_factory.mktemp("sklearn")
        joblib.dump(model, model_dir / "model.joblib")
        loaded[name] = _load("sklearn", "1.2-1", {}, model_dir)
    return loaded


def _load(runtime: str, version: str, environ: dict[str, str], model_dir: Path) -> Runtime:
    loaded = load_runtime(runtime, version, environ, model_dir)
    loaded.load(model_dir)
    return loaded


values = st.integers(0, 80).map(lambda n: f"{n / 10}") | st.sampled_from(["", "7", "1e1", "-0.5"])


def csv_rows(width: int) -> st.SearchStrategy[str]:
    row = st.lists(values, min_size=width, max_size=width).map(",".join)
    return st.lists(row, min_size=1, max_size=3).map("\n".join)


libsvm_row = st.lists(st.tuples(st.integers(0, 4), values.filter(bool)), min_size=1, max_size=4).map(
    lambda pairs: " ".join(f"{index}:{value}" for index, value in pairs)
)
libsvm_body = st.lists(libsvm_row, min_size=1, max_size=3).map("\n".join)
npy_rows = st.lists(st.lists(st.integers(0, 80).map(lambda n: n / 10), min_size=4, max_size=4), min_size=1)


def _npy(rows: list[list[float]]) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, np.array(rows))
    return buffer.getvalue()


xgboost_requests = st.one_of(
    st.tuples(
        csv_rows(4) | csv_rows(3) | csv_rows(5),
        st.sampled_from(["text/csv", "csv", "text/csv; label_size=1"]),
    ),
    st.tuples(libsvm_body, st.sampled_from(["text/libsvm", "libsvm", "text/x-libsvm", None])),
    st.tuples(
        st.sampled_from(["", "a,b", "1,2\n\n3,4", "\x00\x00", "1:x"]),
        st.sampled_from(
            [
                "text/csv",
                "text/libsvm",
                "text/csv; label_size=2",
                "application/json",
                "application/x-recordio-protobuf",
                "application/x-parquet",
                None,
            ]
        ),
    ),
)
sklearn_requests = st.one_of(
    st.tuples(csv_rows(4) | csv_rows(3), st.just("text/csv")),
    st.tuples(
        st.lists(st.lists(values.filter(bool), min_size=4, max_size=4), min_size=1, max_size=3).map(
            lambda rows: json.dumps([[float(v) for v in row] for row in rows])
        ),
        st.just("application/json"),
    ),
    st.tuples(npy_rows.map(_npy), st.just("application/x-npy")),
    st.tuples(
        st.sampled_from(["", "[1, 2", "[1, 2, 3, 4]", "x"]),
        st.sampled_from(["application/json", "text/plain"]),
    ),
)
accepts = st.sampled_from(
    [
        None,
        "*/*",
        "text/csv",
        "application/json",
        "application/jsonlines",
        "application/x-recordio-protobuf",
        "application/x-npy",
        "text/html",
    ]
)


def _invocation(request: tuple[Any, str | None], accept: str | None) -> Invocation:
    body, content_type = request
    return Invocation(body if isinstance(body, bytes) else body.encode(), content_type, accept, None)


# XGBoost's own error text starts with the time of day ("[05:52:59] ..."): alone too, it differs
# from one second to the next.
_CLOCK = re.compile(rb"\[\d\d:\d\d:\d\d\] ")


def _timeless(results: list[InvocationResult]) -> list[InvocationResult]:
    return [dataclasses.replace(r, body=_CLOCK.sub(b"[time] ", r.body)) for r in results]


def _assert_same_as_alone(runtime: Runtime, invocations: list[Invocation]) -> None:
    alone = [runtime.invoke(i.body, i.content_type, i.accept, i.custom_attributes) for i in invocations]
    assert _timeless(runtime.invoke_many(invocations)) == _timeless(alone)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    name=st.sampled_from([*XGBOOST_SETUPS, "pickled XGBClassifier 1.7-1"]),
    batch=st.lists(st.tuples(xgboost_requests, accepts), min_size=1, max_size=12),
)
def test_xgboost_batches_answer_byte_for_byte_as_alone(
    runtimes: dict[str, Runtime], name: str, batch: list[Any]
) -> None:
    runtime = runtimes[name]
    assert runtime.batching
    _assert_same_as_alone(runtime, [_invocation(request, accept) for request, accept in batch])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    name=st.sampled_from(["sklearn forest", "sklearn hist gradient boosting", "sklearn scaled tree"]),
    batch=st.lists(st.tuples(sklearn_requests, accepts), min_size=1, max_size=12),
)
def test_sklearn_batches_answer_byte_for_byte_as_alone(
    runtimes: dict[str, Runtime], name: str, batch: list[Any]
) -> None:
    runtime = runtimes[name]
    assert runtime.batching
    _assert_same_as_alone(runtime, [_invocation(request, accept) for request, accept in batch])


def test_many_same_shape_requests_share_one_predict(runtimes: dict[str, Runtime]) -> None:
    runtime: Any = runtimes["softprob 1.7-1"]
    calls = []
    predict = runtime.predict
    runtime.predict = lambda features: calls.append(features) or predict(features)
    try:
        invocations = [Invocation(b"5.1,3.5,1.4,0.2", "text/csv", "application/json") for _ in range(8)]
        invocations.append(Invocation(b"1,2,3", "text/csv"))  # another width: predicted alone
        results = runtime.invoke_many(invocations)
    finally:
        del runtime.predict
    assert results[:8] == [runtime.invoke(b"5.1,3.5,1.4,0.2", "text/csv", "application/json", None)] * 8
    assert len(calls) == 2 and calls[0].dense.shape == (8, 4)


def test_row_stable_allows_trees_and_refuses_blas(iris: Any) -> None:
    features, target = iris
    assert row_stable(DecisionTreeRegressor().fit(features, target))
    assert row_stable(
        make_pipeline(StandardScaler(), RandomForestClassifier(n_estimators=2)).fit(features, target)
    )
    # LinearRegression's X @ coef goes through BLAS: one row alone and in a batch differ in the last bit.
    assert not row_stable(LinearRegression().fit(features, target))
    assert not row_stable(make_pipeline(StandardScaler(), LinearRegression()).fit(features, target))


def test_models_opt_in_and_out(iris: Any, tmp_path: Path, boosters: dict[str, xgb.Booster]) -> None:
    features, target = iris
    joblib.dump(LinearRegression().fit(features, target), tmp_path / "model.joblib")
    assert not _load("sklearn", "1.2-1", {}, tmp_path).batching
    assert _load("sklearn", "1.2-1", {"MODELPORT_BATCHING": "on"}, tmp_path).batching
    boosters["multi:softprob"].save_model(str(tmp_path / "xgboost-model.json"))
    (tmp_path / "model.joblib").unlink()
    assert not _load("xgboost", "1.7-1", {"MODELPORT_BATCHING": "off"}, tmp_path).batching
    with pytest.raises(ModelLoadError, match="MODELPORT_BATCHING must be auto, on or off, not 'maybe'"):
        load_runtime("xgboost", "1.7-1", {"MODELPORT_BATCHING": "maybe"}, tmp_path)


def test_script_mode_batches_only_when_the_model_opts_in(iris: Any, tmp_path: Path) -> None:
    features, target = iris
    joblib.dump(DecisionTreeRegressor().fit(features, target), tmp_path / "model.joblib")
    (tmp_path / "code").mkdir()
    (tmp_path / "code" / "inference.py").write_text(
        "import joblib, os\n"
        "def model_fn(model_dir):\n"
        "    return joblib.load(os.path.join(model_dir, 'model.joblib'))\n"
    )
    assert not _load("sklearn", "1.2-1", {}, tmp_path).batching
    opted_in = _load("sklearn", "1.2-1", {"MODELPORT_BATCHING": "on"}, tmp_path)
    assert opted_in.batching
    _assert_same_as_alone(
        opted_in,
        [Invocation(json.dumps([[5.1, 3.5, 1.4, v]]).encode(), "application/json") for v in range(5)],
    )


@given(st.lists(st.integers(0, 5), min_size=1, max_size=10))
def test_split_rows_gives_each_part_its_rows(counts: list[int]) -> None:
    stacked = np.arange(sum(counts))
    pieces = split_rows(stacked, counts)
    assert [len(p) for p in pieces] == counts
    assert np.concatenate(pieces).tolist() == stacked.tolist()


@given(st.lists(st.one_of(st.none(), st.tuples(st.sampled_from("ab"), st.integers(1, 3))), max_size=10))
def test_predict_together_groups_by_key_and_leaves_singletons(inputs: list[Any]) -> None:
    def predict(rows: list[str]) -> Any:
        return np.array(rows)

    result = predict_together(
        inputs,
        key=lambda item: item[0],
        rows=lambda item: item[1],
        stack=lambda parts: [f"{kind}{i}" for kind, count in parts for i in range(count)],
        predict=predict,
    )
    for item, got in zip(inputs, result, strict=True):
        if item is None or sum(1 for other in inputs if other and other[0] == item[0]) < 2:
            assert got is None
        else:
            assert got.tolist() == [f"{item[0]}{i}" for i in range(item[1])]
