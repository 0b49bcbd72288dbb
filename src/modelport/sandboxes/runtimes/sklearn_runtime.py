"""The scikit-learn serving container (spec §8): default handlers, optionally user script hooks."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from modelport.sandboxes.runtimes.base import ModelLoadError
from modelport.sandboxes.runtimes.pickles import explain_failure, load_pickle
from modelport.sandboxes.runtimes.scriptmode import (
    UTF8_TYPES,
    Defaults,
    ScriptModeRuntime,
    decode,
    encode,
    script_requested,
)

_PICKLE_SUFFIXES = (".joblib", ".pkl", ".pickle", ".sav")


def find_model_file(model_dir: Path) -> Path:
    preferred = model_dir / "model.joblib"
    if preferred.is_file():
        return preferred
    files = sorted(p for p in model_dir.iterdir() if p.is_file() and not p.name.startswith("."))
    candidates = [p for p in files if p.suffix in _PICKLE_SUFFIXES] or files
    if len(candidates) != 1:
        found = ", ".join(p.name for p in candidates) or "none"
        raise ModelLoadError(f"Expected one joblib/pickle model file in {model_dir}, found: {found}")
    return candidates[0]


def default_model_fn(model_dir: str) -> Any:
    path = find_model_file(Path(model_dir))
    try:
        return load_pickle(path)
    except Exception as error:
        raise ModelLoadError(f"Model {path} cannot be loaded: {explain_failure(path, error)}") from error


def default_input_fn(data: Any, content_type: str) -> Any:
    array = decode(data, content_type)
    return array.astype(np.float32) if content_type in UTF8_TYPES else array


def default_predict_fn(data: Any, model: Any) -> Any:
    return model.predict(data)


def default_output_fn(prediction: Any, accept: str) -> tuple[bytes, str]:
    return encode(prediction, accept), accept


SKLEARN_DEFAULTS = Defaults(default_model_fn, default_input_fn, default_predict_fn, default_output_fn)


def sklearn_runtime(environ: Mapping[str, str], model_dir: Path | None) -> ScriptModeRuntime:
    script = model_dir is not None and script_requested(model_dir, environ)
    return ScriptModeRuntime(SKLEARN_DEFAULTS, environ, script)
