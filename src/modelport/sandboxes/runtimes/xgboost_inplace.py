"""In-place prediction through one long-lived proxy matrix per booster.

``Booster.inplace_predict`` hands XGBoost's C function ``XGBoosterPredictFromDense`` no proxy
matrix, so the library makes a new one on every call, and each new one reads the cgroup's CPU
quota files to size its thread pool: three ``stat``, two ``open``/``read``/``close`` and three
``sched_getaffinity`` per prediction (an strace of a worker), plus the Python around the call.
For one row that set-up costs about as much as the prediction itself. ``ProxyPredictor`` makes
the proxy once and passes it to the same C function (``c_api.h``: a proxy holds only the
batch it is given next), with the arguments ``inplace_predict`` sends, so the predictor, the
float32 results and their shape are the same. ``ProxyPredictor.create`` checks that on sample
rows against ``inplace_predict`` when the model loads; should anything differ or fail (another
XGBoost build), the runtime keeps ``inplace_predict``.

One proxy per booster, used from one thread: the worker answers invocations one at a time on
its event loop's thread.
"""

from __future__ import annotations

import ctypes
import json
import logging
import math
from typing import Any

import numpy as np

logger = logging.getLogger("modelport.worker")

_DTYPES = (np.dtype(np.float64), np.dtype(np.float32))
_FLOAT32_SIZE = 4


def _array_interface(data: Any) -> bytes:
    """``data``'s ``__array_interface__`` as the JSON XGBoost reads. A C-contiguous array's is
    written directly: ``json.dumps`` of the property costs several times the few fields
    XGBoost needs (data, shape, strides, typestr, version)."""
    if not data.flags.c_contiguous:
        return json.dumps(data.__array_interface__).encode()
    rows, columns = data.shape
    return (
        f'{{"data":[{data.ctypes.data},false],"shape":[{rows},{columns}],'
        f'"strides":null,"typestr":"{data.dtype.str}","version":3}}'
    ).encode()


class ProxyPredictor:
    """``booster.inplace_predict(data, iteration_range=..., validate_features=False)`` for
    aligned 2-D float64 or float32 arrays; ``None`` for any other input (call
    ``inplace_predict``)."""

    def __init__(self, booster: Any, iteration_range: tuple[int, int]) -> None:
        from xgboost.core import _LIB  # the library xgboost loaded; its C API is public (c_api.h)

        self._lib = _LIB
        self._booster = booster  # holds the booster's handle alive as long as this
        self._handle = ctypes.c_void_p()
        self._check(_LIB.XGProxyDMatrixCreate(ctypes.byref(self._handle)))
        # The arguments inplace_predict sends (make_jcargs), in its order.
        self._config = json.dumps(
            {
                "type": 0,
                "training": False,
                "iteration_begin": int(iteration_range[0]),
                "iteration_end": int(iteration_range[1]),
                "missing": float("nan"),
                "strict_shape": False,
                "cache_id": 0,
            }
        ).encode()

    @classmethod
    def create(
        cls, booster: Any, iteration_range: tuple[int, int], num_features: int
    ) -> ProxyPredictor | None:
        """A predictor that gives ``inplace_predict``'s bytes on sample rows, or None."""
        try:
            predictor = cls(booster, iteration_range)
            rng = np.random.default_rng(0)
            for rows in (1, 3):
                sample = rng.normal(scale=3.0, size=(rows, max(num_features, 1)))
                sample[0, 0] = np.nan
                expected = booster.inplace_predict(
                    sample, iteration_range=iteration_range, validate_features=False
                )
                found = predictor.predict(sample)
                if (
                    found is None
                    or found.dtype != expected.dtype
                    or found.shape != expected.shape
                    or found.tobytes() != expected.tobytes()
                ):
                    raise ValueError("its answers differ from inplace_predict's")
        except Exception as error:
            logger.info("predicting with inplace_predict: no reusable proxy matrix (%s)", error)
            return None
        return predictor

    def predict(self, data: Any) -> Any:
        if (
            not isinstance(data, np.ndarray)
            or data.ndim != 2
            or data.shape[0] == 0
            or data.dtype not in _DTYPES
            or not data.flags.aligned
        ):
            return None
        preds = ctypes.POINTER(ctypes.c_float)()
        shape = ctypes.POINTER(ctypes.c_uint64)()
        dims = ctypes.c_uint64()
        self._check(
            self._lib.XGBoosterPredictFromDense(
                self._booster.handle,
                _array_interface(data),
                self._config,
                self._handle,
                ctypes.byref(shape),
                ctypes.byref(dims),
                ctypes.byref(preds),
            )
        )
        out_shape = tuple(shape[i] for i in range(dims.value))
        # Copied out (into a writable buffer, as inplace_predict's array is): the buffer belongs
        # to the booster and is reused by its next prediction.
        copy = bytearray(ctypes.string_at(preds, math.prod(out_shape) * _FLOAT32_SIZE))
        return np.frombuffer(copy, dtype=np.float32).reshape(out_shape)

    def _check(self, status: int) -> None:
        if status != 0:
            raise RuntimeError(self._lib.XGBGetLastError().decode("utf-8", "replace"))

    def __del__(self) -> None:
        handle = getattr(self, "_handle", None)
        if handle is not None and handle.value:
            self._lib.XGDMatrixFree(handle)
