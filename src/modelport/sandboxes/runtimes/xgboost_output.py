"""Response encoding of the XGBoost container in algorithm mode: exact bytes per version (§9.4)."""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from modelport.sandboxes.runtimes.base import (
    FLASK_500_BODY,
    FLASK_HTML,
    InvocationResult,
    parse_header,
    text_result,
)
from modelport.sandboxes.runtimes.xgboost_flavor import XGBoostFlavor

logger = logging.getLogger("modelport.worker")

CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
SUPPORTED_ACCEPTS = [
    "application/json",
    "application/jsonlines",
    "application/x-recordio-protobuf",
    "text/csv",
]
# Flask adds a charset to text/* mimetypes only.
_MIMETYPES = {accept: accept for accept in SUPPORTED_ACCEPTS} | {"text/csv": CSV_CONTENT_TYPE}

PREDICTED_LABEL = "predicted_label"
LABELS = "labels"
PROBABILITY = "probability"
PROBABILITIES = "probabilities"
RAW_SCORE = "raw_score"
RAW_SCORES = "raw_scores"
PREDICTED_SCORE = "predicted_score"
_KEY_ORDER = [PREDICTED_LABEL, LABELS, PROBABILITY, PROBABILITIES, RAW_SCORE, RAW_SCORES, PREDICTED_SCORE]
_CLASSIFICATION = [PREDICTED_LABEL, LABELS, PROBABILITY, PROBABILITIES, RAW_SCORE, RAW_SCORES]
_LABEL_ONLY = [PREDICTED_LABEL, LABELS, RAW_SCORE, RAW_SCORES]
VALID_OBJECTIVES: dict[str, list[str]] = {
    "reg:squarederror": [PREDICTED_SCORE],
    "reg:linear": [PREDICTED_SCORE],
    "reg:logistic": [PREDICTED_SCORE],
    "reg:gamma": [PREDICTED_SCORE],
    "reg:tweedie": [PREDICTED_SCORE],
    "reg:absoluteerror": [PREDICTED_SCORE],
    "binary:logistic": _CLASSIFICATION,
    "binary:logitraw": _LABEL_ONLY,
    "binary:hinge": _LABEL_ONLY,
    "multi:softmax": _LABEL_ONLY,
    "multi:softprob": _CLASSIFICATION,
}


class NotAcceptable(Exception):
    """Becomes a 406 whose body is ``str(error)``."""


def parse_accept(accept: str | None, default_accept: str | None) -> str:
    main, _ = parse_header(accept or "")
    if not main or main == "*/*":
        return default_accept or "text/csv"
    if main.lower() not in SUPPORTED_ACCEPTS:
        raise NotAcceptable(
            f"Accept type {main} is not supported. Please use supported accept types: {SUPPORTED_ACCEPTS}."
        )
    return main.lower()


def encode_plain(
    preds: Any, flavor: XGBoostFlavor, accept: str | None, batch: bool, default_accept: str | None
) -> InvocationResult:
    """Output without selectable inference content."""
    values = preds.tolist()
    if batch:
        return _csv("\n".join(map(str, values)) + "\n")
    if not flavor.new_output:
        return _csv(",".join(map(str, values)))
    try:
        chosen = parse_accept(accept, default_accept)
    except NotAcceptable as error:
        return text_result(406, str(error))
    if chosen == "text/csv":
        if preds.ndim > 1:
            return _csv("".join(",".join(map(str, row)) + "\n" for row in values))
        return _csv("".join(f"{value}\n" for value in values))
    if chosen == "application/json":
        body = json.dumps({"predictions": [{"score": value} for value in values]})
        return InvocationResult(200, body.encode(), "application/json")
    # jsonlines / recordio-protobuf are not encodable here: the real container crashes (spec §14.10).
    logger.error("cannot encode predictions as %s without SAGEMAKER_INFERENCE_OUTPUT", chosen)
    return InvocationResult(500, FLASK_500_BODY, FLASK_HTML)


def _csv(text: str) -> InvocationResult:
    return InvocationResult(200, text.encode(), CSV_CONTENT_TYPE)


def selected_keys(setting: str) -> list[str]:
    return setting.replace(" ", "").lower().split(",")


def select(raw_predictions: Any, keys: Sequence[str], objective: str, num_class: str) -> list[dict[str, Any]]:
    if objective not in VALID_OBJECTIVES:
        raise ValueError(f"Objective `{objective}` unsupported for selectable inference predictions.")
    allowed = VALID_OBJECTIVES[objective]
    valid = set(keys).intersection(allowed)
    invalid = [key for key in dict.fromkeys(keys) if key not in allowed]
    if invalid:
        logger.warning("Selected key(s) %s incompatible for objective '%s'", invalid, objective)
    predictions = []
    for raw in raw_predictions:
        output: dict[str, Any] = {}
        for key in _KEY_ORDER:
            if key in valid:
                output[key] = _value(key, objective, raw, num_class)
        for key in invalid:
            output[key] = math.nan
        predictions.append(output)
    return predictions


def _value(key: str, objective: str, raw: Any, num_class: str) -> Any:
    softprob = objective == "multi:softprob"
    if key == PREDICTED_SCORE:
        return raw.item()
    if key == LABELS:
        if "binary:" in objective:
            return [0, 1]
        return list(range(int(num_class))) if "multi:" in objective and num_class else math.nan
    if key == PREDICTED_LABEL:
        if objective in ("binary:hinge", "multi:softmax"):
            return raw.item()
        if objective == "binary:logistic":
            return int(raw > 0.5)
        if objective == "binary:logitraw":
            return int(raw > 0)
        return np.argmax(raw).item()
    if key in (PROBABILITY, RAW_SCORE) and softprob:
        return max(raw).item()
    if key in (PROBABILITIES, RAW_SCORES) and softprob:
        return raw.tolist()
    if key in (PROBABILITY, RAW_SCORE):
        return raw.item()
    one = raw.item()
    return [1.0 - one, one]


def encode_selected(
    predictions: list[dict[str, Any]], keys: Sequence[str], accept: str, batch: bool
) -> bytes:
    if accept == "application/json":
        return json.dumps({"predictions": predictions}).encode()
    if accept == "application/jsonlines":
        return "".join(json.dumps(item) + "\n" for item in predictions).encode()
    if accept == "text/csv":
        lines = (
            ",".join(f'"{item[key]}"' if isinstance(item[key], list) else str(item[key]) for key in keys)
            for item in predictions
        )
        text = "\n".join(lines)
        return (text + "\n" if batch else text).encode()
    raise ValueError(f"Cannot encode selected predictions into accept type '{accept}'.")


def encode_selectable(
    preds: Any,
    setting: str,
    objective: str,
    num_class: str,
    accept: str | None,
    batch: bool,
    default_accept: str | None,
) -> InvocationResult:
    try:
        chosen = parse_accept(accept, default_accept)
    except NotAcceptable as error:
        return text_result(406, str(error))
    try:
        keys = selected_keys(setting)
        body = encode_selected(select(preds, keys, objective, num_class), keys, chosen, batch)
    except Exception as error:
        logger.error("selectable inference failed: %s", error)
        return text_result(500, str(error))
    return InvocationResult(200, body, _MIMETYPES.get(chosen, chosen))
