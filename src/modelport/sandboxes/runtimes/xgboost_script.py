"""Script mode in the XGBoost image (spec §9.6): DMatrix default input, no default model_fn."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from modelport.sandboxes.runtimes.base import parse_header
from modelport.sandboxes.runtimes.scriptmode import Defaults, UnsupportedFormatError, encode
from modelport.sandboxes.runtimes.xgboost_flavor import XGBoostFlavor
from modelport.sandboxes.runtimes.xgboost_input import parse_csv, parse_libsvm

_LIBSVM_TYPES = ("text/libsvm", "text/x-libsvm")


def xgboost_script_defaults(flavor: XGBoostFlavor) -> Defaults:
    def input_fn(data: Any, content_type: str) -> Any:
        import xgboost as xgb

        # 1.3-1+ drop parameters such as "; charset=utf-8"; older images match exactly.
        kind = parse_header(content_type)[0].lower() if flavor.ensemble_loader else content_type
        text = data.decode("utf-8") if isinstance(data, bytes) else data
        if kind == "text/csv":
            return xgb.DMatrix(parse_csv(text.strip()), nthread=1)
        if kind in _LIBSVM_TYPES:
            return xgb.DMatrix(parse_libsvm(text.strip(), flavor.libsvm_zero_based_shift), nthread=1)
        raise UnsupportedFormatError(content_type)

    def predict_fn(data: Any, model: Any) -> Any:
        return model.predict(data, validate_features=False)

    def output_fn(prediction: Any, accept: str) -> tuple[bytes, str]:
        return encode(prediction, accept), accept

    model_fn: Callable[[str], Any] | None = None
    return Defaults(model_fn, input_fn, predict_fn, output_fn)
