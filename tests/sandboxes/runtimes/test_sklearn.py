from __future__ import annotations

import io
import json
import pickle
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pytest
import sklearn
from sklearn.linear_model import LogisticRegression

from modelport.sandboxes.runtimes import ModelLoadError, load_runtime
from modelport.sandboxes.runtimes.base import InvocationResult


@pytest.fixture(scope="module")
def model(iris: Any) -> LogisticRegression:
    features, target = iris
    return LogisticRegression(max_iter=500).fit(features, target)


def _runtime(model_dir: Path, **environ: str) -> Any:
    runtime = load_runtime("sklearn", "1.2-1", environ, model_dir)
    runtime.load(model_dir)
    return runtime


def test_default_handlers(model: LogisticRegression, tmp_path: Path) -> None:
    joblib.dump(model, tmp_path / "model.joblib")
    runtime = _runtime(tmp_path)
    rows = [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]]
    expected = model.predict(np.array(rows, dtype=np.float32))
    as_json = runtime.invoke(json.dumps(rows).encode(), "application/json", None, None)
    assert as_json == InvocationResult(200, json.dumps(expected.tolist()).encode(), "application/json")
    as_csv = runtime.invoke(b"5.1,3.5,1.4,0.2\n6.7,3.0,5.2,2.3", "text/csv", "text/csv", None)
    assert as_csv == InvocationResult(
        200, "".join(f"{v}\n" for v in expected.tolist()).encode(), "text/csv; charset=utf-8"
    )
    buffer = io.BytesIO()
    np.save(buffer, np.array(rows))
    as_npy = runtime.invoke(buffer.getvalue(), "application/x-npy", "application/x-npy", None)
    assert np.load(io.BytesIO(as_npy.body)).tolist() == model.predict(np.array(rows)).tolist()


def test_unsupported_formats(model: LogisticRegression, tmp_path: Path) -> None:
    joblib.dump(model, tmp_path / "model.joblib")
    runtime = _runtime(tmp_path)
    refused = runtime.invoke(b"x", "text/csv; charset=utf-8", None, None)
    assert refused.status == 415
    body = json.loads(refused.body)
    assert body["error"] == "UnsupportedFormatError"
    assert body["error-message"].startswith(
        "Content type text/csv; charset=utf-8 is not supported by this framework.\n\n"
        "               Please implement input_fn to to deserialize the request data"
    )
    assert runtime.invoke(b"[[1,2,3,4]]", "application/json", "application/xml", None).status == 406


def test_script_mode(model: LogisticRegression, tmp_path: Path) -> None:
    joblib.dump(model, tmp_path / "model.joblib")
    (tmp_path / "code").mkdir()
    (tmp_path / "code" / "inference.py").write_text(
        "import joblib, os\n"
        "def model_fn(model_dir):\n    return joblib.load(os.path.join(model_dir, 'model.joblib'))\n"
        "def predict_fn(data, model):\n    if data.ndim == 1:\n        raise RuntimeError('boom')\n"
        "    return model.predict_proba(data)\n"
        "def output_fn(prediction, accept):\n    return 'rows=%d' % len(prediction), 'text/plain'\n"
    )
    runtime = _runtime(tmp_path, SAGEMAKER_PROGRAM="inference.py")
    result = runtime.invoke(b"[[5.1,3.5,1.4,0.2]]", "application/json", None, None)
    assert result == InvocationResult(200, b"rows=1", "text/plain; charset=utf-8")
    failed = runtime.invoke(b"[5.1,3.5,1.4,0.2]", "application/json", None, None)
    assert failed.status == 500 and json.loads(failed.body)["error-message"] == "boom"


@pytest.mark.parametrize(
    ("submit", "folder"),
    [
        ("/opt/ml/model/code", "code"),  # the SDK's repacked code (network isolation)
        ("/opt/ml/model/lib/src", "lib/src"),
        ("file://{model}/scripts", "scripts"),  # the SDK's local source_dir
    ],
)
def test_script_folders_the_sdk_names(
    model: LogisticRegression, tmp_path: Path, submit: str, folder: str
) -> None:
    joblib.dump(model, tmp_path / "model.joblib")
    (tmp_path / folder).mkdir(parents=True)
    (tmp_path / folder / "serve.py").write_text(
        "import joblib, os\n"
        "def model_fn(model_dir):\n    return joblib.load(os.path.join(model_dir, 'model.joblib'))\n"
        "def output_fn(prediction, accept):\n    return 'from %s' % __name__, 'text/plain'\n"
    )
    runtime = _runtime(
        tmp_path, SAGEMAKER_PROGRAM="serve.py", SAGEMAKER_SUBMIT_DIRECTORY=submit.format(model=tmp_path)
    )
    assert runtime.invoke(b"[[5.1,3.5,1.4,0.2]]", "application/json", None, None).body == b"from serve"


def test_transform_fn_with_other_hooks_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "code").mkdir()
    (tmp_path / "code" / "inference.py").write_text(
        "def model_fn(d):\n    return 1\ndef transform_fn(m, b, c, a):\n    return b\n"
        "def input_fn(b, c):\n    return b\n"
    )
    with pytest.raises(ModelLoadError, match="transform_fn"):
        _runtime(tmp_path)


def test_pickle_from_another_sklearn_version_loads_with_warning_logged(
    model: LogisticRegression, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    installed = sklearn.__version__.encode()
    data = pickle.dumps(model, protocol=0)
    assert installed in data
    (tmp_path / "model.pkl").write_bytes(data.replace(installed, b"0.20.0"))
    _runtime(tmp_path)
    assert "InconsistentVersionWarning" in caplog.text


def test_pickle_needing_a_removed_sklearn_module_names_both_versions(
    model: LogisticRegression, tmp_path: Path
) -> None:
    installed = sklearn.__version__
    data = pickle.dumps(model, protocol=0)
    data = data.replace(installed.encode(), b"0.20.0").replace(
        b"sklearn.linear_model._logistic", b"sklearn.linear_model.logistic"
    )
    (tmp_path / "model.pkl").write_bytes(data)
    with pytest.raises(ModelLoadError) as caught:
        _runtime(tmp_path)
    message = str(caught.value)
    assert message.startswith(f"Model {tmp_path / 'model.pkl'} cannot be loaded: ")
    assert f"pickle was written with scikit-learn 0.20.0 but installed scikit-learn is {installed}" in message
    assert "No module named 'sklearn.linear_model.logistic'" in message
