"""The built-in XGBoost container in algorithm mode (spec §9), imitating one image version."""

from __future__ import annotations

import json
import logging
import os
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from modelport.sandboxes.runtimes.base import (
    Invocation,
    InvocationResult,
    ModelLoadError,
    Runtime,
    text_result,
)
from modelport.sandboxes.runtimes.batch_predict import batching_choice, predict_together
from modelport.sandboxes.runtimes.pickles import explain_failure, first_line, load_pickle
from modelport.sandboxes.runtimes.xgboost_flavor import XGBoostFlavor
from modelport.sandboxes.runtimes.xgboost_inplace import ProxyPredictor
from modelport.sandboxes.runtimes.xgboost_input import (
    CSV,
    Features,
    UnsupportedInput,
    decode,
    feature_rows,
    stack_features,
)
from modelport.sandboxes.runtimes.xgboost_output import encode_plain, encode_selectable

logger = logging.getLogger("modelport.worker")

_VOTING_OBJECTIVES = ("multi:softmax", "binary:hinge")


class XGBoostRuntime(Runtime):
    def __init__(self, version: str, environ: Mapping[str, str]) -> None:
        self.flavor = XGBoostFlavor.parse(version)
        self.batch = bool(environ.get("SAGEMAKER_BATCH"))
        self.inference_output = environ.get("SAGEMAKER_INFERENCE_OUTPUT")
        self.default_accept = environ.get("SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT")
        self.ensemble = environ.get("SAGEMAKER_INFERENCE_ENSEMBLE", "true").lower() != "false"
        # Row-independent to the bit (docs/runtimes.md#batching): on unless the model says off.
        self.batching = batching_choice(environ) is not False
        self.boosters: list[Any] = []
        self.predictors: list[ProxyPredictor | None] = []  # one per booster (xgboost_inplace.py)
        self.pickled = False
        self.objective = ""
        self.num_class = ""
        self.num_features = 0

    # -- loading ---------------------------------------------------------------------------

    def load(self, model_dir: Path) -> None:
        paths = model_files(model_dir, self.flavor)
        if not paths:
            raise ModelLoadError(f"No model file found in {model_dir}")
        if not (self.flavor.ensemble_loader and self.ensemble):
            paths = paths[:1]
        loaded = [load_booster(path) for path in paths]
        self.boosters = [booster for booster, _ in loaded]
        self.pickled = loaded[0][1]
        config = json.loads(self.boosters[0].save_config())
        self.objective = config["learner"]["objective"]["name"]
        self.num_class = str(config["learner"]["learner_model_param"].get("num_class", ""))
        self.num_features = int(self.boosters[0].num_features())
        self.predictors = [
            ProxyPredictor.create(booster, _iteration_range(booster), self.num_features)
            for booster in self.boosters
        ]
        logger.info(
            "loaded %d XGBoost model(s) from %s (objective %s, %s format, container %s)",
            len(self.boosters),
            model_dir,
            self.objective,
            "pickle" if self.pickled else "native",
            self.flavor.version,
        )

    # -- invocation ------------------------------------------------------------------------

    def invoke(
        self, body: bytes, content_type: str | None, accept: str | None, custom_attributes: str | None
    ) -> InvocationResult:
        if not body:
            return text_result(204, "")
        try:
            features = decode(body, content_type, self.flavor)
        except UnsupportedInput as error:
            logger.warning("unsupported input: %s", first_line(str(error)))
            return text_result(415, str(error))
        try:
            preds = self.predict(features)
        except Exception as error:
            logger.warning("prediction failed: %s", first_line(str(error)))
            return text_result(400, f"Unable to evaluate payload provided: {error}")
        return self.encode(preds, accept)

    def invoke_many(self, invocations: Sequence[Invocation]) -> list[InvocationResult]:
        """Requests of the same format and width share one predict; each is encoded alone."""
        if not self.batching:
            return super().invoke_many(invocations)
        features = [self._batchable(invocation) for invocation in invocations]
        predictions = predict_together(
            features,
            key=lambda f: (f.kind, f.num_columns),
            rows=feature_rows,
            stack=stack_features,
            predict=self.predict,
        )
        return [
            self.invoke(i.body, i.content_type, i.accept, i.custom_attributes)
            if preds is None
            else self.encode(preds, i.accept)
            for i, preds in zip(invocations, predictions, strict=True)
        ]

    def _batchable(self, invocation: Invocation) -> Features | None:
        """The request's features when it may share a predict; None sends it down ``invoke``."""
        if not invocation.body:
            return None
        try:
            features = decode(invocation.body, invocation.content_type, self.flavor)
            if self.pickled:
                self._check_feature_count(features)
        except Exception:
            return None
        return features

    def encode(self, preds: Any, accept: str | None) -> InvocationResult:
        if self.inference_output is not None and self.flavor.selectable_inference:
            return encode_selectable(
                preds,
                self.inference_output,
                self.objective,
                self.num_class,
                accept,
                self.batch,
                self.default_accept,
            )
        return encode_plain(preds, self.flavor, accept, self.batch, self.default_accept)

    def predict(self, features: Features) -> Any:
        if self.pickled:
            self._check_feature_count(features)
        outputs = [
            predict_one(booster, features, self.num_features, predictor)
            for booster, predictor in zip(self.boosters, self.predictors, strict=True)
        ]
        if len(outputs) == 1:
            return outputs[0]
        if self.objective in _VOTING_OBJECTIVES:
            return majority_vote(outputs)
        return np.mean(outputs, axis=0)

    def _check_feature_count(self, features: Features) -> None:
        x, y = self.num_features, features.num_columns
        if features.kind == CSV:
            if not (x == y or x == y + 1):
                period = "" if self.flavor.is_090 else "."
                raise ValueError(
                    f"Feature size of csv inference data {y} is not consistent with feature size "
                    f"of trained model {x}{period}"
                )
        elif y > x + 1:
            raise ValueError(
                f"Feature size of libsvm inference data {y} is larger than feature size of trained model {x}."
            )


def model_files(model_dir: Path, flavor: XGBoostFlavor) -> list[Path]:
    names = os.listdir(model_dir)
    if not flavor.ensemble_loader:
        # 0.90-x .. 1.2-x take the first directory entry, whatever it is.
        return [model_dir / names[0]] if names else []
    paths = []
    for name in sorted(names):
        path = model_dir / name
        if not path.is_file():
            continue
        if name.startswith("."):
            logger.warning("skipping hidden file %s in model directory", path)
            continue
        paths.append(path)
    return paths


def load_booster(path: Path) -> tuple[Any, bool]:
    """Pickle (and joblib) first, then XGBoost's native formats; returns (booster, pickled)."""
    import xgboost as xgb

    try:
        model = load_pickle(path)
        booster = model.get_booster() if hasattr(model, "get_booster") else model
        if not isinstance(booster, xgb.Booster):
            raise TypeError(
                f"pickle holds a {type(model).__module__}.{type(model).__name__}, not an XGBoost model"
            )
        pickled = True
    except Exception as pickle_error:
        pickle_reason = explain_failure(path, pickle_error)
        try:
            booster = xgb.Booster()
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                booster.load_model(str(path))
            for warning in caught:  # e.g. "Unknown file format ... Using UBJSON as a guess."
                logger.info("loading %s: %s", path, first_line(str(warning.message)))
            pickled = False
        except Exception as native_error:
            raise ModelLoadError(
                f"Model {path} cannot be loaded: Pickle load error={pickle_reason}; "
                f"XGB load model error={first_line(str(native_error))}"
            ) from native_error
    booster.set_param({"nthread": 1})
    return booster, pickled


def _iteration_range(booster: Any) -> tuple[int, int]:
    best = booster.attr("best_iteration")
    return (0, int(best) + 1) if best is not None else (0, 0)


def predict_one(
    booster: Any, features: Features, num_features: int, predictor: ProxyPredictor | None = None
) -> Any:
    import xgboost as xgb

    if features.dense is not None and features.num_columns == num_features and predictor is not None:
        preds = predictor.predict(features.dense)  # the same predictor, without its set-up per call
        if preds is not None:
            return preds
    iteration_range = _iteration_range(booster)
    if features.dense is not None and features.num_columns == num_features:
        # In-place prediction skips building a DMatrix; same predictor, same float32 results.
        return booster.inplace_predict(
            features.dense, iteration_range=iteration_range, validate_features=False
        )
    data = features.dense if features.dense is not None else features.sparse
    return booster.predict(
        xgb.DMatrix(data, nthread=1), iteration_range=iteration_range, validate_features=False
    )


def majority_vote(outputs: list[Any]) -> Any:
    stacked = np.stack(outputs)
    voted = np.empty(stacked.shape[1:], dtype=stacked.dtype)
    for index in range(stacked.shape[1]):
        values, counts = np.unique(stacked[:, index], return_counts=True)
        voted[index] = values[np.argmax(counts)]
    return voted
