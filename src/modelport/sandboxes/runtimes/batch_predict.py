"""Predicting gathered requests together: group, stack, one predict, split back by rows.

The router gathers concurrent requests for one instance into one worker call
(``hosting/batching.py``); a runtime then decodes each request as it would alone, stacks the
inputs that can share one predict (same kind, same width, same dtype), predicts once and hands
each request its own rows, which it encodes as it would alone. Whatever cannot go that way (an
empty body, a request that fails to decode or to check, a group whose predict fails, a prediction
whose row count does not add up) returns ``None`` here, and the runtime answers that request
through its plain ``invoke``, so an error answer is exactly the one the request gets alone.

The promise is byte-identical answers, so a runtime batches only where predictions are
row-independent *to the bit*. XGBoost's predictor is (each row sums its trees' leaves in a fixed
order). scikit-learn's tree models are; its linear models are not: ``X @ coef`` goes through
BLAS, whose kernels differ with the number of rows (a one-row ``LinearRegression.predict`` and
the same row inside 64 differ in the last bit). ``row_stable`` is that allow-list, and the model's
``MODELPORT_BATCHING`` variable overrides it (``on``, ``off``; ``auto`` is the default).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import Any, TypeVar

from modelport.sandboxes.runtimes.base import ModelLoadError

T = TypeVar("T")

VARIABLE = "MODELPORT_BATCHING"
_CHOICES = {"auto": None, "on": True, "true": True, "1": True, "off": False, "false": False, "0": False}

# scikit-learn estimators whose predict handles each row on its own, with no BLAS reduction.
_STABLE_MODULES = (
    "sklearn.tree.",
    "sklearn.ensemble._forest",
    "sklearn.ensemble._gb",
    "sklearn.ensemble._hist_gradient_boosting.",
    "xgboost.sklearn",
)
# Transformers in a Pipeline that work element by element (exact in IEEE arithmetic).
_ELEMENTWISE = {"StandardScaler", "MinMaxScaler", "MaxAbsScaler", "RobustScaler", "SimpleImputer"}


def batching_choice(environ: Mapping[str, str]) -> bool | None:
    """The model's ``MODELPORT_BATCHING``: True (on), False (off) or None (auto, the runtime decides)."""
    value = environ.get(VARIABLE, "").strip().lower()
    if not value:
        return None
    if value not in _CHOICES:
        raise ModelLoadError(f"{VARIABLE} must be auto, on or off, not {environ[VARIABLE]!r}")
    return _CHOICES[value]


def row_stable(model: Any) -> bool:
    """Whether a scikit-learn model's predict gives each row the same bits whatever rows come with it."""
    steps = getattr(model, "steps", None)
    if isinstance(steps, list) and steps and type(model).__name__ == "Pipeline":
        *transformers, (_, last) = steps
        return all(
            step in (None, "passthrough") or type(step).__name__ in _ELEMENTWISE for _, step in transformers
        ) and row_stable(last)
    module = type(model).__module__ + "."
    return module.startswith(_STABLE_MODULES)


def offsets(counts: Sequence[int]) -> list[int]:
    """Start of each part in the stacked rows, and the total last: [0, c0, c0+c1, ...]."""
    starts = [0]
    for count in counts:
        starts.append(starts[-1] + count)
    return starts


def split_rows(predictions: Any, counts: Sequence[int]) -> list[Any]:
    """The stacked predictions cut back into one slice per part (``counts`` rows each)."""
    starts = offsets(counts)
    return [predictions[starts[i] : starts[i + 1]] for i in range(len(counts))]


def predict_together(
    inputs: Sequence[T | None],
    *,
    key: Callable[[T], Hashable],
    rows: Callable[[T], int],
    stack: Callable[[list[T]], Any],
    predict: Callable[[Any], Any],
) -> list[Any | None]:
    """Each input's predictions, one predict per group of two or more inputs with equal ``key``.

    ``None`` for an input that is ``None``, alone in its group, or in a group whose stacking or
    predict failed or whose predictions do not have one row per stacked row: the caller answers
    those one by one.
    """
    groups: dict[Hashable, list[int]] = {}
    for index, item in enumerate(inputs):
        if item is not None:
            groups.setdefault(key(item), []).append(index)
    results: list[Any | None] = [None] * len(inputs)
    for members in groups.values():
        if len(members) < 2:
            continue
        parts = [inputs[i] for i in members]
        counts = [rows(part) for part in parts if part is not None]
        try:
            predictions = predict(stack([part for part in parts if part is not None]))
        except Exception:  # the members are answered alone, each with its own error if any
            continue
        shape = getattr(predictions, "shape", ())
        if not shape or shape[0] != sum(counts):
            continue
        for index, piece in zip(members, split_rows(predictions, counts), strict=True):
            results[index] = piece
    return results
